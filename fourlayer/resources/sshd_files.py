"""sshd_config and its Include'd files read the way OpenSSH's sshd reads them, for when `sshd -T` cannot run.

OpenSSH semantics (sshd_config(5), servconf.c), kept here because a check must judge the value the daemon
really uses:
- keywords are case-insensitive; `Keyword value`, `Keyword=value` and double-quoted arguments are accepted;
- the FIRST value of a keyword wins; later lines are ignored (recorded, so that a reason can say so), except
  for the keywords that accumulate (HostKey, ListenAddress, Port, AcceptEnv, Allow/Deny Users/Groups, ...);
- `Include` expands its globs (sorted, relative paths below /etc/ssh) in place; an included file's `Match`
  block ends with that file;
- a `Match` block lasts until the next `Match` or the end of the file; its settings apply only to the
  connections it matches, so they are recorded and reported, never taken as the global value (as `sshd -T`
  without `-C` does).

The files come from the `sshd_config_files` command (fourlayer.collectors.allowlist), which prints the main
file, /etc/ssh/sshd_config.d/*, and the targets of the Include lines of those files. An Include found deeper
whose files were not printed is a gap: what was set before it is certain, what is not set by then is not.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass, field

ACCUMULATE = frozenset({"hostkey", "hostcertificate", "listenaddress", "port", "acceptenv", "allowusers",
                        "allowgroups", "denyusers", "denygroups", "subsystem", "logverbose", "setenv"})
ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication",
           "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
           "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms"}
TIMES = frozenset({"logingracetime", "clientaliveinterval", "unusedconnectiontimeout"})
UPPER = frozenset({"loglevel", "syslogfacility"})
# keywords whose values are names the daemon compares case-insensitively (yes/no and the like)
FLAGS = frozenset({
    "permitrootlogin", "passwordauthentication", "permitemptypasswords", "kbdinteractiveauthentication",
    "pubkeyauthentication", "hostbasedauthentication", "ignorerhosts", "x11forwarding", "x11uselocalhost",
    "allowtcpforwarding", "permituserenvironment", "usepam", "strictmodes", "gssapiauthentication",
    "kerberosauthentication", "allowagentforwarding", "allowstreamlocalforwarding", "gatewayports",
    "permittunnel", "permittty", "compression", "tcpkeepalive", "usedns", "printmotd", "printlastlog",
    "gssapicleanupcredentials", "kerberosorlocalpasswd", "kerberosticketcleanup", "disableforwarding"})
SSH_DIR = "/etc/ssh"
MAX_DEPTH = 16  # OpenSSH's own limit on nested Include (deeper: sshd refuses the configuration)
MAX_READS = 256  # files read in all: a target's files that include each other must not blow up a scan
_TIME = re.compile(r"(\d+)([sSmMhHdDwW]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Line:
    """One setting as written: its value (normalised as `sshd -T` prints it) and where it is."""

    value: str
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class MatchBlock:
    criteria: str  # "User backup", "Address 10.0.0.0/8"
    path: str
    line: int
    settings: dict[str, Line] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ParsedConfig:
    """The global settings the files give, where each came from, and what the daemon ignores or scopes."""

    main: str
    settings: dict[str, Line] = field(default_factory=dict)
    ignored: dict[str, list[Line]] = field(default_factory=dict)  # later global lines with another value
    matches: list[MatchBlock] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # in the order the daemon reads them
    gaps: list[str] = field(default_factory=list)  # "path:line Include pattern" not followed by the collector
    spelled: dict[str, Line] = field(default_factory=dict)  # first global line of each alias under its own name
    certain: frozenset[str] | None = None  # with a gap: the keywords set before it (None: no gap)

    def values(self) -> dict[str, str]:
        return {k: v.value for k, v in self.settings.items()}

    def decided(self, keyword: str) -> bool:
        """Whether the files decide this keyword: set before any gap, or absent with no gap at all."""
        if self.certain is None:
            return True
        return keyword in self.certain


def convtime(text: str) -> str | None:
    """sshd's time format ("90", "2m", "1h30m") in seconds, as `sshd -T` prints it; None if not a time."""
    if not re.fullmatch(r"(\d+[sSmMhHdDwW]?)+", text or ""):
        return None
    return str(sum(int(n) * _UNIT[u.lower()] for n, u in _TIME.findall(text)))


def split_line(raw: str) -> tuple[str, list[str]] | None:
    """(lower-case keyword, arguments) of one line, or None for blank lines and comments."""
    line = raw.strip()
    if not line or line.startswith("#"):
        return None
    m = re.match(r"([^\s=]+)\s*(?:=\s*|\s+|$)(.*)$", line)
    if not m:
        return None
    args: list[str] = []
    for token in re.finditer(r'"([^"]*)"|(\S+)', m.group(2)):
        if token.group(2) is not None and token.group(2).startswith("#"):
            break  # a trailing comment
        args.append(token.group(1) if token.group(1) is not None else token.group(2))
    return m.group(1).lower(), args


def normalise(keyword: str, args: list[str]) -> str:
    value = " ".join(args)
    if keyword in TIMES:
        return convtime(value) or value
    if keyword in UPPER:
        return value.upper()
    if keyword in FLAGS:
        return value.lower()
    return value


class _Reader:
    def __init__(self, texts: dict[str, str], followed: set[str], main: str, ssh_dir: str,
                 unreadable: set[str]):
        self.texts, self.followed, self.ssh_dir, self.unreadable = texts, followed, ssh_dir, unreadable
        self.out = ParsedConfig(main)
        self.order: list[str] = []  # global keywords in the order first set

    def read(self, path: str, depth: int, block: MatchBlock | None) -> None:
        self.out.files.append(path)
        for number, raw in enumerate(self.texts[path].splitlines(), 1):
            parsed = split_line(raw)
            if parsed is None:
                continue
            keyword, args = parsed
            if block is None and (keyword in ALIASES or keyword in ALIASES.values()):
                self.out.spelled.setdefault(keyword, Line(normalise(ALIASES.get(keyword, keyword), args), path,
                                                          number))  # releases before the alias read both apart
            keyword = ALIASES.get(keyword, keyword)
            if keyword == "match":
                block = MatchBlock(" ".join(args), path, number)
                self.out.matches.append(block)
            elif keyword == "include":
                self.include(path, number, args, depth, block)
            else:
                self.put(keyword, Line(normalise(keyword, args), path, number), block)

    def include(self, path: str, number: int, patterns: list[str], depth: int, block: MatchBlock | None) -> None:
        for pattern in patterns:
            full = pattern if pattern.startswith("/") else posixpath.join(self.ssh_dir, pattern)
            found = sorted(p for p in {*self.texts, *self.unreadable} if fnmatch.fnmatchcase(p, full))
            if not found and path not in self.followed:
                self.gap(f"{path}:{number} Include {pattern}")
            for target in found:
                if target in self.unreadable:
                    self.gap(f"{path}:{number} Include {target} (not readable by the audit account)")
                elif depth >= MAX_DEPTH or len(self.out.files) >= MAX_READS:
                    self.gap(f"{path}:{number} Include {pattern} (includes nested deeper than sshd allows)")
                    return
                else:
                    self.read(target, depth + 1, block)  # a Match opened inside ends with the included file

    def gap(self, what: str) -> None:
        """Files that would be read here are unknown: what is set by now is certain, the rest is not."""
        self.out.gaps.append(what)
        if self.out.certain is None:
            self.out.certain = frozenset(self.out.settings)

    def put(self, keyword: str, line: Line, block: MatchBlock | None) -> None:
        into = block.settings if block is not None else self.out.settings
        first = into.get(keyword)
        if first is None:
            into[keyword] = line
        elif keyword in ACCUMULATE:
            into[keyword] = Line(f"{first.value} {line.value}", first.path, first.line)
        elif block is None and line.value != first.value:
            self.out.ignored.setdefault(keyword, []).append(line)


def parse_files(texts: dict[str, str], main: str, followed: set[str] | None = None,
                ssh_dir: str = SSH_DIR, unreadable: set[str] | None = None) -> ParsedConfig:
    """Parse `main` and what it includes; `texts` maps each file the collector printed to its text.

    `followed` names the files whose Include lines the collector followed (their targets are in `texts` when
    they exist); an unmatched Include elsewhere is a gap, and so is an included file in `unreadable` (it exists
    but the account could not read it). Raises KeyError if `main` is not in `texts`."""
    reader = _Reader(texts, set(followed or ()) | {main}, main, ssh_dir, set(unreadable or ()))
    if main not in texts:
        raise KeyError(main)
    reader.read(main, 0, None)
    return reader.out
