"""Declarative YAML rules: every built-in rule PASSes on the real hardened lab sshd and FAILs on the weak one;
user rules through the real CLI; line-aware errors for broken rule files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from fourlayer.collectors import allowlist, ssh_shell
from fourlayer.collectors.base import CollectContext
from fourlayer.core.errors import InputError
from fourlayer.config.inventory import Agency, Host, Inventory, SSHSettings, System
from fourlayer.lab.demo import write_tree
from fourlayer.lab.sshd import SshdInstance, is_root, make_lab_dir
from fourlayer.core.model import Status
from fourlayer.config.policy import default_policy
from fourlayer.core.discovery import discover
from fourlayer.rules.engine import builtin_rules_dir, load_rule_file, load_rules
from fourlayer.core.planner import plan_scan
from fourlayer.core.runner import ScanOptions, evaluate
from fourlayer.core.target import Target

BUILTIN_RULES = sorted(c.meta.id for c in discover().all() if c.meta.source.startswith("rule:"))
LOGIN_DEFS = {"hardened": "PASS_MAX_DAYS 90\nUMASK 027\n", "weak": "PASS_MAX_DAYS 99999\nUMASK 022\n"}


# ---- the real lab: one login per profile, evidence shared by the tests of this module ----------------------------

@pytest.fixture(scope="module")
def sysroots() -> Iterator[dict[str, Path]]:
    roots = {}
    for profile, login_defs in LOGIN_DEFS.items():
        roots[profile] = make_lab_dir(f"rules-{profile}-")
        write_tree(roots[profile], {"etc/login.defs": login_defs})
    roots["empty"] = make_lab_dir("rules-empty-")
    yield roots
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def lab_hosts(sshd_hardened, sshd_weak, ssh_known_hosts, sysroots) -> dict[str, Host]:
    return {"hardened": sshd_hardened.host("rules-hardened", ssh_known_hosts, sysroot=str(sysroots["hardened"])),
            "weak": sshd_weak.host("rules-weak", ssh_known_hosts, sysroot=str(sysroots["weak"])),
            "no-login-defs": sshd_weak.host("rules-bare", ssh_known_hosts, sysroot=str(sysroots["empty"]))}


@pytest.fixture(scope="module")
def evidence(lab_hosts) -> dict[str, dict]:
    return {name: ssh_shell.collect(host, CollectContext(timeout=5.0)) for name, host in lab_hosts.items()}


def target(host: Host, ev: dict, level: int = 3, policy: dict | None = None) -> Target:
    system = System("rules-sys", "Rules lab", level, (host,))
    return Target(Agency("rules-agency", "Rules lab agency", (system,)), system, host, policy or default_policy(),
                  dt.date(2026, 11, 1), {"ssh_shell": ev})


def run_rule(check_id: str, host: Host, ev: dict, **kw):
    return evaluate(discover().get(check_id), target(host, ev, **kw), {})


# ---- built-in rules against the real hardened and weak sshd -----------------------------------------------------

def test_at_least_ten_builtin_rules_are_registered_with_complete_metadata():
    assert len(BUILTIN_RULES) >= 10
    for check_id in BUILTIN_RULES:
        m = discover().get(check_id).meta
        assert m.needs == ("ssh_shell",) and m.applies_to == ("linux",) and m.references
        assert m.title["vi"] != m.title["en"] and all(m.remediation[lang] for lang in ("vi", "en"))
    assert {f.name for f in builtin_rules_dir().glob("*.yaml")} >= {"sshd_config.yaml", "login_defs.yaml"}


@pytest.mark.parametrize("check_id", BUILTIN_RULES)
def test_builtin_rule_passes_on_hardened_and_fails_on_weak_sshd(check_id, lab_hosts, evidence):
    if check_id == "L1-SSH-022" and not is_root():
        pytest.skip("a non-root lab sshd cannot use PAM (fourlayer/lab/sshd.py), so UsePAM stays no")
    good = run_rule(check_id, lab_hosts["hardened"], evidence["hardened"])
    bad = run_rule(check_id, lab_hosts["weak"], evidence["weak"])
    assert good.status is Status.PASS, (check_id, good.reason, good.evidence)
    assert bad.status is Status.FAIL, (check_id, bad.reason, bad.evidence)
    assert bad.evidence and bad.reason != good.reason


def test_rule_evidence_is_the_deciding_setting(lab_hosts, evidence):
    bad = run_rule("L1-SSH-013", lab_hosts["weak"], evidence["weak"])
    assert bad.evidence == "maxauthtries 10" and "≤ 4 (policy ssh.max_auth_tries)" in bad.reason
    umask = run_rule("L1-ACC-011", lab_hosts["weak"], evidence["weak"])
    assert umask.evidence == "umask 022"
    banner = run_rule("L1-SSH-017", lab_hosts["hardened"], evidence["hardened"])
    assert banner.evidence.startswith("banner /")  # the lab's banner file, as sshd -T reports it
    forwarding = run_rule("L1-SSH-019", lab_hosts["weak"], evidence["weak"])  # a must-not-match regex
    assert forwarding.evidence == "allowtcpforwarding yes"
    # the weak profile does not write AllowTcpForwarding or Banner: the daemon's defaults decide, and the reason says so
    assert forwarding.reason == "TCP forwarding is allowed (sshd -T: allowtcpforwarding yes by default)"
    assert forwarding.reason_vi == "chuyển tiếp TCP được cho phép (sshd -T: allowtcpforwarding yes theo mặc định)"
    no_banner = run_rule("L1-SSH-017", lab_hosts["weak"], evidence["weak"])
    assert no_banner.status is Status.FAIL
    assert no_banner.reason == "no login banner is configured (sshd -T: banner none by default)"


def test_builtin_rules_give_reasons_a_security_officer_can_read(lab_hosts, evidence):
    """Every shipped rule says what its verdict means in both languages, with the deciding setting or line;
    never a raw pattern (a user's rule without `reason:` keeps its conditions' own wording)."""
    judged = 0
    for check_id in BUILTIN_RULES:
        for host in ("hardened", "weak"):
            r = run_rule(check_id, lab_hosts[host], evidence[host])
            if r.status not in (Status.PASS, Status.FAIL):
                continue
            judged += 1
            assert "/" not in r.reason.split("(", 1)[0] and "pattern" not in r.reason, (check_id, r.reason)
            assert "(sshd -T: " in r.reason or "(/etc/login.defs: " in r.reason, (check_id, r.reason)
            assert r.reason_vi and r.reason_vi != r.reason, (check_id, r.reason_vi)
    assert judged >= 2 * len(BUILTIN_RULES) - 2  # UsePAM may stay N/A-free but unjudged on a non-root lab


def test_policy_reference_follows_the_policy_in_force(lab_hosts, evidence):
    strict = default_policy()
    strict["ssh"]["max_auth_tries"] = 2
    result = run_rule("L1-SSH-013", lab_hosts["hardened"], evidence["hardened"], policy=strict)
    assert result.status is Status.FAIL and "maxauthtries 3" in result.reason and "≤ 2" in result.reason


def test_unreadable_source_is_error_not_pass(lab_hosts, evidence):
    result = run_rule("L1-ACC-011", lab_hosts["no-login-defs"], evidence["no-login-defs"])
    assert result.status is Status.ERROR and "login_defs failed" in result.reason


def test_level_3_rule_is_not_applicable_on_a_level_2_system(sshd_weak, ssh_known_hosts, tmp_path, run_cli):
    inv = write_lab_inventory(tmp_path, [(sshd_weak, "weak-l2", None)], ssh_known_hosts, level=2)
    doc = scan_json(run_cli, inv, tmp_path, "--check", "L1-SSH-019", "--check", "L1-SSH-014")
    assert doc["L1-SSH-019"]["status"] == "NOT_APPLICABLE" and "level 3" in doc["L1-SSH-019"]["reason"]
    assert doc["L1-SSH-014"]["status"] == "FAIL"


VI_DIACRITICS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def assert_bilingual(result) -> None:
    assert result.reason_vi and result.reason_vi != result.reason, (result.check_id, result.reason)
    assert VI_DIACRITICS & set(result.reason_vi.lower()), result.reason_vi


def test_rule_and_planner_reasons_are_bilingual(lab_hosts, evidence):
    good = run_rule("L1-SSH-013", lab_hosts["hardened"], evidence["hardened"])
    bad = run_rule("L1-SSH-013", lab_hosts["weak"], evidence["weak"])
    forwarding = run_rule("L1-SSH-019", lab_hosts["weak"], evidence["weak"])  # a must-not-match regex
    assert (good.status, bad.status, forwarding.status) == (Status.PASS, Status.FAIL, Status.FAIL)
    for result in (good, bad, forwarding):
        assert_bilingual(result)
    assert "maxauthtries 10" in bad.reason_vi and "≤ 4 (chính sách ssh.max_auth_tries)" in bad.reason_vi
    assert forwarding.reason_vi.startswith("chuyển tiếp TCP được cho phép (sshd -T: ")
    host = lab_hosts["weak"]
    inventory = Inventory("mem", 1, (target(host, evidence["weak"], level=1).agency,))
    plan = plan_scan(inventory, [discover().get("L1-SSH-019")], default_policy(), dt.date(2026, 11, 1),
                     ScanOptions())
    (skipped,) = plan.hosts[0].skipped
    assert skipped.status is Status.NOT_APPLICABLE and "level 3" in skipped.reason
    assert_bilingual(skipped)
    assert "cấp độ 3" in skipped.reason_vi and "cấp độ 1" in skipped.reason_vi


# ---- user rules through the real CLI -------------------------------------------------------------------------

USER_RULES = """\
version: 1
defaults:
  layer: 1
  min_level: 1
  applies_to: [linux]
  references: ["Agency hardening guide §3"]
rules:
  - id: L1-USR-001
    severity: medium
    title: {en: "Passwords expire within the policy", vi: "Mật khẩu hết hạn trong thời hạn chính sách"}
    rationale: {en: "Old passwords leak.", vi: "Mật khẩu cũ dễ bị lộ."}
    remediation: {en: "Set PASS_MAX_DAYS 90.", vi: "Đặt PASS_MAX_DAYS 90."}
    source: {command: login_defs}
    expect: {key: PASS_MAX_DAYS, op: le, value: {policy: accounts.pass_max_days}}
  - id: L1-USR-002
    severity: low
    title: {en: "SSH logs verbosely", vi: "SSH ghi nhật ký chi tiết"}
    rationale: {en: "VERBOSE logs key fingerprints.", vi: "Mức VERBOSE ghi lại dấu vân tay khóa."}
    remediation: {en: "Set LogLevel VERBOSE.", vi: "Đặt LogLevel VERBOSE."}
    source: {command: sshd_T}
    expect: {key: loglevel, op: in, value: [VERBOSE, DEBUG]}
  - id: L1-USR-003
    severity: info
    title: {en: "No legacy setting", vi: "Không có thiết lập cũ"}
    rationale: {en: "Absent is fine.", vi: "Không có là được."}
    remediation: {en: "Remove it.", vi: "Xóa thiết lập đó."}
    source: {command: sshd_T}
    expect: {key: nosuchsetting, op: eq, value: "yes", missing: pass}
"""


def write_lab_inventory(tmp_path: Path, hosts: list[tuple[SshdInstance, str, Path | None]], known_hosts: Path,
                        level: int = 3, agency: str = "lab-agency", system: str = "lab-sys") -> Path:
    """An inventory of real lab sshd hosts: (instance, host id, sysroot or None)."""
    lines = ["version: 1", "agencies:", f"  - id: {agency}", "    name: Lab agency", "    systems:",
             f"      - id: {system}", "        name: Lab system", f"        level: {level}", "        hosts:"]
    for sshd, host_id, root in hosts:
        ssh = {"port": sshd.port, "user": sshd.user, "key_file": str(sshd.client_key),
               "known_hosts": str(known_hosts), "sshd_config": str(sshd.config_path)}
        if root is not None:
            ssh["sysroot"] = str(root)
        lines.append(f"          - {{address: {sshd.address}, id: {host_id}, roles: [linux], ssh: {json.dumps(ssh)}}}")
    path = tmp_path / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scan_json(run_cli, inventory: Path, tmp_path: Path, *args: str, expect: int = 0) -> dict:
    """Scan through the real CLI; {check id: result} (one host) or the whole document with `--all`."""
    out = tmp_path / "reports"
    run_cli("scan", str(inventory), "--out", str(out), "--format", "json", "--quiet", "--no-history",
            "--as-of", "2026-11-01", *args, expect=expect)
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    return {r["check_id"]: r for r in doc["results"]} | {"_doc": doc}


def test_user_rules_run_in_a_scan_with_clauses_and_framework(sshd_hardened, sshd_weak, ssh_known_hosts, sysroots,
                                                            tmp_path, run_cli):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "agency.yaml").write_text(USER_RULES, encoding="utf-8")
    listed = run_cli("checks", "list", "--rules", str(rules))
    assert "L1-USR-001" in listed and "L1-SSH-022" in listed
    inv = write_lab_inventory(tmp_path, [(sshd_hardened, "good", sysroots["hardened"]),
                                         (sshd_weak, "bad", sysroots["weak"])], ssh_known_hosts)
    results = scan_json(run_cli, inv, tmp_path, "--rules", str(rules), "--check", "L1-USR-001",
                        "--check", "L1-USR-002", "--check", "L1-USR-003", "--check", "L1-SSH-013")
    doc = results.pop("_doc")
    by = {(r["host"], r["check_id"]): r for r in doc["results"]}
    assert by[("good", "L1-USR-001")]["status"] == "PASS" and by[("bad", "L1-USR-001")]["status"] == "FAIL"
    assert "PASS_MAX_DAYS 99999" in by[("bad", "L1-USR-001")]["reason"]
    assert by[("good", "L1-USR-002")]["status"] == "PASS"  # both lab sshd log VERBOSE
    assert by[("bad", "L1-USR-003")]["status"] == "PASS" and "not set" in by[("bad", "L1-USR-003")]["reason"]
    assert doc["checks"]["L1-USR-001"]["source"] == f"rule:{rules / 'agency.yaml'}"
    assert by[("bad", "L1-SSH-013")]["clauses"] and by[("bad", "L1-USR-001")]["clauses"] == []
    fw = doc["framework"]
    assert fw["id"] == "vn-decree85-tcvn11930" and fw["name"]["vi"] and fw["version"]
    srv = {r["id"]: r for r in fw["requirements_evidenced"]}["SRV-01"]
    assert srv["outcome"] == "not_met" and srv["counts"]["FAIL"] == 1 and srv["counts"]["PASS"] == 1
    assert srv["agencies"]["lab-agency"]["outcome"] == "not_met"
    assert "MGT-07" in fw["requirements_not_evidenced"]  # training: no check can evidence it


# ---- broken rule files: one line naming file, line and field --------------------------------------------------

RULE = """\
id: L1-USR-009
layer: 1
severity: low
min_level: 1
title: {en: "T", vi: "Tiêu đề"}
rationale: {en: "R", vi: "Lý do"}
remediation: {en: "F", vi: "Khắc phục"}
references: ["ref"]
source: {command: sshd_T}
expect: {key: maxauthtries, op: le, value: 4}
"""


@pytest.mark.parametrize("old, new, line, field, needle", [
    ("layer: 1", "layer: 2", 2, "layer", "does not match the id prefix"),
    ("severity: low", "severity: urgent", 3, "severity", "expected one of critical"),
    ("{command: sshd_T}", "{command: rm_rf}", 9, "source.command", "allowlisted read-only command"),
    ("{command: sshd_T}", "{file: /etc/shadow}", 9, "source.file", "not supported"),
    ("op: le", "op: lte", 10, "expect.op", "expected one of eq, ne"),
    ("value: 4", "value: {policy: ssh.max_tries}", 10, "expect.value.policy", "no policy key"),
    ("value: 4", "value: four", 10, "expect.value", "compares numbers"),
    ("{key: maxauthtries, op: le, value: 4}", "{regex: '(unclosed', must: match}", 10, "expect.regex",
     "invalid regular expression"),
    ("{key: maxauthtries, op: le, value: 4}", "{regex: 'x', must: maybe}", 10, "expect.must", "match, not_match"),
    ('title: {en: "T", vi: "Tiêu đề"}', 'title: {en: "T"}', 5, "title.vi", "missing"),
    ("references: [\"ref\"]", "references: []", 8, "references", "missing"),
    ("id: L1-USR-009", "id: L1-SSH-012", 1, "id", "already exists"),
    ("id: L1-USR-009", "id: SSH-12", 1, "id", "expected an id like"),
    ("min_level: 1", "min_level: 1\nmin_levle: 2", 5, "min_levle", "did you mean 'min_level'"),
])
def test_bad_rule_is_one_input_error_with_line_and_field(tmp_path, old, new, line, field, needle):
    path = tmp_path / "bad.yaml"
    assert old in RULE
    path.write_text(RULE.replace(old, new, 1), encoding="utf-8")
    assert_input_error(lambda: load_rules([path], discover()), path, line, field, needle)


def assert_input_error(call, path: Path, line: int, field: str, needle: str) -> None:
    """`call()` raises one InputError naming this file, line and field, whose message contains `needle`."""
    with pytest.raises(InputError) as err:
        call()
    assert (err.value.path, err.value.line, err.value.field) == (str(path), line, field), err.value.one_line()
    assert needle in err.value.message and "\n" not in err.value.one_line()


def test_good_rule_file_compiles_and_duplicates_are_refused(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(RULE, encoding="utf-8")
    [(check, line)] = load_rule_file(path)
    assert check.meta.id == "L1-USR-009" and line == 1 and check.meta.source == "rule:ok.yaml"
    (tmp_path / "again.yaml").write_text(RULE, encoding="utf-8")
    with pytest.raises(InputError, match="defined twice"):
        load_rules([tmp_path])


def test_cli_refuses_a_broken_rule_file_before_any_traffic(tmp_path, run_cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.replace("op: le", "op: lte"), encoding="utf-8")
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\nagencies:\n  - id: a\n    name: A\n    systems:\n      - id: s\n        name: S\n"
                   "        level: 1\n        hosts: [{address: 127.0.0.199, id: h, ssh: false}]\n", encoding="utf-8")
    out = run_cli("scan", str(inv), "--rules", str(bad), "--out", str(tmp_path / "r"), "--quiet", "--no-history",
                  expect=2)
    assert f"{bad}:10: expect.op:" in out and "Traceback" not in out
    assert not (tmp_path / "r").exists()
    out = run_cli("scan", str(inv), "--rules", str(tmp_path / "missing"), "--out", str(tmp_path / "r"), expect=2)
    assert "not found" in out


# ---- a rule over a multi-file command reads the files as before the one-grep framing ------------------------------

MULTI_FILE_RULE = RULE.replace("L1-USR-009", "L1-USR-019").replace("""\
source: {command: sshd_T}
expect: {key: maxauthtries, op: le, value: 4}
""", """\
source: {command: pwquality}
expect:
  - {key: minlen, op: ge, value: 14}
  - {regex: '^### /\\S+/pwquality\\.conf\\.d/50-agency\\.conf', must: match}
  - {regex: '^[0-9]+:', must: not_match}
""")


def test_rule_over_a_multi_file_command_reads_the_old_and_the_new_framing_alike(tmp_path):
    root = tmp_path / "root"
    write_tree(root, {"etc/security/pwquality.conf": "minlen = 8\n",
                      "etc/security/pwquality.conf.d/50-agency.conf": "minlen = 14\n"})
    rule_file = tmp_path / "multi.yaml"
    rule_file.write_text(MULTI_FILE_RULE, encoding="utf-8")
    [(check, _)] = load_rule_file(rule_file)
    new = allowlist.render("pwquality", SSHSettings(sysroot=str(root)))
    old = (f"for f in {root}/etc/security/pwquality.conf {root}/etc/security/pwquality.conf.d/*.conf; do "
           "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done")
    outcomes = []
    for command in (old, new):
        out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout
        host = Host("multi", "127.0.0.1", ssh=SSHSettings(sysroot=str(root)))
        ev = ssh_shell.ShellEvidence({"pwquality": ssh_shell.CommandOutput(0, out)})
        result = evaluate(check, target(host, ev), {})
        outcomes.append((result.status, result.reason, result.evidence))
    assert outcomes[0] == outcomes[1] and outcomes[1][0] is Status.PASS, outcomes
