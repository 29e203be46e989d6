"""L1-NET-001..006 and L3-VUL-001 from a real nmap scan of real loopback listeners (127.0.0.185-188).

As root the risky services listen on their real ports (21, 23, 445, 3306, 2375); otherwise on 20000+port,
mapped to the same categories through a policy override, which is exactly what a user would do for a
service on a non-standard port.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from fourlayer.core.errors import InputError
from fourlayer.config.policy import default_policy, load_policy, port_category_overlap
from fourlayer.config.inventory import Host
from tests.netns import NAMESPACE_SKIP, namespace_works, run_isolated
from tests.scan_harness import agency, write_inventory
from tests.wire_helpers import collect, judge

ROOT = os.geteuid() == 0 and not os.environ.get("FOURLAYER_TEST_HIGH_PORTS")  # =1: try the non-root mapping
RISKY, CLEAN, NAMED, PATCHED = "127.0.0.185", "127.0.0.186", "127.0.0.188", "127.0.0.187"
STANDARD = {"ftp": 21, "telnet": 23, "smb": 445, "mysql": 3306, "docker": 2375}
PORTS = {name: port if ROOT else 20000 + port for name, port in STANDARD.items()}
TELNET_IAC = b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"  # what a telnet server sends first
NET_CHECKS = ["L1-NET-001", "L1-NET-003", "L1-NET-004", "L1-NET-005", "L1-NET-006"]


def scan_policy(detect: bool) -> dict:
    """Default policy (plus the non-root port mapping); version detection only where the test needs it."""
    policy = default_policy()
    net = policy["network"]
    net["service_detection"] = detect  # silent sinks cost nmap -sV seconds each
    if not ROOT:
        for name, port in PORTS.items():
            category = next(c for c, ports in net["categories"].items() if STANDARD[name] in ports) \
                if name != "docker" else None
            net["risky_ports"][port] = name
            if category:
                net["categories"][category] = net["categories"][category] + [port]
        net["scan_ports"] += "," + ",".join(map(str, PORTS.values()))
    return policy


@pytest.fixture(scope="module")
def net_lab():
    specs = [ListenerSpec("sink", RISKY, port, name=f"risky-{name}") for name, port in PORTS.items()]
    specs += [ListenerSpec("sink", CLEAN, 8000, name="clean-app"),
              ListenerSpec("banner", NAMED, 2121, name="named-ftp", banner=b"220 (vsFTPd 2.3.4)\r\n"),
              ListenerSpec("banner", NAMED, 2323, name="named-telnet", banner=TELNET_IAC),
              ListenerSpec("banner", PATCHED, 2121, name="patched-ftp",
                           banner=b"220 ProFTPD 1.3.8 Server (Debian) [127.0.0.187]\r\n")]
    with ListenerProcess(specs) as process:
        yield process


@pytest.fixture(scope="module")
def scans(net_lab):
    """host name -> (host, policy, evidence) from one real nmap scan each."""
    hosts = {
        "risky": (Host(address=RISKY, id="risky", services=(PORTS["ftp"],)), False),
        "clean": (Host(address=CLEAN, id="clean", services=(8000,)), False),
        "named": (Host(address=NAMED, id="named", services=(2121, 2323)), True),
        "patched": (Host(address=PATCHED, id="patched", services=(2121,)), True),
    }
    out = {}
    for name, (host, detect) in hosts.items():
        policy = scan_policy(detect)
        out[name] = (host, policy, collect(host, "nmap", policy=policy, timeout=5.0))
    return out


def run(scans, check_id: str, name: str):
    host, policy, evidence = scans[name]
    assert not evidence[1], evidence[1]
    return judge(check_id, host, evidence, policy=policy)


@pytest.mark.parametrize("check_id, service, needle", [
    ("L1-NET-003", "telnet", "telnet"),
    ("L1-NET-004", "ftp", "ftp"),
    ("L1-NET-005", "smb", "smb"),
    ("L1-NET-006", "mysql", "mysql"),
    ("L1-NET-001", "docker", "docker"),
])
def test_each_category_fails_on_its_service_and_passes_without_it(scans, check_id, service, needle):
    bad = run(scans, check_id, "risky")
    assert bad.status.value == "FAIL", bad.reason
    assert f"{PORTS[service]}/tcp" in bad.reason and f"[{needle}]" in bad.reason
    good = run(scans, check_id, "clean")
    assert good.status.value == "PASS" and "open: 8000" in good.evidence


def test_one_exposed_service_is_one_finding(scans):
    reasons = {cid: run(scans, cid, "risky").reason for cid in NET_CHECKS}
    for port in PORTS.values():
        owners = [cid for cid, reason in reasons.items() if f"{port}/tcp" in reason]
        assert len(owners) == 1, (port, owners)
    assert port_category_overlap(default_policy()["network"]["categories"]) is None


def test_udp_services_are_named_as_not_tested(scans):
    for name in ("risky", "clean"):
        result = run(scans, "L1-NET-004", name)
        assert "not tested: 69/udp tftp" in result.reason and "TCP connect scan cannot see it" in result.reason
    host, policy, evidence = scans["clean"]
    policy = scan_policy(False)
    policy["network"]["categories"]["cleartext_file_transfer"] = [69]  # only UDP left in the category
    only_udp = judge("L1-NET-004", host, evidence, policy=policy)
    assert only_udp.status.value == "NOT_APPLICABLE" and "no TCP port" in only_udp.reason


def test_services_on_other_ports_are_known_by_their_name(scans):
    # nmap -sV names telnet on 2323 and ftp on 2121: same categories as on 23 and 21
    telnet, ftp = run(scans, "L1-NET-003", "named"), run(scans, "L1-NET-004", "named")
    assert telnet.status.value == "FAIL" and "2323/tcp telnet" in telnet.reason
    assert ftp.status.value == "FAIL" and "2121/tcp ftp (vsftpd 2.3.4)" in ftp.reason


def test_002_undeclared_ports(scans):
    risky = run(scans, "L1-NET-002", "risky")
    assert risky.status.value == "FAIL" and str(PORTS["telnet"]) in risky.reason
    assert str(PORTS["ftp"]) not in risky.reason.split(":", 1)[1].split(",")  # declared
    assert run(scans, "L1-NET-002", "clean").status.value == "PASS"


def test_vul_001_known_vulnerable_service(scans):
    bad = run(scans, "L3-VUL-001", "named")
    assert bad.status.value == "FAIL" and "vsftpd 2.3.4" in bad.reason and "CVE-2011-2523" in bad.reason
    assert "only if builds from the archive" in bad.evidence  # the entry's condition travels with the finding
    good = run(scans, "L3-VUL-001", "patched")
    assert good.status.value == "PASS" and "ProFTPD 1.3.8" in good.evidence
    nothing = run(scans, "L3-VUL-001", "clean")
    assert nothing.status.value == "NOT_APPLICABLE" and "version detection: off" in nothing.reason


def test_a_port_in_two_categories_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("network:\n  categories:\n    datastores: [3306, 23]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_policy(str(path))
    assert (info.value.line, info.value.field) == (3, "network.categories.datastores")
    assert "port 23 is in both cleartext_login and datastores" in info.value.message


@pytest.mark.skipif(not namespace_works(), reason=NAMESPACE_SKIP)
def test_unreachable_host_is_not_a_pass(tmp_path):
    # the guard off, in an empty network namespace: 192.0.2.77 cannot be reached at all (no port answers)
    inv = write_inventory(tmp_path, [agency(hosts=[{"address": "192.0.2.77", "id": "gone", "services": [22]}])])
    out = tmp_path / "out"
    checks = [a for cid in NET_CHECKS + ["L1-NET-002"] for a in ("--check", cid)]
    proc = run_isolated([sys.executable, "-m", "fourlayer", "scan", str(inv), "--out", str(out), "--format", "json",
                         "--quiet", "--no-history", *checks], tmp_path / "strace.log",
                        {**os.environ, "FOURLAYER_LOOPBACK_ONLY": "0"})
    assert proc.returncode in (0, 3, 4), proc.stderr
    results = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))["results"]
    judged = {r["check_id"]: r for r in results if r["host"] == "gone"}
    assert set(judged) == set(NET_CHECKS + ["L1-NET-002"])
    for cid, r in judged.items():
        assert r["status"] == "ERROR" and "192.0.2.77: no TCP port answered" in r["reason"], (cid, r)
        assert "filtered: net-unreach" in r["reason"], r["reason"]
