"""What an OpenSSH server uses for a keyword its configuration does not set: the compiled-in defaults of each
release range, as sshd_config(5) of that release documents them.

Used when `sshd -T` cannot run (an unprivileged audit account: "no hostkeys available"; a configuration sshd
refuses) and the settings are read from the files instead: an absent keyword takes the default of the OpenSSH
version the server announces in its banner ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"). Values are written as
`sshd -T` prints them (lower-case keywords, times in seconds, `without-password` for prohibit-password), so
a check reads the same text whichever source decided. Distribution packages ship a sshd_config that sets some
keywords explicitly (Debian: UsePAM yes, KbdInteractiveAuthentication no, X11Forwarding yes); those are
settings in the file, not defaults, and the file parser sees them.

tests/resources/test_sshd_files.py compares the table for the installed sshd with the real `sshd -T` of an empty file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Defaults that hold for every release from OpenSSH 5.1 (MaxSessions) to today, from sshd_config(5).
_BASE: dict[str, str] = {
    "permitrootlogin": "yes",
    "passwordauthentication": "yes",
    "permitemptypasswords": "no",
    "kbdinteractiveauthentication": "yes",  # before 8.7: enabled by ChallengeResponseAuthentication's default yes
    "pubkeyauthentication": "yes",
    "hostbasedauthentication": "no",
    "ignorerhosts": "yes",
    "maxauthtries": "6",
    "maxsessions": "10",
    "maxstartups": "10",
    "logingracetime": "120",
    "clientaliveinterval": "0",
    "clientalivecountmax": "3",
    "x11forwarding": "no",
    "x11uselocalhost": "yes",
    "allowtcpforwarding": "yes",
    "permituserenvironment": "no",
    "banner": "none",
    "usepam": "no",
    "loglevel": "INFO",
    "strictmodes": "yes",
    "gssapiauthentication": "no",
    "kerberosauthentication": "no",
}


@dataclass(frozen=True)
class DefaultsRange:
    """Releases [first, until) and what changed from the previous range, with the documented source."""

    first: tuple[int, int]
    until: tuple[int, int] | None
    changes: dict[str, str]
    source: str


# Ordered oldest first; each range inherits the changes of the ranges before it.
RANGES: tuple[DefaultsRange, ...] = (
    DefaultsRange((5, 1), (6, 2), {}, "sshd_config(5) of OpenSSH 5.1 (MaxSessions added, default 10)"),
    DefaultsRange((6, 2), (7, 0), {"maxstartups": "10:30:100"},
                  "OpenSSH 6.2 release notes: MaxStartups default 10:30:100; sshd_config(5)"),
    DefaultsRange((7, 0), (8, 7), {"permitrootlogin": "without-password"},
                  "OpenSSH 7.0 release notes: PermitRootLogin default prohibit-password (sshd -T prints "
                  "without-password); sshd_config(5)"),
    # the effective keyboard-interactive value is "yes" on both sides of 8.7; before it, it comes from
    # ChallengeResponseAuthentication (default yes) OR KbdInteractiveAuthentication (default no), which
    # fourlayer.resources.sshd combines when the files are judged
    DefaultsRange((8, 7), None, {},
                  "OpenSSH 8.7 release notes: KbdInteractiveAuthentication default yes, ChallengeResponseAuthentication "
                  "its alias; sshd_config(5) up to 9.x"),
)
OLDEST = RANGES[0].first

_VERSION = re.compile(r"OpenSSH_(\d+)\.(\d+)")


def openssh_version(banner: str | None) -> tuple[int, int] | None:
    """(major, minor) from an identification banner or `ssh -V` text; None for other servers or no text."""
    m = _VERSION.search(banner or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass(frozen=True)
class Defaults:
    version: tuple[int, int]
    values: dict[str, str]
    source: str

    @property
    def label(self) -> str:
        return f"OpenSSH {self.version[0]}.{self.version[1]}"


def defaults_for(version: tuple[int, int] | None) -> Defaults | None:
    """The defaults of that release, or None when the version is unknown or older than the table."""
    if version is None or version < OLDEST:
        return None
    values, source = dict(_BASE), RANGES[0].source
    for r in RANGES:
        if version >= r.first:
            values.update(r.changes)
            source = r.source
    return Defaults(version, values, source)
