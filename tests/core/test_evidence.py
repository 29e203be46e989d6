"""Typed evidence (fourlayer.core.evidence): real collected evidence round-trips through its serialised form, and
every check runs over real evidence without reading an attribute or key that is not there."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fourlayer.collectors import device_config, http, nmap_scan, ssh_shell
from fourlayer.collectors.http import HttpEvidence, HttpResponse
from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.nmap_scan import NmapEvidence, PortInfo
from fourlayer.collectors.ssh_shell import CommandOutput, ShellEvidence
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


def _shell_only_checks() -> list:
    discover()
    return [c for c in REGISTRY.all() if c.meta.needs and set(c.meta.needs) <= {"ssh_shell"}]


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
