"""Advisories indexed by distribution, release and source package — once per scan — and matched per host.

`index_for(path)` reads the database once and keeps the index while the file is unchanged, so every host of a
scan shares it. `Index.match(platform, packages)` costs one dictionary look-up per installed source package plus
one version comparison per advisory of that package.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from fourlayer.advisories import versions
from fourlayer.advisories.formats import KIND, Record
from fourlayer.resources.packages import Installed, Platform
from fourlayer.advisories.store import SetInfo, load_records
from fourlayer.core.constants import ADVISORY_SEVERITIES

SEVERITY_ORDER = ADVISORY_SEVERITIES


@dataclass(frozen=True)
class Finding:
    vuln_id: str
    severity: str
    package: str  # source package
    binaries: tuple[str, ...]
    installed: str
    fixed: str | None  # None: no fix released
    note: str = ""

    def describe(self) -> str:
        fix = f"fixed in {self.fixed}" if self.fixed else "no fix released" + (f" ({self.note})" if self.note else "")
        return f"{self.vuln_id} {self.package} {self.installed} ({fix}; severity {self.severity})"


class Index:
    def __init__(self, sets: list[SetInfo], rows: list[tuple[int, str, Record]]):
        self.sets = {s.id: s for s in sets}
        # versions are parsed here, once per scan: a host's match then only compares
        self._by: dict[tuple[str, str], dict[str, list[tuple[int, Record, object, object, object]]]] = {}
        for set_id, distro, rec in rows:
            parse = versions.key(KIND[distro])
            bounds = tuple(parse(v) if v else None for v in (rec.introduced, rec.fixed, rec.last_affected))
            self._by.setdefault((distro, rec.release), {}).setdefault(rec.package, []).append((set_id, rec, *bounds))
        self.records = len(rows)

    def covering(self, p: Platform) -> list[SetInfo]:
        """The imported sets that hold advisories for this distribution release, newest data first."""
        ids = {entry[0] for recs in self._by.get((p.distro, p.release), {}).values() for entry in recs}
        return sorted((self.sets[i] for i in ids), key=lambda s: s.data_date, reverse=True)

    def releases(self, distro: str) -> list[str]:
        return sorted(r for d, r in self._by if d == distro)

    def match(self, p: Platform, installed: list[Installed]) -> list[Finding]:
        kind = KIND[p.distro]
        table = self._by.get((p.distro, p.release), {})
        newer = versions.key(kind)
        by_source: dict[tuple[str, str], list[str]] = {}
        for pkg in installed:
            for name in {pkg.source, pkg.name}:  # rpm advisories may name the binary package
                if name in table:
                    by_source.setdefault((name, pkg.source_version), []).append(pkg.name)
        best: dict[tuple[str, str, str], tuple[dt.date, Finding]] = {}
        for (source, version), binaries in by_source.items():
            have = newer(version)
            for set_id, rec, introduced, fixed, last_affected in table[source]:
                if (introduced is not None and have < introduced) or (fixed is not None and not have < fixed) \
                        or (last_affected is not None and have > last_affected):
                    continue
                finding = Finding(rec.vuln_id, rec.severity, source, tuple(sorted(set(binaries))), version,
                                  rec.fixed, rec.note)
                day = self.sets[set_id].data_date
                key = (rec.vuln_id, source, version)
                if key not in best or day > best[key][0]:
                    best[key] = (day, finding)
        return sorted((f for _, f in best.values()),
                      key=lambda f: (SEVERITY_ORDER.index(f.severity), f.package, f.vuln_id))


_cache: dict[str, tuple[tuple[int, int], Index]] = {}
_lock = threading.Lock()


def index_for(path: Path) -> Index:
    """The index of the database at `path`, built once and reused while the file is unchanged."""
    with _lock:
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return Index([], [])
        cached = _cache.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = _cache[str(path)] = (stamp, Index(*load_records(path)))
        return cached[1]
