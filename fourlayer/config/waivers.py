"""Waivers: accepted exceptions with a written reason, an approver and an expiry date, applied after the scan.

File format (YAML), a list under `waivers:` (or the list itself):

    version: 1
    waivers:
      - check: L1-SSH-011
        target: soyte-nghean/his/his-app     # agency, agency/system, agency/system/host, or a host id
        justification: Legacy HIS client needs passwords until the 2027 upgrade
        approver: Nguyễn Văn A (CISO)
        expires: 2027-03-31

A waiver turns a FAIL, WARN or ERROR result of its check on its target into WAIVED (scoring then leaves it out)
and keeps the original status in `result.waiver`. From the day after `expires` it no longer applies: the result
keeps its status and its reason says that the waiver expired. A waiver that matched no result, or only results
that passed, is reported as a warning (it may be stale). Problems in the file (unknown check or target, missing
fields) are InputErrors with file, line and field, raised before any traffic is sent.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from fourlayer.config.inventory import Inventory
from fourlayer.config.validation import DataValidator
from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    expect_kind,
    field_path,
    item_path,
    load_yaml,
    show,
)
from fourlayer.core.model import Result, Status

WAIVER_KEYS = ("check", "target", "justification", "approver", "expires")
FILE_KEYS = ("version", "waivers")
WAIVABLE = (Status.FAIL, Status.WARN, Status.ERROR)


@dataclass(frozen=True)
class Waiver:
    check: str
    target: str
    justification: str
    approver: str
    expires: dt.date
    path: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def matches(self, r: Result) -> bool:
        if r.check_id != self.check:
            return False
        parts = self.target.split("/")
        if len(parts) == 1:
            return parts[0] in (r.agency, r.host)
        if len(parts) == 2:
            return (r.agency, r.system) == (parts[0], parts[1])
        return (r.agency, r.system, r.host) == (parts[0], parts[1], parts[2])

    def record(self, original: Status) -> dict[str, Any]:
        return {"justification": self.justification, "approver": self.approver,
                "expires": self.expires.isoformat(), "original_status": original.value,
                "target": self.target, "source": self.where}


@dataclass
class WaiverReport:
    applied: int = 0
    expired: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "expired": self.expired, "warnings": list(self.warnings)}


class _WaiverValidator(DataValidator):
    def __init__(self, path: str, known_checks: set[str] | None, inventory: Inventory | None):
        super().__init__(path)
        self.known_checks = known_checks
        self.targets = _targets(inventory) if inventory is not None else None

    def waiver(self, raw: Any, line: int, where: str) -> Waiver:
        m = self.mapping(raw, line, where, "check:, target:, justification:, approver:, expires:")
        self.keys(m, where, WAIVER_KEYS)
        check = self.text(m, "check", where, "<a check id, e.g. L1-SSH-011>")
        if self.known_checks is not None and check not in self.known_checks:
            close = difflib.get_close_matches(check, sorted(self.known_checks), n=1, cutoff=0.7)
            hint = f"did you mean {close[0]}?" if close else "`fourlayer checks list` shows the ids"
            self.fail(m.value_line("check"), field_path(where, "check"), f"no check {show(check)}; {hint}")
        target = self.text(m, "target", where, "<agency, agency/system, agency/system/host or a host id>")
        parts = target.split("/")
        if len(parts) > 3 or not all(parts):
            self.fail(m.value_line("target"), field_path(where, "target"),
                      f"expected agency, agency/system, agency/system/host or a host id, got {show(target)}")
        if self.targets is not None and target not in self.targets:
            close = difflib.get_close_matches(target, sorted(self.targets), n=1, cutoff=0.7)
            hint = f"did you mean {close[0]}?" if close else "use ids from the inventory"
            self.fail(m.value_line("target"), field_path(where, "target"),
                      f"no agency, system or host {show(target)} in the inventory; {hint}")
        return Waiver(check=check, target=target,
                      justification=self.text(m, "justification", where, "<why the risk is accepted>"),
                      approver=self.text(m, "approver", where, "<name and role of who accepted it>"),
                      expires=self.date(m, "expires", where, "YYYY-MM-DD"), path=self.path, line=line)

    def file(self, data: Any) -> list[Waiver]:
        if data is None:
            self.fail(1, None, "the file is empty; write waivers: [{check:, target:, justification:, approver:, "
                               "expires:}]")
        expect_kind(self.path, data, "waiver", FILE_KEYS + WAIVER_KEYS, lists=True)
        items: Any = data
        where = None
        if isinstance(data, LineDict):
            self.keys(data, None, FILE_KEYS)
            version, vline, _ = self.get(data, "version", None)
            if version is not None and (type(version) is not int or version != 1):
                self.fail(vline, "version", f"expected 1 (the waiver format this fourlayer reads), got {show(version)}")
            items = self.seq(data, "waivers", None, "of waivers")
            where = "waivers"
            if items is None:
                self.fail(data.line, "waivers", "missing; add waivers: [...]")
        if not isinstance(items, LineList):
            self.fail(getattr(data, "line", 1), None, "expected a list of waivers (or waivers: [...])")
        out = [self.waiver(v, items.item_line(i), item_path(where, i)) for i, v in enumerate(items)]
        seen: dict[tuple[str, str], int] = {}
        for w in out:
            key = (w.check, w.target)
            if key in seen:
                self.fail(w.line, None, f"a second waiver for {w.check} on {w.target} (first at line {seen[key]}); "
                                        "keep one")
            seen[key] = w.line
        return out


def _targets(inventory: Inventory) -> set[str]:
    out: set[str] = set()
    for agency in inventory.agencies:
        out.add(agency.id)
        for system in agency.systems:
            out.add(f"{agency.id}/{system.id}")
            for host in system.hosts:
                out.update({host.id, f"{agency.id}/{system.id}/{host.id}"})
    return out


def load_waivers(path: str | Path, known_checks: Iterable[str] | None = None,
                 inventory: Inventory | None = None) -> list[Waiver]:
    """Read and validate a waiver file (checks and targets against what is known). Raises InputError."""
    known = set(known_checks) if known_checks is not None else None
    return _WaiverValidator(str(path), known, inventory).file(load_yaml(path))


def apply_waivers(results: Iterable[Result], waivers: Iterable[Waiver], today: dt.date) -> WaiverReport:
    """Mark waived results WAIVED (in place); flag expired waivers in the reason; warn about unused ones."""
    report = WaiverReport()
    results = list(results)
    for w in sorted(waivers, key=lambda w: -len(w.target.split("/"))):  # the most specific waiver wins
        matched = [r for r in results if w.matches(r)]
        live = [r for r in matched if r.status in WAIVABLE]
        if matched and not live and any(r.status is Status.WAIVED for r in matched):
            report.warnings.append(f"{w.where}: waiver for {w.check} on {w.target} adds nothing: its results are "
                                   "already waived by a more specific waiver")
            continue
        if not matched:
            report.warnings.append(f"{w.where}: waiver for {w.check} on {w.target} matched no result; "
                                   "remove it if the check or target is gone")
            continue
        if not live:
            report.warnings.append(f"{w.where}: waiver for {w.check} on {w.target} matched only results that "
                                   "passed or did not apply; it may no longer be needed")
            continue
        if w.expires < today:
            for r in live:
                r.reason = f"{r.reason} (waiver expired on {w.expires.isoformat()})"
                if r.reason_vi:
                    r.reason_vi = f"{r.reason_vi} (miễn trừ đã hết hạn ngày {w.expires.isoformat()})"
                r.extra["waiver_expired"] = w.record(r.status)
            report.expired.append({"check": w.check, "target": w.target, "expires": w.expires.isoformat(),
                                   "approver": w.approver, "results": len(live), "source": w.where})
            report.warnings.append(f"{w.where}: waiver for {w.check} on {w.target} expired on "
                                   f"{w.expires.isoformat()}; {len(live)} result(s) count again")
            continue
        for r in live:
            r.waiver = w.record(r.status)
            r.status = Status.WAIVED
            report.applied += 1
    return report
