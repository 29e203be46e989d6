"""The line-aware validation that every fourlayer YAML file shares (inventory, policy, rules, waivers, frameworks).

`Validator` reads values out of a `fourlayer.config.yaml_lines` tree and raises one `InputError(file, line,
field, message)` on the first problem; the loaders of each file kind build on it.
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


class Validator:
    """Line-aware getters: each returns the value or raises InputError naming file, line and field."""

    def __init__(self, path: str, base: Path, env: Mapping[str, str]):
        self.path = path
        self.base = base
        self.env = env
        self.first: dict[str, dict[Any, int]] = {}  # kind -> unique key -> line of first use
        self.ssh_defaults: dict[str, Any] = {}

    # -- errors and generic getters -------------------------------------------------------------

    def fail(self, line: int | None, field: str | None, message: str) -> None:
        raise InputError(self.path, line, field, message)

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
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            quoted = "; put it in quotes" if isinstance(value, (int, float, dt.date)) else ""
            self.fail(line, where, f"expected text, got {got(value)}{quoted}")
        self.bounded(value.strip(), limit, line, where)
        return value.strip()

    def bounded(self, value: str, limit: int, line: int, where: str) -> None:
        if len(value) > limit:
            self.fail(line, where, f"{len(value)} characters, longer than the {limit} characters allowed; shorten it")

    def ident(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> str | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        return self.check_ident(value, line, where)

    def check_ident(self, value: Any, line: int, where: str) -> str:
        if not isinstance(value, str) or not ID_RE.match(value):
            extra = "; quote it" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            self.fail(line, where, "expected an id of letters, digits, '.', '_' or '-' (starting with a letter "
                                   f"or digit), got {got(value)}{extra}")
        self.bounded(value, MAX_ID, line, where)
        return value

    def boolean(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> bool | None:
        value, line, where = self.get(m, key, field, required)
        if value is not None and not isinstance(value, bool):
            self.fail(line, where, f"expected true or false, got {got(value)}")
        return value

    def integer(self, m: LineDict, key: str, field: str | None, lo: int, hi: int, expected: str,
                required: str | None = None) -> int | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            extra = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
            shown = show(value) if type(value) is int else got(value)
            self.fail(line, where, f"{expected}, got {shown}{extra}")
        return value

    def port(self, value: Any, line: int, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            shown = show(value) if type(value) is int else got(value)
            extra = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
            self.fail(line, where, f"expected a TCP port number 1–65535, got {shown}{extra}")
        return value

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
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE_RE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                self.fail(line, where, f"expected a date YYYY-MM-DD, got {show(value)} ({exc})")
        self.fail(line, where, f"expected a date YYYY-MM-DD, got {got(value)}")
        return None  # unreachable

    def address(self, value: Any, line: int, where: str) -> str:
        normal = parse_address(value.strip()) if isinstance(value, str) else None
        if normal is None:
            hint = "; write IPv6 without brackets" if isinstance(value, str) and value.startswith("[") else ""
            self.fail(line, where, "expected an IPv4/IPv6 address or a hostname, "
                                   f"got {got(value)}{hint}")
        return value.strip()

    def endpoint(self, m: LineDict, key: str, field: str | None) -> Endpoint | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        bad = (f"expected 'host:port' (e.g. 127.0.0.1:1514; IPv6 as [::1]:1514), "
               f"got {got(value)}")
        if not isinstance(value, str) or ":" not in value:
            self.fail(line, where, bad)
        host, _, port_text = value.strip().rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            if ":" not in host:
                self.fail(line, where, bad)
        elif ":" in host:
            self.fail(line, where, bad + "; put an IPv6 address in brackets")
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            self.fail(line, where, f"port must be 1–65535 in 'host:port', got {show(value)}")
        if parse_address(host) is None:
            self.fail(line, where, bad)
        return Endpoint(host, int(port_text))

    # -- paths and environment ----------------------------------------------------------------

    def expand_vars(self, value: str, line: int, where: str) -> str:
        """${VAR}/$VAR from the environment; an unset variable is an error naming it."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if match.group(3):
                return "$"
            if not name:
                self.fail(line, where, "a '$' must start $NAME or ${NAME}; write $$ for a literal '$'")
            if name not in self.env:
                self.fail(line, where, f"environment variable {name} is not set; export {name}=... "
                                       "or write the value out")
            return self.env[name]

        return _VAR_RE.sub(substitute, value.strip())

    def local_path(self, m: LineDict, key: str, field: str | None) -> str | None:
        """A path on this machine: ${VAR}/$VAR and ~ expanded, relative to the inventory's folder."""
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or "\x00" in value:
            self.fail(line, where, f"expected a file path, got {got(value)}")
        text = self.expand_vars(value, line, where)
        self.bounded(text, MAX_PATH, line, where)
        if text == "~" or text.startswith("~/"):
            home = self.env.get("HOME") or os.path.expanduser("~")
            text = home + text[1:]
        elif text.startswith("~"):
            text = os.path.expanduser(text)
        return os.path.normpath(self.base / text)

    def remote_path(self, m: LineDict, key: str, field: str | None) -> str | None:
        """An absolute path on the target host; ${VAR}/$VAR expanded on this machine, ~ is not."""
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        text = self.expand_vars(value, line, where) if isinstance(value, str) else value
        if not isinstance(text, str) or not text.startswith("/") or "\x00" in text:
            self.fail(line, where, f"expected an absolute path on the target (starting with '/'), got {show(value)}")
        self.bounded(text, MAX_PATH, line, where)
        try:
            safe_path(text, key)  # the collector's own rule: what it would refuse at scan time fails here
        except CollectorError:
            self.fail(line, where, "expected a plain absolute path on the target ('/' then letters, digits, "
                                   f". _ / + - only, no '..'), got {show(text)}")
        return text

    # -- sections ------------------------------------------------------------------------------

    def reject_secrets(self, root: Any) -> None:
        seen: set[int] = set()

        def walk(node: Any, where: str | None) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, dict):
                for key, value in node.items():
                    sub = field_path(where, key)
                    if isinstance(key, str) and SECRET_KEY_RE.match(key):
                        line = node.key_line(key) if isinstance(node, LineDict) else None
                        self.fail(line, sub, "clear-text secrets are not allowed in the inventory (value not "
                                             "shown); remove it and set password_env: NAME — the name of an "
                                             "environment variable that holds the secret")
                    walk(value, sub)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, item_path(where, i))

        walk(root, None)


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
