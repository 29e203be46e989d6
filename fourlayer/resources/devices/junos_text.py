"""Juniper Junos configuration text, curly-brace (`show configuration`) or set format (`| display set`), as one
list of set statements: (words after `set`, line number).

Why our own: ciscoconfparse2's junos syntax re-indents the braces into an IOS-style tree of raw lines; the
device model wants Junos's own `set` paths, which one linear pass over the braces gives directly. Handled:
`{ }` blocks, `;` leaves, `[ a b ]` lists (one statement per element), quoted strings, `/* */` and `#`
comments, and `inactive:` (curly) / `deactivate` (set) statements, which are not in effect and are skipped.
"""

from __future__ import annotations

import re

from fourlayer.resources.devices.text import Notes

MAX_DEPTH = 64
_TOKEN = re.compile(r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<block>/\*[\s\S]*?\*/)
  | (?P<comment>\#[^\n]*)
  | (?P<dq>"[^"\\]*(?:\\[\s\S][^"\\]*)*")
  | (?P<open>"|/\*)
  | (?P<punct>[{};\[\]])
  | (?P<word>[^\s{};\[\]"]+)
""", re.VERBOSE)
_ESC = re.compile(r"\\([\s\S])")


def _unquote(tok: str) -> str:
    r"""A Junos quoted string: `\n` and `\t` are a newline and a tab, any other `\c` is c."""
    return _ESC.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), tok[1:-1])


def _tokens(text: str, notes: Notes):
    """(line, kind, value) tokens; comments dropped."""
    pos, line, n = 0, 1, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        kind, tok = m.lastgroup, m.group(0)
        if kind == "nl":
            yield line, "nl", ""
            line += 1
        elif kind == "open":
            notes.add(f"line {line}: a quoted string or comment is never closed; the rest was not read")
            return
        elif kind in ("block", "dq"):
            if kind == "dq":
                yield line, "word", _unquote(tok)
            line += tok.count("\n")
        elif kind in ("punct", "word"):
            yield line, kind if kind == "word" else tok, tok
        pos = m.end()


def _is_set_format(text: str) -> bool:
    for raw in text.splitlines()[:200]:
        s = raw.strip()
        if s and not s.startswith(("#", "/*")):
            return s.startswith(("set ", "deactivate ", "delete "))
    return False


def _set_statements(text: str, notes: Notes) -> list[tuple[tuple[str, ...], int]]:
    """`display set` output, a line per statement (a plain line is split on blanks, one with quotes or a comment
    goes through the tokenizer)."""
    out: list[tuple[tuple[str, ...], int]] = []
    inactive: set[tuple[str, ...]] = set()
    for no, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if '"' in line or "#" in line or "/*" in line:
            sub = Notes()
            words = [v for _, kind, v in _tokens(line, sub) if kind == "word"]
            if sub.items:
                notes.add(f"line {no}: a quoted string or comment is never closed; line ignored")
                continue
        else:
            words = line.split()
        if not words:
            continue
        if words[0] == "set" and len(words) > 1:
            out.append((tuple(words[1:]), no))
        elif words[0] == "deactivate" and len(words) > 1:
            inactive.add(tuple(words[1:]))
        elif words[0] not in ("delete", "activate"):
            notes.add(f"line {no}: statement not understood")
    if inactive:  # a deactivated statement and everything below it are not in effect
        out = [(w, ln) for w, ln in out if not any(w[:i] in inactive for i in range(1, len(w) + 1))]
    return out


def statements(text: str, notes: Notes) -> list[tuple[tuple[str, ...], int]]:
    out: list[tuple[tuple[str, ...], int]] = []
    if _is_set_format(text):
        return _set_statements(text, notes)
    stack: list[tuple[tuple[str, ...], bool]] = []  # (words of each open block, inactive)
    words: list[str] = []
    in_list: list[str] | None = None
    start = 0
    for line, kind, value in _tokens(text, notes):
        if kind == "nl":
            continue
        if kind == "word":
            if in_list is not None:
                in_list.append(value)
            else:
                if not words:
                    start = line
                words.append(value)
            continue
        if kind == "[":
            in_list = []
        elif kind == "]":
            items, in_list = in_list or [], None
            words.append(("\x00list",) + tuple(items))  # placeholder, expanded at `;`
        elif kind == "{":
            if len(stack) >= MAX_DEPTH:
                notes.add(f"line {line}: blocks nested deeper than {MAX_DEPTH}; the rest was not read")
                return out
            inactive = bool(words) and words[0] == "inactive:"
            clean = tuple(w for w in words if w not in ("inactive:", "protect:", "replace:"))
            stack.append((clean, inactive))
            words = []
        elif kind == ";":
            inactive = any(i for _, i in stack) or (bool(words) and words[0] == "inactive:")
            clean = [w for w in words if w not in ("inactive:", "protect:", "replace:")]
            prefix = tuple(x for ws, _ in stack for x in ws)
            if clean and not inactive:
                lists = [w for w in clean if isinstance(w, tuple)]
                head = tuple(w for w in clean if not isinstance(w, tuple))
                if lists:
                    for item in lists[0][1:]:
                        out.append((prefix + head + (item,), start))
                else:
                    out.append((prefix + head, start))
            words = []
        elif kind == "}":
            if not stack:
                notes.add(f"line {line}: `}}` without an open block")
            else:
                stack.pop()
            words = []
    if stack:
        notes.add(f"{len(stack)} block(s) never closed (file truncated?)")
    return out


class Conf:
    """Set statements with prefix look-ups: `conf.under("system", "services")` -> [(rest, line)…]."""

    def __init__(self, stmts: list[tuple[tuple[str, ...], int]]) -> None:
        self.stmts = stmts
        self._by_head: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for w, ln in stmts:
            if w:
                self._by_head.setdefault(w[0], []).append((w, ln))

    def under(self, *prefix: str) -> list[tuple[tuple[str, ...], int]]:
        k = len(prefix)
        return [(w[k:], ln) for w, ln in self._by_head.get(prefix[0], []) if w[:k] == prefix]

    def has(self, *prefix: str) -> int:
        """Line of the first statement at or below `prefix` (0 = none)."""
        found = self.under(*prefix)
        return found[0][1] if found else 0

    def value(self, *prefix: str) -> str:
        found = [rest for rest, _ in self.under(*prefix) if rest]
        return found[-1][0] if found else ""
