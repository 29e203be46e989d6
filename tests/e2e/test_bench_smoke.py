"""The benchmark harness runs end to end on a tiny lab (3 hosts, one dead) and reports every figure.

Not a timing test: it only checks that the report has its fields and that the lab was torn down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fourlayer.lab.sshd import SSHD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not os.path.exists(SSHD), reason="OpenSSH server not installed")
def test_bench_harness_reports_every_figure(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run_bench.py"), "--hosts", "3", "--dead", "1",
                           "--tarpits", "0", "--timeout", "2", "--formats", "all", "--lang", "en",
                           "--out", str(tmp_path / "out"), "--json", str(report_path)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    lab, scan = report["lab"], report["scan"]
    assert lab["hosts"] == 3 and lab["host_kinds"] == {"hardened": 1, "weak": 1, "dead": 1}
    assert lab["leftover_processes"] == 0 and lab["sshd_processes"] == 2
    assert scan["hosts"] == 3 and scan["complete"] is True
    assert scan["wall_seconds"] > 0 and scan["hosts_per_second"] > 0 and scan["checks_per_second"] > 0
    assert scan["peak_rss_mb"] > 10 and scan["peak_fds"] > 0 and scan["peak_threads"] >= 1
    assert {"plan", "collect_and_check", "scoring", "rendering", "other"} <= set(scan["stage_seconds"])
    assert {"nmap", "ssh_transport", "ssh_shell", "tls", "http"} <= set(scan["collector_busy_seconds"])
    assert scan["host_seconds"]["dead_max"] is not None and scan["host_seconds"]["live_max"] is not None
    assert scan["results_evaluated"] > 0 and sum(scan["statuses"].values()) == scan["results"]
    assert report["machine"]["cpus"] >= 1 and "report:" in proc.stdout
    written = sorted(p.name.split(".", 1)[1] for p in (tmp_path / "out" / "reports").iterdir())
    assert written == ["csv", "en.html", "json", "junit.xml", "sarif"]  # --formats all: every writer
    assert {"before rendering", "after rendering"} <= set(scan["memory_mb_by_stage"])
