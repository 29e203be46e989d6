"""History end to end: four real scans of real sshd servers on 127.0.0.200-201, stored in one database.

Scans 1-3 see a weak sshd (system `legacy`) and a hardened one (system `ok`); then the weak server is replaced
by a hardened one on the same address and port, and scan 4 sees the fix. The policy sets
history.persistent_runs to 2, so L3-PER-001 can judge from scan 3 on.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main
from fourlayer.lab.sshd import SSHD, SshdInstance

SSH_CHECKS = ("L1-SSH-001", "L1-SSH-002", "L1-SSH-003", "L1-SSH-004")
AGENCY = "hist-agency"


def invoke(*args: str, expect: int = 0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}"
    return result


def write_inventory(path: Path, known_hosts: Path, **systems: SshdInstance) -> None:
    """One agency; each keyword is a level-3 system with one host `<system>-ssh` on that sshd."""
    lines = ["version: 1", "policy: policy.yaml", "agencies:", f"  - id: {AGENCY}",
             "    name: Cơ quan thử nghiệm lịch sử", "    systems:"]
    for name, server in systems.items():
        lines += [f"      - id: {name}", f"        name: Hệ thống {name}", "        level: 3", "        hosts:",
                  f"          - {{address: {server.address}, id: {name}-ssh, roles: [linux], "
                  f"ssh: {{port: {server.port}, known_hosts: {known_hosts}}}}}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def known_hosts_for(path: Path, *servers: SshdInstance) -> None:
    path.unlink(missing_ok=True)
    for s in servers:
        s.write_known_hosts(path)


@dataclass
class Lab:
    tmp: Path
    db: Path
    inventory: Path
    runs: list[str] = field(default_factory=list)
    docs: list[dict] = field(default_factory=list)
    files: list[list[Path]] = field(default_factory=list)

    def scan_args(self, *extra: str, out: str | None = None) -> list[str]:
        args = ["scan", str(self.inventory), "--out", out or str(self.tmp / f"out{len(self.runs) + 1}"),
                "--format", "json,html", "--lang", "en", "--quiet", "--db", str(self.db), "--timeout", "3"]
        for cid in (*SSH_CHECKS, "L3-PER-001"):
            args += ["--check", cid]
        return args + list(extra)

    def scan(self) -> dict:
        out = self.tmp / f"out{len(self.runs) + 1}"
        invoke(*self.scan_args(out=str(out)))
        files = sorted(out.iterdir())
        doc = json.loads(next(p for p in files if p.suffix == ".json").read_text(encoding="utf-8"))
        self.runs.append(doc["run"]["id"])
        self.docs.append(doc)
        self.files.append(files)
        return doc


def result(doc: dict, check_id: str, target: str) -> dict:
    return next(r for r in doc["results"] if r["check_id"] == check_id
                and (r["host"] or r["system"] or r["agency"]) == target)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is not installed")
    tmp = tmp_path_factory.mktemp("history")
    (tmp / "policy.yaml").write_text("history:\n  persistent_runs: 2\n  trend_runs: 3\n")
    weak = SshdInstance("127.0.0.200", profile="weak").start()
    ok = SshdInstance("127.0.0.201", profile="hardened").start()
    fixed = None
    try:
        known = tmp / "known_hosts"
        known_hosts_for(known, weak, ok)
        lab = Lab(tmp, tmp / "db" / "history.sqlite", tmp / "inventory.yaml")
        write_inventory(lab.inventory, known, legacy=weak, ok=ok)
        for _ in range(3):
            lab.scan()
        port = weak.port
        weak.stop()  # the administrator hardens the legacy server: same address and port, strong config
        fixed = SshdInstance("127.0.0.200", port=port, profile="hardened").start()
        known_hosts_for(known, fixed, ok)
        lab.scan()
        yield lab
    finally:
        for server in (weak, ok, fixed):
            if server is not None:
                server.stop()


def test_first_scan_has_no_history_and_l3_per_001_says_why(lab):
    first = lab.docs[0]
    assert "history" not in first
    r = result(first, "L3-PER-001", "legacy")
    assert r["status"] == "NOT_APPLICABLE" and r["reason"].startswith("0 earlier scan(s)")
    second = result(lab.docs[1], "L3-PER-001", "legacy")
    assert second["status"] == "NOT_APPLICABLE" and second["reason"].startswith("1 earlier scan(s)")


def test_persistent_weakness_fails_l3_per_001_with_first_seen(lab):
    doc = lab.docs[2]
    for cid in SSH_CHECKS:
        assert result(doc, cid, "legacy-ssh")["status"] == "FAIL", cid
    r = result(doc, "L3-PER-001", "legacy")
    assert r["status"] == "FAIL", r
    first_day = lab.docs[0]["run"]["started"][:10]
    assert f"oldest first seen {first_day}" in r["reason"]
    for cid in SSH_CHECKS:  # each persistent finding, with the run it was first seen in
        assert f"{cid} on legacy-ssh: FAIL in 2 consecutive scans, first seen {first_day} (run {lab.runs[0]})" \
               in r["evidence"]
    good = result(doc, "L3-PER-001", "ok")
    assert good["status"] == "PASS" and "no finding failed in 2 consecutive scans" in good["reason"]


def test_fix_shows_in_history_section_of_the_report(lab):
    before, after = lab.docs[2], lab.docs[3]
    history = after["history"]
    assert history["previous_run"] == lab.runs[2]
    fixed = {(r["check_id"], r["host"]) for r in history["fixed"]}
    assert fixed == {(cid, "legacy-ssh") for cid in SSH_CHECKS}
    assert all(r["status"] == "PASS" and r["previous_status"] == "FAIL" and r["previous_reason"]
               for r in history["fixed"])
    assert history["new"] == []
    # trend: policy trend_runs 3 -> the two previous complete runs and this one, oldest first
    assert [t["run_id"] for t in history["trend"]] == lab.runs[1:]
    scores = [t["agencies"][AGENCY]["score"] for t in history["trend"]]
    assert scores[0] == before["agencies"][0]["summary"]["score"]
    assert scores[-1] == after["agencies"][0]["summary"]["score"] > scores[0]
    assert set(history["trend"][0]["agencies"][AGENCY]["layers"]) == {"1", "2", "3", "4"}
    # the HTML report shows the fixed findings
    html = next(p for p in lab.files[3] if p.suffix == ".html").read_text(encoding="utf-8")
    assert 'id="fixed"' in html and all(cid in html for cid in SSH_CHECKS)
    # the persistent finding still counts the scans before this one (first_seen run 1), then clears
    assert result(after, "L3-PER-001", "legacy")["status"] == "FAIL"


def test_report_document_with_history_matches_the_published_schema(lab):
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).resolve().parents[2] / "reports" / "schema" / "report.schema.json"
    if not schema_path.exists():
        pytest.skip("no published report schema")
    jsonschema.validate(lab.docs[3], json.loads(schema_path.read_text(encoding="utf-8")))


def test_diff_cli_shows_fixed_findings_and_score_change(lab):
    out = invoke("diff", "previous", "latest", "--db", str(lab.db)).output
    assert f"{lab.runs[2]} (" in out and f"→ {lab.runs[3]} (" in out
    assert "fixed: 4" in out and "new failures: 0" in out
    for cid in SSH_CHECKS:
        assert re.search(rf"FIXED .*{cid}\s+{AGENCY}/legacy/legacy-ssh: was: ", out), out
    data = json.loads(invoke("diff", lab.runs[2][:6], lab.runs[3], "--db", str(lab.db), "--format", "json").output)
    layer1 = data["scores"][AGENCY]["1"]
    assert layer1["delta"] > 0 and layer1["after"] == 100.0
    assert data["scores"][AGENCY]["all"]["delta"] > 0
    assert {r["check_id"] for r in data["fixed"]} == set(SSH_CHECKS)
    # reversed, the same change reads as new failures
    back = json.loads(invoke("diff", "latest", "previous", "--db", str(lab.db), "--format", "json").output)
    assert {(r["check_id"], r["status"], r["previous_status"]) for r in back["new"]} == \
           {(cid, "FAIL", "PASS") for cid in SSH_CHECKS}


def test_history_command_lists_runs_with_scores(lab):
    out = invoke("history", "--db", str(lab.db)).output
    lines = [ln for ln in out.splitlines() if not ln.startswith(" ")]
    assert [ln.split()[0] for ln in lines] == list(reversed(lab.runs))
    assert all("2/2 hosts  complete" in ln for ln in lines)
    data = json.loads(invoke("history", "--db", str(lab.db), "--agency", AGENCY, "--format", "json").output)
    assert [r["id"] for r in data] == list(reversed(lab.runs))
    assert data[0]["scores"][AGENCY]["score"] == lab.docs[3]["agencies"][0]["summary"]["score"]
    assert "no stored runs for agency nobody" in invoke("history", "--db", str(lab.db), "--agency", "nobody").output


def test_report_rerenders_a_stored_run_byte_for_byte(lab, tmp_path):
    out = invoke("report", lab.runs[2], "--db", str(lab.db), "--out", str(tmp_path), "--format", "json,html",
                 "--lang", "en").output
    assert out.count("wrote ") == 2
    for original in lab.files[2]:
        again = tmp_path / original.name
        assert again.read_bytes() == original.read_bytes(), original.name


def test_results_are_stored_with_evidence_digests_only(lab):
    import hashlib

    with sqlite3.connect(lab.db) as conn:
        rows = conn.execute("SELECT check_id, host, status, evidence_sha256 FROM results WHERE run_id = ?",
                            (lab.runs[0],)).fetchall()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(results)")]
    assert "evidence" not in columns
    by_key = {(r[0], r[1]): r for r in rows}
    for r in lab.docs[0]["results"]:
        stored = by_key[(r["check_id"], r["host"])]
        assert stored[2] == r["status"]
        assert stored[3] == (hashlib.sha256(r["evidence"].encode()).hexdigest() if r["evidence"] else None)


# ---------------------------------------------------------------- exit codes (scans not stored: --no-history)
def test_fail_on_fail_under_and_ok_exit_codes(lab, tmp_path):
    base = lab.scan_args("--no-history", out=str(tmp_path / "x"))
    # after the fix every SSH check passes: exit 0 even with strict thresholds
    assert "exit" not in invoke(*base, "--fail-on", "low", "--fail-under", "100").output
    # a weak server: one high (L1-SSH-001) and one medium (L1-SSH-003) check fail
    legacy = SshdInstance("127.0.0.202", profile="weak").start()
    try:
        known = tmp_path / "kh"
        legacy.write_known_hosts(known)
        inv = tmp_path / "inv.yaml"
        (tmp_path / "policy.yaml").write_text("history: {persistent_runs: 2}\n")
        write_inventory(inv, known, legacy=legacy)
        args = ["scan", str(inv), "--out", str(tmp_path / "y"), "--format", "json", "--quiet", "--no-history",
                "--check", "L1-SSH-001", "--check", "L1-SSH-003"]
        r = invoke(*args, "--fail-on", "high", expect=4)
        assert "exit 4: 1 failed check(s) of severity high or higher (--fail-on), e.g. L1-SSH-001 on legacy-ssh" \
               in r.output
        r = invoke(*args, "--fail-under", "50", expect=3)
        assert f"exit 3: agency score below --fail-under 50: {AGENCY} 0.0" in r.output
        assert invoke(*args, "--fail-on", "high", "--fail-under", "50", expect=4)  # --fail-on is reported first
        invoke(*args, "--fail-on", "critical")  # L1-SSH-001 is high, L1-SSH-003 medium: nothing critical fails
    finally:
        legacy.stop()


def test_bad_input_exits_2_with_one_line(lab, tmp_path):
    not_db = tmp_path / "notes.txt"
    not_db.write_text("this is not SQLite\n" * 200)
    r = invoke(*lab.scan_args(out=str(tmp_path / "o")), "--db", str(not_db), expect=2)  # the last --db counts
    assert r.output.strip().splitlines()[-1].startswith(f"error: {not_db}: --db: not a usable fourlayer")
    assert not (tmp_path / "o").exists()  # refused before any traffic
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    r = invoke("history", "--db", str(other), expect=2)
    assert "not a fourlayer history database" in r.output
    invoke("diff", "latest", "nosuchrun", "--db", str(lab.db), expect=2)


def test_internal_error_exits_1_and_keeps_the_run_marked_incomplete(lab, tmp_path, monkeypatch):
    import fourlayer.reports.document as document

    def broken(*args, **kwargs):  # a bug in report building, after the hosts were scanned and stored
        raise RuntimeError("injected bug")

    monkeypatch.setattr(document, "build_document", broken)
    db = tmp_path / "h.sqlite"
    args = lab.scan_args(out=str(tmp_path / "o"))
    args[args.index("--db") + 1] = str(db)
    r = invoke(*args, expect=1)
    assert "internal error: RuntimeError: injected bug" in r.output
    with sqlite3.connect(db) as conn:
        status, reason, done = conn.execute("SELECT status, stop_reason, hosts_done FROM runs").fetchone()
        stored = conn.execute("SELECT count(*) FROM results").fetchone()[0]
    assert (status, reason, done) == ("incomplete", "the scan failed: RuntimeError", 2)
    assert stored > 0  # what finished before the failure is kept


def test_no_history_stores_nothing_and_l3_per_001_says_so(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("FOURLAYER_DB", str(tmp_path / "default.sqlite"))
    args = [a for a in lab.scan_args("--no-history", out=str(tmp_path / "o"))]
    i = args.index("--db")
    del args[i:i + 2]
    invoke(*args)
    assert not (tmp_path / "default.sqlite").exists()
    doc = json.loads(next((tmp_path / "o").glob("*.json")).read_text(encoding="utf-8"))
    r = result(doc, "L3-PER-001", "legacy")
    assert r["status"] == "NOT_APPLICABLE" and "without a history database" in r["reason"]
    assert "history" not in doc
    # without --no-history the default database ($FOURLAYER_DB) is used
    del args[args.index("--no-history")]
    invoke(*args)
    assert (tmp_path / "default.sqlite").exists()
    listed = invoke("history").output.splitlines()
    assert len([ln for ln in listed if ln.endswith("2/2 hosts  complete")]) == 1


def test_json_progress_lines_on_stderr(lab, tmp_path):
    args = lab.scan_args("--no-history", "--log-format", "json", out=str(tmp_path / "o"))
    args.remove("--quiet")
    result_ = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result_.exit_code == 0, result_.output
    events = [json.loads(line) for line in result_.stderr.splitlines() if line.startswith("{")]
    hosts = [e for e in events if e["event"] == "host_done"]
    assert sorted(e["host"] for e in hosts) == ["legacy-ssh", "ok-ssh"]
    assert {e["done"] for e in hosts} == {1, 2} and all(e["total"] == 2 for e in hosts)
    assert all(e["statuses"] == {"PASS": 4} and e["collectors_failed"] == [] for e in hosts)
    assert [e["phase"] for e in events if e["event"] == "phase"] == ["scanning", "writing reports"]
    assert events[-1]["event"] == "end" and events[-1]["hosts_done"] == 2


def test_text_progress_lines_for_a_log_file():
    import io

    from fourlayer.core.model import Result, Severity, Status
    from fourlayer.cli.progress import Progress
    from fourlayer.core.runner import HostRun

    stream = io.StringIO()
    with Progress(2, log_format="text", stream=stream) as progress:
        progress.on_results([Result("L1-SSH-001", 1, Severity.HIGH, Status.FAIL, "weak kex", "", "a", "s", "h1",
                                    "host")], HostRun("a", "s", "h1", "127.0.0.1", {"nmap": {"ok": False}}, 1.25))
    lines = stream.getvalue().splitlines()
    assert lines == ["fourlayer: phase: scanning", "fourlayer: host 1/2 h1 (127.0.0.1) 1.2 s: FAIL=1 — failed: nmap",
                     lines[-1]] and lines[-1].startswith("fourlayer: done: 1/2 hosts in ")
    quiet = io.StringIO()
    with Progress(2, enabled=False, log_format="json", stream=quiet) as progress:
        progress.phase("writing reports")
    assert quiet.getvalue() == ""
