"""Kernel parameters as the host has them now (/proc/sys) and as they come back after a reboot (sysctl.d).

The persisted value follows systemd-sysctl (sysctl.d(5)): of the files with one name in /etc/sysctl.d,
/run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d only the first (in that order) is read;
the files are applied in the lexical order of their names and a later assignment wins. /etc/sysctl.conf is applied
last, as `sysctl --system` does (Debian links it as /etc/sysctl.d/99-sysctl.conf anyway).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass

from fourlayer.collectors.allowlist import SYSCTL_DIRS
from fourlayer.resources.host_files import ConfigFile

SYSCTL_CONF = "/etc/sysctl.conf"


def live_values(out: str) -> dict[str, str]:
    """{sysctl key: value} from the sysctl_live command: grep's `<root>/proc/sys/<a>/<b>:<value>` lines (the first
    line of each file), or the `<path>=<value>` of the `cat` per file it replaced (recorded evidence). A path has
    neither `:` nor `=` (allowlist.safe_path, fixed key names), so the first of them ends it."""
    found: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"([^:=]*)([:=])", line)
        if not m or "/proc/sys/" not in m.group(1):
            continue
        key = m.group(1).rsplit("/proc/sys/", 1)[1].replace("/", ".")
        value = " ".join(line[m.end():].split())
        if m.group(2) == "=":
            found[key] = value
        else:
            found.setdefault(key, value)
    return found


def normal_key(key: str) -> str:
    """sysctl.d(5): a key whose first separator is `/` uses `/` and `.` the other way round."""
    key = key.strip()
    first = min((i for i in (key.find("."), key.find("/")) if i >= 0), default=-1)
    if first >= 0 and key[first] == "/":
        key = key.translate(str.maketrans("./", "/."))
    return key


@dataclass(frozen=True)
class Setting:
    value: str
    source: str  # <path>:<line>


def _order(files: list[ConfigFile]) -> list[ConfigFile]:
    """The files in the order systemd-sysctl applies them, hidden ones dropped."""
    rank = {d: i for i, d in enumerate(SYSCTL_DIRS)}
    chosen: dict[str, tuple[int, ConfigFile]] = {}
    last: list[ConfigFile] = []
    for f in files:
        if f.path == SYSCTL_CONF:
            last.append(f)
            continue
        directory, name = posixpath.split(f.path)
        if directory not in rank:
            continue
        if name not in chosen or rank[directory] < chosen[name][0]:
            chosen[name] = (rank[directory], f)
    return [chosen[name][1] for name in sorted(chosen)] + last


def persisted(files: list[ConfigFile], keys: list[str]) -> dict[str, Setting]:
    """{key: the value the boot applies, and where} for `keys` that some file sets (globs such as
    net.ipv4.conf.*.rp_filter included; a glob never overrides a key set by name)."""
    found: dict[str, Setting] = {}
    explicit: set[str] = set()  # systemd-sysctl: a glob never overrides a key that is set by name
    for f in _order(files):
        for number, raw in enumerate(f.text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;" or "=" not in line:
                continue
            name, _, value = line.partition("=")
            name = normal_key(name.lstrip("-"))
            for key in keys:
                if key == name:
                    explicit.add(key)
                elif "*" not in name or key in explicit or not fnmatch.fnmatchcase(key, name):
                    continue
                found[key] = Setting(" ".join(value.split()), f"{f.path}:{number}")
    return found
