"""The line-aware validation that every fourlayer YAML file shares (inventory, policy, rules, waivers, frameworks).

`Validator` reads values out of a `fourlayer.config.yaml_lines` tree and raises one `InputError(file, line,
field, message)` on the first problem; the loaders of each file kind build on it. Its value checks are the
`as_*` functions (value -> value, or ValueError with the message), which the inventory's pydantic models call too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Mapping

from fourlayer.collectors.allowlist import safe_path
from fourlayer.config.inventory import Endpoint
from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    field_path,
    got,
    item_path,
    show,
)
from fourlayer.core.errors import CollectorError, InputError
from fourlayer.core.model import LANGS

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
SECRET_KEY_RE = re.compile(r"^(?:.*[_-])?(?:password|passwd|passphrase|secret)\Z", re.IGNORECASE)
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$)|)")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Bounds on what a file may declare (every value is also at most yaml_lines.MAX_CHARS): reports repeat names
# on every result, so an unbounded name is an output amplifier.
MAX_TEXT = 500  # a name, an assessor, a licence: one line of text
MAX_LONG_TEXT = 4000  # a rationale, a remediation, a note
MAX_ID = 100
MAX_PATH = 4096
MAX_LABELS = 100  # roles or tags of one host


def parse_address(text: str) -> str | None:
    """The normalised address (IP literal or lower-case hostname), or None if it is neither."""
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # 127.0.0.256 is a bad IPv4 address, not a hostname
        return None
    return name.lower()


# -- value checks: each returns the value as fourlayer keeps it or raises ValueError(our one-line message). The
# inventory's pydantic models (fourlayer.config.inventory_model) and the Validator getters below share them.

def as_text(value: Any, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        quoted = "; put it in quotes" if isinstance(value, (int, float, dt.date)) else ""
        raise ValueError(f"expected text, got {got(value)}{quoted}")
    return bounded(value.strip(), limit)


def bounded(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"{len(value)} characters, longer than the {limit} characters allowed; shorten it")
    return value


def as_ident(value: Any) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        extra = "; quote it" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
        raise ValueError("expected an id of letters, digits, '.', '_' or '-' (starting with a letter "
                         f"or digit), got {got(value)}{extra}")
    return bounded(value, MAX_ID)


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {got(value)}")
    return value


def as_int(value: Any, lo: int, hi: int, expected: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        extra = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
        shown = show(value) if type(value) is int else got(value)
        raise ValueError(f"{expected}, got {shown}{extra}")
    return value


def as_port(value: Any) -> int:
    return as_int(value, 1, 65535, "expected a TCP port number 1–65535")


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a date YYYY-MM-DD, got {show(value)} ({exc})") from None
    raise ValueError(f"expected a date YYYY-MM-DD, got {got(value)}")


def as_address(value: Any) -> str:
    normal = parse_address(value.strip()) if isinstance(value, str) else None
    if normal is None:
        hint = "; write IPv6 without brackets" if isinstance(value, str) and value.startswith("[") else ""
        raise ValueError(f"expected an IPv4/IPv6 address or a hostname, got {got(value)}{hint}")
    return value.strip()


def as_endpoint(value: Any) -> Endpoint:
    bad = f"expected 'host:port' (e.g. 127.0.0.1:1514; IPv6 as [::1]:1514), got {got(value)}"
    if not isinstance(value, str) or ":" not in value:
        raise ValueError(bad)
    host, _, port_text = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host:
            raise ValueError(bad)
    elif ":" in host:
        raise ValueError(bad + "; put an IPv6 address in brackets")
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"port must be 1–65535 in 'host:port', got {show(value)}")
    if parse_address(host) is None:
        raise ValueError(bad)
    return Endpoint(host, int(port_text))


def expand_vars(value: str, env: Mapping[str, str]) -> str:
    """${VAR}/$VAR from `env`; an unset variable is an error naming it."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if match.group(3):
            return "$"
        if not name:
            raise ValueError("a '$' must start $NAME or ${NAME}; write $$ for a literal '$'")
        if name not in env:
            raise ValueError(f"environment variable {name} is not set; export {name}=... or write the value out")
        return env[name]

    return _VAR_RE.sub(substitute, value.strip())


def as_local_path(value: Any, base: Path, env: Mapping[str, str]) -> str:
    """A path on this machine: ${VAR}/$VAR and ~ expanded, relative to `base` (the inventory's folder)."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ValueError(f"expected a file path, got {got(value)}")
    text = bounded(expand_vars(value, env), MAX_PATH)
    if text == "~" or text.startswith("~/"):
        home = env.get("HOME") or os.path.expanduser("~")
        text = home + text[1:]
    elif text.startswith("~"):
        text = os.path.expanduser(text)
    return os.path.normpath(base / text)


def as_remote_path(value: Any, key: str, env: Mapping[str, str]) -> str:
    """An absolute path on the target host; ${VAR}/$VAR expanded on this machine, ~ is not."""
    text = expand_vars(value, env) if isinstance(value, str) else value
    if not isinstance(text, str) or not text.startswith("/") or "\x00" in text:
        raise ValueError(f"expected an absolute path on the target (starting with '/'), got {show(value)}")
    bounded(text, MAX_PATH)
    try:
        safe_path(text, key)  # the collector's own rule: what it would refuse at scan time fails here
    except CollectorError:
        raise ValueError("expected a plain absolute path on the target ('/' then letters, digits, "
                         f". _ / + - only, no '..'), got {show(text)}") from None
    return text


def secret_key_at(root: Any) -> tuple[int | None, str] | None:
    """(line, field) of the first key in the tree that names a clear-text secret (password, secret, ...)."""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]  # the field's path is spelt only for a hit
    while stack:
        node, steps = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and SECRET_KEY_RE.match(key):
                    where = None
                    for step in (*steps, key):
                        where = item_path(where, step) if isinstance(step, int) else field_path(where, step)
                    return (node.key_line(key) if isinstance(node, LineDict) else None), where
            stack.extend((v, (*steps, k)) for k, v in reversed(node.items()) if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, (*steps, i)) for i, v in reversed(list(enumerate(node))) if isinstance(v, (dict, list)))
    return None


SECRET_REFUSED = ("clear-text secrets are not allowed in the inventory (value not shown); remove it and set "
                  "password_env: NAME — the name of an environment variable that holds the secret")


class Validator:
    """Line-aware getters: each returns the value or raises InputError naming file, line and field."""

    def __init__(self, path: str, base: Path, env: Mapping[str, str]):
        self.path = path
        self.base = base
        self.env = env
        self.first: dict[str, dict[Any, int]] = {}  # kind -> unique key -> line of first use

    # -- errors and generic getters -------------------------------------------------------------

    def fail(self, line: int | None, field: str | None, message: str) -> None:
        raise InputError(self.path, line, field, message)

    def run(self, check: Any, value: Any, line: int, where: str | None, *args: Any) -> Any:
        """`check(value, *args)`, its ValueError as this file's InputError at `line`/`where`."""
        try:
            return check(value, *args)
        except ValueError as exc:
            self.fail(line, where, str(exc))

    def unique(self, kind_: str, key: Any, line: int, where: str, label: str, fix: str) -> None:
        table = self.first.setdefault(kind_, {})
        if key in table:
            self.fail(line, where, f"duplicate {label} (first at line {table[key]}); {fix}")
        table[key] = line

    def mapping(self, value: Any, line: int, field: str | None, expected: str) -> LineDict:
        if not isinstance(value, LineDict):
            self.fail(line, field, f"expected a mapping ({expected}), got {got(value)}")
        return value

    def keys(self, m: LineDict, field: str | None, allowed: tuple[str, ...]) -> None:
        for key in m:
            where = field_path(field, key)
            if not isinstance(key, str):
                self.fail(m.key_line(key), field, f"key {show(key)} is not text; allowed keys: {', '.join(allowed)}")
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.fail(m.key_line(key), where, f"unknown key; {hint}")

    def get(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> tuple[Any, int, str]:
        """(value, line, field path); a missing/null required key fails with `required` as the hint."""
        where = field_path(field, key)
        value = m.get(key)
        if value is None and required:
            self.fail(m.value_line(key), where, f"missing; add {key}: {required}")
        return value, m.value_line(key), where

    def text(self, m: LineDict, key: str, field: str | None, required: str | None = None,
             limit: int = MAX_TEXT) -> str | None:
        value, line, where = self.get(m, key, field, required)
        return None if value is None else self.run(as_text, value, line, where, limit)

    def bounded(self, value: str, limit: int, line: int, where: str) -> None:
        self.run(bounded, value, line, where, limit)

    def ident(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> str | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        return self.check_ident(value, line, where)

    def check_ident(self, value: Any, line: int, where: str) -> str:
        return self.run(as_ident, value, line, where)

    def boolean(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> bool | None:
        value, line, where = self.get(m, key, field, required)
        return None if value is None else self.run(as_bool, value, line, where)

    def integer(self, m: LineDict, key: str, field: str | None, lo: int, hi: int, expected: str,
                required: str | None = None) -> int | None:
        value, line, where = self.get(m, key, field, required)
        return None if value is None else self.run(as_int, value, line, where, lo, hi, expected)

    def port(self, value: Any, line: int, where: str) -> int:
        return self.run(as_port, value, line, where)

    def seq(self, m: LineDict, key: str, field: str | None, expected: str) -> LineList | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        if not isinstance(value, LineList):
            self.fail(line, where, f"expected a list ({expected}), got {got(value)}; "
                                   f"write {key}: [...]")
        return value

    def port_list(self, m: LineDict, key: str, field: str | None) -> tuple[int, ...]:
        items = self.seq(m, key, field, "of port numbers, e.g. [80, 443]")
        if items is None:
            return ()
        out: dict[int, None] = {}  # ordered and O(1) lookups: 65,535 ports validate in linear time
        for i, value in enumerate(items):
            where = item_path(field_path(field, key), i)
            port = self.port(value, items.item_line(i), where)
            if port in out:
                self.fail(items.item_line(i), where, f"port {port} is listed twice; remove one")
            out[port] = None
        return tuple(out)

    def ident_list(self, m: LineDict, key: str, field: str | None) -> tuple[str, ...]:
        items = self.seq(m, key, field, "of names, e.g. [linux, web]")
        if items is None:
            return ()
        if len(items) > MAX_LABELS:
            self.fail(items.line, field_path(field, key), f"{len(items)} items, more than the {MAX_LABELS} items "
                                                          "allowed; keep the ones checks or reports use")
        out = [self.check_ident(v, items.item_line(i), item_path(field_path(field, key), i))
               for i, v in enumerate(items)]
        return tuple(dict.fromkeys(out))

    def date(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> dt.date | None:
        value, line, where = self.get(m, key, field, required)
        return None if value is None else self.run(as_date, value, line, where)

    # -- paths on this machine (zone_policy: may name a file) ------------------------------------

    def local_path(self, m: LineDict, key: str, field: str | None) -> str | None:
        """A path on this machine: ${VAR}/$VAR and ~ expanded, relative to the inventory's folder."""
        value, line, where = self.get(m, key, field)
        return None if value is None else self.run(as_local_path, value, line, where, self.base, self.env)


class DataValidator(Validator):
    """The inventory validator's line-aware getters, for the other YAML files (rules, frameworks, waivers)."""

    def __init__(self, path: str):
        super().__init__(path, Path(path).parent, {})

    def bilingual(self, m: LineDict, key: str, field: str | None) -> dict[str, str]:
        value, line, where = self.get(m, key, field, "{vi: \"...\", en: \"...\"}")
        self.mapping(value, line, where, "texts in vi and en")
        self.keys(value, where, LANGS)
        return {lang: self.text(value, lang, where, "<text with Vietnamese diacritics>" if lang == "vi"
                                else "<English text>", MAX_LONG_TEXT) for lang in LANGS}

    def text_list(self, m: LineDict, key: str, field: str, required: str) -> tuple[str, ...]:
        items = self.seq(m, key, field, required)
        if not items:
            self.fail(m.value_line(key), field_path(field, key), f"missing; add {key}: {required}")
        out = []
        for i, v in enumerate(items):
            if not isinstance(v, str) or not v.strip():
                self.fail(items.item_line(i), item_path(field_path(field, key), i), f"expected text, got {got(v)}")
            self.bounded(v.strip(), MAX_TEXT, items.item_line(i), item_path(field_path(field, key), i))
            out.append(v.strip())
        return tuple(out)

    def choice(self, m: LineDict, key: str, field: str, allowed: tuple[str, ...], default: str) -> str:
        value, line, where = self.get(m, key, field)
        if value is None:
            return default
        if value not in allowed:
            self.fail(line, where, f"expected one of {', '.join(allowed)}, got {got(value)}")
        return value
