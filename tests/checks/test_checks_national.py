"""Layer 4 checks (national monitoring connection): declared facts from real inventory files, a real TCP sink as
the national collector, a lab sshd reading a fake sysroot, and real agent processes."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from fourlayer.lab.sysroots import AgentProcesses
from fourlayer.core.model import Status
from tests.scan_harness import agency, lab_host, scan, unique_name, write_inventory

DECLARED = ["L4-NAT-001", "L4-NAT-002", "L4-IR-001"]
ON_HOST = ["L4-NAT-003", "L4-NAT-004", "L4-AMW-001"]
COLLECTOR_ADDRESS = "127.0.0.183"  # listener range 127.0.0.150-199; .183/.184 are this module's


@pytest.fixture(scope="module")
def collector() -> Iterator[dict[str, str]]:
    lab = ListenerProcess([ListenerSpec("sink", COLLECTOR_ADDRESS, name="national")]).start()
    with socket.socket() as s:
        s.bind(("127.0.0.184", 0))
        closed = s.getsockname()[1]
    yield {"open": f"{COLLECTOR_ADDRESS}:{lab.port('national')}", "closed": f"127.0.0.184:{closed}"}
    lab.stop()


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    names = {"national": unique_name("ncsc"), "antimalware": unique_name("av")}
    with AgentProcesses(names.values(), tmp_path_factory.mktemp("agents")):
        yield names


def connected(collector: str, **extra) -> dict:
    return {"connected": True, "since": "2024-03-01", "collector": collector, "antimalware_connected": True, **extra}


def declared_scan(tmp_path, **facts) -> dict:
    return scan(write_inventory(tmp_path, [agency(**facts)]), DECLARED)["a1"]


# ---- declared facts and the collector's reachability --------------------------------------------------------

def test_connected_reachable_and_contact_complete_pass(tmp_path, collector):
    r = declared_scan(tmp_path, national_monitoring=connected(collector["open"]),
                      incident_contact={"name": "Trần Thị Bình", "phone": "0238 3 000 102",
                                        "email": "binh@agency.example"})
    assert {c: r[c].status for c in DECLARED} == {c: Status.PASS for c in DECLARED}, {c: r[c].reason for c in r}
    assert r["L4-NAT-001"].evidence == "connected: true; since: 2024-03-01"
    assert r["L4-NAT-002"].reason == f"national collector {collector['open']} accepts connections"
    assert r["L4-IR-001"].reason == ("incident contact Trần Thị Bình, reachable by phone 0238 3 000 102 and "
                                     "e-mail binh@agency.example")


def test_nothing_declared_fails(tmp_path):
    r = declared_scan(tmp_path)
    assert {c: r[c].status for c in DECLARED} == {c: Status.FAIL for c in DECLARED}
    assert r["L4-NAT-001"].evidence == "national_monitoring: not declared"
    assert r["L4-NAT-002"].reason == "no national collector endpoint declared (national_monitoring.collector)"
    assert r["L4-IR-001"].reason == "no incident-response contact declared"


@pytest.mark.parametrize("nat, needle", [
    ({"connected": False}, "connected: false"),
    ({"connected": True}, "since: missing"),
    ({"connected": True, "since": "2026-12-01"}, "since: 2026-12-01"),
])
def test_connection_without_a_past_start_date_fails(tmp_path, nat, needle):
    r = declared_scan(tmp_path, national_monitoring=nat)["L4-NAT-001"]
    assert r.status is Status.FAIL and needle in r.evidence, r.reason
    if "2026-12-01" in needle:
        assert "is in the future" in r.reason


def test_closed_collector_fails_and_refused_address_errors(tmp_path, collector, monkeypatch):
    r = declared_scan(tmp_path, national_monitoring=connected(collector["closed"]))["L4-NAT-002"]
    assert r.status is Status.FAIL and r.reason == f"not reachable: national collector {collector['closed']} " \
                                                   "(connection refused)"
    monkeypatch.setenv("FOURLAYER_LOOPBACK_ONLY", "1")
    r = declared_scan(tmp_path, national_monitoring=connected("198.51.100.20:5514"))["L4-NAT-002"]
    assert r.status is Status.ERROR and "refusing to contact 198.51.100.20" in r.reason


def test_contact_without_a_channel_fails(tmp_path):
    r = declared_scan(tmp_path, incident_contact={"name": "Lê Văn Cường"})["L4-IR-001"]
    assert r.status is Status.FAIL
    assert r.reason == "incident contact Lê Văn Cường has no phone or e-mail to reach them"
    assert r.evidence == "name: Lê Văn Cường; no phone or e-mail"


# ---- on the host: the national agent, the sharing endpoint, anti-malware ------------------------------------

def host_scan(tmp_path, sshd, known_hosts, root, policy, level=3, **facts) -> dict:
    host = lab_host(sshd, known_hosts, root)
    return scan(write_inventory(tmp_path, [agency(level=level, hosts=[host], **facts)], policy), ON_HOST)["h1"]


def agent_policy(agents: dict[str, str]) -> dict:
    return {"national": {"agent_process_names": [agents["national"]]},
            "antimalware": {"process_names": [agents["antimalware"]]}}


def test_connected_host_passes(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, collector, agents):
    root = ssh_sysroot({"etc/rsyslog.d/70-national.conf": f"*.* @@{collector['open']}\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, agent_policy(agents),
                  national_monitoring=connected(collector["open"]))
    assert {c: r[c].status for c in ON_HOST} == {c: Status.PASS for c in ON_HOST}, {c: r[c].reason for c in r}
    assert r["L4-NAT-003"].evidence == f"running: {agents['national']}; national_monitoring.connected: true"
    assert r["L4-NAT-004"].evidence == f"{collector['open']} via rsyslog @@ TCP (/etc/rsyslog.d/70-national.conf)"
    assert r["L4-AMW-001"].reason == f"{agents['antimalware']} runs and anti-malware is connected to the national " \
                                     "platform"


def test_agent_config_naming_the_collector_counts(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, collector,
                                                  agents):
    host, port = collector["open"].split(":")
    root = ssh_sysroot({"var/ossec/etc/ossec.conf": f"<ossec_config><client><server><address>{host}</address>"
                                                    f"<port>{port}</port></server></client></ossec_config>\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, agent_policy(agents),
                  national_monitoring=connected(collector["open"]))
    assert r["L4-NAT-004"].status is Status.PASS and "via agent (/var/ossec/etc/ossec.conf)" in r["L4-NAT-004"].evidence


def test_unconnected_host_fails(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, collector):
    root = ssh_sysroot({"etc/rsyslog.d/60-soc.conf": "*.* @@127.0.0.13:1514\n"})
    absent = {"national": {"agent_process_names": [unique_name("ncsc")]},
              "antimalware": {"process_names": [unique_name("av")]}}
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, absent,
                  national_monitoring=connected(collector["open"]))
    assert {c: r[c].status for c in ON_HOST} == {c: Status.FAIL for c in ON_HOST}
    assert r["L4-NAT-003"].reason.startswith("no national monitoring agent is running")
    assert r["L4-NAT-004"].reason == f"no forwarding rule or agent on the host names the national collector " \
                                     f"{collector['open']}"
    assert "127.0.0.13:1514 via rsyslog" in r["L4-NAT-004"].evidence
    assert r["L4-AMW-001"].reason.startswith("no anti-malware engine is running on the host")


def test_running_agents_without_declared_connection_fail(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot,
                                                         agents):
    root = ssh_sysroot({"etc/rsyslog.conf": "*.* /var/log/syslog\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, agent_policy(agents))
    assert {c: r[c].status for c in ON_HOST} == {c: Status.FAIL for c in ON_HOST}
    assert r["L4-NAT-003"].reason.endswith("but the agency declares no connection to the national monitoring system")
    assert "no national collector is declared" in r["L4-NAT-004"].reason
    assert r["L4-AMW-001"].evidence == f"running: {agents['antimalware']}; antimalware_connected: not declared"


def test_below_the_policy_level_the_host_connection_does_not_apply(tmp_path, sshd_hardened, ssh_known_hosts,
                                                                   ssh_sysroot, agents):
    root = ssh_sysroot({"etc/rsyslog.conf": "*.* /var/log/syslog\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, agent_policy(agents), level=2)
    assert r["L4-NAT-003"].status is Status.NOT_APPLICABLE and r["L4-NAT-004"].status is Status.NOT_APPLICABLE
    assert "from level 3; this system is level 2" in r["L4-NAT-003"].reason
    assert r["L4-AMW-001"].status is Status.FAIL  # anti-malware connection applies at every level
