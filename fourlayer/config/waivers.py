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

The file's shape is the `WaiverFile` model (pydantic; fourlayer/data/waivers.schema.json is generated from it):
checks and targets are judged against the installed checks and the inventory through the validation context.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
)

from fourlayer.config.fields import Date, Text, is_text
from fourlayer.config.inventory import Inventory
from fourlayer.config.typed import Strict, expect, schema, validate
from fourlayer.config.yaml_lines import LineDict, LineList, expect_kind, load_yaml, show
from fourlayer.core.errors import InputError
from fourlayer.core.model import Result, Status

WAIVABLE = (Status.FAIL, Status.WARN, Status.ERROR)
_TARGET = re.compile(r"^[^/]+(/[^/]+){0,2}\Z")


def _target(v: Any) -> str | None:
    return None if isinstance(v, str) and _TARGET.match(v.strip()) else \
        "expected agency, agency/system, agency/system/host or a host id"


def _known(value: str, known: set[str] | None, unknown: str, otherwise: str) -> str:
    """`value`, if it is one of `known` (None: nothing to judge against); else "unknown; did you mean ...?"."""
    if known is not None and value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.7)
        raise ValueError(f"{unknown}; {f'did you mean {close[0]}?' if close else otherwise}")
    return value


class Waiver(Strict):
    """One accepted exception, as the file writes it; `path` and `line` say where (set by `load_waivers`)."""

    check: Annotated[Text, Field(examples=["<a check id, e.g. L1-SSH-011>"])]
    target: Annotated[str, Field(pattern=r"^[^/]+(/[^/]+){0,2}$",
                                 examples=["<agency, agency/system, agency/system/host or a host id>"]),
                      AfterValidator(str.strip), expect(_target), expect(is_text)]
    justification: Annotated[Text, Field(examples=["<why the risk is accepted>"])]
    approver: Annotated[Text, Field(examples=["<name and role of who accepted it>"])]
    expires: Annotated[Date, Field(examples=["YYYY-MM-DD"])]
    _path: str = PrivateAttr("")
    _line: int = PrivateAttr(0)

    @field_validator("check")
    @classmethod
    def _installed(cls, value: str, info: ValidationInfo) -> str:
        return _known(value, (info.context or {}).get("checks"), f"no check {show(value)}",
                      "`fourlayer checks list` shows the ids")

    @field_validator("target")
    @classmethod
    def _declared(cls, value: str, info: ValidationInfo) -> str:
        return _known(value, (info.context or {}).get("targets"),
                      f"no agency, system or host {show(value)} in the inventory", "use ids from the inventory")

    @property
    def path(self) -> str:
        return self._path

    @property
    def line(self) -> int:
        return self._line

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


def _version(v: Any) -> str | None:
    return None if v is None or (type(v) is int and v == 1) else "expected 1 (the waiver format this fourlayer reads)"


class WaiverFile(Strict):
    """A waiver file: `version: 1` (optional) and the list of waivers (a file may also be the bare list)."""

    version: Annotated[Literal[1] | None, expect(_version)] = None
    waivers: Annotated[list[Waiver], Field(examples=["[{check:, target:, justification:, approver:, expires:}]"])]


def waivers_schema() -> dict[str, Any]:
    """The JSON Schema of a waiver file (committed as fourlayer/data/waivers.schema.json)."""
    out = schema(WaiverFile, "fourlayer waiver file", "https://fourlayer.invalid/schema/waivers.schema.json")
    file = {k: out.pop(k) for k in ("type", "properties", "required", "additionalProperties") if k in out}
    return {**out, "anyOf": [file, {"type": "array", "items": {"$ref": "#/$defs/Waiver"}}]}


@dataclass
class WaiverReport:
    applied: int = 0
    expired: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "expired": self.expired, "warnings": list(self.warnings)}


def _file(path: str, data: Any, context: dict[str, Any]) -> list[Waiver]:
    if data is None:
        raise InputError(path, 1, None, "the file is empty; write waivers: [{check:, target:, justification:, "
                                        "approver:, expires:}]")
    expect_kind(path, data, "waiver", tuple(WaiverFile.model_fields) + tuple(Waiver.model_fields), lists=True)
    if isinstance(data, LineList):  # the bare list: judged as `waivers:`, its fields named as the user wrote them
        tree = LineDict({"waivers": data}, line=data.line)
        tree.key_lines["waivers"] = tree.value_lines["waivers"] = data.line
        try:
            items = validate(WaiverFile, tree, path, context).waivers
        except InputError as err:
            raise InputError(path, err.line, (err.field or "").removeprefix("waivers") or None, err.message) from None
    else:
        items, data = validate(WaiverFile, data, path, context).waivers, data["waivers"]
    seen: dict[tuple[str, str], int] = {}
    for i, w in enumerate(items):
        w._path, w._line = path, data.item_line(i)
        key = (w.check, w.target)
        if key in seen:
            raise InputError(path, w.line, None, f"a second waiver for {w.check} on {w.target} (first at line "
                                                 f"{seen[key]}); keep one")
        seen[key] = w.line
    return items


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
    context = {"checks": set(known_checks) if known_checks is not None else None,
               "targets": _targets(inventory) if inventory is not None else None}
    return _file(str(path), load_yaml(path), context)


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
