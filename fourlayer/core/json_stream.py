"""JSON text in pieces: the exact text of `json.dumps`, but a long list inside is encoded one item at a time.

    write_json(fh, {"runs": [{"tool": ..., "results": Streamed(result_dicts())}]}, indent=2)

Every `Streamed` stands for a list: the text is what `json.dumps` gives for the same object with each `Streamed`
replaced by the list of its items, yet neither that list nor the whole text is ever held in memory. Used by the
report writers and by the history store (which compresses the stored document as it is encoded).
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring, encode_basestring_ascii
import secrets
from typing import Any, Callable, Iterable, Iterator, TextIO


class Streamed:
    """A list whose items are produced while they are written (an iterable, or a function returning one)."""

    def __init__(self, items: Iterable[Any] | Callable[[], Iterable[Any]]):
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items() if callable(self.items) else self.items)


def iter_json(obj: Any, *, indent: int | None = None, ensure_ascii: bool = False,
              default: Callable[[Any], Any] | None = None) -> Iterator[str]:
    """The text of `json.dumps(obj, indent=indent, ensure_ascii=ensure_ascii, default=default, allow_nan=False)`,
    in pieces."""
    token = secrets.token_hex(8)  # no text from a target can guess it
    streams: list[Streamed] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Streamed):
            streams.append(value)
            return f"\x00{token}:{len(streams) - 1}"
        if default is None:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        return default(value)

    def plain(value: Any) -> Any:  # inside a streamed item: a Streamed is not expected there
        if isinstance(value, Streamed):
            raise TypeError("a Streamed list inside a streamed item is not supported")
        return placeholder(value)

    # allow_nan=False: NaN and Infinity are not JSON (strict parsers such as JSON.parse refuse the report)
    skeleton = json.dumps(obj, indent=indent, ensure_ascii=ensure_ascii, default=placeholder,
                          allow_nan=False)  # long lists: marks
    options = {"indent": indent, "ensure_ascii": ensure_ascii, "default": plain, "allow_nan": False}
    separator = "," if indent is not None else ", "
    position = 0
    for mark in re.finditer(rf'"\\u0000{token}:(\d+)"', skeleton):
        yield skeleton[position:mark.start()]
        position = mark.end()
        line = skeleton[skeleton.rfind("\n", 0, mark.start()) + 1:mark.start()]
        pad = line[:len(line) - len(line.lstrip(" "))]
        inner = None if indent is None else "\n" + pad + " " * indent
        first = True
        for item in streams[int(mark.group(1))]:
            text = _dumps_item(item, options)
            if inner is not None:
                text = inner + text.replace("\n", inner)  # strings never hold a raw newline: JSON escapes it
            yield ("[" if first else separator) + text
            first = False
        yield "[]" if first else ("]" if indent is None else "\n" + pad + "]")
    yield skeleton[position:]


def _dumps_item(item: Any, options: dict[str, Any]) -> str:
    """`json.dumps(item, **options)`, the same text. With an indent, json.dumps runs its pure-Python encoder on
    every nested value; here plain JSON values (dicts of str keys, lists and tuples, strings, ints, finite floats,
    booleans, null: a report's result, a SARIF result with its nested locations) are assembled directly, strings
    by the C encoder's functions; anything else (a subclass, a dict with other keys, what `default` converts, a
    non-finite float) goes through json.dumps, re-indented to its depth."""
    indent = options["indent"]
    if indent is None:
        return json.dumps(item, **options)
    return _indented(item, "\n", " " * indent, options)


def _indented(value: Any, newline: str, pad: str, options: dict[str, Any]) -> str:
    """`value` as json.dumps writes it with the indent `pad` when it starts a line that `newline` ("\n" and the
    current indentation) begins."""
    kind = type(value)
    if kind is str:
        return (encode_basestring_ascii if options["ensure_ascii"] else encode_basestring)(value)
    if kind is dict:
        if not value:
            return "{}"
        encode_str = encode_basestring_ascii if options["ensure_ascii"] else encode_basestring
        inner = newline + pad
        parts = []
        for key, member in value.items():
            if type(key) is not str:
                break
            parts.append(encode_str(key) + ": " + _indented(member, inner, pad, options))
        else:
            return "{" + inner + ("," + inner).join(parts) + newline + "}"
    elif kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + pad
        return "[" + inner + ("," + inner).join([_indented(v, inner, pad, options) for v in value]) + newline + "]"
    elif value is None:
        return "null"
    elif value is True:
        return "true"
    elif value is False:
        return "false"
    elif kind is int:
        return int.__repr__(value)
    elif kind is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value, **options).replace("\n", newline)  # strings never hold a raw newline


def write_json(fh: TextIO, obj: Any, **options: Any) -> None:
    """`iter_json(obj, **options)` written to `fh`, in pieces of about 64 KiB."""
    buffered: list[str] = []
    size = 0
    for piece in iter_json(obj, **options):
        buffered.append(piece)
        size += len(piece)
        if size >= 65536:
            fh.write("".join(buffered))
            buffered, size = [], 0
    fh.write("".join(buffered))
