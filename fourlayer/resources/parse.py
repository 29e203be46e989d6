"""Parsing host configuration read over SSH: PAM stacks, `stat` lines, enabled units, update-notifier text.

Pure functions of collector output. Framed multi-file output is split by `checks.host_files.config_files`;
`KEY VALUE` / `key = value` files are read by `fourlayer.rules.engine.parse_keyvalue`.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass

from fourlayer.resources.host_files import ConfigFile


def below_root(path: str, sysroot: str) -> str:
    """`path` as the host sees it: the sysroot prefix removed."""
    root = (sysroot or "/").rstrip("/")
    return path[len(root):] if root and path.startswith(root + "/") else path


# ---- PAM ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PamRule:
    path: str  # the PAM file, e.g. /etc/pam.d/common-password
    type: str  # auth, account, password or session (an optional leading '-' dropped)
    control: str  # required, requisite, [success=1 default=ignore], ...
    module: str  # file name, e.g. pam_pwquality.so
    args: dict[str, str]  # key=value arguments; a bare flag maps to ""

    def __str__(self) -> str:
        args = " ".join(f"{k}={v}" if v else k for k, v in self.args.items())
        return f"{self.path}: {self.type} {self.control} {self.module}{' ' + args if args else ''}"


_PAM_LINE = re.compile(r"^-?(\w+)\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*)$")
_PAM_ARG = re.compile(r"\[[^\]]{0,500}\]|\S+")  # bounded: a hostile line of `[[[[…` stays linear


def pam_rules(files: list[ConfigFile]) -> list[PamRule]:
    """The rules of PAM service files in order (comments, blank lines and `@include` skipped)."""
    rules = []
    for f in files:
        for raw in f.text.replace("\\\n", " ").splitlines():
            line = raw.strip()
            m = _PAM_LINE.match(line) if line and not line.startswith(("#", "@")) else None
            if not m:
                continue
            args = {}
            for word in _PAM_ARG.findall(m.group(4)):
                key, _, value = word.partition("=")
                args[key] = value
            rules.append(PamRule(f.path, m.group(1).lower(), m.group(2), posixpath.basename(m.group(3)), args))
    return rules


def as_int(value: str | None) -> int | None:
    """A whole number (sign allowed, at most 18 digits) or None."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[+-]?\d{1,18}", value) else None


# ---- stat lines, enabled units, processes ----------------------------------------------------------------------

@dataclass(frozen=True)
class FileMode:
    mode: int  # permission bits, e.g. 0o640
    owner: str
    group: str
    path: str

    def __str__(self) -> str:
        return f"{self.mode:o} {self.owner}:{self.group} {self.path}"


def file_modes(out: str, sysroot: str = "/") -> list[FileMode]:
    """`stat -c '%a %U %G %n'` lines -> FileMode (paths below the sysroot); malformed lines skipped."""
    modes = []
    for line in out.splitlines():
        parts = line.strip().split(None, 3)
        if len(parts) == 4 and re.fullmatch(r"[0-7]{1,4}", parts[0]):
            modes.append(FileMode(int(parts[0], 8), parts[1], parts[2], below_root(parts[3], sysroot)))
    return modes


def mtimes(out: str, sysroot: str = "/") -> dict[str, int]:
    """`stat -c '%Y %n'` lines -> {path below the sysroot: modification time (epoch s)}."""
    found = {}
    for line in out.splitlines():
        stamp, _, path = line.strip().partition(" ")
        if re.fullmatch(r"\d{1,11}", stamp) and path:  # up to year 5138: a date can be made of it
            found[below_root(path, sysroot)] = int(stamp)
    return found


_WANTS = re.compile(r"/etc/systemd/system/[^/]+\.wants/([^/]+)$")
_RC_LINK = re.compile(r"/etc/rc\d\.d/S\d\d([^/]+)$")


def enabled_units(out: str) -> dict[str, str]:
    """{unit: where it is enabled} from systemd `*.wants/` links and SysV start links (a script `S01x` = x.service)."""
    units: dict[str, str] = {}
    for line in out.splitlines():
        path = line.strip()
        wants, rc = _WANTS.search(path), _RC_LINK.search(path)
        if wants:
            units.setdefault(wants.group(1), path.rsplit("/", 2)[-2])
        elif rc:
            units.setdefault(rc.group(1) + ".service", path.rsplit("/", 2)[-2])
    return units


# ---- update-notifier (Ubuntu/Debian) -----------------------------------------------------------------------------

@dataclass(frozen=True)
class UpdateNotice:
    total: int  # upgradable packages
    security: int  # of which from the security pocket
    esm: int  # further security updates that need Ubuntu Pro (ESM)
    stale: bool  # the text itself says the package lists are old


# Wordings of /usr/lib/update-notifier/apt-check --human-readable across Ubuntu 16.04 - 24.04.
_TOTAL = re.compile(r"^\s*(\d{1,9}) (?:updates?|packages?) can be (?:applied|installed|updated)", re.M | re.I)
_SECURITY = re.compile(r"^\s*(\d{1,9}) (?:of these )?updates? (?:is|are) (?:a )?(?:standard )?security updates?",
                       re.M | re.I)
_ESM = re.compile(r"^\s*(\d{1,9}) additional security updates? can be applied with ESM", re.M | re.I)
_STALE = re.compile(r"list of available updates is more than a week old", re.I)


def update_notice(text: str) -> UpdateNotice | None:
    """The counts in update-notifier's `updates-available` text, or None if it says neither."""
    total, security = _TOTAL.search(text), _SECURITY.search(text)
    if total is None and security is None:
        return None
    esm = sum(int(m.group(1)) for m in _ESM.finditer(text))
    return UpdateNotice(int(total.group(1)) if total else int(security.group(1)),
                        int(security.group(1)) if security else 0, esm, bool(_STALE.search(text)))


def age_days(mtime: int, today: dt.date) -> int:
    """Whole days from a file's modification time (UTC) to `today` (0 if it lies in the future)."""
    return max(0, (today - dt.datetime.fromtimestamp(mtime, dt.timezone.utc).date()).days)


def excerpt(text: str, limit: int = 12) -> str:
    """The non-blank, non-comment lines of a config text, at most `limit`."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return "\n".join(lines[:limit] + ([f"… (+{len(lines) - limit} lines)"] if len(lines) > limit else []))
