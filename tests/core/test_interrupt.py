"""Interrupted and concurrent scans against real servers on 127.0.0.206-211.

- SIGTERM / SIGINT mid-scan (a real `fourlayer scan` process; two real sshd hosts, then two tarpits that accept
  and never answer): the process stops within seconds, exit 143 / 130, and the database holds an incomplete
  run with exactly the hosts that finished.
- Two scans on one database: the second waits for the lock or refuses with exit 5; nothing is corrupted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main
from fourlayer.lab.sshd import SSHD, SshdInstance
from tests.cli_fixtures import run_on_terminal


class Tarpit:
    """A TCP listener that accepts connections and never sends a byte."""

    def __init__(self, address: str):
        self.sock = socket.create_server((address, 0))
        self.address, self.port = address, self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture(scope="module")
def servers():
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is not installed")
    sshds = [SshdInstance(f"127.0.0.{n}", profile="hardened").start() for n in (206, 207)]
    pits = [Tarpit(f"127.0.0.{n}") for n in (210, 211)]
    yield sshds, pits
    for s in sshds:
        s.stop()
    for p in pits:
        p.close()


def inventory(tmp: Path, sshds, pits) -> Path:
    known = tmp / "known_hosts"
    for s in sshds:
        s.write_known_hosts(known)
    hosts = [(f"fast{i}", s.address, s.port) for i, s in enumerate(sshds, 1)] + \
            [(f"tarpit{i}", p.address, p.port) for i, p in enumerate(pits, 1)]
    lines = ["version: 1", "agencies:", "  - id: int-agency", "    name: Cơ quan thử gián đoạn", "    systems:",
             "      - id: int-system", "        name: Hệ thống thử", "        level: 2", "        hosts:"]
    lines += [f"          - {{address: {a}, id: {h}, ssh: {{port: {p}, known_hosts: {known}}}}}" for h, a, p in hosts]
    path = tmp / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scan_process(inv: Path, db: Path, out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "fourlayer", "scan", str(inv), "--db", str(db), "--out", str(out), "--format",
           "json", "--check", "L1-SSH-001", "--concurrency", "1", "--log-format", "json", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1"})


def wait_for_hosts(proc: subprocess.Popen, count: int, deadline: float) -> list[dict]:
    events: list[dict] = []
    while sum(e["event"] == "host_done" for e in events) < count:
        assert time.monotonic() < deadline, f"no progress: {events}"
        line = proc.stderr.readline()
        assert line, f"scan ended early: {proc.wait()} {proc.stdout.read()}"
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_scan_keeps_finished_hosts_as_incomplete_run(servers, tmp_path, signum, code):
    inv, db = inventory(tmp_path, *servers), tmp_path / "h.sqlite"
    proc = scan_process(inv, db, tmp_path / "out", "--timeout", "30", "--host-timeout", "120")
    try:
        events = wait_for_hosts(proc, 2, time.monotonic() + 30)
        # the two sshd hosts are stored while the scan runs (a kill -9 now would keep them too)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status, hosts_done FROM runs").fetchall() == [("running", 2)]
        time.sleep(0.3)  # the first tarpit is now being waited on (30 s timeout)
        sent = time.monotonic()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=15)
        stopped_in = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert stopped_in < 5, f"took {stopped_in:.1f} s to stop"
    assert f"{signal.Signals(signum).name} — stopping" in err
    assert sorted(e["host"] for e in events if e["event"] == "host_done") == ["fast1", "fast2"]
    with sqlite3.connect(db) as conn:
        status, reason, done, planned = conn.execute(
            "SELECT status, stop_reason, hosts_done, hosts_planned FROM runs").fetchone()
        hosts = [h for (h,) in conn.execute("SELECT host FROM hosts ORDER BY host")]
        results = conn.execute("SELECT host, status FROM results WHERE host IS NOT NULL ORDER BY host").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (status, reason, done, planned) == ("incomplete", "interrupted", 2, 4)
    assert hosts == ["fast1", "fast2"]
    assert results == [("fast1", "PASS"), ("fast2", "PASS")]
    # the partial report was written and stored, and says it is incomplete
    [report] = (tmp_path / "out").glob("*.json")
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["run"]["complete"] is False
    history = CliRunner().invoke(main, ["history", "--db", str(db)]).output
    assert "2/4 hosts  incomplete: interrupted" in history


def test_second_scan_waits_for_the_lock_or_refuses(servers, tmp_path):
    sshds, pits = servers
    inv, db = inventory(tmp_path, sshds, pits[:1]), tmp_path / "h.sqlite"
    first = scan_process(inv, db, tmp_path / "out1", "--timeout", "2")  # the tarpit holds it about 2 s
    try:
        wait_for_hosts(first, 1, time.monotonic() + 30)
        args = ["scan", str(inv), "--db", str(db), "--format", "json", "--quiet", "--check", "L1-SSH-001",
                "--timeout", "0.5"]
        refused = CliRunner().invoke(main, args + ["--out", str(tmp_path / "out2"), "--lock-timeout", "0.2"])
        assert refused.exit_code == 5, refused.output
        line = refused.output.strip()
        assert "\n" not in line and line.startswith("error: history database h.sqlite is in use by another scan "
                                                     f"(pid {first.pid}, since ")
        assert not (tmp_path / "out2").exists()
        waited = CliRunner().invoke(main, args + ["--out", str(tmp_path / "out3"), "--lock-timeout", "60"])
        assert waited.exit_code == 0, waited.output
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT status, started, finished FROM runs ORDER BY started").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in runs] == ["complete", "complete"]
    assert runs[1][1] >= runs[0][2]  # the second began after the first finished


def test_crashing_collector_marks_the_run_incomplete_and_the_scan_goes_on(servers, tmp_path, monkeypatch):
    """A collector bug (not a down or hostile host: those give ERROR) is injected, as no real host can cause one."""
    import fourlayer.core.runner as runner

    sshds, _ = servers
    real = runner.host_collector

    def collector(name):
        def collect(host, ctx):
            if host.id == "fast2":
                raise ValueError("injected collector bug")
            return real(name)(host, ctx)
        return collect

    monkeypatch.setattr(runner, "host_collector", collector)
    inv, db = inventory(tmp_path, sshds, []), tmp_path / "h.sqlite"
    r = CliRunner().invoke(main, ["scan", str(inv), "--db", str(db), "--out", str(tmp_path / "o"), "--format", "json",
                                  "--quiet", "--check", "L1-SSH-001"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(next((tmp_path / "o").glob("*.json")).read_text(encoding="utf-8"))
    by_host = {x["host"]: x for x in doc["results"] if x["host"]}
    assert by_host["fast1"]["status"] == "PASS"
    assert by_host["fast2"]["status"] == "ERROR" and "collector crashed: ValueError" in by_host["fast2"]["reason"]
    assert doc["run"]["complete"] is False
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, stop_reason FROM runs").fetchone() == \
               ("incomplete", "collector ssh_transport crashed on fast2")


def test_progress_bar_on_a_terminal(servers, tmp_path):
    sshds, _ = servers
    inv = inventory(tmp_path, sshds, [])
    cmd = [sys.executable, "-m", "fourlayer", "scan", str(inv), "--no-history", "--out", str(tmp_path / "o"),
           "--format", "json", "--check", "L1-SSH-001", "--concurrency", "1"]
    code, screen = run_on_terminal(cmd, {**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1", "COLUMNS": "120"})
    assert code == 0
    assert "scanning" in screen and "hosts" in screen and "ETA" in screen
    assert re.search(r"[0-2]/2", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen))
