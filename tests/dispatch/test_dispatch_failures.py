"""Failure behaviour of the zone engine, each with REAL processes: `fourlayer worker` processes killed with SIGKILL,
a zone with no worker at all, a real RabbitMQ node restarted in the middle of a scan (issue #12)."""

from __future__ import annotations

import sqlite3
import subprocess
import time

from kombu import Connection

from fourlayer.dispatch.app import zone_queue
from fourlayer.dispatch.names import MAX_ATTEMPTS
from tests.zone_engine import (FOURLAYER, Tarpit, Worker, closed_port, env, host, report, results_of, scan,
                               workers, write_inventory)


def _stored(db, host_id: str) -> tuple[int, int]:
    """(result rows, host rows) stored for `host_id` in the run's history database."""
    with sqlite3.connect(db) as c:
        return (c.execute("SELECT COUNT(*) FROM results WHERE host = ?", (host_id,)).fetchone()[0],
                c.execute("SELECT COUNT(*) FROM hosts WHERE host = ?", (host_id,)).fetchone()[0])


def _purge(rabbit, zone: str) -> None:
    """Tasks a test left queued (a zone it kept silent) must not reach a later test's worker."""
    with Connection(rabbit.coordinator_url) as conn:
        zone_queue(zone)(conn.default_channel).purge()


def _start_scan(inv, out, url, *args) -> tuple[subprocess.Popen, object]:
    out.mkdir(parents=True, exist_ok=True)
    err = out / "scan.err"
    proc = subprocess.Popen([*FOURLAYER, "scan", str(inv), "--broker", url, "--out", str(out), "--format", "json",
                             "--lang", "en", "--db", str(out / "history.sqlite"), "--log-format", "text", *args],
                            stdout=subprocess.DEVNULL, stderr=open(err, "wb"), env=env())
    return proc, err


def _wait_text(path, needle: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text(errors="replace"):
        assert proc.poll() is None, path.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"never saw {needle!r}: {path.read_text(errors='replace')[-3000:]}"
        time.sleep(0.1)


def test_worker_killed_mid_host_rescanned_by_another_worker_and_stored_once(rabbit, tmp_path):
    slow = Tarpit("127.0.61.20")
    try:
        inv = write_inventory(tmp_path, [host("a-slow", "a", 20, slow.port)], zones=("a",))
        url = rabbit.zone_url("a")
        with workers((tmp_path, "a", url, "wa1", 1), (tmp_path, "a", url, "wa2", 1)) as (w1, w2):
            proc, err = _start_scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                                    "--timeout", "3")
            deadline = time.monotonic() + 60
            while not any("scanning host a-slow" in w.text() for w in (w1, w2)):
                assert time.monotonic() < deadline and proc.poll() is None, err.read_text()
                time.sleep(0.05)
            victim, survivor = (w1, w2) if "scanning host a-slow" in w1.text() else (w2, w1)
            victim.kill()  # SIGKILL mid-host: the task was never acked
            assert proc.wait(120) == 0, err.read_text()[-3000:]
            stderr = err.read_text()
            assert "scanning host a-slow of run" in survivor.text() and "(redelivered)" in survivor.text()
            assert "rescanned after a scanner was lost: a-slow" in stderr
            doc = report(tmp_path / "out")
            assert len(results_of(doc, "a-slow")) == 1 and doc["run"]["complete"] is True
            assert _stored(tmp_path / "out" / "history.sqlite", "a-slow") == (1, 1)
    finally:
        slow.close()


def test_a_host_that_kills_every_scanner_is_given_up_after_the_attempt_cap(rabbit, tmp_path):
    slow = Tarpit("127.0.61.21")
    try:
        inv = write_inventory(tmp_path, [host("a-poison", "a", 21, slow.port)], zones=("a",))
        proc, err = _start_scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                                "--timeout", "20")
        for attempt in range(MAX_ATTEMPTS):  # each delivery kills its worker, as a poison host would
            w = Worker(tmp_path, "a", rabbit.zone_url("a"), f"poison{attempt}", 1)
            try:
                w.wait_for("scanning host a-poison")
            finally:
                w.kill()
        assert proc.wait(60) == 0, err.read_text()[-3000:]
        (r,) = results_of(report(tmp_path / "out"), "a-poison")
        assert r["status"] == "ERROR"
        assert f"was lost {MAX_ATTEMPTS} times while scanning this host" in r["reason"]
        assert "given up after repeated scanner loss: a-poison" in err.read_text()
    finally:
        slow.close()


def test_zone_with_no_live_worker_gets_error_and_the_scan_completes(rabbit, tmp_path):
    hosts = [host("a-fast", "a", 30, closed_port("127.0.61.30")), host("c-1", "c", 31, 22),
             host("c-2", "c", 32, 22)]
    inv = write_inventory(tmp_path, hosts, zones=("a", "c"))
    try:
        with workers((tmp_path, "a", rabbit.zone_url("a"), "wa")):
            started = time.monotonic()
            proc = scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                        "--zone-timeout", "5", timeout=90)
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert time.monotonic() - started < 60  # never hangs
        doc = report(tmp_path / "out")
        for h in ("c-1", "c-2"):
            (r,) = results_of(doc, h)
            assert r["status"] == "ERROR" and r["reason"] == "no scanner in zone c answered within 5 s"
            assert r["reason_vi"] == "không có máy quét nào trong vùng c trả lời trong vòng 5 giây"
        (a,) = results_of(doc, "a-fast")
        assert "no scanner" not in a["reason"]  # zone a's own host was scanned by its worker
        assert "zone c: 0/2 host(s) scanned; 2 with no scanner answering" in proc.stderr
    finally:
        _purge(rabbit, "c")


def test_broker_restarted_mid_scan_keeps_every_finished_host(rabbit, tmp_path):
    pits = [Tarpit(f"127.0.61.{40 + i}") for i in range(2)]
    try:
        inv = write_inventory(tmp_path, [host(f"a-{i}", "a", 40 + i, p.port) for i, p in enumerate(pits)],
                              zones=("a",))
        with workers((tmp_path, "a", rabbit.zone_url("a"), "wr", 1)):
            proc, err = _start_scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                                    "--timeout", "2", "--zone-timeout", "60")
            _wait_text(err, "host 1/2", proc)
            rabbit.restart()  # a real stop and start of the node, while the worker and the coordinator are connected
            assert proc.wait(180) == 0, err.read_text()[-3000:]
        doc = report(tmp_path / "out")
        stored = {h: _stored(tmp_path / "out" / "history.sqlite", h) for h in ("a-0", "a-1")}
        for h in ("a-0", "a-1"):
            assert len(results_of(doc, h)) == 1, h  # each host once, a redelivered one included
        if doc["run"]["complete"]:
            assert all(v == (1, 1) for v in stored.values()), stored
        else:  # the run may end incomplete, but every host that finished is kept
            assert "lost the broker" in (doc["run"].get("stop_reason") or ""), doc["run"]
            assert sum(1 for v in stored.values() if v == (1, 1)) >= 1
    finally:
        for p in pits:
            p.close()


def test_sigint_during_a_broker_scan_keeps_what_finished(rabbit, tmp_path):
    import signal

    slow = Tarpit("127.0.61.70")
    try:
        hosts = [host("a-done", "a", 71, closed_port("127.0.61.71")), host("a-slow", "a", 70, slow.port)]
        inv = write_inventory(tmp_path, hosts, zones=("a",))
        with workers((tmp_path, "a", rabbit.zone_url("a"), "wi", 2)):
            proc, err = _start_scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                                    "--timeout", "20")
            _wait_text(err, "host 1/2", proc)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 130, err.read_text()[-3000:]
        doc = report(tmp_path / "out")
        assert doc["run"]["complete"] is False and [r["host"] for r in doc["results"]] == ["a-done"]
        assert _stored(tmp_path / "out" / "history.sqlite", "a-done") == (1, 1)
    finally:
        slow.close()
        _purge(rabbit, "a")


def test_the_only_worker_of_a_zone_killed_mid_host_ends_as_silent_within_the_zone_timeout(rabbit, tmp_path):
    """No other worker to take the task back: the coordinator sees the zone's queue without a consumer and does
    not wait out the host's time limit (--host-timeout + 30 s), only the zone timeout."""
    slow = Tarpit("127.0.61.80")
    try:
        inv = write_inventory(tmp_path, [host("a-alone", "a", 80, slow.port)], zones=("a",))
        w = Worker(tmp_path, "a", rabbit.zone_url("a"), "wlone", 1)
        try:
            w.wait_for("ready")
            proc, err = _start_scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001",
                                    "--timeout", "30", "--zone-timeout", "5")
            w.wait_for("scanning host a-alone")
            w.kill()
            started = time.monotonic()
            assert proc.wait(60) == 0, err.read_text()[-3000:]
            assert time.monotonic() - started < 25  # the zone timeout, not the host's 210 s limit
        finally:
            w.stop()
        (r,) = results_of(report(tmp_path / "out"), "a-alone")
        assert r["reason"] == "no scanner in zone a answered within 5 s"
    finally:
        slow.close()
        _purge(rabbit, "a")
