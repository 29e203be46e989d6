"""MikroTik RouterOS `/export` text as a list of commands: menu path, verb, target and `key=value` arguments.

Why our own: netutils' RouterOSConfigParser keeps raw lines and does not join the `\\` line continuations
`/export` writes at 80 columns, nor read `key="quoted \\"value\\""` pairs. The export syntax is small: a menu
line (`/ip firewall filter`, or `/ip/firewall/filter` in v7) followed by `add`/`set`/`remove` commands, or a
menu and its command on one line (`/export terse`); a target after `set` (`set telnet`, `set 0`,
`set [ find default-name=ether1 ]`); values bare or double-quoted with backslash escapes (`\\"`, `\\\\`,
`\\n`, `\\_`, `\\3F`); `#` comment lines, the first of which says when and by which RouterOS release the
export was made. Scripting (`:if`, `:foreach`, `$var`) is not interpreted: such lines become notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fourlayer.resources.devices.text import Notes

VERBS = frozenset({"add", "set", "remove", "disable", "enable", "unset", "edit", "print", "export", "comment"})

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<find>\[[^\]]{0,2000}\])
  | (?P<pair>[^\s=\["]+="[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<dq>"[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<open>[^\s=\["]+="|")
  | (?P<word>[^\s"]+)
""", re.VERBOSE)
_ESC = re.compile(r"\\([0-9A-Fa-f]{2}|.)")
_SIMPLE_ESC = {"n": "\n", "r": "\r", "t": "\t", "_": " ", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


@dataclass
class Command:
    path: str  # "ip firewall filter"
    verb: str  # "add", "set"…
    target: str = ""  # `set telnet` -> "telnet", `set 0` -> "0"; "" when none or a find expression
    find: dict[str, str] = field(default_factory=dict)  # `[ find default=yes ]` -> {"default": "yes"}
    args: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass
class Script:
    commands: list[Command]
    comments: list[tuple[int, str]]
    notes: Notes

    def of(self, path: str, verbs: tuple[str, ...] = ("add", "set")) -> list[Command]:
        return [c for c in self.commands if c.path == path and c.verb in verbs]


def unescape(value: str) -> str:
    def one(m: re.Match) -> str:
        s = m.group(1)
        if len(s) == 2:
            return chr(int(s, 16))
        return _SIMPLE_ESC.get(s, s)
    return _ESC.sub(one, value)


def _value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return unescape(raw[1:-1])
    return raw


def _pairs(text: str) -> dict[str, str]:
    """`key=value` pairs of a find expression (`find where name=telnet and disabled=no`)."""
    out = {}
    for m in re.finditer(r'([\w.-]+)=("[^"\\]*(?:\\.[^"\\]*)*"|[^\s\]]*)', text):
        out[m.group(1)] = _value(m.group(2))
    return out


def _logical_lines(text: str):
    """(first line number, joined text) per command: a trailing `\\` joins the next line, whose leading
    indentation (the export's own wrapping) is dropped."""
    buf, start = [], 0
    for no, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not buf:
            start = no
            piece = line
        else:
            piece = line.lstrip(" \t")
        if piece.endswith("\\") and not piece.endswith("\\\\"):
            buf.append(piece[:-1])
            continue
        buf.append(piece)
        yield start, "".join(buf)
        buf = []
    if buf:
        yield start, "".join(buf)


def parse_script(text: str) -> Script:
    notes, comments, commands = Notes(), [], []
    path = ""
    for line, logical in _logical_lines(text):
        s = logical.strip()
        if not s:
            continue
        if s.startswith("#"):
            comments.append((line, s))
            continue
        if s.startswith((":", "{", "}", "$")):
            notes.add(f"line {line}: scripting is not interpreted")
            continue
        words, finds, pairs, pos, bad = [], {}, {}, 0, False
        if '"' not in s and "[" not in s:  # the common line: blank-separated words and key=value pairs
            for tok in s.split():
                key, eq, raw = tok.partition("=")
                if eq and not tok.startswith("/"):
                    pairs[key] = raw
                else:
                    words.append(tok)
            pos = len(s)
        while pos < len(s):
            m = _TOKEN.match(s, pos)
            kind = m.lastgroup
            tok = m.group(0)
            if kind == "find":
                finds.update(_pairs(tok[1:-1]))
            elif kind == "pair":
                key, _, raw = tok.partition("=")
                pairs[key] = _value(raw)
            elif kind == "dq":
                words.append(_value(tok))
            elif kind == "open":
                notes.add(f"line {line}: a quoted value is never closed; line ignored")
                bad = True
                break
            elif kind == "word":
                if "=" in tok and not tok.startswith("/"):
                    key, _, raw = tok.partition("=")
                    pairs[key] = raw
                else:
                    words.append(tok)
            pos = m.end()
        if bad:
            continue
        if words and words[0].startswith("/"):
            menu = []
            while words and words[0] not in VERBS:
                menu.extend(w for w in words.pop(0).split("/") if w)
            menu_path = " ".join(menu)
            if not words:
                path = menu_path
                if pairs or finds:
                    notes.add(f"line {line}: arguments without a command")
                continue
            cmd_path = menu_path
        else:
            cmd_path = path
        if not words or words[0] not in VERBS:
            notes.add(f"line {line}: command not understood")
            continue
        verb = words[0]
        target = words[1] if len(words) > 1 else ""
        commands.append(Command(cmd_path, verb, target, finds, pairs, line))
    return Script(commands, comments, notes)
