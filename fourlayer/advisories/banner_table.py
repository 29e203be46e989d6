"""The offline table of known-vulnerable service versions, and matching what a scan saw against it.

The table (`fourlayer/data/vulnerable_versions.yaml`) ships with the package, so a scan never looks anything
up on the network. Each entry names a product, affected version ranges (OSV style: `introduced` inclusive,
`fixed` exclusive or `last_affected` inclusive), CVE ids, a severity, the advisory it was checked against and
the date it was checked. Distribution backports (Debian/Ubuntu keep the upstream version and fix it in a
package revision that the SSH banner shows, e.g. `OpenSSH_9.2p1 Debian-2+deb12u3`) are listed per entry.

Versions compare the way software is numbered: `9.2p1 < 9.8p1`, `1.3.3 < 1.3.3c`, `2.4.5 < 2.4.49`,
`1.3.3rc1 < 1.3.3`, `4.92 < 4.92.2`, `2+deb12u3 < 2+deb12u10`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    field_path,
    got,
    item_path,
    load_yaml,
)
from fourlayer.core.constants import VULN_SEVERITIES
from fourlayer.core.errors import InputError
from fourlayer.data import DATA_DIR

DEFAULT_TABLE_PATH = DATA_DIR / "vulnerable_versions.yaml"
# A newer table than the one shipped (same format; `fourlayer vulndb check FILE` validates it) is used in its place.
TABLE_ENV = "FOURLAYER_VULN_TABLE"
SEVERITIES = VULN_SEVERITIES
DISTROS = ("debian", "ubuntu")

# --- version comparison ---------------------------------------------------------------------------------------

_TOKENS = re.compile(r"\d+|[A-Za-z]+")
_PRE_RELEASE = {"dev": 0, "alpha": 1, "beta": 2, "pre": 3, "rc": 4}
_END = (1, 0, "")  # what a shorter version has where the longer one goes on: after pre-releases, before the rest


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sortable key: numbers compare as numbers, `rc`/`beta`/`alpha`/`pre`/`dev` sort before the release,
    any other letters (`p1`, `c`, `ubuntu`) after it."""
    key = []
    for token in _TOKENS.findall(version):
        if token.isdigit():
            key.append((2, int(token), ""))
        elif token.lower() in _PRE_RELEASE:
            key.append((0, _PRE_RELEASE[token.lower()], ""))
        else:
            key.append((3, 0, token.lower()))
    return tuple(key)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version `a` is older than, equal to or newer than `b`."""
    ka, kb = version_key(a), version_key(b)
    width = max(len(ka), len(kb))
    ka += (_END,) * (width - len(ka))
    kb += (_END,) * (width - len(kb))
    return (ka > kb) - (ka < kb)


# --- what a scan saw ------------------------------------------------------------------------------------------

_VERSION = re.compile(r"^(\d+(?:\.\d+)*[A-Za-z]*\d*)(?:[-+~](\S*))?$")
_DISTRO_WORD = re.compile(r"(?i)\b(debian|ubuntu)\b[-\s]*([0-9][\w.+~:]*)?")
_HTTP_TOKEN = re.compile(r"([A-Za-z][\w.+-]*?)/(\d[\w.~+-]*)")


@dataclass(frozen=True)
class Software:
    """One product and version a service announced, and where it was seen."""

    name: str  # as announced, e.g. "OpenSSH", "Apache", "ProFTPD"
    version: str  # upstream version, e.g. "9.2p1"
    where: str  # e.g. "2222/tcp SSH banner"
    distro: str | None = None  # "debian" | "ubuntu" when the banner says so
    revision: str | None = None  # the distribution package revision, e.g. "2+deb12u3"

    def describe(self) -> str:
        extra = f" ({self.distro}{' ' + self.revision if self.revision else ''})" if self.distro else ""
        return f"{self.where}: {self.name} {self.version}{extra}"


def _distro_of(text: str) -> tuple[str | None, str | None]:
    match = _DISTRO_WORD.search(text or "")
    if match:
        return match.group(1).lower(), match.group(2)
    lowered = (text or "").lower()
    for name, marker in (("debian", "deb"), ("ubuntu", "ubuntu")):
        if marker in lowered and re.match(r"^\d", text or ""):
            return name, text
    return None, None


def split_version(text: str) -> tuple[str, str | None] | None:
    """`9.2p1` -> ("9.2p1", None); `5.2.4-2ubuntu5` -> ("5.2.4", "2ubuntu5"); `3.X` or `unknown` -> None."""
    match = _VERSION.match((text or "").strip())
    if not match:
        return None
    return match.group(1), match.group(2) or None


def software(name: str, version_text: str, where: str, context: str = "") -> Software | None:
    """A Software from a product name and the version text that came with it (None if no usable version).
    `context` is any further text (banner comments, nmap extra info) that may name the distribution."""
    first, _, rest = (version_text or "").strip().partition(" ")
    parsed = split_version(first)
    if not name or not parsed:
        return None
    version, revision_part = parsed
    distro, revision = _distro_of(f"{rest} {context}".strip())
    if revision_part:
        d2, r2 = _distro_of(revision_part)
        distro, revision = (d2, r2) if d2 else (distro, revision)
    return Software(name.strip(), version, where, distro, revision)


def from_ssh_banner(software_field: str, comments: str, where: str) -> Software | None:
    """`OpenSSH_9.2p1` + `Debian-2+deb12u3` (the two parts of an SSH identification after the protocol)."""
    for sep in ("_", "-"):
        name, found, version = (software_field or "").rpartition(sep)
        if found and name and split_version(version):
            return software(name, version, where, comments)
    return None


def from_http_header(value: str, where: str) -> list[Software]:
    """Every `Product/version` token of a Server or X-Powered-By header, e.g.
    `Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f` -> Apache 2.4.41 and OpenSSL 1.1.1f, both on Ubuntu."""
    found = []
    for name, version in _HTTP_TOKEN.findall(value or ""):
        item = software(name, version, where, value)
        if item:
            found.append(item)
    return found


# --- the table ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Range:
    introduced: str | None = None
    fixed: str | None = None  # first version without the flaw (exclusive bound)
    last_affected: str | None = None  # last version with the flaw (inclusive bound)

    def contains(self, version: str) -> bool:
        if self.introduced and compare_versions(version, self.introduced) < 0:
            return False
        if self.fixed and compare_versions(version, self.fixed) >= 0:
            return False
        if self.last_affected and compare_versions(version, self.last_affected) > 0:
            return False
        return True

    def describe(self) -> str:
        low = f">= {self.introduced}" if self.introduced else ""
        high = f"< {self.fixed}" if self.fixed else f"<= {self.last_affected}" if self.last_affected else ""
        return " ".join(x for x in (low, high) if x) or "all versions"


@dataclass(frozen=True)
class Entry:
    id: str
    product: str
    affected: tuple[Range, ...]
    cves: tuple[str, ...]
    severity: str
    summary: str
    source: str
    verified: dt.date
    cvss: float | None = None
    condition: str | None = None  # what must also be true for the flaw to be exploitable
    backports: dict[str, dict[str, str]] = field(default_factory=dict)  # distro -> upstream -> fixed revision

    def affects(self, version: str) -> bool:
        return any(r.contains(version) for r in self.affected)

    def backport_fix(self, item: Software) -> str | None:
        """The distribution revision that fixed this flaw for `item`'s upstream version, if `item` runs it."""
        fixed = self.backports.get(item.distro or "", {}).get(item.version)
        if fixed and item.revision and compare_versions(item.revision, fixed) >= 0:
            return f"{item.distro} {fixed}"
        return None


@dataclass(frozen=True)
class Match:
    entry: Entry
    software: Software
    backport: str | None  # e.g. "debian 2+deb12u3" when the distribution fixed it: not vulnerable

    def describe(self) -> str:
        e = self.entry
        head = f"{self.software.describe()} — {', '.join(e.cves)} ({e.severity})"
        return head + (f" fixed by the {self.backport} backport" if self.backport else f": {e.summary}")


@dataclass(frozen=True)
class VulnTable:
    path: str
    updated: dt.date
    products: dict[str, str]  # alias (lower case) -> product id
    entries: tuple[Entry, ...]

    def product_of(self, name: str) -> str | None:
        return self.products.get(name.strip().lower())

    def lookup(self, item: Software) -> list[Match]:
        product = self.product_of(item.name)
        if product is None:
            return []
        return [Match(e, item, e.backport_fix(item)) for e in self.entries
                if e.product == product and e.affects(item.version)]

    def age_days(self, today: dt.date) -> int:
        return (today - self.updated).days

    def describe(self) -> str:
        return f"offline table {Path(self.path).name} updated {self.updated.isoformat()} ({len(self.entries)} entries)"


# --- loading and validation -----------------------------------------------------------------------------------

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_ENTRY_KEYS = {"id", "product", "affected", "cves", "severity", "cvss", "summary", "condition", "source",
               "verified", "backports"}
_REQUIRED = ("id", "product", "affected", "cves", "severity", "summary", "source", "verified")


class _Reader:
    def __init__(self, path: str):
        self.path = path

    def fail(self, node: Any, key: Any, where: str, message: str) -> InputError:
        line = node.value_line(key) if isinstance(node, LineDict) else getattr(node, "line", None)
        return InputError(self.path, line, where, message)

    def text(self, node: LineDict, key: str, where: str, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, key, field_path(where, key), f"expected non-empty text, got {got(value)}")
        return value.strip()

    def version(self, node: LineDict, key: str, where: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise self.fail(node, key, field_path(where, key), f"quote the version (\"{value}\"): YAML reads it "
                                                               "as a number")
        if not isinstance(value, str) or not version_key(value):
            raise self.fail(node, key, field_path(where, key), f"expected a version like \"9.8p1\", got {got(value)}")
        return value

    def ranges(self, node: LineDict, where: str) -> tuple[Range, ...]:
        items = node.get("affected")
        here = field_path(where, "affected")
        if not isinstance(items, LineList) or not items:
            raise self.fail(node, "affected", here, "expected a list of ranges, e.g. "
                                                    "[{introduced: \"8.5p1\", fixed: \"9.8p1\"}]")
        out = []
        for i, item in enumerate(items):
            at = item_path(here, i)
            if not isinstance(item, LineDict):
                raise InputError(self.path, items.item_line(i), at, f"expected a mapping, got {got(item)}")
            unknown = set(item) - {"introduced", "fixed", "last_affected"}
            if unknown:
                raise InputError(self.path, item.key_line(sorted(map(str, unknown))[0]), at,
                                 f"unknown key {sorted(map(str, unknown))[0]!r}; allowed: introduced, fixed, "
                                 "last_affected")
            rng = Range(self.version(item, "introduced", at), self.version(item, "fixed", at),
                        self.version(item, "last_affected", at))
            if rng.fixed and rng.last_affected:
                raise InputError(self.path, item.line, at, "give `fixed` or `last_affected`, not both")
            out.append(rng)
        return tuple(out)

    def backports(self, node: LineDict, where: str) -> dict[str, dict[str, str]]:
        value = node.get("backports")
        if value is None:
            return {}
        here = field_path(where, "backports")
        if not isinstance(value, LineDict):
            raise self.fail(node, "backports", here, "expected {debian: {\"9.2p1\": \"2+deb12u3\"}}")
        out: dict[str, dict[str, str]] = {}
        for distro, fixes in value.items():
            if distro not in DISTROS or not isinstance(fixes, LineDict) or not fixes:
                raise self.fail(value, distro, field_path(here, distro),
                                f"expected one of {', '.join(DISTROS)} mapping upstream version -> fixed revision")
            out[distro] = {}
            for upstream, revision in fixes.items():
                if not isinstance(upstream, str) or not isinstance(revision, str):
                    raise self.fail(fixes, upstream, field_path(field_path(here, distro), upstream),
                                    "quote both the upstream version and the package revision")
                out[distro][upstream] = revision
        return out

    def entry(self, node: Any, line: int, where: str, products: set[str]) -> Entry:
        if not isinstance(node, LineDict):
            raise InputError(self.path, line, where, f"expected a mapping, got {got(node)}")
        unknown = sorted(map(str, set(node) - _ENTRY_KEYS))
        if unknown:
            raise InputError(self.path, node.key_line(unknown[0]), field_path(where, unknown[0]),
                             f"unknown key; allowed: {', '.join(sorted(_ENTRY_KEYS))}")
        missing = [k for k in _REQUIRED if k not in node]
        if missing:
            raise InputError(self.path, node.line, where, f"missing {', '.join(missing)}")
        product = self.text(node, "product", where)
        if product not in products:
            raise self.fail(node, "product", field_path(where, "product"),
                            f"unknown product {product!r}; declare it under `products:`")
        cves = node.get("cves")
        if not isinstance(cves, list) or not cves or not all(isinstance(c, str) and _CVE.match(c) for c in cves):
            raise self.fail(node, "cves", field_path(where, "cves"), "expected a list like [CVE-2024-6387]")
        severity = node.get("severity")
        if severity not in SEVERITIES:
            raise self.fail(node, "severity", field_path(where, "severity"),
                            f"expected one of {', '.join(SEVERITIES)}, got {got(severity)}")
        cvss = node.get("cvss")
        if cvss is not None and (isinstance(cvss, bool) or not isinstance(cvss, (int, float)) or not 0 <= cvss <= 10):
            raise self.fail(node, "cvss", field_path(where, "cvss"), f"expected a score 0-10, got {got(cvss)}")
        verified = node.get("verified")
        if not isinstance(verified, dt.date):
            raise self.fail(node, "verified", field_path(where, "verified"), f"expected a date, got {got(verified)}")
        return Entry(id=self.text(node, "id", where), product=product, affected=self.ranges(node, where),
                     cves=tuple(cves), severity=severity, summary=self.text(node, "summary", where),
                     source=self.text(node, "source", where), verified=verified,
                     cvss=float(cvss) if cvss is not None else None,
                     condition=self.text(node, "condition", where, required=False),
                     backports=self.backports(node, where))


def parse_table(path: str | Path) -> VulnTable:
    """Load and validate a table file; every problem is an InputError naming file, line and field."""
    shown = str(path)
    reader = _Reader(shown)
    raw = load_yaml(path)
    if not isinstance(raw, LineDict):
        raise InputError(shown, None, None, "expected a mapping with updated, products and entries")
    updated = raw.get("updated")
    if not isinstance(updated, dt.date):
        raise reader.fail(raw, "updated", "updated",
                          f"expected the date the table was last checked, got {got(updated)}")
    products_node = raw.get("products")
    if not isinstance(products_node, LineDict) or not products_node:
        raise reader.fail(raw, "products", "products", "expected product id -> list of names as banners spell them")
    products: dict[str, str] = {}
    for pid, names in products_node.items():
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise reader.fail(products_node, pid, field_path("products", pid), "expected a list of names")
        for name in names:
            products[name.strip().lower()] = str(pid)
    entries_node = raw.get("entries")
    if not isinstance(entries_node, LineList) or not entries_node:
        raise reader.fail(raw, "entries", "entries", "expected a list of entries")
    entries = [reader.entry(node, entries_node.item_line(i), item_path("entries", i), set(products_node))
               for i, node in enumerate(entries_node)]
    ids = [e.id for e in entries]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise InputError(shown, entries_node.line, "entries", f"entry id {dup!r} is used twice")
    return VulnTable(shown, updated, products, tuple(entries))


def table_path() -> Path:
    """The table in force: $FOURLAYER_VULN_TABLE when set, else the one shipped with fourlayer."""
    return Path(os.environ.get(TABLE_ENV) or DEFAULT_TABLE_PATH)


def load_table(path: str | Path | None = None) -> VulnTable:
    """The table at `path` (default: `table_path()`), parsed once per process and path."""
    return _parsed(str(path or table_path()))


@functools.lru_cache(maxsize=4)
def _parsed(path: str) -> VulnTable:
    return parse_table(path)
