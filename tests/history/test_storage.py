"""The history database itself: schema and migrations, refusals, stale runs, streak rules, prune, speed and size."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import time

import pytest

from fourlayer.history import storage
from fourlayer.core.errors import InputError
from fourlayer.history.diff import compare, persistence_summary
from fourlayer.core.model import Result, Severity, Status
from fourlayer.core.runner import HostRun
from fourlayer.history.storage import SCHEMA_VERSION, HistoryStore, ScanLock, StoreBusy


def res(check_id: str, status: str, host: str | None = "h1", system: str | None = "s1", evidence: str = "",
        severity: str = "high") -> Result:
    return Result(check_id=check_id, layer=int(check_id[1]), severity=Severity(severity), status=Status(status),
                  reason=f"{check_id} {status}", evidence=evidence, agency="ag", system=system, host=host,
                  scope="host" if host else "system")


def stored_run(store: HistoryStore, run_id: str, started: str, results: list[Result], complete: bool = True) -> None:
    store.begin_run(run_id, started, "inv.yaml", "test", {}, ["ag"], 1)
    store.add_results(run_id, results, HostRun("ag", "s1", "h1", "127.0.0.1", {"nmap": {"ok": True}}, 0.1))
    doc = {"run": {"id": run_id, "started": started}, "agencies": [{"id": "ag", "name": "Cơ quan", "summary": {
        "score": 50.0, "coverage": 100.0, "layers": {}}}], "results": [r.to_dict() for r in results]}
    store.finish_run(run_id, started, started, complete, None if complete else "interrupted", doc)


def test_new_database_is_private_wal_and_current(tmp_path):
    path = tmp_path / "sub" / "h.sqlite"
    with HistoryStore(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == storage.APPLICATION_ID
        assert store.integrity() == "ok"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_default_path_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FOURLAYER_DB", str(tmp_path / "x.sqlite"))
    assert storage.default_db_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("FOURLAYER_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert storage.default_db_path() == tmp_path / "data" / "fourlayer" / "history.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert storage.default_db_path() == tmp_path / ".local" / "share" / "fourlayer" / "history.sqlite"


def test_migrations_run_in_order_and_keep_data(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        stored_run(store, "r1", "2026-01-01T00:00:00+00:00", [res("L1-SSH-001", "FAIL")])
    added = ("ALTER TABLE runs ADD COLUMN note TEXT", "UPDATE runs SET note = 'migrated'")
    monkeypatch.setattr(storage, "MIGRATIONS", storage.MIGRATIONS + [added])
    monkeypatch.setattr(storage, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with HistoryStore(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert store.conn.execute("SELECT id, note FROM runs").fetchall() == [("r1", "migrated")]
        assert [r["check_id"] for r in store.results("r1")] == ["L1-SSH-001"]


def test_newer_schema_foreign_sqlite_and_garbage_are_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    HistoryStore(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(InputError, match="written by a newer fourlayer"):
        HistoryStore(newer)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not a fourlayer history database"):
        HistoryStore(foreign)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(os.urandom(8192))
    with pytest.raises(InputError, match="not a usable fourlayer history database"):
        HistoryStore(garbage)
    with pytest.raises(InputError, match="no history database here"):
        HistoryStore(tmp_path / "missing.sqlite", create=False)


def test_lock_waits_then_refuses_with_holder(tmp_path):
    db = tmp_path / "h.sqlite"
    HistoryStore(db).close()
    with ScanLock(db, 1):
        start = time.monotonic()
        with pytest.raises(StoreBusy) as info:
            ScanLock(db, 0.3).acquire()
        assert time.monotonic() - start >= 0.3
    message = str(info.value)
    assert f"(pid {os.getpid()}, since " in message and "--lock-timeout" in message and "\n" not in message
    ScanLock(db, 0).acquire().release()  # free again


def test_stale_running_runs_are_marked_incomplete(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite") as store:
        store.begin_run("dead", "2026-01-01T00:00:00+00:00", "inv.yaml", "test", {}, ["ag"], 3)
        store.add_results("dead", [res("L1-SSH-001", "FAIL")], HostRun("ag", "s1", "h1", "127.0.0.1", {}, 0.1))
        assert store.mark_stale_runs() == 1
        run = store.run("dead")
        assert (run.status, run.hosts_done, run.stop_reason) == ("incomplete", 1, storage.STALE_REASON)
        assert store.document("dead") is None and len(store.results("dead")) == 1


def test_finish_replaces_results_changed_after_the_scan(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite") as store:
        store.begin_run("r", "2026-01-01T00:00:00+00:00", "inv.yaml", "test", {}, ["ag"], 1)
        store.add_results("r", [res("L1-SSH-001", "FAIL")], None)
        waived = res("L1-SSH-001", "WAIVED")
        waived.waiver = {"approver": "Nguyễn Văn An", "expires": "2027-01-01"}
        store.finish_run("r", "2026-01-01T00:00:00+00:00", None, True, None, {"agencies": []}, [waived])
        [row] = store.results("r")
        assert row["status"] == "WAIVED" and row["waiver"]["approver"] == "Nguyễn Văn An"


def test_streaks_skip_unevaluated_runs_and_end_on_anything_but_fail():
    runs = [("r4", "2026-01-04"), ("r3", "2026-01-03"), ("r2", "2026-01-02"), ("r1", "2026-01-01")]
    statuses = {  # newest first
        "L1-A-001": ["FAIL", "ERROR", "FAIL", "FAIL"],           # ERROR is skipped: 3 in a row since r1
        "L1-B-001": ["FAIL", "NOT_APPLICABLE", "WARN", "FAIL"],  # WARN ends it: 1
        "L1-C-001": ["PASS", "FAIL", "FAIL", "FAIL"],            # fixed: no streak
        "L1-D-001": ["FAIL", "WAIVED", "FAIL", "FAIL"],          # a waiver ends it: 1
    }
    rows = [(rid, started, cid, "ag", "s1", "h1", seq[i]) for i, (rid, started) in enumerate(runs)
            for cid, seq in statuses.items()]
    rows.append(("r4", "2026-01-04", "L1-ORG-001", "ag", None, None, "FAIL"))  # agency scope: no system
    summary = persistence_summary(rows)
    assert summary["runs"] == 4
    node = summary["systems"]["ag/s1"]
    assert node["runs"] == 4
    streaks = {s["check_id"]: (s["streak"], s["first_seen"], s["first_run"]) for s in node["streaks"]}
    assert streaks == {"L1-A-001": (3, "2026-01-01", "r1"), "L1-B-001": (1, "2026-01-04", "r4"),
                       "L1-D-001": (1, "2026-01-04", "r4")}


def test_compare_counts_new_only_for_checks_the_earlier_run_evaluated():
    before = [res("L1-A-001", "PASS").to_dict(), res("L1-B-001", "FAIL").to_dict(),
              res("L1-C-001", "FAIL").to_dict(), res("L1-E-001", "ERROR").to_dict()]
    after = [res("L1-A-001", "FAIL").to_dict(), res("L1-B-001", "PASS").to_dict(),
             res("L1-C-001", "ERROR").to_dict(), res("L1-E-001", "PASS").to_dict(),
             res("L1-A-001", "FAIL", host="h2").to_dict(),   # a new host, same check: new
             res("L1-Z-001", "FAIL").to_dict()]              # a check the earlier run did not run: unknown
    diff = compare(before, after)
    assert [(r["check_id"], r["host"], r["previous_status"]) for r in diff["new"]] == \
           [("L1-A-001", "h1", "PASS"), ("L1-A-001", "h2", None)]
    assert [(r["check_id"], r["previous_reason"]) for r in diff["fixed"]] == [("L1-B-001", "L1-B-001 FAIL")]
    assert [r["check_id"] for r in diff["still_failing"]] == ["L1-C-001"]


def test_prune_deletes_old_runs_and_report_files_only(tmp_path, run_cli):
    db = tmp_path / "h.sqlite"
    now = dt.datetime.now(dt.timezone.utc)
    old, recent = (now - dt.timedelta(days=40)).isoformat(), (now - dt.timedelta(days=1)).isoformat()
    with HistoryStore(db) as store:
        stored_run(store, "old1", old, [res("L1-SSH-001", "FAIL")])
        stored_run(store, "recent", recent, [res("L1-SSH-001", "PASS")])
    reports = tmp_path / "reports"
    reports.mkdir()
    stamp_old, stamp_new = (now - dt.timedelta(days=40)), now
    names_old = [f"fourlayer-{stamp_old:%Y%m%dT%H%M%SZ}-abc001.json",
                 f"fourlayer-{stamp_old:%Y%m%dT%H%M%SZ}-abc001.json.sig"]
    names_new = [f"fourlayer-{stamp_new:%Y%m%dT%H%M%SZ}-abc002.en.html", "notes.txt", "fourlayer-notes.json"]
    for name in names_old + names_new:
        (reports / name).write_text("x")
    out = run_cli("prune", "--keep-days", "30", "--reports", str(reports), "--db", str(db), "--dry-run")
    assert "would delete 2 report file(s)" in out and "would delete 1 run(s)" in out
    assert len(list(reports.iterdir())) == 5
    run_cli("prune", "--keep-days", "30", "--reports", str(reports), "--db", str(db))
    assert sorted(p.name for p in reports.iterdir()) == sorted(names_new)
    with HistoryStore(db) as store:
        assert [r.id for r in store.runs()] == ["recent"] and store.integrity() == "ok"
        assert store.conn.execute("SELECT count(*) FROM results WHERE run_id = 'old1'").fetchone()[0] == 0
    # the newest complete run survives however old it is
    run_cli("prune", "--keep-days", "1", "--db", str(db))
    with HistoryStore(db) as store:
        assert [r.id for r in store.runs()] == ["recent"]


def test_write_speed_and_size_per_run(tmp_path, record_property):
    """Measured, not assumed: 1000 results in 10 host transactions, and the size a stored run takes."""
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        store.begin_run("big", "2026-01-01T00:00:00+00:00", "inv.yaml", "test", {}, ["ag"], 10)
        batches = [[res(f"L1-X{n:02d}-{i:03d}", "FAIL" if i % 3 else "PASS", host=f"h{n}",
                        evidence=f"evidence line {n}-{i} " * 5) for i in range(100)] for n in range(10)]
        start = time.perf_counter()
        for n, batch in enumerate(batches):
            store.add_results("big", batch, HostRun("ag", "s1", f"h{n}", "127.0.0.1", {}, 0.1))
        seconds = time.perf_counter() - start
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    record_property("db_write_seconds_per_1000_results", round(seconds, 4))
    record_property("db_bytes_for_1000_results", size)
    print(f"\nDB write: {seconds * 1000:.1f} ms per 1000 results (10 transactions); file {size / 1024:.0f} KiB")
    assert seconds < 2.0
    with HistoryStore(path) as store:
        assert len(store.results("big")) == 1000


def test_the_stored_document_streams_into_its_blob_and_reads_back_exactly(tmp_path):
    """More than one copy chunk of compressed text (random evidence does not compress): the blob is filled chunk by
    chunk from the spool, and what comes back is the document, checksum verified; no spool file is left."""
    evidence = [os.urandom(600).hex() for _ in range(2500)]  # ~3 MB of hex: ~1.7 MB compressed
    results = [res(f"L1-SSH-{i % 900:03d}", "FAIL", host=f"h{i}", evidence=e) for i, e in enumerate(evidence)]
    with HistoryStore(tmp_path / "h.sqlite") as store:
        stored_run(store, "big", "2026-01-01T00:00:00+00:00", results)
        doc = store.document("big")
        size = store.conn.execute("SELECT length(data), size FROM documents WHERE run_id = 'big'").fetchone()
        sha = store.conn.execute("SELECT sha256 FROM documents WHERE run_id = 'big'").fetchone()[0]
    assert size[0] > storage.COPY_CHUNK and size[1] > size[0]  # two chunks at least
    # agencies and results encoded item by item: the very text json.dumps gives for the whole document
    whole = json.dumps(doc, ensure_ascii=False, default=str, allow_nan=False).encode("utf-8")
    assert storage.digest(whole) == sha and len(whole) == size[1]
    assert [r["evidence"] for r in doc["results"]] == evidence and doc["run"]["id"] == "big"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fourlayer-document-")]


def test_prune_reaches_the_per_agency_reports_of_a_split(tmp_path, run_cli):
    now = dt.datetime.now(dt.timezone.utc)
    old, new = f"{now - dt.timedelta(days=40):%Y%m%dT%H%M%SZ}", f"{now:%Y%m%dT%H%M%SZ}"
    reports = tmp_path / "reports"
    folder = reports / "agencies" / "so-y-te"
    folder.mkdir(parents=True)
    (reports / f"fourlayer-{old}-abc001.overview.vi.html").write_text("x")
    for name in (f"fourlayer-{old}-abc001-so-y-te.json", f"fourlayer-{old}-abc001-so-y-te.json.sig",
                 f"fourlayer-{new}-abc002-so-y-te.json", "ghi-chu.txt"):
        (folder / name).write_text("x")
    run_cli("prune", "--keep-days", "30", "--reports", str(reports), "--no-history")
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"fourlayer-{new}-abc002-so-y-te.json", "ghi-chu.txt"])
    assert [p.name for p in reports.iterdir()] == ["agencies"]
