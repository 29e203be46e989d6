"""Output faults against real file systems: a read-only or full `--out`, a read-only or full history database.

Each scan is a real `fourlayer scan` process in its own mount namespace (`unshare -m`), where the test mounts a
read-only bind mount or a tiny tmpfs over a directory; the mounts vanish with the namespace. Running as root,
chmod would not stop the scanner, a read-only mount does. Targets are a real sshd on 127.0.0.230 and a TCP
listener on 127.0.0.231 that keeps every connection offered to it (a refused --out must mean no traffic).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fourlayer.lab.sshd import SSHD, SshdInstance
from fourlayer.history.storage import HistoryStore
from tests.scan_harness import agency, lab_host, write_inventory
from tests.core.test_interrupt import Tarpit

UNSHARE = shutil.which("unshare")


def _can_mount(tmp: Path) -> str | None:
    """None when this user may mount a tmpfs in a private mount namespace, else why not."""
    if UNSHARE is None:
        return "unshare(1) is not installed"
    probe = tmp / "probe"
    probe.mkdir()
    proc = subprocess.run([UNSHARE, "-m", "bash", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                          capture_output=True, text=True)
    probe.rmdir()
    return None if proc.returncode == 0 else f"mounting in a private mount namespace is not permitted here: " \
                                              f"{proc.stderr.strip()[:200]}"


@pytest.fixture(scope="module")
def mounts(tmp_path_factory) -> None:
    why = _can_mount(tmp_path_factory.mktemp("mount-probe"))
    if why:
        pytest.skip(why)


@pytest.fixture(scope="module")
def sshd():
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is not installed")
    inst = SshdInstance("127.0.0.230", profile="hardened").start()
    yield inst
    inst.stop()


@pytest.fixture
def listener():
    pit = Tarpit("127.0.0.231")  # counts the connections offered to it: pit.conns
    yield pit
    pit.close()


def _sshd_inventory(tmp: Path, sshd: SshdInstance) -> Path:
    known = tmp / "known_hosts"
    sshd.write_known_hosts(known)
    return write_inventory(tmp, [agency("out-agency", level=2, hosts=[lab_host(sshd, known, None, "out-host")])])


def _listener_inventory(tmp: Path, listener: Tarpit) -> Path:
    host = {"address": listener.address, "id": "counted", "roles": ["linux"], "services": [listener.port],
            "ssh": {"port": listener.port}}
    return write_inventory(tmp, [agency("out-agency", level=2, hosts=[host])])


def scan_in_namespace(setup: str, scan_args: list[str], after: str = "") -> subprocess.CompletedProcess:
    """Run `setup` (shell: mounts), then `fourlayer scan scan_args`, then `after` (shell: copy what the test
    inspects out of the namespace), all in one private mount namespace; the scan's exit code is returned."""
    scan = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "fourlayer", "scan", *scan_args])
    script = f"set -e\n{setup}\nset +e\n{scan}\ncode=$?\n{after}\nexit $code\n"
    return subprocess.run([UNSHARE, "-m", "bash", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1"})


def _one_error_line(stderr: str, *needles: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and all(n in lines[0] for n in needles), stderr
    return lines[0]


def _run_status(db: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT status, stop_reason FROM runs").fetchall()
    finally:
        conn.close()


def test_read_only_out_is_refused_before_any_traffic(mounts, listener, tmp_path: Path) -> None:
    inventory, out, db = _listener_inventory(tmp_path, listener), tmp_path / "out", tmp_path / "db" / "h.sqlite"
    out.mkdir()
    proc = scan_in_namespace(f"mount --bind {out} {out}\nmount -o remount,bind,ro {out}",
                             [str(inventory), "--out", str(out), "--db", str(db), "--quiet"])
    assert proc.returncode == 2, proc.stderr
    _one_error_line(proc.stderr, str(out), "--out", "Read-only file system")
    assert listener.conns == []  # nothing was sent to the host
    assert list(out.iterdir()) == [] and not db.exists()  # nothing written


def test_read_only_database_is_refused_before_any_traffic(mounts, listener, tmp_path: Path) -> None:
    inventory, out, db = _listener_inventory(tmp_path, listener), tmp_path / "out", tmp_path / "db" / "h.sqlite"
    HistoryStore(db).close()
    before = {p.name: p.read_bytes() for p in db.parent.iterdir()}
    proc = scan_in_namespace(f"mount --bind {db.parent} {db.parent}\nmount -o remount,bind,ro {db.parent}",
                             [str(inventory), "--out", str(out), "--db", str(db), "--quiet"])
    assert proc.returncode == 2, proc.stderr
    _one_error_line(proc.stderr, str(db), "--db", "cannot", "--no-history")
    assert listener.conns == []
    assert not out.exists()
    assert {p.name: p.read_bytes() for p in db.parent.iterdir()} == before


def test_full_database_is_refused_before_any_traffic(mounts, listener, tmp_path: Path) -> None:
    inventory, out, dbdir = _listener_inventory(tmp_path, listener), tmp_path / "out", tmp_path / "dbfs"
    dbdir.mkdir()
    db = dbdir / "h.sqlite"
    setup = (f"mount -t tmpfs -o size=256k tmpfs {dbdir}\n"
             f"{shlex.quote(sys.executable)} -c 'from fourlayer.history.storage import HistoryStore; "
             f"HistoryStore(\"{db}\").close()'\n"
             f"head -c 1000000 /dev/zero > {dbdir}/filler 2>/dev/null || true")  # every byte of the disk taken
    proc = scan_in_namespace(setup, [str(inventory), "--out", str(out), "--db", str(db), "--quiet"])
    assert proc.returncode == 2, proc.stderr
    _one_error_line(proc.stderr, str(db), "--db", "cannot", "--no-history")
    assert listener.conns == []
    assert not out.exists()


def test_full_out_leaves_no_truncated_report_and_an_incomplete_run(mounts, sshd, tmp_path: Path) -> None:
    """A 64 KiB --out: the reports do not fit. Exit 7; no report at its final name is truncated, no temporary
    file is left, and the stored run is not complete."""
    inventory, out, db, seen = _sshd_inventory(tmp_path, sshd), tmp_path / "out", tmp_path / "h.sqlite", \
        tmp_path / "seen"
    out.mkdir()
    seen.mkdir()
    proc = scan_in_namespace(f"mount -t tmpfs -o size=64k tmpfs {out}",
                             [str(inventory), "--out", str(out), "--db", str(db), "--quiet", "--timeout", "2",
                              "--format", "json,html,csv"],
                             after=f"cp -a {out}/. {seen}/")
    assert proc.returncode == 7, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "No space left on device" in proc.stderr
    assert "exit 7:" in proc.stderr and "could not write the report" in proc.stderr
    wrote = {Path(line.removeprefix("wrote ")).name for line in proc.stdout.splitlines() if line.startswith("wrote ")}
    left = {p.name for p in seen.iterdir()}
    assert left == wrote, (left, wrote)  # only the complete reports: no temporary, no partial file
    for name in left:
        text = (seen / name).read_text(encoding="utf-8")
        if name.endswith(".json"):
            json.loads(text)
        elif name.endswith(".html"):
            assert text.rstrip().endswith("</html>")
    [(status, reason)] = _run_status(db)
    assert status == "incomplete" and "reports could not be written" in reason and "No space left" in reason


def test_database_full_mid_scan_still_writes_the_reports(mounts, sshd, tmp_path: Path) -> None:
    """The history database on a tmpfs with room for the run to begin, not for its results: the scan goes on,
    every report is written, and exit 8 says the history could not be stored."""
    inventory, out, dbdir, seen = _sshd_inventory(tmp_path, sshd), tmp_path / "out", tmp_path / "dbfs", \
        tmp_path / "seen"
    dbdir.mkdir()
    seen.mkdir()
    db = dbdir / "h.sqlite"
    # create the database, then leave ~72 KiB free: the lock file, the WAL index (32 KiB) and the run's first
    # row fit; a host's ~80 results do not
    fill = (f"{shlex.quote(sys.executable)} -c 'from fourlayer.history.storage import HistoryStore; "
            f"HistoryStore(\"{db}\").close()'\n"
            f"free=$(df --output=avail -B1 {dbdir} | tail -1)\n"
            f"head -c $((free - 73728)) /dev/zero > {dbdir}/filler || true")
    proc = scan_in_namespace(f"mount -t tmpfs -o size=1m tmpfs {dbdir}\n{fill}",
                             [str(inventory), "--out", str(out), "--db", str(db), "--quiet", "--timeout", "2",
                              "--format", "json,html,csv,sarif,junit", "--lang", "both"],
                             after=f"cp {db}* {seen}/ 2>/dev/null; df -B1 {dbdir} >&2")
    assert proc.returncode == 8, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "warning: the history database" in proc.stderr and "database or disk is full" in proc.stderr
    assert "exit 8: the history database could not store this run" in proc.stderr
    reports = sorted(p.name.split(".", 1)[1] for p in out.iterdir())
    assert reports == ["csv", "en.html", "json", "junit.xml", "sarif", "vi.html"]
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert doc["run"]["complete"] is True and any(r["host"] == "out-host" for r in doc["results"])
    stored = seen / db.name
    if stored.exists():  # what the full disk kept: never a run marked complete
        assert all(status != "complete" for status, _ in _run_status(stored))
