"""User-written rule regexes run on a linear-time engine (RE2): a catastrophic pattern over a hostile file on a
real lab sshd cannot hang the scan; patterns that need backtracking are refused at validation with file:line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from fourlayer.core.errors import InputError
from fourlayer.core.discovery import discover
from fourlayer.rules.engine import load_rules
from tests.scan_harness import agency, lab_host, write_inventory

HOSTILE_LOGIN_DEFS = "a" * 34 + "!"  # `^(a+)+$` backtracks 2^34 times on this with Python's re (576 s measured)

RULES = """\
version: 1
defaults:
  layer: 1
  severity: low
  min_level: 1
  applies_to: [linux]
  references: ["Agency hardening guide §7"]
  source: {command: login_defs}
rules:
  - id: L1-USR-031
    title: {en: "login.defs is only a's", vi: "login.defs chỉ gồm chữ a"}
    rationale: {en: "A red-team pattern.", vi: "Mẫu kiểm thử tấn công."}
    remediation: {en: "None.", vi: "Không có."}
    expect: {regex: '^(a+)+$', must: match}
  - id: L1-USR-032
    title: {en: "login.defs has no bare a-run", vi: "login.defs không có dãy chữ a"}
    rationale: {en: "A red-team pattern.", vi: "Mẫu kiểm thử tấn công."}
    remediation: {en: "None.", vi: "Không có."}
    expect: {regex: '^(a|aa)+$', must: not_match}
  - id: L1-USR-033
    title: {en: "login.defs ends its a-run with !", vi: "login.defs kết thúc bằng dấu !"}
    rationale: {en: "A red-team pattern.", vi: "Mẫu kiểm thử tấn công."}
    remediation: {en: "None.", vi: "Không có."}
    expect: {regex: '^(a+)+!$', must: match}
"""


def test_catastrophic_rule_regex_on_a_hostile_file_cannot_hang_the_scan(sshd_weak, ssh_known_hosts, ssh_sysroot,
                                                                        tmp_path):
    root = ssh_sysroot({"etc/login.defs": HOSTILE_LOGIN_DEFS})
    inv = write_inventory(tmp_path, [agency(hosts=[lab_host(sshd_weak, ssh_known_hosts, root, "hostile")])])
    rules = tmp_path / "redteam.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "reports"
    cmd = [sys.executable, "-m", "fourlayer", "scan", str(inv), "--rules", str(rules), "--no-history", "--quiet",
           "--format", "json", "--out", str(out), "--host-timeout", "10",
           "--check", "L1-USR-031", "--check", "L1-USR-032", "--check", "L1-USR-033"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1"})
    try:
        _, err = proc.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the scan still ran after {time.monotonic() - start:.0f} s with --host-timeout 10")
    took = time.monotonic() - start
    assert proc.returncode == 0, err
    assert took < 12, f"took {took:.1f} s"
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    by = {r["check_id"]: r for r in doc["results"]}
    assert by["L1-USR-031"]["status"] == "FAIL" and "no line matches /^(a+)+$/" in by["L1-USR-031"]["reason"]
    assert by["L1-USR-032"]["status"] == "PASS" and "/^(a|aa)+$/ is absent" in by["L1-USR-032"]["reason"]
    assert by["L1-USR-033"]["status"] == "PASS" and by["L1-USR-033"]["evidence"] == HOSTILE_LOGIN_DEFS


def rule_with(expect: str) -> str:
    """RULES with its first rule's `expect:` replaced (that line is line 14 of the file)."""
    assert RULES.splitlines()[13].strip().startswith("expect: {regex: '^(a+)+$'")
    return RULES.replace("{regex: '^(a+)+$', must: match}", expect, 1)


@pytest.mark.parametrize("pattern, kind", [
    (r"^(\w+)\s+\1$", "backreference"),
    (r"^(?P<k>\w+) (?P=k)$", "backreference"),
    (r"^banner\s+(?!none)\S+", "lookaround"),
    (r"^umask\s+(?=0)\d+", "lookaround"),
    (r"(?<=umask )022", "lookaround"),
    (r"(?<!#)umask", "lookaround"),
    (r"(\d)?(?(1)a|b)", "backreference"),
])
def test_pattern_that_needs_backtracking_is_refused_with_file_and_line(tmp_path, pattern, kind):
    path = tmp_path / "bad.yaml"
    path.write_text(rule_with("{regex: '" + pattern + "', must: match}"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rules([path], discover())
    e = err.value
    assert (e.path, e.line, e.field) == (str(path), 14, "rules[0].expect.regex"), e.one_line()
    assert "backreferences and lookaround are not supported: they need backtracking" in e.message, e.message
    assert f"the pattern has a {kind}" in e.message and "\n" not in e.one_line()


@pytest.mark.parametrize("pattern, needle", [
    (r"a\Z", r"write \z"),
    (r"(?x) a b", "(?x)"),
    ("(unclosed", "missing )"),
])
def test_other_patterns_re2_cannot_run_name_the_fix(tmp_path, pattern, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(rule_with("{regex: '" + pattern + "', must: match}"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rules([path], discover())
    assert (err.value.line, err.value.field) == (14, "rules[0].expect.regex")
    assert "invalid regular expression" in err.value.message and needle in err.value.message, err.value.message


def test_cli_refuses_a_backreference_rule_with_exit_2_before_any_traffic(tmp_path, run_cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text(rule_with(r"{regex: '^(\w+) \1$', must: match}"), encoding="utf-8")
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\nagencies:\n  - id: a\n    name: A\n    systems:\n      - id: s\n        name: S\n"
                   "        level: 1\n        hosts: [{address: 127.0.0.199, id: h, ssh: false}]\n", encoding="utf-8")
    out = run_cli("scan", str(inv), "--rules", str(bad), "--out", str(tmp_path / "r"), "--quiet", "--no-history",
                  expect=2)
    [line] = out.strip().splitlines()
    assert line.startswith(f"error: {bad}:14: rules[0].expect.regex: ")
    assert "need backtracking" in line and "Traceback" not in out
    assert not (tmp_path / "r").exists()
