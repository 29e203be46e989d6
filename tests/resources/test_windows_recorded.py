"""Windows hosts on the RECORDED-OUTPUT path. NOT A WINDOWS TEST: no Windows host exists on this machine.

Real: the SSH transport (a real OpenSSH server on loopback, host key verified, key login, one exec channel per
command, exactly what fourlayer sends to a Windows OpenSSH server), the exact command lines, the decoding and
parsing, the checks and their verdicts. Recorded: what each PowerShell command prints, written in the formats
Windows PowerShell 5.1 and the Windows tools document (fourlayer/data/windows_recorded/, failure modes in
tests/data/windows/). The sshd forces a gate (fourlayer/lab/windows_gate.py) that answers only the exact
allowlisted command lines and logs every line it receives, so these tests prove which commands were sent.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.ssh_windows import decode
from fourlayer.collectors.windows_allowlist import WINDOWS_COMMANDS, windows_problems
from fourlayer.config.inventory import SOC, Agency, Endpoint, Host, NationalMonitoring, System
from fourlayer.config.policy import default_policy
from fourlayer.core.discovery import discover
from fourlayer.core.model import Status
from fourlayer.core.registry import REGISTRY
from fourlayer.core.runner import evaluate
from fourlayer.core.target import Target
from fourlayer.lab.windows_recorded import RecordedWindowsHost
from fourlayer.resources.windows import ps_date

DATA = Path(__file__).parents[1] / "data" / "windows"
CTX = CollectContext(timeout=3.0)
ADDRESSES = {"ws2022-hardened": "127.0.0.210", "ws2022-weak": "127.0.0.211", "win11-workstation": "127.0.0.212",
             "failures": "127.0.0.213", "capped": "127.0.0.214", "hung": "127.0.0.215"}
WINDOWS_CHECKS = ["L1-WIN-001", "L1-WIN-002", "L1-WIN-003", "L1-WIN-004", "L1-WIN-005", "L1-WIN-006", "L1-WIN-007",
                  "L1-WIN-008", "L1-WIN-009", "L1-WIN-010", "L1-WIN-011", "L1-WIN-012", "L1-WIN-013", "L2-WIN-001",
                  "L2-WIN-002", "L4-WIN-001"]


class Recorded:
    """A started recorded-output host, its evidence collected once over real SSH."""

    def __init__(self, lab: RecordedWindowsHost, known_hosts: Path):
        self.lab = lab
        self.host = lab.host(f"rec-{lab.profile}", known_hosts)
        self.evidence = ssh_shell.collect(self.host, CTX).to_dict()  # serialised: the tests read its shape

    def target(self, level: int = 3, soc: str | None = "127.0.0.13", connected: bool = True,
               policy: dict | None = None) -> Target:
        system = System(id="lab-system", name="Hệ thống thử nghiệm", level=level, hosts=(self.host,))
        agency = Agency(id="lab-agency", name="Đơn vị thử nghiệm", systems=(system,),
                        soc=SOC("SOC (lab)", manager=Endpoint(soc, 1514)) if soc else None,
                        national_monitoring=NationalMonitoring(connected=connected))
        return Target(agency, system, self.host, policy or default_policy(), dt.date.today(),
                      evidence={"ssh_shell": self.evidence}, clock=dt.datetime.now(dt.timezone.utc))


def _start(tmp_path_factory, profile: str, overrides=None, key: str | None = None) -> tuple[Recorded, RecordedWindowsHost]:
    lab = RecordedWindowsHost(ADDRESSES[key or profile], profile, overrides).start()
    try:
        known_hosts = lab.sshd.write_known_hosts(tmp_path_factory.mktemp("win") / "known_hosts")
        return Recorded(lab, known_hosts), lab
    except BaseException:
        lab.stop()
        raise


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """profile -> Recorded, for the three recorded hosts and the failure overlay."""
    started, labs = {}, []
    try:
        for profile in ("ws2022-hardened", "ws2022-weak", "win11-workstation"):
            started[profile], lab = _start(tmp_path_factory, profile)
            labs.append(lab)
        overlay = json.loads((DATA / "failures.json").read_text(encoding="utf-8"))
        started["failures"], lab = _start(tmp_path_factory, overlay["base"], overlay["commands"], key="failures")
        labs.append(lab)
        yield started
    finally:
        for lab in labs:
            lab.stop()


def judge(check_id: str, target: Target):
    discover()
    return evaluate(REGISTRY.get(check_id), target, {})


# ---- the transport and the allowlist --------------------------------------------------------------------------

def test_exactly_the_allowlisted_command_lines_reach_the_host_and_no_posix_command(recorded):
    rec = recorded["ws2022-hardened"]
    received = rec.lab.received()
    assert [r["command"] for r in received] == list(WINDOWS_COMMANDS.values())
    assert all(r["recorded"] for r in received)
    assert rec.evidence["platform"] == "windows" and set(rec.evidence["commands"]) == set(WINDOWS_COMMANDS)
    assert not any("/bin/sh" in r["command"] or "cat " in r["command"] for r in received)
    assert all(rec.evidence["commands"][n]["rc"] == 0 for n in WINDOWS_COMMANDS)


def test_the_gate_refuses_what_is_not_recorded_so_a_linux_host_declaration_gets_nothing(recorded, tmp_path):
    """Declared `linux`, the same host is sent the POSIX script: the gate refuses it, and nothing is judged."""
    rec = recorded["win11-workstation"]
    before = len(rec.lab.received())
    linux_host = Host(address=rec.host.address, id="declared-linux", roles=("linux",), ssh=rec.host.ssh)
    evidence = ssh_shell.collect(linux_host, CTX).to_dict()
    sent = rec.lab.received()[before:]
    assert [r["command"] for r in sent] == ["/bin/sh -s"] and not sent[0]["recorded"]
    assert evidence["platform"] == "posix" and all(c["rc"] is None for c in evidence["commands"].values())
    assert not set(evidence["commands"]) & set(WINDOWS_COMMANDS)


def test_linux_hosts_are_never_sent_windows_commands(sshd_hardened, ssh_known_hosts):
    evidence = ssh_shell.collect(sshd_hardened.host(known_hosts=ssh_known_hosts), CTX).to_dict()
    assert evidence["platform"] == "posix" and "sshd_T" in evidence["commands"]
    assert not set(evidence["commands"]) & set(WINDOWS_COMMANDS)


def test_every_windows_command_is_read_only_and_the_guard_refuses_writes():
    assert all(windows_problems(c) == () for c in WINDOWS_COMMANDS.values())
    for bad in ('powershell -NoProfile -NonInteractive -Command "Set-MpPreference -DisableRealtimeMonitoring 1"',
                'powershell -NoProfile -NonInteractive -Command "Get-Service; Stop-Service WinDefend"',
                'powershell -NoProfile -NonInteractive -Command "Get-Service | Select-Object Name > C:\\x"',
                'powershell -NoProfile -NonInteractive -Command "net user guest /active:yes"',
                'powershell -NoProfile -NonInteractive -Command "auditpol /set /category:* /success:disable"',
                'cmd /c "del C:\\x"'):
        assert windows_problems(bad), bad


# ---- every check PASS and FAIL --------------------------------------------------------------------------------

NOT_PASS = {"L1-WIN-009": Status.WARN}  # more administrators than the policy expects is a review, not a failure


@pytest.mark.parametrize("check_id", WINDOWS_CHECKS)
def test_check_passes_on_the_hardened_server_and_fails_on_the_weak_one(recorded, check_id):
    good = judge(check_id, recorded["ws2022-hardened"].target())
    bad = judge(check_id, recorded["ws2022-weak"].target())
    assert good.status is Status.PASS, good.reason
    assert bad.status is NOT_PASS.get(check_id, Status.FAIL), bad.reason
    for result in (good, bad):
        assert result.reason_vi and result.reason_vi != result.reason and result.evidence


WIN11 = {"L1-WIN-001": Status.PASS, "L1-WIN-002": Status.PASS, "L1-WIN-003": Status.PASS, "L1-WIN-004": Status.PASS,
         "L1-WIN-005": Status.FAIL, "L1-WIN-006": Status.FAIL, "L1-WIN-007": Status.PASS, "L1-WIN-008": Status.PASS,
         "L1-WIN-009": Status.PASS, "L1-WIN-010": Status.PASS, "L1-WIN-011": Status.FAIL, "L1-WIN-012": Status.FAIL,
         "L1-WIN-013": Status.PASS, "L2-WIN-001": Status.FAIL, "L2-WIN-002": Status.PASS, "L4-WIN-001": Status.FAIL}


def test_windows11_workstation_formats_utf16_bom_single_object_and_its_verdicts(recorded):
    target = recorded["win11-workstation"].target()
    got = {c: judge(c, target) for c in WINDOWS_CHECKS}
    assert {c: r.status for c, r in got.items()} == WIN11, {c: r.reason for c, r in got.items()}
    assert "Nguyễn Thị Hoa" in got["L1-WIN-009"].reason  # UTF-8 with BOM, one member printed as one object
    assert "turned off (fDenyTSConnections=1)" in got["L1-WIN-004"].reason
    assert "2 days old" in got["L1-WIN-002"].reason  # UTF-16 with BOM, PowerShell 5.1 \/Date(ms)\/
    assert "10 failed logons (at most 5)" in got["L1-WIN-006"].reason


def test_policy_thresholds_decide(recorded):
    policy = default_policy()
    policy["windows"] = {**policy["windows"], "max_update_age_days": 5, "max_signature_age_days": 1,
                         "max_local_admins": 1}
    target = recorded["ws2022-hardened"].target(policy=policy)
    assert judge("L1-WIN-007", target).status is Status.FAIL
    assert judge("L1-WIN-009", target).status is Status.WARN
    assert judge("L1-WIN-002", target).status is Status.PASS  # 1 day old, at most 1
    assert judge("L2-WIN-002", recorded["ws2022-hardened"].target(soc="127.0.0.99")).status is Status.FAIL
    assert judge("L4-WIN-001", recorded["ws2022-hardened"].target(connected=False)).status is Status.FAIL
    assert judge("L4-WIN-001", recorded["ws2022-hardened"].target(level=2)).status is Status.NOT_APPLICABLE


# ---- missing, malformed and partial evidence is ERROR, never PASS ---------------------------------------------

@pytest.mark.parametrize("check_id, needle", [
    ("L1-WIN-001", "`Get-NetFirewallProfile` printed malformed or truncated JSON"),
    ("L1-WIN-002", "`Get-MpComputerStatus` is not available on the host"),
    ("L1-WIN-005", "`net accounts` printed no readable"),
    ("L1-WIN-006", "`net accounts` printed no readable"),
    ("L2-WIN-001", "`auditpol /get` failed on the host (exit code 1): Error 0x00000522"),
    ("L1-WIN-011", "printed malformed or truncated JSON"),
    ("L1-WIN-008", "`Get-LocalUser` printed malformed or truncated JSON"),
])
def test_broken_evidence_is_error_naming_the_command(recorded, check_id, needle):
    result = judge(check_id, recorded["failures"].target())
    assert result.status is Status.ERROR and needle in result.reason, result.reason
    assert "LmCompatibilityLevel\":5" not in result.reason and "Priv" not in result.reason  # host text not echoed


def test_the_rest_of_a_broken_host_is_still_judged(recorded):
    target = recorded["failures"].target()
    assert judge("L1-WIN-003", target).status is Status.PASS
    assert judge("L1-WIN-004", target).status is Status.PASS


@pytest.mark.parametrize("check_id, name", [("L1-WIN-003", "win_smb"), ("L1-WIN-001", "win_firewall")])
def test_output_cut_short_by_the_collector_is_error_and_no_fallback_hides_it(recorded, check_id, name):
    """rc None: the collector's deadline or output cap stopped the command (SMB's registry fallback is not used)."""
    target = recorded["ws2022-hardened"].target()
    commands = {**target.evidence["ssh_shell"]["commands"], name: {"rc": None, "out": "[{\"Name", "err": ""}}
    target.evidence = {"ssh_shell": {**target.evidence["ssh_shell"], "commands": commands}}
    result = judge(check_id, target)
    assert result.status is Status.ERROR and "cut short" in result.reason, result.reason


# ---- the shapes PowerShell prints ---------------------------------------------------------------------------

def test_powershell_dates_and_encodings():
    utc = dt.timezone.utc
    assert ps_date("/Date(1700000000000)/") == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)
    assert ps_date("/Date(1700000000000+0700)/") == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)
    assert ps_date({"value": "/Date(1700000000000)/", "DateTime": "Tuesday, November 14, 2023"}).year == 2023
    assert ps_date("2023-11-15T05:13:20.1234567+07:00") == dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=utc)
    assert ps_date(None) is None and ps_date("soon") is None
    text = '{"Name":"Nguyễn"}'
    assert decode(b"\xff\xfe" + text.encode("utf-16-le")) == text
    assert decode(text.encode("utf-16-le")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode()) == text and decode(text.encode()) == text


# ---- the inventory --------------------------------------------------------------------------------------------

def test_a_host_is_windows_or_linux_never_both(tmp_path):
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.core.errors import InputError

    text = ("version: 1\nagencies:\n  - id: a\n    name: A\n    systems:\n      - id: s\n        name: S\n"
            "        level: 2\n        hosts:\n          - {address: 127.0.0.11, id: w1, roles: [windows]}\n"
            "          - {address: 127.0.0.12, id: w2, roles: [linux, windows]}\n")
    path = tmp_path / "inv.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inventory(path)
    err = info.value
    assert err.line == 11 and err.field == "agencies[0].systems[0].hosts[1].roles" and "keep one" in err.message
    path.write_text(text.replace("[linux, windows]", "[windows, web]"), encoding="utf-8")
    hosts = [h for _, _, h in load_inventory(path).iter_hosts()]
    assert [h.roles for h in hosts] == [("windows",), ("windows", "web")]


def test_the_collectors_output_cap_over_real_ssh_leaves_the_rest_unjudged(tmp_path_factory):
    """A host printing more than the collector keeps (1 MiB): that command and the ones after it are cut short or
    not run, and their checks are ERROR; what came before is still judged."""
    from fourlayer.collectors.ssh_windows import MAX_OUTPUT

    item = '{"HotFixID":"KB5000000","Description":"Update","InstalledOn":null}'
    huge = "[" + ",".join([item] * (MAX_OUTPUT // len(item) + 10)) + "]"
    rec, lab = _start(tmp_path_factory, "ws2022-hardened", {"win_hotfixes": {"stdout": huge, "rc": 0, "stderr": ""}},
                      key="capped")
    try:
        assert rec.evidence["truncated"] is True and rec.evidence["commands"]["win_hotfixes"]["rc"] is None
        assert rec.evidence["commands"]["win_services"]["rc"] is None
        target = rec.target()
        assert judge("L1-WIN-001", target).status is Status.PASS  # ran before the flood
        for check_id in ("L1-WIN-007", "L1-WIN-005", "L2-WIN-002"):
            result = judge(check_id, target)
            assert result.status is Status.ERROR and "cut short" in result.reason, (check_id, result.reason)
    finally:
        lab.stop()


def test_hostile_output_is_escaped_or_error(recorded):
    """Terminal escapes and a bidirectional override in an account name are shown escaped; JSON nested 50,000 deep
    (deeper than Python's stack) is ERROR, not a crash."""
    target = recorded["failures"].target()
    admins = judge("L1-WIN-009", target)
    assert admins.status is Status.WARN and "\x1b" not in admins.reason + admins.evidence
    assert "\u202e" not in admins.reason + (admins.reason_vi or "") + admins.evidence
    assert "\\x1b[31mqtv" in admins.reason
    updates = judge("L1-WIN-007", target)
    assert updates.status is Status.ERROR and "cannot be read (RecursionError)" in updates.reason, updates.reason


def test_a_hung_command_is_error_within_the_collectors_deadline(tmp_path_factory):
    """A cmdlet that does not return (here: the gate sleeps) is cut at the deadline: ERROR, and the commands after
    it are not run, so their checks are ERROR too."""
    import time

    from fourlayer.collectors import ssh_windows

    lab = RecordedWindowsHost(ADDRESSES["hung"], "ws2022-hardened",
                              {"win_defender": {"stdout": "{}", "rc": 0, "stderr": "", "sleep": 6}}).start()
    try:
        host = lab.host("hung", lab.sshd.write_known_hosts(tmp_path_factory.mktemp("hung") / "known_hosts"))
        ctx = CollectContext(timeout=0.25)  # all commands together: 0.25 s x TIMEOUT_FACTOR
        start = time.monotonic()
        evidence = ssh_shell.collect(host, ctx).to_dict()
        assert time.monotonic() - start < 0.25 * ssh_windows.TIMEOUT_FACTOR + 2
        commands = evidence["commands"]
        assert commands["win_firewall"]["rc"] == 0 and commands["win_defender"]["rc"] is None
        assert commands["win_services"]["rc"] is None
        rec = Recorded.__new__(Recorded)
        rec.lab, rec.host, rec.evidence = lab, host, evidence
        assert judge("L1-WIN-001", rec.target()).status is Status.PASS
        for check_id in ("L1-WIN-002", "L1-WIN-008", "L4-WIN-001"):
            result = judge(check_id, rec.target())
            assert result.status is Status.ERROR and "cut short" in result.reason, (check_id, result.reason)
    finally:
        lab.stop()
