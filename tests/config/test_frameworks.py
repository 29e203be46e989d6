"""Frameworks as data: the shipped files validate and map every built-in check; a framework file changes which
checks apply at which level (seen in a real scan of the lab sshd) and its thresholds reach the policy."""

from __future__ import annotations

import json

import pytest

from fourlayer.core.errors import InputError
from fourlayer.config.frameworks import DEFAULT_FRAMEWORK, FRAMEWORKS_DIR, available, load_framework, load_framework_file
from fourlayer.config.policy import default_policy, load_policy
from fourlayer.core.discovery import discover
from tests.rules.test_rules import assert_input_error, scan_json, write_lab_inventory

KNOWN = {c.meta.id for c in discover().all()}
BUILTIN = {c.meta.id for c in discover().all()
           if c.meta.source.startswith(("fourlayer.checks", "rule:")) and "/" not in c.meta.source}


def test_shipped_frameworks_validate_and_every_mapped_check_exists():
    assert set(available()) >= {DEFAULT_FRAMEWORK, "vn-law116-2025-draft"}
    for fid in available():
        fw = load_framework_file(FRAMEWORKS_DIR / f"{fid}.yaml", fid)
        assert fw.unknown_checks(KNOWN) == [], [e.one_line() for e in fw.unknown_checks(KNOWN)]
        assert sorted(fw.levels) == [1, 2, 3, 4, 5] and fw.name["vi"] != fw.name["en"]
        assert fw.sources and all(isinstance(s["verified"], bool) for s in fw.sources)
        assert all(r.area in fw.areas and r.title["vi"] and r.levels for r in fw.requirements)


def test_every_builtin_check_is_mapped_by_the_default_framework_or_says_why_not():
    fw = load_framework()
    missing = BUILTIN - fw.mapped_checks() - set(fw.unmapped)
    assert not missing, f"map these checks in {fw.path} (or list them under unmapped: with a reason): {missing}"
    assert all(reason.strip() for reason in fw.unmapped.values())


def test_default_framework_carries_the_decree_85_intervals_and_flags_what_was_verified():
    fw = load_framework(DEFAULT_FRAMEWORK, KNOWN)
    assert fw.status == "in_force" and fw.base_policy["assessment"]["interval_months"] == {1: 24, 2: 24, 3: 12,
                                                                                          4: 12, 5: 6}
    by_id = {r.id: r for r in fw.requirements}
    assert by_id["MGT-02"].clause == "Decree 85/2016/ND-CP Art. 20.2.c" and by_id["MGT-02"].verified
    assert not by_id["NET-02"].verified  # Circular 12 annex wording not read: flagged, not asserted
    assert fw.levels[1]["verified"] and not fw.levels[5]["verified"]
    draft = load_framework("vn-law116-2025-draft", KNOWN)
    assert draft.status == "draft" and all(r.provisional and not r.verified for r in draft.requirements)


# ---- a framework of our own: per-level applicability and thresholds ------------------------------------------------

FRAMEWORK = """\
id: test-fw
version: "1"
status: draft
name: {vi: "Khung thử nghiệm", en: "Test framework"}
in_force: {vi: "Chỉ để thử", en: "Test only"}
levels:
  1: {section: "s1"}
  2: {section: "s2"}
  3: {section: "s3"}
  4: {section: "s4"}
  5: {section: "s5"}
areas:
  server: {vi: "Máy chủ", en: Server}
thresholds:
  assessment: {interval_months: {3: 6}}
requirements:
  - id: R-1
    area: server
    clause: "Test §1"
    title: {vi: "Yêu cầu một", en: "Requirement one"}
    levels: [2, 3, 4, 5]
    checks: [L1-SSH-012, {id: L1-SSH-014, from_level: 4}, {id: L1-SSH-019, from_level: 1}]
"""


def test_framework_raises_and_lowers_levels_in_a_real_scan(sshd_weak, ssh_known_hosts, tmp_path, run_cli):
    path = tmp_path / "test-fw.yaml"
    path.write_text(FRAMEWORK, encoding="utf-8")
    fw = load_framework(str(path), KNOWN)
    assert (fw.min_level("L1-SSH-012", 1), fw.min_level("L1-SSH-014", 1), fw.min_level("L1-SSH-019", 3),
            fw.min_level("L1-SSH-013", 1)) == (2, 4, 1, 1)
    inv = write_lab_inventory(tmp_path, [(sshd_weak, "weak", None)], ssh_known_hosts, level=2)
    checks = [a for c in ("L1-SSH-012", "L1-SSH-014", "L1-SSH-019") for a in ("--check", c)]
    results = scan_json(run_cli, inv, tmp_path, "--framework", str(path), *checks)
    doc = results.pop("_doc")
    assert results["L1-SSH-012"]["status"] == "FAIL"            # applies from 2 (requirement levels)
    assert results["L1-SSH-014"]["status"] == "NOT_APPLICABLE"  # raised to 4
    assert "level 4" in results["L1-SSH-014"]["reason"]
    assert results["L1-SSH-019"]["status"] == "FAIL"            # lowered from 3 to 1
    assert doc["checks"]["L1-SSH-019"]["min_level"] == 1 and results["L1-SSH-012"]["clauses"] == ["Test §1"]
    assert doc["policy"]["assessment"]["interval_months"]["3"] == 6  # the framework's threshold
    assert doc["framework"]["id"] == "test-fw"
    assert doc["framework"]["requirements_evidenced"][0]["outcome"] == "not_met"


def test_user_policy_overrides_framework_thresholds(tmp_path):
    path = tmp_path / "test-fw.yaml"
    path.write_text(FRAMEWORK, encoding="utf-8")
    fw = load_framework(str(path))
    assert fw.base_policy["assessment"]["interval_months"][3] == 6
    assert fw.base_policy["assessment"]["interval_months"][5] == default_policy()["assessment"]["interval_months"][5]
    user = tmp_path / "policy.yaml"
    user.write_text("assessment:\n  interval_months: {3: 9}\n", encoding="utf-8")
    assert load_policy(user, base=fw.base_policy)["assessment"]["interval_months"][3] == 9


@pytest.mark.parametrize("old, new, line, field, needle", [
    ("status: draft", "status: final", 3, "status", "in_force, draft, superseded"),
    ("id: test-fw", "id: test fw", 1, "id", "expected an id"),
    ("  5: {section: \"s5\"}\n", "", 6, "levels", "missing level(s) 5"),
    ("    area: server", "    area: network", 18, "requirements[0].area", "unknown area"),
    ("levels: [2, 3, 4, 5]", "levels: [0, 3]", 21, "requirements[0].levels[0]", "level 1–5"),
    ("L1-SSH-012,", "L1-SSH-912,", 22, "checks", "no check 'L1-SSH-912'"),
    ("from_level: 4", "from_level: 9", 22, "requirements[0].checks[1].from_level", "level 1–5"),
    ("{3: 6}", "{3: 0}", 15, "thresholds.assessment.interval_months.3", "at least 1"),
    ("    clause: \"Test §1\"\n", "", 17, "requirements[0].clause", "missing"),
    ("in_force: {vi: \"Chỉ để thử\", en: \"Test only\"}", "in_force: {en: \"Test only\"}", 5, "in_force.vi",
     "missing"),
])
def test_bad_framework_is_one_input_error_with_line_and_field(tmp_path, old, new, line, field, needle):
    assert old in FRAMEWORK
    path = tmp_path / "fw.yaml"
    path.write_text(FRAMEWORK.replace(old, new, 1), encoding="utf-8")
    assert_input_error(lambda: load_framework(str(path), KNOWN), path, line, field, needle)


def test_duplicate_requirement_id_is_refused(tmp_path):
    path = tmp_path / "fw.yaml"
    second = FRAMEWORK[FRAMEWORK.index("  - id: R-1"):]
    path.write_text(FRAMEWORK + second, encoding="utf-8")
    with pytest.raises(InputError, match="duplicate requirement id 'R-1' \\(first at line 17\\)"):
        load_framework(str(path))


# ---- the CLI ------------------------------------------------------------------------------------------------------

def test_frameworks_list_show_and_check_clauses(run_cli):
    listed = json.loads(run_cli("frameworks", "list", "--format", "json"))
    assert {f["id"]: f["default"] for f in listed}[DEFAULT_FRAMEWORK] is True
    shown = run_cli("frameworks", "show", DEFAULT_FRAMEWORK, "--lang", "vi")
    assert "Decree 85/2016/ND-CP Art. 20.2.c" in shown and "Bảo đảm an toàn máy chủ" in shown
    assert "[chưa xác minh]" in shown and "L1-SSH-012" in shown
    summary = json.loads(run_cli("frameworks", "show", "vn-law116-2025-draft", "--format", "json"))
    assert summary["status"] == "draft" and all(r["provisional"] for r in summary["requirements"])
    check = run_cli("checks", "show", "L3-ASM-001")
    assert "MGT-02 Decree 85/2016/ND-CP Art. 20.2.c" in check
    out = run_cli("frameworks", "show", "no-such-framework", expect=2)
    assert "no framework 'no-such-framework'" in out and DEFAULT_FRAMEWORK in out


def test_scan_with_unknown_framework_exits_2_before_traffic(tmp_path, run_cli):
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\nagencies:\n  - id: a\n    name: A\n    systems:\n      - id: s\n        name: S\n"
                   "        level: 1\n        hosts: [{address: 127.0.0.199, id: h, ssh: false}]\n", encoding="utf-8")
    out = run_cli("scan", str(inv), "--framework", "vn-decree86", "--out", str(tmp_path / "r"), "--quiet",
                  "--no-history", expect=2)
    assert "no framework 'vn-decree86'" in out and not (tmp_path / "r").exists()


def test_demo_report_says_per_agency_which_requirements_are_met(demo_scan):
    """The demo scan (shared with the end-to-end tests): the well-run agency meets what the neglected one fails."""
    fw = demo_scan.doc["framework"]
    assert fw["id"] == DEFAULT_FRAMEWORK and fw["name"]["vi"].startswith("Nghị định 85/2016")
    reqs = {r["id"]: r for r in fw["requirements_evidenced"]}
    for req in ("NET-02", "SRV-01", "APP-01", "MGT-05"):
        assert reqs[req]["agencies"]["stttt-nghean"]["outcome"] == "met", (req, reqs[req]["agencies"])
        assert reqs[req]["agencies"]["soyte-nghean"]["outcome"] == "not_met", (req, reqs[req]["agencies"])
    ssh = next(r for r in demo_scan.doc["results"] if r["check_id"] == "L1-SSH-012" and r["host"] == "his-app")
    assert ssh["status"] == "FAIL" and any("server security" in c for c in ssh["clauses"])
