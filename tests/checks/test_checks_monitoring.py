"""Layer 2 checks (professional monitoring) against real targets: a lab sshd reading a fake sysroot, real agent
processes, real TCP sinks for the SOC endpoints, and real inventory/policy files."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Iterator

import pytest

from fourlayer.resources import forwarding
from fourlayer.resources import retention
from fourlayer.resources.host_files import ConfigFile
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from fourlayer.lab.sysroots import GOOD_ROOT, AgentProcesses
from fourlayer.core.model import Status
from tests.scan_harness import TODAY, agency, lab_host, scan, unique_name, write_inventory

HOST_CHECKS = ["L2-LOG-001", "L2-LOG-002", "L2-LOG-003", "L2-AUD-001", "L2-NTP-001", "L2-EDR-001"]
SINK_ADDRESS = "127.0.0.180"  # in the 127.0.0.150-199 range of listener fixtures; nothing else uses .180/.181


@pytest.fixture(scope="module")
def sinks() -> Iterator[dict[str, str]]:
    """Real TCP sinks for the SOC manager and log collector, and a port on which nothing listens."""
    lab = ListenerProcess([ListenerSpec("sink", SINK_ADDRESS, name="manager"),
                           ListenerSpec("sink", SINK_ADDRESS, name="logs")]).start()
    with socket.socket() as s:
        s.bind(("127.0.0.181", 0))
        closed = s.getsockname()[1]
    yield {"manager": f"{SINK_ADDRESS}:{lab.port('manager')}", "logs": f"{SINK_ADDRESS}:{lab.port('logs')}",
           "closed": f"127.0.0.181:{closed}"}
    lab.stop()


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Real processes named like auditd, a time daemon and an EDR agent (names unique to this test run)."""
    names = {"audit": unique_name("audit"), "time": unique_name("chrony"), "edr": unique_name("edr")}
    with AgentProcesses(names.values(), tmp_path_factory.mktemp("agents")):
        yield names


def running_policy(agents: dict[str, str]) -> dict:
    return {"audit": {"process_names": [agents["audit"]]}, "time_sync": {"process_names": [agents["time"]]},
            "edr": {"process_names": [agents["edr"]]}}


def absent_policy() -> dict:
    """Process names that no process on this machine has."""
    return {"audit": {"process_names": [unique_name("audit")]}, "time_sync": {"process_names": [unique_name("t")]},
            "edr": {"process_names": [unique_name("edr")]}}


def ossec_conf(endpoint: str) -> str:
    host, port = endpoint.rsplit(":", 1)
    return (f"<ossec_config>\n  <client>\n    <!-- <server><address>198.51.100.7</address></server> -->\n"
            f"    <server>\n      <address>{host}</address>\n      <port>{port}</port>\n    </server>\n"
            "  </client>\n</ossec_config>\n")


AUDIT_RULES = GOOD_ROOT["etc/audit/rules.d/audit.rules"]  # every family of the default policy, recorded


def good_root(sinks: dict[str, str]) -> dict[str, str]:
    return {
        "etc/rsyslog.conf": 'module(load="imuxsock")\n$IncludeConfig /etc/rsyslog.d/*.conf\n',
        "etc/rsyslog.d/60-soc.conf": ('# SOC\naction(type="omfwd" target="{0}" port="{1}"\n'
                                      '       protocol="tcp")\n').format(*sinks["manager"].split(":")),
        "etc/audit/rules.d/cis.rules": AUDIT_RULES,
        "etc/chrony/chrony.conf": "server ntp1.agency.test iburst\npool 2.debian.pool.ntp.org iburst\n",
        "etc/logrotate.conf": "weekly\nrotate 4\ninclude /etc/logrotate.d\n",
        "etc/logrotate.d/rsyslog": "/var/log/syslog\n/var/log/messages\n{\n\tdaily\n\trotate 90\n\tpostrotate\n"
                                   "\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n",
        "var/ossec/etc/ossec.conf": ossec_conf(sinks["manager"]),
    }


def soc(sinks: dict[str, str], **extra) -> dict:
    return {"provider": "SOC Thử nghiệm", "contract_until": "2027-06-30", "manager": sinks["manager"], **extra}


def host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, policy, **facts):
    host = lab_host(sshd_hardened, ssh_known_hosts, root)
    path = write_inventory(tmp_path, [agency(hosts=[host], **facts)], policy)
    return scan(path, HOST_CHECKS)["h1"]


# ---- host checks: a well-run host ---------------------------------------------------------------------------

def test_well_run_host_passes_every_layer2_host_check(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot,
                                                      sinks, agents):
    root = ssh_sysroot(good_root(sinks))
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), soc=soc(sinks))
    assert {cid: res.status for cid, res in r.items()} == {cid: Status.PASS for cid in HOST_CHECKS}, \
        {cid: res.reason for cid, res in r.items()}
    manager = sinks["manager"]
    assert manager in r["L2-LOG-001"].reason and "rsyslog omfwd TCP (/etc/rsyslog.d/60-soc.conf)" in \
        r["L2-LOG-001"].evidence
    assert f"declared SOC collector {manager}" in r["L2-LOG-002"].reason
    assert "90 days" in r["L2-LOG-003"].reason and "daily, rotate 90 (/etc/logrotate.d/rsyslog)" in \
        r["L2-LOG-003"].evidence
    assert r["L2-AUD-001"].reason.startswith(agents["audit"]) and "-w /etc/sudoers -p wa" in r["L2-AUD-001"].evidence
    assert "ntp1.agency.test" in r["L2-NTP-001"].reason and agents["time"] in r["L2-NTP-001"].evidence
    assert f"{agents['edr']} runs and reports to the declared SOC manager {manager}" == r["L2-EDR-001"].reason
    assert "198.51.100.7" not in r["L2-EDR-001"].evidence  # the commented-out manager is not read


# ---- host checks: a bare host and a neglected one -----------------------------------------------------------

def test_bare_host_fails_every_layer2_host_check(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, sinks):
    root = ssh_sysroot({"etc/rsyslog.conf": 'module(load="imuxsock")\n*.* /var/log/syslog\n'})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, absent_policy(), soc=soc(sinks))
    assert {cid: res.status for cid, res in r.items()} == {cid: Status.FAIL for cid in HOST_CHECKS}, \
        {cid: res.reason for cid, res in r.items()}
    assert "no log forwarding" in r["L2-LOG-001"].reason and "/etc/rsyslog.conf" in r["L2-LOG-001"].evidence
    assert r["L2-LOG-002"].reason == f"logs are not forwarded at all; the declared SOC collector is {sinks['manager']}"
    assert "no configuration shows logs kept 30 days" in r["L2-LOG-003"].reason
    assert "audit daemon is not running" in r["L2-AUD-001"].reason
    assert "no time synchronisation daemon is running" in r["L2-NTP-001"].reason
    assert "no monitoring/EDR agent is running" in r["L2-EDR-001"].reason


def test_neglected_configuration_fails_with_its_evidence(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot,
                                                         sinks, agents):
    root = ssh_sysroot({
        "etc/rsyslog.conf": "*.* @192.0.2.10\n",  # UDP to a retired collector, default port 514
        "etc/audit/rules.d/audit.rules": "## First rule - delete all\n-D\n-b 320\n-w /etc/passwd -p wa\n",
        "etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n#FallbackNTP=ntp.ubuntu.com\n",
        "etc/logrotate.conf": "weekly\nrotate 4\n",
        "etc/logrotate.d/rsyslog": "/var/log/syslog\n{\n\trotate 4\n\tweekly\n}\n",
        "etc/systemd/journald.conf": "[Journal]\nStorage=persistent\nMaxRetentionSec=1week\n",
        "var/ossec/etc/ossec.conf": ossec_conf("127.0.0.99:1514"),
    })
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), soc=soc(sinks))
    assert r["L2-LOG-001"].status is Status.PASS and "192.0.2.10:514 via rsyslog @ UDP" in r["L2-LOG-001"].evidence
    assert r["L2-LOG-002"].status is Status.FAIL
    assert r["L2-LOG-002"].reason == f"logs are forwarded to 192.0.2.10:514, not to the declared SOC collector " \
                                     f"{sinks['manager']}"
    assert r["L2-LOG-003"].status is Status.FAIL
    assert r["L2-LOG-003"].reason == "logs are deleted before 30 days: /var/log/syslog 28 days, journald 7 days"
    audit = r["L2-AUD-001"]
    assert audit.status is Status.FAIL and "9 of 9 audit rule families" in audit.reason
    assert "identity (not recorded: /etc/shadow, /etc/group, /etc/gshadow, /etc/security/opasswd)" in audit.reason
    assert "sudoers (not recorded: /etc/sudoers, /etc/sudoers.d)" in audit.reason
    assert "time-change (not recorded: adjtimex" in audit.reason
    assert "/etc/passwd" not in audit.reason.split("identity")[1].split(")")[0]  # the one rule present counts
    assert r["L2-NTP-001"].status is Status.FAIL and r["L2-NTP-001"].reason == \
        f"{agents['time']} runs, but no time server is configured"
    edr = r["L2-EDR-001"]
    assert edr.status is Status.FAIL
    assert edr.reason == f"{agents['edr']} reports to 127.0.0.99:1514, not to the declared SOC manager {sinks['manager']}"


def test_syslog_ng_journald_and_timesyncd_pass(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, sinks, agents):
    host, port = sinks["manager"].split(":")
    root = ssh_sysroot({
        "etc/syslog-ng/syslog-ng.conf": (
            "@version: 3.38\nsource s_src { system(); internal(); };\n"
            "destination d_unused { tcp(\"203.0.113.5\" port(601)); };\n"
            f"destination d_soc {{ network(\"{host}\" port({port}) transport(\"tcp\")); }};\n"
            "log { source(s_src); destination(d_soc); };\n"),
        "etc/systemd/journald.conf.d/retention.conf": "[Journal]\nStorage=persistent\nMaxRetentionSec=3month\n",
        "etc/systemd/timesyncd.conf": "[Time]\nNTP=ntp1.agency.test ntp2.agency.test\n",
    })
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), soc=soc(sinks))
    assert r["L2-LOG-001"].status is Status.PASS and "203.0.113.5" not in r["L2-LOG-001"].evidence  # unused
    assert "syslog-ng network() in destination d_soc" in r["L2-LOG-002"].evidence
    assert r["L2-LOG-002"].status is Status.PASS
    assert r["L2-LOG-003"].status is Status.PASS and r["L2-LOG-003"].reason.startswith("journald keeps logs 91.3")
    assert r["L2-NTP-001"].status is Status.PASS and "ntp2.agency.test" in r["L2-NTP-001"].reason
    assert r["L2-AUD-001"].status is Status.FAIL and "no active -w/-a rules" in r["L2-AUD-001"].evidence


def test_journal_upload_to_the_declared_log_collector(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot,
                                                      sinks, agents):
    root = ssh_sysroot({"etc/systemd/journal-upload.conf": f"[Upload]\nURL=https://{sinks['logs']}\n",
                        "etc/rsyslog.d/60-soc.conf": f"*.* @@{sinks['manager']}\n"})
    facts = {"soc": soc(sinks, log_collector=sinks["logs"])}
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), **facts)
    assert r["L2-LOG-002"].status is Status.PASS
    assert r["L2-LOG-002"].evidence == f"{sinks['logs']} via systemd-journal-upload " \
                                       "(/etc/systemd/journal-upload.conf)"
    # forwarding to the manager alone is not forwarding to a distinct declared log collector
    root2 = ssh_sysroot({"etc/rsyslog.d/60-soc.conf": f"*.* @@{sinks['manager']}\n"})
    r2 = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root2, running_policy(agents), **facts)
    assert r2["L2-LOG-002"].status is Status.FAIL and sinks["logs"] in r2["L2-LOG-002"].reason


def test_no_declared_collector_fails_log_and_agent_destination(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot,
                                                               sinks, agents):
    root = ssh_sysroot(good_root(sinks))
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents))  # no soc: declared
    assert r["L2-LOG-001"].status is Status.PASS
    assert r["L2-LOG-002"].status is Status.FAIL and "no SOC log collector is declared" in r["L2-LOG-002"].reason
    assert r["L2-EDR-001"].status is Status.FAIL and "no SOC manager is declared" in r["L2-EDR-001"].reason


def test_rotated_files_outlast_a_short_journal_and_an_agent_without_config_warns(
        tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, sinks, agents):
    root = ssh_sysroot({"etc/logrotate.d/rsyslog": "/var/log/syslog /var/log/messages {\n weekly\n rotate 13\n}\n",
                        "etc/systemd/journald.conf": "[Journal]\nMaxRetentionSec=1week\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), soc=soc(sinks))
    assert r["L2-LOG-003"].status is Status.PASS and "kept 91 days or more" in r["L2-LOG-003"].reason
    assert "journald: MaxRetentionSec = 7 days" in r["L2-LOG-003"].evidence
    assert r["L2-EDR-001"].status is Status.WARN
    assert r["L2-EDR-001"].reason.endswith("no agent configuration file (/var/ossec/etc/ossec.conf)")


def test_volatile_journal_alone_keeps_nothing(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, agents):
    root = ssh_sysroot({"etc/systemd/journald.conf": "[Journal]\nStorage=volatile\nMaxRetentionSec=1y\n"})
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents))
    assert r["L2-LOG-003"].status is Status.FAIL
    assert r["L2-LOG-003"].reason.endswith("journald Storage=volatile keeps nothing on disk")


@pytest.mark.skipif(os.geteuid() != 0, reason="the lab audit account is the file owner when not root")
def test_unreadable_agent_config_warns(tmp_path, sshd_hardened, ssh_known_hosts, ssh_sysroot, sinks, agents):
    root = ssh_sysroot(good_root(sinks))
    os.chmod(root / "var/ossec/etc/ossec.conf", 0o600)  # root-owned, as root:wazuh 0640 is for the audit account
    r = host_scan(tmp_path, sshd_hardened, ssh_known_hosts, root, running_policy(agents), soc=soc(sinks))
    assert r["L2-EDR-001"].status is Status.WARN
    assert "not readable by the audit account (set ssh.sudo: true)" in r["L2-EDR-001"].reason


def test_unreadable_process_list_is_an_error_not_a_pass(tmp_path, sinks):
    """Recorded evidence of a host where `ps` failed: the process checks give ERROR through the real runner path."""
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy
    from fourlayer.core.registry import REGISTRY
    from fourlayer.core.runner import evaluate
    from fourlayer.core.target import Target

    inv = load_inventory(write_inventory(tmp_path, [agency(hosts=[{"address": "127.0.0.182", "id": "h1",
                                                                     "roles": ["linux"]}], soc=soc(sinks))]))
    a = inv.agencies[0]
    t = Target(a, a.systems[0], a.systems[0].hosts[0], load_policy(None), TODAY,
               {"ssh_shell": {"commands": {"processes": {"rc": 127, "out": "", "err": "sh: ps: not found"}}}})
    for cid in ("L2-AUD-001", "L2-NTP-001", "L2-EDR-001"):
        result = evaluate(REGISTRY.get(cid), t, {})
        assert result.status is Status.ERROR and "process list could not be read" in result.reason


# ---- agency and system scope: the SOC contract, its endpoints and its coverage ------------------------------

SOC_CHECKS = ["L2-SOC-001", "L2-SOC-002", "L2-SOC-003"]


def soc_scan(tmp_path: Path, level: int = 3, **facts) -> dict:
    return scan(write_inventory(tmp_path, [agency(level=level, **facts)]), SOC_CHECKS)


def test_current_contract_reachable_manager_covering_the_system_passes(tmp_path, sinks):
    r = soc_scan(tmp_path, soc=soc(sinks, log_collector=sinks["logs"], systems=["s1"]))
    assert r["a1"]["L2-SOC-001"].status is Status.PASS and "2027-06-30" in r["a1"]["L2-SOC-001"].reason
    reach = r["a1"]["L2-SOC-002"]
    assert reach.status is Status.PASS
    assert reach.reason == f"SOC manager {sinks['manager']} and SOC log collector {sinks['logs']} accept connections"
    assert r["s1"]["L2-SOC-003"].status is Status.PASS
    assert "systems: s1; contract_until: 2027-06-30" in r["s1"]["L2-SOC-003"].evidence


def test_no_soc_fails_all_three(tmp_path):
    r = soc_scan(tmp_path)
    assert [r["a1"]["L2-SOC-001"].status, r["a1"]["L2-SOC-002"].status, r["s1"]["L2-SOC-003"].status] == \
        [Status.FAIL] * 3
    assert r["a1"]["L2-SOC-002"].reason == "no SOC manager endpoint declared (soc.manager)"
    assert "has no SOC provider" in r["s1"]["L2-SOC-003"].reason


def test_ended_contract_and_closed_manager_fail(tmp_path, sinks):
    r = soc_scan(tmp_path, soc={"provider": "SOC Cũ", "contract_until": "2026-01-31", "manager": sinks["closed"]})
    assert r["a1"]["L2-SOC-001"].status is Status.FAIL and "ended 274 days ago" in r["a1"]["L2-SOC-001"].reason
    assert r["a1"]["L2-SOC-002"].status is Status.FAIL
    assert r["a1"]["L2-SOC-002"].reason == f"not reachable: SOC manager {sinks['closed']} (connection refused)"
    assert r["s1"]["L2-SOC-003"].status is Status.FAIL and "ended on 2026-01-31" in r["s1"]["L2-SOC-003"].reason


def test_contract_ending_soon_warns(tmp_path, sinks):
    r = soc_scan(tmp_path, soc=soc(sinks, contract_until="2026-11-20"))
    assert r["a1"]["L2-SOC-001"].status is Status.WARN and "ends in 19 days" in r["a1"]["L2-SOC-001"].reason


def test_contract_that_leaves_the_system_out_fails_coverage(tmp_path, sinks):
    facts = {"id": "a1", "name": "Cơ quan", "soc": soc(sinks, systems=["other"]),
             "systems": [{"id": "s1", "name": "Hệ thống 1", "level": 3}, {"id": "other", "name": "Hệ thống 2",
                                                                          "level": 2}]}
    r = scan(write_inventory(tmp_path, [facts]), SOC_CHECKS)
    assert r["s1"]["L2-SOC-003"].status is Status.FAIL
    assert r["s1"]["L2-SOC-003"].reason == "the SOC contract with SOC Thử nghiệm does not cover s1 (covers other)"
    assert r["other"]["L2-SOC-003"].status is Status.NOT_APPLICABLE  # level 2


def test_refused_manager_address_is_an_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("FOURLAYER_LOOPBACK_ONLY", "1")
    r = soc_scan(tmp_path, soc={"provider": "SOC", "contract_until": "2027-06-30", "manager": "192.0.2.1:1514"})
    reach = r["a1"]["L2-SOC-002"]
    assert reach.status is Status.ERROR and "refusing to contact 192.0.2.1" in reach.reason
    assert "FOURLAYER_LOOPBACK_ONLY=1 allows 127.0.0.0/8 only" in reach.evidence


# ---- parsers on real-world configuration text --------------------------------------------------------------

def test_rsyslog_destinations_in_every_syntax():
    conf = ConfigFile("/etc/rsyslog.d/fwd.conf", "\n".join([
        "# *.* @@10.9.9.9:514",
        "auth,authpriv.* @@[2001:db8::5]:6514;RSYSLOG_SyslogProtocol23Format",
        "*.* @(z9)logs.agency.test",
        ":omrelp:relay.agency.test:2514",
        'if $programname == "sshd" then action(type="omfwd" Target="10.1.1.1" Port="10514" Protocol="tcp")',
        '/* action(type="omfwd" target="10.2.2.2") */',
        'module(load="imtcp")',
        'template(name="alert" type="string" string="%msg% @oncall")',
    ]))
    found = [(d.host, d.port, d.via.split(" (")[0]) for d in forwarding.rsyslog([conf])]
    assert found == [("2001:db8::5", 6514, "rsyslog @@ TCP"), ("logs.agency.test", 514, "rsyslog @ UDP"),
                     ("relay.agency.test", 2514, "rsyslog omrelp"), ("10.1.1.1", 10514, "rsyslog omfwd TCP")]


def test_logrotate_defaults_maxage_and_globs():
    conf = ConfigFile("/etc/logrotate.conf", "monthly\nrotate 12\n/var/log/wtmp {\n rotate 1\n}\n")
    star = ConfigFile("/etc/logrotate.d/all", '"/var/log/*" {\n maxage 20\n}\n')
    assert [(r.path, r.days) for r in retention.logrotate([conf, star])] == \
        [("/var/log/syslog", 20), ("/var/log/messages", 20)]
    bare = ConfigFile("/etc/logrotate.d/rsyslog", "/var/log/syslog {\n daily\n}\n")
    assert retention.logrotate([bare])[0].days == 0  # logrotate's built-in rotate 0 keeps nothing


@pytest.mark.parametrize("text, seconds", [("3month", 7889400), ("30d 12h", 2635200), ("2592000", 2592000),
                                           ("1w", 604800), ("5x", None), ("", None)])
def test_systemd_timespans(text, seconds):
    assert retention.timespan_seconds(text) == seconds
