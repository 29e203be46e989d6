"""Waivers applied after a real scan of the lab sshd: WAIVED with the original status kept, expired waivers flagged
in the reason, stale waivers warned about, scoring leaves WAIVED out; broken waiver files refused by line."""

from __future__ import annotations

import datetime as dt

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.collectors.base import CollectContext
from fourlayer.core.errors import InputError
from fourlayer.config.inventory_load import load_inventory
from fourlayer.core.model import Status
from fourlayer.core.discovery import discover
from fourlayer.core.scoring import summarise
from fourlayer.config.waivers import apply_waivers, load_waivers
from tests.rules.test_rules import assert_input_error, scan_json, target, write_lab_inventory

AS_OF = dt.date(2026, 11, 1)
WAIVERS = """\
version: 1
waivers:
  - check: L1-SSH-012
    target: lab-agency/lab-sys/bad
    justification: "Legacy HIS client; replaced in the 2027 upgrade (ticket HIS-42)"
    approver: "Nguyễn Văn An, Trưởng phòng CNTT"
    expires: 2027-03-31
  - check: L1-SSH-014
    target: bad
    justification: "X11 needed for a vendor tool"
    approver: "Trần Thị Bình"
    expires: 2026-01-31
  - check: L1-SSH-020
    target: lab-agency
    justification: "Agency-wide exception during migration"
    approver: "Lê Văn Cường"
    expires: 2026-12-31
  - check: L1-SSH-013
    target: lab-agency/lab-sys/good
    justification: "Kept from an old audit"
    approver: "Lê Văn Cường"
    expires: 2026-12-31
"""


@pytest.fixture(scope="module")
def waived_scan(sshd_hardened, sshd_weak, ssh_known_hosts, tmp_path_factory):
    from click.testing import CliRunner

    from fourlayer.cli.main import main

    tmp = tmp_path_factory.mktemp("waivers")
    inv = write_lab_inventory(tmp, [(sshd_hardened, "good", None), (sshd_weak, "bad", None)], ssh_known_hosts)
    path = tmp / "waivers.yaml"
    path.write_text(WAIVERS, encoding="utf-8")

    def run_cli(*args, expect=0):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect, result.output
        run_cli.output = result.output
        return result.output

    checks = [a for c in ("L1-SSH-012", "L1-SSH-013", "L1-SSH-014", "L1-SSH-020") for a in ("--check", c)]
    doc = scan_json(run_cli, inv, tmp, "--waivers", str(path), *checks)["_doc"]
    return doc, run_cli.output, path


def _by(doc):
    return {(r["host"], r["check_id"]): r for r in doc["results"]}


def test_waiver_turns_a_failure_into_waived_and_keeps_the_original(waived_scan):
    doc, _, path = waived_scan
    r = _by(doc)[("bad", "L1-SSH-012")]
    assert r["status"] == "WAIVED"
    assert r["waiver"] == {"justification": "Legacy HIS client; replaced in the 2027 upgrade (ticket HIS-42)",
                           "approver": "Nguyễn Văn An, Trưởng phòng CNTT", "expires": "2027-03-31",
                           "original_status": "FAIL", "target": "lab-agency/lab-sys/bad", "source": f"{path}:3"}
    assert "permitemptypasswords yes" in r["evidence"]  # the finding stays visible


def test_agency_wide_waiver_covers_failures_only(waived_scan):
    by = _by(waived_scan[0])
    assert by[("bad", "L1-SSH-020")]["status"] == "WAIVED"
    assert by[("good", "L1-SSH-020")]["status"] == "PASS" and by[("good", "L1-SSH-020")]["waiver"] is None


def test_expired_waiver_does_not_apply_and_says_so(waived_scan):
    doc, output, path = waived_scan
    r = _by(doc)[("bad", "L1-SSH-014")]
    assert r["status"] == "FAIL" and r["waiver"] is None
    assert r["reason"].endswith("(waiver expired on 2026-01-31)")
    assert doc["waivers"]["expired"] == [{"check": "L1-SSH-014", "target": "bad", "expires": "2026-01-31",
                                          "approver": "Trần Thị Bình", "results": 1, "source": f"{path}:8"}]
    assert "expired on 2026-01-31" in output


def test_waiver_on_a_passing_check_is_a_warning(waived_scan):
    doc, output, path = waived_scan
    assert _by(doc)[("good", "L1-SSH-013")]["status"] == "PASS"
    assert doc["waivers"]["applied"] == 2
    assert any(w.startswith(f"{path}:18:") and "no longer be needed" in w for w in doc["waivers"]["warnings"])
    assert f"warning: {path}:18:" in output


def test_scores_leave_waived_results_out(waived_scan):
    doc = waived_scan[0]
    host = doc["agencies"][0]["systems"][0]["hosts"]
    bad = next(h for h in host if h["id"] == "bad")["summary"]
    # weak host: L1-SSH-012 (high, waived), L1-SSH-013 (medium FAIL), L1-SSH-014 (medium FAIL), L1-SSH-020 (waived)
    assert bad["counts"]["WAIVED"] == 2 and bad["counts"]["FAIL"] == 2
    assert bad["possible"] == 6 and bad["score"] == 0.0


def test_scoring_excludes_waived_on_real_results(sshd_weak, ssh_known_hosts, tmp_path):
    host = sshd_weak.host("score-weak", ssh_known_hosts)
    t = target(host, ssh_shell.collect(host, CollectContext(timeout=5.0)))
    from fourlayer.core.runner import evaluate

    results = [evaluate(discover().get(c), t, {}) for c in ("L1-SSH-012", "L1-SSH-014", "L1-SSH-022")]
    assert [r.status for r in results] == [Status.FAIL] * 3
    before = summarise(results, {})
    path = tmp_path / "w.yaml"
    path.write_text("- {check: L1-SSH-012, target: score-weak, justification: j, approver: a, expires: 2027-01-01}\n",
                    encoding="utf-8")
    waivers = load_waivers(path, {"L1-SSH-012"})
    report = apply_waivers(results, waivers, AS_OF)
    after = summarise(results, {})
    assert report.applied == 1 and results[0].status is Status.WAIVED
    assert (before["possible"], after["possible"]) == (5 + 3 + 1, 3 + 1)
    assert after["counts"]["WAIVED"] == 1 and after["coverage"] == 100.0


# ---- broken waiver files ---------------------------------------------------------------------------------------

INVENTORY = ("version: 1\nagencies:\n  - id: so-y-te\n    name: A\n    systems:\n      - id: his\n        name: S\n"
             "        level: 2\n        hosts: [{address: 127.0.0.199, id: his-app, ssh: false}]\n")
ONE = ("waivers:\n  - check: L1-SSH-012\n    target: so-y-te/his/his-app\n    justification: j\n"
       "    approver: a\n    expires: 2027-01-01\n")


@pytest.mark.parametrize("old, new, line, field, needle", [
    ("L1-SSH-012", "L1-SHH-012", 2, "waivers[0].check", "did you mean L1-SSH-012"),
    ("so-y-te/his/his-app", "so-y-te/hiss", 3, "waivers[0].target", "did you mean so-y-te/his"),
    ("so-y-te/his/his-app", "a/b/c/d", 3, "waivers[0].target", "agency/system/host"),
    ("2027-01-01", "2027-02-30", 6, "waivers[0].expires", "YYYY-MM-DD"),
    ("    approver: a\n", "", 2, "waivers[0].approver", "missing"),
    ("    approver: a\n", "    aprover: a\n", 5, "waivers[0].aprover", "did you mean 'approver'"),
    ("waivers:\n", "waiver:\n", 1, "waiver", "did you mean 'waivers'"),
])
def test_bad_waiver_file_is_one_input_error_with_line_and_field(tmp_path, old, new, line, field, needle):
    inv_path = tmp_path / "inv.yaml"
    inv_path.write_text(INVENTORY, encoding="utf-8")
    path = tmp_path / "w.yaml"
    path.write_text(ONE.replace(old, new, 1), encoding="utf-8")
    known = {c.meta.id for c in discover().all()}
    assert_input_error(lambda: load_waivers(path, known, load_inventory(inv_path)), path, line, field, needle)


def test_duplicate_waiver_and_cli_refusal_before_traffic(tmp_path, run_cli):
    inv_path = tmp_path / "inv.yaml"
    inv_path.write_text(INVENTORY, encoding="utf-8")
    path = tmp_path / "w.yaml"
    path.write_text(ONE + ONE.replace("waivers:\n", ""), encoding="utf-8")
    with pytest.raises(InputError, match="first at line 2"):
        load_waivers(path)
    path.write_text(ONE.replace("L1-SSH-012", "L1-XXX-999"), encoding="utf-8")
    out = run_cli("scan", str(inv_path), "--waivers", str(path), "--out", str(tmp_path / "r"), "--quiet",
                  "--no-history", expect=2)
    assert f"{path}:2: waivers[0].check: no check 'L1-XXX-999'" in out and "Traceback" not in out
    assert not (tmp_path / "r").exists()


def test_example_waiver_file_validates_against_the_example_inventory():
    from fourlayer.inventory_files import __file__ as inv_init
    from pathlib import Path

    folder = Path(inv_init).parent
    waivers = load_waivers(folder / "waivers.example.yaml", {c.meta.id for c in discover().all()},
                           load_inventory(folder / "demo.yaml", env={"FOURLAYER_LAB": "/lab", "FOURLAYER_LAB_USER": "u"}))
    assert waivers and all(w.justification and w.approver for w in waivers)
