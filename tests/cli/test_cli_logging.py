"""A crashing plugin check, run through the real CLI in its own process: one log line naming the check and no
traceback without --debug, the traceback with it; on a terminal the line is printed above the progress bar,
never glued onto it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.cli_fixtures import run_on_terminal
from tests.scan_harness import agency, write_inventory

PLUGIN = '''
from fourlayer.core.registry import check


@check(id="L1-XPL-901", layer=1, severity="low", min_level=1, scope="agency",
       title={"en": "A plugin check with a bug", "vi": "Kiểm tra có lỗi"},
       rationale={"en": "Raises.", "vi": "Gây lỗi."}, remediation={"en": "None.", "vi": "Không."},
       references=("test",))
def crashes(t):
    raise RuntimeError("plugin bug")
'''


def scan_command(tmp_path: Path, *extra: str) -> list[str]:
    (tmp_path / "crashing_plugin.py").write_text(PLUGIN, encoding="utf-8")
    inv = write_inventory(tmp_path, [agency()])
    driver = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import crashing_plugin; "
              "from fourlayer.cli.main import main; main(prog_name='fourlayer')")
    return [sys.executable, "-c", driver, *extra, "scan", str(inv), "--no-history", "--out", str(tmp_path / "o"),
            "--format", "json", "--check", "L1-XPL-901"]


def test_crashing_check_logs_one_line_without_debug(tmp_path):
    proc = subprocess.run(scan_command(tmp_path), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "L1-XPL-901" in line]
    assert len(lines) == 1 and "crashed on a1" in lines[0] and "RuntimeError: plugin bug" in lines[0], proc.stderr


def test_crashing_check_shows_its_traceback_with_debug(tmp_path):
    proc = subprocess.run(scan_command(tmp_path, "--debug"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" in proc.stderr and 'raise RuntimeError("plugin bug")' in proc.stderr


def test_log_line_is_not_glued_onto_the_progress_bar(tmp_path):
    code, screen = run_on_terminal(scan_command(tmp_path), {**os.environ, "COLUMNS": "160"})
    assert code == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    [line] = [line for line in re.split(r"[\r\n]+", screen) if "L1-XPL-901" in line]
    assert line.lstrip().startswith("ERROR") and "ETA" not in line and "Traceback" not in screen, repr(line)
