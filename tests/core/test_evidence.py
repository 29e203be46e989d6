"""Typed evidence (fourlayer.core.evidence): real collected evidence round-trips through its serialised form, and
every check runs over real evidence without reading an attribute or key that is not there."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from fourlayer.collectors import device_config, http, nmap_scan, reachability, ssh_shell, ssh_transport, tls
from fourlayer.collectors.http import HttpEvidence, HttpResponse
from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.nmap_scan import NmapEvidence, PortInfo
from fourlayer.collectors.agency import EndpointProbe, ReachEvidence, collect_agency
from fourlayer.collectors.reachability import ReachabilityEvidence, ReachRecord
from fourlayer.collectors.ssh_shell import CommandOutput, ShellEvidence
from fourlayer.collectors.ssh_transport import HostKey, TransportEvidence
from fourlayer.collectors.tls_evidence import ChainCertificate, DhGroup, TlsCertificate, TlsEvidence, TlsPort
from fourlayer.config.policy import default_policy
from fourlayer.core.discovery import discover
from fourlayer.core.evidence import TYPES, evidence_type, to_dict
from fourlayer.core.model import Unevaluable
from fourlayer.core.registry import REGISTRY
from fourlayer.lab.sysroots import GOOD_ROOT, WEAK_ROOT
from tests.host_lab import CTX, host_target
from tests.scan_harness import agency, write_inventory

DEVICES = Path(__file__).parents[1] / "data" / "devices"


@pytest.fixture(scope="module")
def shell_evidence(sshd_hardened, ssh_known_hosts, tmp_path_factory):
    """Real shell evidence of the hardened lab sshd over two sysroots (a well-run host, a neglected one)."""
    from tests.host_lab import sysroots

    with sysroots() as make:
        yield [(host, ssh_shell.collect(host, CTX)) for host in
               (sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(make(root)))
                for root in (GOOD_ROOT, WEAK_ROOT))]


def test_every_typed_collector_names_a_frozen_slotted_dataclass() -> None:
    for name in TYPES:
        cls = evidence_type(name)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen and "__slots__" in vars(cls), name
        assert callable(cls.from_dict) and callable(cls.to_dict), name


def test_shell_evidence_round_trips_through_json(shell_evidence) -> None:
    for _, ev in shell_evidence:
        assert isinstance(ev, ShellEvidence) and all(isinstance(c, CommandOutput) for c in ev.commands.values())
        data = json.loads(json.dumps(to_dict(ev)))
        assert set(data) == {"user", "host_key", "commands", "truncated", "platform", "server_version",
                             "auth_banner"}
        assert all(set(c) == {"rc", "out", "err"} for c in data["commands"].values())
        assert ShellEvidence.from_dict(data) == ev
        assert ev.command("sshd_T").rc == 0 and ev.server_version.startswith("SSH-2.0-OpenSSH")


def test_nmap_evidence_round_trips_through_json(sshd_hardened, ssh_known_hosts) -> None:
    host = sshd_hardened.host(known_hosts=ssh_known_hosts)
    policy = default_policy()
    policy["network"]["service_detection"] = False
    ev = nmap_scan.collect(host, CollectContext(policy=policy))
    assert isinstance(ev, NmapEvidence) and all(isinstance(i, PortInfo) for i in ev.ports.values())
    assert host.ssh.port in ev.open and ev.open_ports()[host.ssh.port].state == "open"
    data = json.loads(json.dumps(to_dict(ev)))
    assert {"state", "ports", "unlisted", "version_detection", "scanned_ports", "open", "version_probed"} <= set(data)
    assert NmapEvidence.from_dict(data) == ev


def test_http_evidence_round_trips_through_json(tls_lab) -> None:
    for host in (tls_lab.host("tls-good"), tls_lab.host(http=("http-good",))):
        ev = http.collect(host, CTX)
        assert isinstance(ev, HttpEvidence) and len(ev.ports) == 1
        assert all(isinstance(r, HttpResponse) and r.status and r.error is None and r.headers
                   for _, r in ev.by_port())
        data = json.loads(json.dumps(to_dict(ev)))
        assert all(set(r) == {"scheme", "status", "reason", "headers", "headers_truncated", "location", "title",
                              "error"} for r in data["ports"].values())
        assert HttpEvidence.from_dict(data) == ev


OPENSSL_ADDRESS = "127.0.0.168"  # shared with tests/collectors/test_tls_legacy.py's OpenSSL listeners (kernel ports)
TLS_LISTENERS = ("tls-good", "tls-weak", "tls-expired", "tls-chain", "tls-rsa1024", "tls-null-anon", "tls-tls10")


@pytest.fixture(scope="module")
def tls_evidence(tls_lab, tls_lab_certs, tmp_path_factory):
    """Real TLS evidence of lab listeners (trusted, weak suites, expired, with a chain, RSA-1024, NULL/anonymous
    suites only, TLS 1.0 only, DHE with a 1024-bit group, NULL suites only), and of a host with one answering and one closed port."""
    from fourlayer.lab.dh_params import group_prime, write_dh_params
    from fourlayer.lab.serve import ListenerProcess
    from fourlayer.lab.servers import tls_listener
    from tests.tls_fixtures import LAB_DNS
    from tests.zone_engine import closed_port

    out = [(tls_lab.host(name), tls.collect(tls_lab.host(name), CTX)) for name in TLS_LISTENERS]
    good = tls_lab.host("tls-good")
    mixed = dataclasses.replace(good, tls=(*good.tls, closed_port(good.address)))
    out.append((mixed, tls.collect(mixed, CTX)))
    group2 = write_dh_params(tmp_path_factory.mktemp("dh") / "group2.pem", group_prime("RFC 2409 group 2"))
    tls12 = ("TLSv1.2", "TLSv1.2")
    specs = [tls_listener("good", tls_lab_certs, OPENSSL_ADDRESS, name="dh1024", versions=tls12,
                          ciphers="DHE+AESGCM:@SECLEVEL=0", dh_params=group2),
             tls_listener("good", tls_lab_certs, OPENSSL_ADDRESS, name="null-only", versions=tls12,
                          ciphers="NULL-SHA256:NULL-SHA:@SECLEVEL=0")]  # read from the raw first flight
    with ListenerProcess(specs) as lab:
        for address, port in lab.endpoints.values():
            host = dataclasses.replace(good, address=address, tls=(port,), tls_server_name=LAB_DNS)
            out.append((host, tls.collect(host, CTX)))
    return out


def test_tls_evidence_round_trips_through_json(tls_evidence) -> None:
    fields = {"protocols", "protocol", "cipher", "cipher_bits", "weak_ciphers", "weak_cipher_classes",
              "weak_ciphers_complete", "weak_classes_probed", "rsa_kex", "cert", "chain", "dh_group", "handshake",
              "error"}
    for _, ev in tls_evidence:
        assert isinstance(ev, TlsEvidence) and all(isinstance(p, TlsPort) for p in ev.ports.values())
        data = json.loads(json.dumps(to_dict(ev)))
        assert all(fields <= set(p) <= fields | {"probe_errors"} for p in data["ports"].values())
        assert TlsEvidence.from_dict(data) == ev
    ports = [p for _, ev in tls_evidence for _, p in ev.by_port()]
    certs = [p.cert for p in ports if p.cert]
    assert len(certs) >= len(TLS_LISTENERS) and all(isinstance(c, TlsCertificate) and c.not_after for c in certs)
    assert any(p.chain and all(isinstance(c, ChainCertificate) for c in p.chain) for p in ports)
    assert any(isinstance(p.dh_group, DhGroup) and p.dh_group.bits for p in ports)
    assert any(p.handshake == "raw" for p in ports)  # the NULL-only listener
    assert [p.error for p in ports if p.error] == ["connection refused"]
    assert set(to_dict(TlsPort(error="x"))) == fields  # no probe_errors key unless there are some


def test_every_tls_check_reads_real_evidence_without_a_wrong_attribute(tls_evidence) -> None:
    checks = _checks_needing({"tls"})
    assert len(checks) >= 10
    for host, ev in tls_evidence:
        _call_all(checks, _target(host, tls=ev))


@pytest.fixture(scope="module")
def transport_evidence(sshd_hardened, sshd_weak, tls_lab):
    """Real SSH transport evidence: the hardened and the weak lab sshd, and identification listeners (SSH-1.99,
    SSH-1.5 only, a Go server)."""
    hosts = [sshd_hardened.host(), sshd_weak.host()] + [tls_lab.ssh_host(n) for n in
                                                        ("ssh-199", "ssh-15", "ssh-no-version")]
    return [(h, ssh_transport.collect(h, CTX)) for h in hosts]


def test_ssh_transport_evidence_round_trips_through_json(transport_evidence) -> None:
    for _, ev in transport_evidence:
        assert isinstance(ev, TransportEvidence) and all(isinstance(k, HostKey) for k in ev.host_keys)
        data = json.loads(json.dumps(to_dict(ev)))
        assert set(data) == set(TransportEvidence.__slots__)
        assert all(set(k) == {"type", "bits", "fingerprint"} for k in data["host_keys"])
        assert TransportEvidence.from_dict(data) == ev
    hardened, weak = transport_evidence[0][1], transport_evidence[1][1]
    assert {k.type for k in hardened.host_keys} == {"ssh-ed25519", "ssh-rsa"} and hardened.offered("kex")
    assert [(k.type, k.bits) for k in weak.host_keys] == [("ssh-rsa", 1024)]
    assert [ev.ssh2 for _, ev in transport_evidence].count(False) == 1  # SSH-1 only: empty lists, not "none weak"
    with pytest.raises(AttributeError):
        hardened.offered("kexes")


def test_every_ssh_transport_check_reads_real_evidence_without_a_wrong_attribute(transport_evidence) -> None:
    checks = _checks_needing({"ssh_transport"})
    assert len(checks) >= 7
    for host, ev in transport_evidence:
        _call_all(checks, _target(host, ssh_transport=ev))


ZONED_INVENTORY = """\
version: 1
zones:
  - {id: users, name: Vùng người dùng, kind: user, networks: [127.0.1.0/24]}
  - {id: db, name: Vùng cơ sở dữ liệu, kind: database, networks: [127.0.2.0/24]}
  - {id: srv, name: Vùng máy chủ, kind: server, networks: [127.0.3.0/24]}
agencies:
  - id: a
    name: Sở A
    systems:
      - id: s
        name: Hệ thống S
        level: 3
        hosts:
          - {address: 127.0.2.20, id: dbhost, ssh: false}
          - {address: 127.0.3.5, id: app, ssh: false}
          - {address: 127.0.1.5, id: ws, ssh: false}
"""


@pytest.fixture(scope="module")
def reachability_evidence(tmp_path_factory):
    """Real segmentation evidence: the in-process probe from the user zone of a database host with PostgreSQL
    listening (a violation) and of a server-zone host with nothing listening; the server zone never reports."""
    import socket

    from fourlayer.collectors.reachability import scan_reachability
    from fourlayer.config.inventory_load import load_inventory

    path = tmp_path_factory.mktemp("zones") / "inv.yaml"
    path.write_text(ZONED_INVENTORY, encoding="utf-8")
    inv = load_inventory(path)
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.2.20", 5432))
        listener.listen(8)
        table, _ = scan_reachability(inv, "users", 1.0, 30.0)
    ctx = CollectContext(reachability=table)
    return [(h, reachability.collect(h, ctx)) for _, _, h in inv.iter_hosts()]


def test_reachability_evidence_round_trips_through_json(reachability_evidence) -> None:
    for _, ev in reachability_evidence:
        assert isinstance(ev, ReachabilityEvidence) and all(isinstance(r, ReachRecord) for r in ev.records)
        data = json.loads(json.dumps(to_dict(ev)))
        assert set(data) == set(ReachabilityEvidence.__slots__)
        assert all(set(r) == set(ReachRecord.__slots__) for r in data["records"])
        assert ReachabilityEvidence.from_dict(data) == ev
    by_host = {h.id: ev for h, ev in reachability_evidence}
    opened = [r for r in by_host["dbhost"].records if r.state == "open"]
    assert [(r.port, r.group, r.allowed) for r in opened] == [(5432, "database", False)]
    assert by_host["dbhost"].vantage_zones == ("users",) and by_host["dbhost"].missing_zones == ("srv",)
    assert by_host["app"].records and all(r.state == "closed" for r in by_host["app"].records)


def test_every_reachability_check_reads_real_evidence_without_a_wrong_attribute(reachability_evidence) -> None:
    checks = _checks_needing({"reachability"})
    assert len(checks) == 3
    statuses = []
    for host, ev in reachability_evidence:
        t = _target(host, reachability=ev)
        _call_all(checks, t)
        statuses += [c.func(t).status.value for c in checks if host.id == "dbhost"]
    assert "FAIL" in statuses  # PostgreSQL reachable from the user zone


@pytest.fixture(scope="module")
def reach_evidence():
    """Real agency endpoint probes: a SOC manager that listens, a log collector with nothing behind it, a national
    collector outside 127.0.0.0/8 that the loopback guard refuses (nothing is sent); and an agency declaring none."""
    import socket

    from fourlayer.config.inventory import SOC, Agency, Endpoint, NationalMonitoring, System
    from tests.zone_engine import closed_port

    with socket.socket() as listener:
        listener.bind(("127.0.0.198", 0))
        listener.listen(4)
        declared = Agency(id="a", name="Sở A", systems=(System(id="s", name="Hệ thống", level=3),),
                          soc=SOC(provider="SOC", manager=Endpoint("127.0.0.198", listener.getsockname()[1]),
                                  log_collector=Endpoint("127.0.0.198", closed_port("127.0.0.198"))),
                          national_monitoring=NationalMonitoring(connected=True,
                                                                 collector=Endpoint("192.0.2.1", 5514)))
        bare = Agency(id="b", name="Sở B", systems=(System(id="s2", name="Hệ thống", level=3),))
        return [(a, collect_agency(a, CTX)[0]["reach"]) for a in (declared, bare)]


def test_reach_evidence_round_trips_through_json(reach_evidence) -> None:
    for _, ev in reach_evidence:
        assert isinstance(ev, ReachEvidence)
        data = json.loads(json.dumps(to_dict(ev)))
        assert set(data) == {"soc_manager", "soc_log_collector", "national_collector"}
        assert ReachEvidence.from_dict(data) == ev
    declared, bare = reach_evidence[0][1], reach_evidence[1][1]
    assert declared.soc_manager.reachable is True and declared.soc_log_collector.reachable is False
    national = declared.national_collector
    assert national.reachable is None and "refusing to contact" in national.error
    assert "error" not in to_dict(declared)["soc_manager"] and "error" in to_dict(declared)["national_collector"]
    assert to_dict(bare) == dict.fromkeys(("soc_manager", "soc_log_collector", "national_collector"))
    assert isinstance(declared.probe("soc_manager"), EndpointProbe)
    with pytest.raises(AttributeError):
        declared.probe("soc")


def test_every_reach_check_reads_real_evidence_without_a_wrong_attribute(reach_evidence) -> None:
    from fourlayer.core.target import Target

    checks = _checks_needing({"reach"})
    assert len(checks) >= 2
    for agency, ev in reach_evidence:
        t = Target(agency, agency.systems[0], None, default_policy(), dt.date(2026, 1, 1), {"reach": ev})
        statuses = {c.meta.id: c.func(t).status.value for c in checks}
        assert set(statuses.values()) <= {"PASS", "FAIL", "ERROR"}, statuses
    t = Target(agency, agency.systems[0], None, default_policy(), dt.date(2026, 1, 1),
               {"reach": to_dict(reach_evidence[0][1])})  # the plain form given by hand is typed
    assert isinstance(t.ev("reach"), ReachEvidence)


def test_device_config_evidence_round_trips_through_json(tmp_path) -> None:
    from fourlayer.config.inventory_load import load_inventory

    device = {"id": "dev", "vendor": "cisco_ios", "config": str(DEVICES / "cisco_ios" / "hardened.conf")}
    inv = load_inventory(write_inventory(tmp_path, [agency(system={"devices": [device]})]))
    ev = device_config.collect(inv.agencies[0].systems[0].hosts[0], CTX)
    assert isinstance(ev, device_config.DeviceConfigEvidence) and ev.source == "file" and ev.bytes == len(ev.text)
    data = json.loads(json.dumps(to_dict(ev)))
    assert set(data) == {"source", "where", "command", "text", "bytes", "sha256"}
    assert device_config.DeviceConfigEvidence.from_dict(data) == ev


def test_evidence_recorded_without_the_banner_keeps_saying_so() -> None:
    old = ShellEvidence.from_dict({"commands": {"passwd": {"rc": 0, "out": "root:x:0:0"}}})
    assert not old.banner_recorded and "auth_banner" not in old.to_dict()
    assert old.command("passwd") == CommandOutput(0, "root:x:0:0", "")
    assert old.command("never_run").rc == 127


def test_target_types_a_plain_dict_and_keeps_untyped_evidence_as_given(shell_evidence) -> None:
    host, ev = shell_evidence[0]
    plugin = {"anything": [1, 2]}  # a third-party collector's plain dict
    t = host_target({"host": host, "ssh_shell": to_dict(ev)})
    t.evidence["my_plugin"] = plugin
    assert t.ev("ssh_shell") == ev and t.ev("ssh_shell") is t.ev("ssh_shell")  # typed once, then kept
    assert t.ev("my_plugin") is plugin
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.truncated = True


def _checks_needing(collectors: set[str]) -> list:
    """The checks whose needs are all among `collectors`."""
    discover()
    return [c for c in REGISTRY.all() if c.meta.needs and set(c.meta.needs) <= collectors]


def _target(host, **evidence):
    """A level-5 target of `host` with exactly this evidence."""
    t = host_target({"host": host, "ssh_shell": None}, level=5)
    t.evidence = dict(evidence)
    return t


def _call_all(checks: list, t) -> None:
    """Called directly (the runner would turn a crash into ERROR): only a verdict or Unevaluable may come out, so
    a check or resource reading an attribute or key that the evidence does not have fails here."""
    for c in checks:
        try:
            outcome = c.func(t)
        except Unevaluable:
            continue
        assert outcome.status is not None, c.meta.id


def _shell_only_checks() -> list:
    return _checks_needing({"ssh_shell"})


def test_every_shell_check_reads_real_evidence_without_a_wrong_attribute(shell_evidence) -> None:
    """Called directly (the runner would turn a crash into ERROR): only a verdict or Unevaluable may come out, so
    a check or resource reading an attribute or key that the evidence does not have fails here."""
    checks = _shell_only_checks()
    assert len(checks) > 40
    for host, ev in shell_evidence:
        t = host_target({"host": host, "ssh_shell": ev}, level=5)
        for c in checks:  # the Windows ones too: posix evidence must give them Unevaluable, not a crash
            try:
                outcome = c.func(t)
            except Unevaluable:
                continue
            assert outcome.status is not None, c.meta.id
