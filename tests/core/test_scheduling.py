"""The scheduling examples in docs/ parse: systemd units (systemd-analyze verify where available, and a structural
check everywhere), the cron line, and every fourlayer command they run is a valid fourlayer command line."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from fourlayer.cli.main import main

DOCS = Path(__file__).resolve().parents[2] / "docs"
SERVICE, TIMER = DOCS / "systemd" / "fourlayer-scan.service", DOCS / "systemd" / "fourlayer-scan.timer"
CRON = DOCS / "cron" / "fourlayer.cron"
INSTALLED = "/usr/local/bin/fourlayer"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def assert_fourlayer_command(argv: list[str]) -> None:
    """argv (without the program) parses as a fourlayer command: known subcommand, options and values."""
    root = click.Context(main, info_name="fourlayer")
    command = main.get_command(root, argv[0])
    assert command is not None, f"unknown command {argv[0]!r}"
    with command.make_context(argv[0], list(argv[1:]), parent=root):
        pass


def fourlayer_commands(shell_text: str) -> list[list[str]]:
    commands, current = [], None
    for word in shlex.split(shell_text.replace(";", " ; "), posix=True):
        if word in (";", "&&", "||") or word.startswith((">", "2>")):
            current = None
        elif current is not None:
            current.append(word)
        elif word.lstrip("-@:+!") in ("fourlayer", INSTALLED):  # systemd allows prefixes such as '-'
            current = []
            commands.append(current)
    return commands


def test_service_and_timer_have_what_a_nightly_scan_needs():
    service, timer = unit(SERVICE), unit(TIMER)
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["User"] == "fourlayer" and service["Service"]["KillSignal"] == "SIGTERM"
    assert "FOURLAYER_DB=" in service["Service"]["Environment"]
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == SERVICE.name and timer["Install"]["WantedBy"] == "timers.target"
    scans = fourlayer_commands(service["Service"]["ExecStart"])
    prunes = fourlayer_commands(service["Service"]["ExecStartPre"])
    assert [c[0] for c in scans + prunes] == ["scan", "prune"]
    for argv in scans + prunes:
        assert_fourlayer_command(argv)
    assert "--keep-days" in prunes[0] and "--sign-key" in scans[0] and "--fail-on" in scans[0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify(tmp_path):
    fourlayer = Path(sys.executable).with_name("fourlayer")
    if not fourlayer.exists():
        pytest.skip("the fourlayer entry point is not installed beside this python")
    for path in (SERVICE, TIMER):  # ExecStart must name an existing executable for `verify`
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED, str(fourlayer)))
    proc = subprocess.run(["systemd-analyze", "verify", SERVICE.name, TIMER.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "fourlayer-scan" not in proc.stderr, proc.stderr  # no warning about our units
    calendar = unit(TIMER)["Timer"]["OnCalendar"]
    proc = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "02:30:00" in proc.stdout, proc.stderr


def _cron_field(value: str, lo: int, hi: int) -> bool:
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        lo_s, _, hi_s = base.partition("-")
        if not lo_s.isdigit() or (hi_s and not hi_s.isdigit()):
            return False
        if not lo <= int(lo_s) <= (int(hi_s) if hi_s else int(lo_s)) <= hi:
            return False
    return True


def test_cron_file_is_a_valid_cron_d_entry():
    jobs, env = [], {}
    for line in CRON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "=" in line.split()[0]:
            name, _, value = line.partition("=")
            env[name] = value
            continue
        jobs.append(line)
    assert env["FOURLAYER_DB"] and "/usr/local/bin" in env["PATH"]
    assert len(jobs) == 1
    fields = jobs[0].split(None, 6)
    ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
    assert all(_cron_field(f, lo, hi) for f, (lo, hi) in zip(fields[:5], ranges)), fields[:5]
    assert fields[5] == "fourlayer" and "%" not in fields[6]  # cron.d user field; % would end the command
    commands = fourlayer_commands(fields[6])
    assert [c[0] for c in commands] == ["prune", "scan"]
    for argv in commands:
        assert_fourlayer_command(argv)


def test_a_broken_command_line_would_be_caught():
    with pytest.raises(click.UsageError):
        assert_fourlayer_command(["scan", "inv.yaml", "--fail-on", "severe"])
    with pytest.raises(click.UsageError):
        assert_fourlayer_command(["prune", "--keep-dayz", "3"])
