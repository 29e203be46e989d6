"""Regexes of user-written rules, on RE2 (the `google-re2` binding): matching is linear in the text, so no
pattern can backtrack catastrophically over a hostile file, and a match runs without holding the GIL.

RE2 has no backreferences or lookaround (they need backtracking); such a pattern is refused when the rule file is
validated, with the fix. Patterns always run multi-line (`^`/`$` at each line), as the rule format documents;
`(?i)` and `(?s)` work as in Python. `\\d`, `\\w`, `\\s`, `\\b` are ASCII-only; `\\z` is the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import re2

from fourlayer.collectors.base import clean_text

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error goes to the user as one line, not to stderr from C++
_BACKTRACKING = "backreferences and lookaround are not supported: they need backtracking"
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_HINTS = {  # a fragment of RE2's error -> the fix
    r"\Z": r"write \z for the end of the text (or $ for the end of a line)",
    "(?x": "verbose mode (?x) is not supported; write the pattern without spaces and comments",
    "(?>": "drop the atomic group (?>...): RE2 never backtracks, write (?:...)",
    "++": "drop the possessive +: RE2 never backtracks",
    "*+": "drop the possessive +: RE2 never backtracks",
    "?+": "drop the possessive +: RE2 never backtracks",
}


class RuleRegexError(ValueError):
    """The pattern cannot run on RE2; the message is one line with the fix."""


@dataclass(frozen=True)
class RuleRegex:
    """A compiled rule pattern: `pattern` as written, `finditer` as `re.Pattern.finditer` (multi-line)."""

    pattern: str
    compiled: Any = field(repr=False, compare=False)

    def finditer(self, text: str) -> Iterator[Any]:
        return self.compiled.finditer(text)


def compile_rule_regex(pattern: str) -> RuleRegex:
    """`pattern` compiled for RE2 in multi-line mode. Raises RuleRegexError."""
    try:
        return RuleRegex(pattern, re2.compile("(?m)" + pattern, _OPTIONS))
    except re2.error as exc:
        raise RuleRegexError(_explain(pattern, exc)) from None


def _explain(pattern: str, exc: Exception) -> str:
    raw = exc.args[0] if exc.args else ""
    message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    backref = re.search(r"invalid escape sequence: \\[1-9]", message) or "(?P=" in pattern or "(?(" in message
    if backref:
        return (f"{_BACKTRACKING}; the pattern has a backreference (\\N, (?P=name) or (?(N)...)); match the "
                "repeated text literally, or compare a setting with expect: {key:, op:, value:}")
    if any(f"invalid perl operator: {op}" in message for op in _LOOKAROUND):
        return (f"{_BACKTRACKING}; the pattern has a lookaround ((?=, (?!, (?<=, (?<!); split it into a list of "
                "conditions, e.g. [{regex: '^banner\\s+\\S+', must: match}, {regex: '^banner\\s+none', "
                "must: not_match}]")
    hint = next((fix for frag, fix in _HINTS.items() if frag in message), "")
    return f"invalid regular expression: {clean_text(message, 80)}" + (f"; {hint}" if hint else "")
