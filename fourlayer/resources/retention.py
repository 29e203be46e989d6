"""How long a host keeps its logs: journald `MaxRetentionSec=` and logrotate `rotate N` x period (or `maxage`)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from fourlayer.resources.host_files import ConfigFile

# Files the system logger writes on Debian/Ubuntu and on RHEL-family hosts.
SYSLOG_FILES = ("/var/log/syslog", "/var/log/messages")
PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
LOGROTATE_DEFAULT_PERIOD = "weekly"  # logrotate's built-in default when no period is given
LOGROTATE_DEFAULT_ROTATE = 0  # logrotate's built-in default: old logs are removed

# systemd time span units (systemd.time(7)), in seconds
_UNITS = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1, "sec": 1, "second": 1, "seconds": 1,
          "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800,
          "M": 2629800, "month": 2629800, "months": 2629800, "y": 31557600, "year": 31557600, "years": 31557600}
_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")


def timespan_seconds(text: str) -> float | None:
    """`3month`, `30d 12h`, `2592000` (seconds) -> seconds; None if it is not a systemd time span."""
    text = text.strip()
    if not text:
        return None
    total, pos = 0.0, 0
    for m in _SPAN_PART.finditer(text):
        if text[pos:m.start()].strip():
            return None
        unit = m.group(2) or "s"
        if unit not in _UNITS:
            return None
        total += float(m.group(1)) * _UNITS[unit]
        pos = m.end()
    return total if not text[pos:].strip() and pos else None


@dataclass(frozen=True)
class JournaldRetention:
    seconds: float | None  # MaxRetentionSec (None or 0 = no time limit set)
    storage: str  # Storage= (auto when unset)
    where: str


def _journal_settings(files: list[ConfigFile]):
    """(file, key, value) of each [Journal] setting of journald.conf and its drop-ins, in reading order."""
    for f in files:
        section = ""
        for line in f.text.splitlines():
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
            elif section == "[Journal]" and "=" in line:
                key, _, value = line.partition("=")
                yield f.path, key.strip(), value.strip()


def journald(files: list[ConfigFile]) -> JournaldRetention:
    """The effective [Journal] MaxRetentionSec= and Storage= (later files win, as drop-ins do)."""
    seconds, storage, where = None, "auto", ""
    for path, key, value in _journal_settings(files):
        if key == "MaxRetentionSec":
            seconds, where = timespan_seconds(value), path
        elif key == "Storage":
            storage = value.lower() or "auto"
    return JournaldRetention(seconds or None, storage, where)


def journald_settings(files: list[ConfigFile]) -> dict[str, str]:
    """Every [Journal] setting (later files win), e.g. {"Storage": "auto", "ForwardToSyslog": "yes"}."""
    return {key: value for _, key, value in _journal_settings(files)}


@dataclass(frozen=True)
class RotatedLog:
    path: str  # the log file
    days: float  # how long rotated copies are kept
    detail: str  # e.g. "weekly, rotate 4 (/etc/logrotate.d/rsyslog)"


def _directives(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    skip = 0
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, arg = line.partition(" ")
        if word in ("postrotate", "prerotate", "firstaction", "lastaction", "preremove"):
            skip = 1
            continue
        if word == "endscript":
            skip = 0
            continue
        if skip:
            continue
        if word in PERIOD_DAYS:
            out["period"] = word
        elif word in ("rotate", "maxage") and arg.strip().lstrip("-").isdigit():
            out[word] = arg.strip()
    return out


_STANZA = re.compile(r"([^{}]*?)\{([^{}]*)\}", re.S)


def _is_path(line: str) -> bool:
    return line.startswith(("/", '"/', "'/"))


def logrotate(files: list[ConfigFile], wanted: tuple[str, ...] = SYSLOG_FILES) -> list[RotatedLog]:
    """Retention of each wanted log file that a logrotate stanza covers. Directives outside braces change the
    defaults for the stanzas after them (logrotate.conf first, then /etc/logrotate.d/*, as `include` reads them)."""
    defaults: dict[str, str] = {}
    stanzas: list[tuple[list[str], dict[str, str], str]] = []
    for f in files:
        text = "\n".join(line for line in f.text.splitlines() if not line.lstrip().startswith("#"))
        pos = 0
        for m in _STANZA.finditer(text):
            head = [line.strip() for line in m.group(1).splitlines() if line.strip()]
            defaults.update(_directives("\n".join(line for line in head if not _is_path(line))))
            paths = [p.strip("\"'") for line in head if _is_path(line) for p in line.split()]
            stanzas.append((paths, {**defaults, **_directives(m.group(2))}, f.path))
            pos = m.end()
        defaults.update(_directives(text[pos:]))
    found: list[RotatedLog] = []
    for log in wanted:
        for paths, eff, where in stanzas:
            if any(fnmatch.fnmatchcase(log, p) for p in paths):
                period = eff.get("period", LOGROTATE_DEFAULT_PERIOD)
                rotate = max(int(eff.get("rotate", LOGROTATE_DEFAULT_ROTATE)), 0)
                days = rotate * PERIOD_DAYS[period]
                detail = f"{period}, rotate {rotate}"
                if "maxage" in eff and int(eff["maxage"]) >= 0:
                    days = min(days, int(eff["maxage"]))
                    detail += f", maxage {eff['maxage']}"
                found.append(RotatedLog(log, days, f"{detail} ({where})"))
                break
    return found
