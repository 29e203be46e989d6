"""YAML loading that keeps 1-based line numbers and refuses duplicate keys.

`load_yaml(path)` returns plain Python values, except that mappings are `LineDict` and sequences are
`LineList`: they remember their own line and the line of each key, value and item, so that a validator
can point at the exact line of a bad scalar. Every problem becomes a one-line `InputError`.

Whatever the file kind, every key and value is checked here once: numbers are finite (no .nan/.inf) and
integers convertible, text holds no control characters (tabs and line breaks aside), lone surrogates or
bidirectional overrides, and no text is longer than `MAX_CHARS`. Validators bound their own fields more tightly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from pathlib import Path
from typing import Any

import yaml

from fourlayer.core.errors import InputError

MAX_BYTES = 8 * 1024 * 1024  # an inventory or policy file is small; refuse anything absurd
MAX_CHARS = 10_000  # longest key or text value in any fourlayer file; fields set tighter limits
_MERGE_TAG = "tag:yaml.org,2002:merge"
# What a file's text may not hold: C0/C1 controls except tab and line feed, lone surrogates, bidi overrides.
UNSAFE_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


class LineDict(dict):
    """A mapping that knows its line and the line of each key and value (1-based)."""

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int, int]] = []  # (key, line, first line)

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int:
        """Line of the value of `key`, or of the mapping itself when the key is absent."""
        return self.value_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its line and the line of each item (1-based)."""

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.item_lines: list[int] = []

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_./+-]{1,64}\Z")


def field_path(parent: str | None, key: Any) -> str:
    """Path of a mapping key: `agencies[0]` + `id` -> `agencies[0].id` (an int key stays `.8080`).

    A key that is not a plain name is shown as a short, quoted excerpt (`show`), never whole."""
    text = str(key) if isinstance(key, (str, int)) and _PLAIN_KEY.match(str(key)) else show(key, 24)
    return f"{parent}.{text}" if parent else text


def _is_key_of(key: Any, keys: tuple[str, ...]) -> bool:
    """`key` is one of `keys`, or a near miss of one (a typo the validator then points out)."""
    return isinstance(key, str) and (key in keys or len(key) <= 64 and
                                     bool(difflib.get_close_matches(key, keys, n=1, cutoff=0.8)))


def expect_kind(path: str, data: Any, what: str, keys: tuple[str, ...], lists: bool = False) -> None:
    """Refuse a file that is not a fourlayer `what` file: its top level must be a mapping (or, with `lists`,
    a list of mappings) holding at least one of `keys` (or a near miss). The message shows nothing of the
    file's content, which may be anything (a user pointing --rules at /etc/shadow must not see the hashes)."""
    items = [data] if isinstance(data, dict) or not lists else data if isinstance(data, list) else [data]
    if isinstance(data, (dict, list)) and not items:
        return  # an empty list: the validator says what is missing
    if any(isinstance(m, dict) and any(_is_key_of(k, keys) for k in list(m)[:50]) for m in items[:50]):
        return
    if not isinstance(data, dict) and not (lists and isinstance(data, list)):
        why = f"its top level is {kind(data)}, not a mapping"
    else:
        why = f"none of its top-level keys is one of {', '.join(keys[:8])}"
    raise InputError(path, None, None, f"not a fourlayer {what} file ({why}); check the path")


def item_path(parent: str | None, index: int) -> str:
    """Path of a list item: `agencies` + 0 -> `agencies[0]`."""
    return f"{parent or ''}[{index}]"


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers."""


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode):
    data = LineDict(line=node.start_mark.line + 1)
    yield data
    explicit = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
    loader.flatten_mapping(node)  # `<<: *anchor` merges first; explicit keys may override them
    first: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found unhashable key", key_node.start_mark) from None
        key_line = key_node.start_mark.line + 1
        if id(key_node) in explicit:
            if key in first:
                data.duplicates.append((key, key_line, first[key]))
            else:
                first[key] = key_line
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines[key] = key_line
        data.value_lines[key] = value_node.start_mark.line + 1


def _construct_seq(loader: yaml.SafeLoader, node: yaml.SequenceNode):
    data = LineList(line=node.start_mark.line + 1)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=False))
        data.item_lines.append(child.start_mark.line + 1)


class _Refused(yaml.constructor.ConstructorError):
    """A scalar that parses but that fourlayer refuses; its problem is the whole message."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise _Refused(None, None, "a number with thousands of digits; write a number of a sensible size",
                       node.start_mark) from None


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:  # e.g. 2025-02-30: keep the text so the validator reports it with its field
        return loader.construct_scalar(node)


if hasattr(yaml, "CSafeLoader"):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[misc, name-defined]
        """The same constructors over libyaml's parser."""
else:  # PyYAML built without libyaml
    _CLoader = None  # type: ignore[assignment, misc]

for _cls in (_Loader, _CLoader):
    if _cls is not None:
        _cls.add_constructor("tag:yaml.org,2002:map", _construct_map)
        _cls.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
        _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
        _cls.add_constructor("tag:yaml.org,2002:int", _construct_int)

_HINTS = (
    ("'\\t'", "indent with spaces, not tabs"),
    ("mapping values are not allowed", "quote a value that contains ': ', or fix the indentation"),
    ("could not find expected ':'", "add ':' after the key, or fix the indentation"),
    ("expected <block end>", "align keys of one mapping (or items of one list) at the same indentation"),
    ("undefined alias", "define the anchor (&name) before using *name"),
    ("another document", "keep one document per file (remove the extra '---')"),
    ("could not determine a constructor", "remove the '!tag': only plain YAML is accepted"),
    ("unhashable key", "use plain text as keys"),
)
_OPENERS = {
    "while parsing a flow sequence": "a '[' list opened on this line is never closed; close it with ']' "
                                     "or separate items with ','",
    "while parsing a flow mapping": "a '{' mapping opened on this line is never closed; close it with '}' "
                                    "or separate entries with ','",
    "while scanning a quoted scalar": "a quoted string opened on this line is never closed; add the closing quote",
}


def _yaml_error(path: str, exc: yaml.MarkedYAMLError) -> InputError:
    if isinstance(exc, _Refused):
        return InputError(path, exc.problem_mark.line + 1, None, str(exc.problem))
    problem = (exc.problem or "syntax error").strip()
    if problem.startswith("but ") and exc.context:
        problem = f"{exc.context.strip()} {problem}"
    p_line = exc.problem_mark.line + 1 if exc.problem_mark else None
    c_line = exc.context_mark.line + 1 if exc.context_mark else None
    opener = _OPENERS.get(exc.context or "")
    if opener and c_line is not None:
        head, fix = opener.split("; ", 1)
        return InputError(path, c_line, None, f"invalid YAML: {head} (stopped at line {p_line}: {problem}); {fix}")
    hint = next((h for needle, h in _HINTS if needle in problem or needle in (exc.context or "")),
                "check indentation, quotes and brackets on this line and the one above")
    return InputError(path, p_line or c_line, None, f"invalid YAML: {problem}; {hint}")


def scalar_problem(value: Any) -> str | None:
    """Why fourlayer refuses this key or value whatever its field (None = acceptable); never shows the value."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{'.nan' if math.isnan(value) else '.inf'} is not a finite number; write a finite number"
    if not isinstance(value, str):
        return None
    if len(value) > MAX_CHARS:
        return f"text of {len(value)} characters is longer than the {MAX_CHARS} allowed; shorten it"
    bad = UNSAFE_CHAR.search(value)
    if bad is None:
        return None
    code = ord(bad.group())
    what = ("a lone surrogate (not valid Unicode text)" if 0xD800 <= code <= 0xDFFF else
            "a bidirectional-override character" if code > 0x9F else "a control character")
    return f"contains {what} U+{code:04X} at position {bad.start() + 1}; remove it"


def _check_tree(path: str, root: Any, check_values: bool = True) -> None:
    """Refuse duplicate keys (YAML keeps the last one silently), self-containing aliases and,
    with `check_values`, any key or value that `scalar_problem` refuses."""
    dups: list[tuple[int, str, Any, int]] = []
    seen: set[int] = set()

    def scalar(value: Any, line: int | None, where: str | None, is_key: bool = False) -> None:
        problem = scalar_problem(value) if check_values else None
        if problem:
            raise InputError(path, line, where, f"a key {problem}" if is_key else problem)

    def walk(node: Any, where: str | None, ancestors: set[int], line: int | None) -> None:
        if not isinstance(node, (dict, list)):
            scalar(node, line, where)
            return
        if id(node) in ancestors:
            raise InputError(path, getattr(node, "line", None), where,
                             "an alias (*name) refers to a mapping or list that contains it; remove the loop")
        if id(node) in seen:
            return
        seen.add(id(node))
        ancestors = ancestors | {id(node)}
        if isinstance(node, dict):
            for key, line_, first in getattr(node, "duplicates", ()):
                dups.append((line_, field_path(where, key), key, first))
            for key, value in node.items():
                scalar(key, node.key_line(key), where, is_key=True)
                walk(value, field_path(where, key), ancestors, node.value_line(key))
        else:
            for i, value in enumerate(node):
                walk(value, item_path(where, i), ancestors, node.item_line(i))

    walk(root, None, set(), 1)
    if dups:
        line, where, key, first = min(dups, key=lambda d: d[0])
        raise InputError(path, line, where, f"duplicate key {show(key)} (first at line {first}); "
                                            "YAML would silently keep the last one — remove or rename one")


def _parse(loader_cls: type, text: str) -> Any:
    loader = loader_cls(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml_text(text: str, path: str = "<string>", check_values: bool = True) -> Any:
    """Parse one YAML document; mappings/sequences come back as LineDict/LineList.

    libyaml parses when available (fast); a file it refuses is parsed again by the pure-Python parser,
    whose messages are more precise. `check_values=False` (files of other tools, e.g. Ansible inventories,
    whose unused values are none of fourlayer's business) skips the per-value checks of `scalar_problem`.
    """
    data: Any = None
    parsed = False
    if _CLoader is not None:
        try:
            data, parsed = _parse(_CLoader, text), True
        except (yaml.YAMLError, RecursionError):
            pass
    if not parsed:
        try:
            data = _parse(_Loader, text)
        except yaml.MarkedYAMLError as exc:
            raise _yaml_error(path, exc) from None
        except yaml.reader.ReaderError as exc:
            line = text[:exc.position].count("\n") + 1
            raise InputError(path, line, None, f"invalid YAML: unacceptable character #x{exc.character:04x} "
                                               f"({exc.reason}); remove it") from None
        except yaml.YAMLError as exc:
            raise InputError(path, None, None, f"invalid YAML: {str(exc).splitlines()[0]}; "
                                               "check the file's syntax") from None
        except RecursionError:
            raise InputError(path, None, None, "invalid YAML: nested too deeply; flatten the structure") from None
    _check_tree(path, data, check_values)
    return data


def load_yaml(path: str | Path, check_values: bool = True) -> Any:
    """Read and parse a UTF-8 YAML file; any problem raises InputError naming the file and line."""
    shown = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(shown, None, None, "is a folder, not a YAML file; give the file's path")
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(shown, None, None, "file not found; check the path") from None
    except OSError as exc:
        raise InputError(shown, None, None, f"cannot read the file ({exc.strerror}); check its permissions") from None
    if len(raw) > MAX_BYTES:
        raise InputError(shown, None, None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
                                            "this is not an inventory/policy file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(shown, line, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                                            "save the file as UTF-8") from None
    return load_yaml_text(text, shown, check_values)


def to_plain(value: Any) -> Any:
    """A copy with LineDict/LineList turned into dict/list (for storing or JSON)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def show(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a user value for an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = UNSAFE_CHAR.sub("?", value[:limit + 1]).replace("\n", "?").replace("\t", "?")
        if len(text) > limit:
            text = text[:limit] + "…"
        return f"'{text}'"
    text = UNSAFE_CHAR.sub("?", str(value)[:limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def got(value: Any) -> str:
    """'7 (a number)', "'x' (text)", 'a list' — the tail of a 'got ...' message."""
    if value is None or isinstance(value, (dict, list)):
        return kind(value)
    return f"{show(value)} ({kind(value)})"


def kind(value: Any) -> str:
    """'a boolean', 'a number', 'text', ... for 'got X (kind)' messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__
