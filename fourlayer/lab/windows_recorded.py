"""Lab "Windows" hosts on the RECORDED-OUTPUT path: a real sshd on loopback, recorded Windows output behind it.

This machine has no Windows. What is real: the SSH transport (OpenSSH server on 127.x, host key checked, key
login, one exec channel per command, exactly as fourlayer talks to a Windows OpenSSH server). What is recorded:
the output of each allowlisted PowerShell command, written in the formats Windows PowerShell 5.1 and the Windows
tools print (see fourlayer/data/windows_recorded/*.json, one file per recorded host). The sshd forces
`windows_gate.py`, which answers only the exact allowlisted command lines and logs every line it receives.
Nothing here was verified against a real Windows host.

Profiles: `ws2022-hardened`, `ws2022-weak` (Windows Server 2022), `win11-workstation` (Windows 11). A profile
entry is {"stdout" | "lines", "rc", "stderr", "encoding"}; `lines` are joined with CRLF as Windows prints them;
`encoding` is utf-8 (default), utf-8-sig or utf-16 (with a BOM, as PowerShell writes it when told to). Dates are
written relative to the lab's start, so that the recorded host looks the same in any year: `@MSDATE(-3)@` is
PowerShell 5.1's `\\/Date(ms)\\/` three days ago, `@DATETIME(-3)@` its long display form, `@ISODATE(-3)@` ISO 8601.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from fourlayer.collectors.windows_allowlist import WINDOWS_COMMANDS
from fourlayer.config.inventory import Host
from fourlayer.lab.sshd import SshdInstance, ensure_audit_user, make_lab_dir
from fourlayer.data import DATA_DIR

PROFILE_DIR = DATA_DIR / "windows_recorded"
PROFILES = ("ws2022-hardened", "ws2022-weak", "win11-workstation")
GATE = Path(__file__).resolve().parent / "windows_gate.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
_PLACEHOLDER = re.compile(r"@(MSDATE|DATETIME|ISODATE)\((-?\d{1,5})\)@")


def load_profile(name: str) -> dict[str, dict[str, Any]]:
    """The recorded outputs of one profile, name -> entry."""
    if name not in PROFILES:
        raise ValueError(f"unknown recorded Windows profile {name!r}; expected one of {', '.join(PROFILES)}")
    return json.loads((PROFILE_DIR / f"{name}.json").read_text(encoding="utf-8"))["commands"]


def render_dates(text: str, now: dt.datetime) -> str:
    def one(m: re.Match) -> str:
        when = (now + dt.timedelta(days=int(m.group(2)))).replace(microsecond=0)
        if m.group(1) == "MSDATE":
            return f"\\/Date({int(when.timestamp()) * 1000})\\/"
        if m.group(1) == "DATETIME":
            return when.strftime("%A, %B %d, %Y %I:%M:%S %p").replace(" 0", " ")
        return when.isoformat()
    return _PLACEHOLDER.sub(one, text)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8")


def build_table(entries: dict[str, dict[str, Any]], now: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    """{exact command line: {"stdout", "stderr" (base64), "rc"}} for every allowlisted command of a profile."""
    now = now or dt.datetime.now(dt.timezone.utc)
    missing = [n for n in WINDOWS_COMMANDS if n not in entries]
    unknown = [n for n in entries if n not in WINDOWS_COMMANDS]
    if missing or unknown:
        raise ValueError(f"recorded profile: missing {missing}, not allowlisted {unknown}")
    table = {}
    for name, entry in entries.items():
        text = "".join(line + "\r\n" for line in entry["lines"]) if "lines" in entry else entry.get("stdout", "")
        encoding = entry.get("encoding", "utf-8")
        table[WINDOWS_COMMANDS[name]] = {
            "stdout": base64.b64encode(_encode(render_dates(text, now), encoding)).decode(),
            "stderr": base64.b64encode(entry.get("stderr", "").encode("utf-8")).decode(),
            "rc": int(entry.get("rc", 0)), "sleep": float(entry.get("sleep", 0))}
    return table


class RecordedWindowsHost:
    """A loopback sshd whose every session runs the recorded-output gate of one profile (plus overrides)."""

    def __init__(self, address: str, profile: str, overrides: dict[str, dict[str, Any]] | None = None,
                 port: int = 0):
        self.address, self.profile, self.port = address, profile, port
        self.entries = {**load_profile(profile), **(overrides or {})}
        self.dir: Path | None = None
        self.sshd: SshdInstance | None = None

    @property
    def log_path(self) -> Path:
        assert self.dir is not None, "not started"
        return self.dir / "log" / "commands.jsonl"

    def start(self) -> "RecordedWindowsHost":
        self.dir = make_lab_dir(f"windows-{self.profile}-")
        try:
            account = ensure_audit_user()
            (self.dir / "table.json").write_text(json.dumps(build_table(self.entries)), encoding="utf-8")
            shutil.copy(GATE, self.dir / "windows_gate.py")
            for name in ("table.json", "windows_gate.py"):
                os.chmod(self.dir / name, 0o644)
            log_dir = self.dir / "log"
            log_dir.mkdir(mode=0o700)
            os.chown(log_dir, account.pw_uid, account.pw_gid)
            force = f"{PYTHON} {self.dir / 'windows_gate.py'} {self.dir / 'table.json'} {self.log_path}"
            self.sshd = SshdInstance(self.address, self.port, profile="hardened",
                                     directives={"ForceCommand": force}).start()
            self.port = self.sshd.port
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.sshd is not None:
            self.sshd.stop()
            self.sshd = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "RecordedWindowsHost":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def host(self, host_id: str, known_hosts: str | os.PathLike) -> Host:
        """The inventory host for it: `roles: [windows]`, logged in with the lab key."""
        assert self.sshd is not None, "not started"
        return Host(address=self.address, id=host_id, roles=("windows",),
                    ssh=self.sshd.ssh_settings(known_hosts, sshd_config=None))

    def received(self) -> list[dict[str, Any]]:
        """Every command line a client sent, in order, and whether the gate had it recorded."""
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line]
