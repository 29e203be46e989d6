"""`fourlayer demo` stopped by SIGTERM (systemctl stop, a CI timeout) stops its lab: no sshd or listener is left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _lab_pids() -> set[int]:
    """Processes whose command line names the demo lab's directories (its two sshd and its agent processes)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if any(mark in cmd for mark in (b"fourlayer-lab/sshd-127.0.0.11-2211", b"fourlayer-lab/sshd-127.0.0.12-2212",
                                        b"fourlayer-lab/demo-")):
            pids.add(int(entry.name))
    return pids


def test_sigterm_during_the_demo_stops_the_lab(tmp_path):
    before = _lab_pids()
    proc = subprocess.Popen([sys.executable, "-m", "fourlayer", "demo", "--out", str(tmp_path / "out"), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1"})
    first = proc.stdout.readline().decode()
    assert first.startswith("demo lab up"), first
    started = _lab_pids() - before
    assert started, "the lab's processes should be visible while it runs"
    time.sleep(1.0)  # inside the scan
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 143, out
    assert "SIGTERM" in out and "the lab is stopped" in out
    deadline = time.monotonic() + 10
    while started & _lab_pids() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not started & _lab_pids(), f"left running: {started & _lab_pids()}"
