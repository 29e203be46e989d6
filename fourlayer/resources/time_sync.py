"""Time synchronisation as configured: the servers chrony, ntpd and systemd-timesyncd are told to use, read once
per target from the `time_sync` files (`time_sync(t).servers`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fourlayer.core.target import Target
from fourlayer.resources.host_files import ConfigFile, config_files

_NTP_LINE = re.compile(r"^\s*(server|pool|peer)\s+(\S+)", re.M)
_TIMESYNCD_LINE = re.compile(r"^\s*(NTP|FallbackNTP)\s*=\s*(.*)$", re.M)


@dataclass(frozen=True)
class TimeSync:
    files: tuple[ConfigFile, ...]
    servers: tuple[str, ...]  # "host (kind, file)"


def time_servers(files: list[ConfigFile]) -> list[str]:
    """`server/pool/peer <host>` of chrony and ntpd, `NTP=`/`FallbackNTP=` of systemd-timesyncd."""
    found = []
    for f in files:
        if f.path.endswith("timesyncd.conf"):
            found += [f"{host} ({key}, {f.path})" for key, value in _TIMESYNCD_LINE.findall(f.text)
                      for host in value.split()]
        else:
            found += [f"{host} ({kind}, {f.path})" for kind, host in _NTP_LINE.findall(f.text)]
    return found


def time_sync(t: Target) -> TimeSync:
    cached = t.resources.get("time_sync")
    if cached is None:
        files = config_files(t, "time_sync")
        cached = t.resources["time_sync"] = TimeSync(tuple(files), tuple(time_servers(files)))
    return cached
