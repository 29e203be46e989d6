"""FortiOS CLI configuration text (`show` / `show full-configuration` / a saved backup) as a tree of blocks.

Why our own: netutils' FortinetConfigParser nests by indentation (an unindented backup comes out flat) and keeps
raw lines (quotes, multi-line values and `unset` left to the caller); ttp needs a template per block. The
syntax is small: `config <path>` … `end` blocks, `edit <name>` … `next` entries inside them (both nest),
`set <key> <value>…`, `unset <key>`, `append`/`select`/`unselect`, `#` comment lines, values in double or single
quotes with backslash escapes, and quoted values that span lines (certificates, replacement messages).

One linear regex pass over the text; an unterminated quote or block ends in a note, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fourlayer.resources.devices.text import Notes

MAX_DEPTH = 64

_TOKEN = re.compile(r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<dq>"[^"\\]*(?:\\[\s\S][^"\\]*)*")
  | (?P<sq>'[^'\\]*(?:\\[\s\S][^'\\]*)*')
  | (?P<open>["'])
  | (?P<word>[^\s"']+)
""", re.VERBOSE)
_COMMENT = re.compile(r"#[^\n]*")
_ESCAPE = re.compile(r"\\([\s\S])")


@dataclass
class Setting:
    values: tuple[str, ...]
    line: int


@dataclass
class Block:
    """A `config` block or an `edit` entry: its settings, nested `config` blocks and (for config) entries."""

    name: str
    line: int
    is_entry: bool = False
    settings: dict[str, Setting] = field(default_factory=dict)
    unset: set[str] = field(default_factory=set)
    blocks: dict[str, "Block"] = field(default_factory=dict)
    entries: dict[str, "Block"] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        """The first value of `set key …` (or `default` when absent/unset)."""
        s = self.settings.get(key)
        return s.values[0] if s and s.values else default

    def values(self, key: str) -> tuple[str, ...]:
        s = self.settings.get(key)
        return s.values if s else ()

    def line_of(self, key: str) -> int:
        s = self.settings.get(key)
        return s.line if s else 0

    def block(self, name: str) -> "Block | None":
        return self.blocks.get(name)


@dataclass
class Tree:
    root: Block
    comments: list[tuple[int, str]]  # (line, text) of `#` lines: the header says model and version
    notes: Notes

    def find(self, path: str) -> list[Block]:
        """Every block `config <path>` at the top, in `config global`, or in a VDOM's `config vdom / edit X`."""
        found = [b for b in (self.root.block(path),) if b]
        glob = self.root.block("global")
        if glob and glob.block(path):
            found.append(glob.blocks[path])
        vdoms = self.root.block("vdom")
        for vdom in (vdoms.entries.values() if vdoms else ()):
            if vdom.block(path):
                found.append(vdom.blocks[path])
        return found

    def first(self, path: str) -> Block | None:
        found = self.find(path)
        return found[0] if found else None


def unquote(token: str) -> str:
    if len(token) >= 2 and token[0] in "\"'" and token[-1] == token[0]:
        return _ESCAPE.sub(r"\1", token[1:-1])
    return token


def _statements(text: str, notes: Notes, comments: list[tuple[int, str]]):
    """Yield (line, [words]) per statement; words unquoted. Comments are collected, not yielded."""
    pos, line, words, start = 0, 1, [], 1
    n = len(text)
    while pos < n:
        if not words and text[pos] == "#":
            m = _COMMENT.match(text, pos)
            comments.append((line, m.group(0)))
            pos = m.end()
            continue
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind == "nl":
            if words:
                yield start, words
                words = []
            line += 1
        elif kind == "open":
            notes.add(f"line {line}: a quoted value is never closed; the rest of the file was not read")
            break
        elif kind != "ws":
            if not words:
                start = line
            tok = m.group(0)
            words.append(unquote(tok) if kind in ("dq", "sq") else tok)
            if kind in ("dq", "sq"):
                line += tok.count("\n")
        pos = m.end()
    if words:
        yield start, words


def parse_tree(text: str) -> Tree:
    """The configuration text as a Tree (never raises on content: what it cannot read becomes a note)."""
    notes, comments = Notes(), []
    root = Block("", 0)
    stack: list[Block] = [root]
    for line, words in _statements(text, notes, comments):
        verb, args = words[0], words[1:]
        cur = stack[-1]
        if verb == "config" and args:
            if len(stack) > MAX_DEPTH:
                notes.add(f"line {line}: blocks nested deeper than {MAX_DEPTH}; block ignored")
                continue
            name = " ".join(args)
            blk = cur.blocks.get(name) or Block(name, line)
            cur.blocks[name] = blk
            stack.append(blk)
        elif verb == "edit" and args:
            if cur.is_entry or cur is root:
                notes.add(f"line {line}: `edit` outside a `config` block")
                continue
            entry = cur.entries.get(args[0]) or Block(args[0], line, is_entry=True)
            cur.entries[args[0]] = entry
            stack.append(entry)
        elif verb == "set" and args and cur is not root:
            cur.settings[args[0]] = Setting(tuple(args[1:]), line)
            cur.unset.discard(args[0])
        elif verb in ("append", "select") and args and cur is not root:
            old = cur.settings.get(args[0])
            cur.settings[args[0]] = Setting((old.values if old else ()) + tuple(args[1:]), line)
        elif verb == "unselect" and args and cur is not root:
            old = cur.settings.get(args[0])
            if old:
                cur.settings[args[0]] = Setting(tuple(v for v in old.values if v not in args[1:]), line)
        elif verb == "unset" and args and cur is not root:
            cur.settings.pop(args[0], None)
            cur.unset.add(args[0])
        elif verb == "next" and not args:
            if cur.is_entry:
                stack.pop()
            else:
                notes.add(f"line {line}: `next` without an open `edit`")
        elif verb == "end" and not args:
            if cur is root:
                notes.add(f"line {line}: `end` without an open `config`")
                continue
            if cur.is_entry:  # `end` closing an entry without `next`: close both
                stack.pop()
            stack.pop()
        else:
            notes.add(f"line {line}: statement not understood")
    for blk in reversed(stack[1:]):
        kind = "edit" if blk.is_entry else "config"
        notes.add(f"line {blk.line}: `{kind}` block never closed (file truncated?)")
    return Tree(root, comments, notes)
