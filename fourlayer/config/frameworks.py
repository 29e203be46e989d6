"""Regulatory frameworks as data: which requirement each check evidences, per-level applicability, thresholds.

A framework is one YAML file in `fourlayer/data/frameworks/<id>.yaml` (or any file given by path): metadata
(id, bilingual name, version, status, legal-force notes, sources), the classification levels and what they map
to, requirement areas, requirements (clause, bilingual title, levels, the check ids that evidence them, and a
`verified` flag saying whether the clause was checked against the legal text), `unmapped` checks with a reason,
and `thresholds` merged into the policy (built-in defaults < framework thresholds < the user's policy file).

Per-level applicability: a check listed by requirements applies from the lowest level at which one of them
applies, and never below the check's own `min_level`, unless a mapping says `{id: CHECK, from_level: N}`, which
sets the level outright (raise or lower). Checks that no requirement lists keep their own `min_level`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Iterable

from pydantic import BeforeValidator, Field

from fourlayer.config.fields import Bilingual, Bool, Date, Ident, LongText, Text
from fourlayer.config.policy import default_policy, merge_over
from fourlayer.config.policy_model import Level
from fourlayer.config.typed import Strict, expect, schema, validate
from fourlayer.config.yaml_lines import (
    expect_kind,
    field_path,
    item_path,
    load_yaml,
    show,
)
from fourlayer.core.errors import InputError
from fourlayer.core.model import Check, Result, Status
from fourlayer.data import DATA_DIR

FRAMEWORKS_DIR = DATA_DIR / "frameworks"
DEFAULT_FRAMEWORK = "vn-decree85-tcvn11930"
STATUSES = ("in_force", "draft", "superseded")
EVALUATED = (Status.PASS, Status.FAIL, Status.WARN, Status.ERROR, Status.WAIVED)


@dataclass(frozen=True)
class Mapping:
    check: str
    from_level: int | None
    line: int


@dataclass(frozen=True)
class Requirement:
    id: str
    area: str
    clause: str
    title: dict[str, str]
    levels: tuple[int, ...]
    checks: tuple[Mapping, ...]
    also: tuple[str, ...] = ()
    verified: bool = False
    provisional: bool = False
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "area": self.area, "clause": self.clause, "also": list(self.also),
                "title": dict(self.title), "levels": list(self.levels), "checks": [m.check for m in self.checks],
                "verified": self.verified, "provisional": self.provisional, "note": self.note}


@dataclass(frozen=True)
class Framework:
    id: str
    path: str
    version: str
    status: str
    name: dict[str, str]
    in_force: dict[str, str]
    sources: tuple[dict[str, Any], ...]
    levels: dict[int, dict[str, Any]]
    areas: dict[str, dict[str, str]]
    requirements: tuple[Requirement, ...]
    unmapped: dict[str, str]
    base_policy: dict[str, Any] = field(repr=False, default_factory=dict)
    mapping_lines: dict[str, int] = field(repr=False, default_factory=dict)  # check id -> first line mapping it
    warnings: tuple[str, ...] = ()

    # ---- lookups ---------------------------------------------------------------------------------------
    def mapped_checks(self) -> set[str]:
        return {m.check for r in self.requirements for m in r.checks}

    def requirements_for(self, check_id: str) -> list[Requirement]:
        return [r for r in self.requirements if any(m.check == check_id for m in r.checks)]

    def clauses_for(self, check_id: str) -> list[str]:
        return list(dict.fromkeys(r.clause for r in self.requirements_for(check_id)))

    def unknown_checks(self, known: Iterable[str]) -> list[InputError]:
        """One error per mapped or unmapped check id that no registered check has (at its line)."""
        known = set(known)
        return [InputError(self.path, line, "checks", f"no check {check_id!r}; `fourlayer checks list` shows the ids")
                for check_id, line in self.mapping_lines.items() if check_id not in known]

    # ---- applicability -----------------------------------------------------------------------------------
    def min_level(self, check_id: str, own: int) -> int:
        """The level from which this framework applies the check (`own` = the check's min_level)."""
        levels = []
        for r in self.requirements:
            for m in r.checks:
                if m.check == check_id:
                    levels.append(m.from_level if m.from_level is not None else max(own, min(r.levels)))
        return min(levels) if levels else own

    def apply_levels(self, checks: Iterable[Check]) -> list[Check]:
        """The checks with `min_level` as this framework applies them."""
        out = []
        for c in checks:
            level = self.min_level(c.meta.id, c.meta.min_level)
            out.append(c if level == c.meta.min_level else
                       dataclasses.replace(c, meta=dataclasses.replace(c.meta, min_level=level)))
        return out

    # ---- results and report --------------------------------------------------------------------------------
    def annotate(self, results: Iterable[Result]) -> None:
        """Give each result the clauses its check evidences."""
        cache: dict[str, list[str]] = {}
        for r in results:
            if r.check_id not in cache:
                cache[r.check_id] = self.clauses_for(r.check_id)
            r.clauses = list(cache[r.check_id])

    def evidence(self, results: Iterable[Result]) -> dict[str, Any]:
        """The report's `framework` field: metadata and, per requirement, what the results say (overall and per
        agency): counts of each status over its checks and an outcome (met, partial, not_met)."""
        by_check: dict[str, dict[str, Counter]] = {}  # check id -> agency id -> status counts
        for r in results:
            by_check.setdefault(r.check_id, {}).setdefault(r.agency, Counter())[r.status.value] += 1
        evidenced, not_evidenced = [], []
        for req in self.requirements:
            agencies: dict[str, Counter] = {}
            for m in req.checks:
                for agency, c in by_check.get(m.check, {}).items():
                    agencies.setdefault(agency, Counter()).update(c)
            counts = sum(agencies.values(), Counter())
            if not any(counts[s.value] for s in EVALUATED):
                not_evidenced.append(req.id)
                continue
            evidenced.append({**req.to_dict(), **_tally(counts),
                              "agencies": {a: _tally(c) for a, c in sorted(agencies.items())
                                           if any(c[s.value] for s in EVALUATED)}})
        return {"id": self.id, "name": dict(self.name), "version": self.version, "status": self.status,
                "in_force": dict(self.in_force), "requirements_evidenced": evidenced,
                "requirements_not_evidenced": not_evidenced}

    def summary(self) -> dict[str, Any]:
        """Everything about the framework, JSON-ready (for `frameworks show`)."""
        return {"id": self.id, "path": self.path, "version": self.version, "status": self.status,
                "name": dict(self.name), "in_force": dict(self.in_force), "sources": list(self.sources),
                "levels": {str(k): v for k, v in self.levels.items()}, "areas": self.areas,
                "requirements": [r.to_dict() for r in self.requirements], "unmapped": dict(self.unmapped)}


def _tally(counts: Counter) -> dict[str, Any]:
    return {"counts": {s.value: counts[s.value] for s in Status}, "outcome": _outcome(counts)}


def _outcome(counts: Counter) -> str:
    """not_met if any mapped check failed; partial on WARN/ERROR; met when only PASS/WAIVED."""
    if counts["FAIL"]:
        return "not_met"
    if counts["WARN"] or counts["ERROR"]:
        return "partial"
    return "met"


# ---- the file's shape ------------------------------------------------------------------------------------------

class SourceEntry(Strict):
    id: Annotated[Ident, Field(examples=["decree-85-2016"])]
    title: Annotated[Text, Field(examples=["<title>"])]
    issued: Date | None = None
    url: Text | None = None
    verified: Annotated[Bool, Field(examples=["true or false"])]
    note: LongText | None = None


class LevelEntry(Strict):
    section: Annotated[Text, Field(examples=["<standard section>"])]
    name: Bilingual | None = None
    verified: Bool = False


class CheckRef(Strict):
    """A check a requirement lists: its id, and the level it applies from when the mapping sets one."""

    id: Annotated[Text, Field(examples=["L1-SSH-001"])]
    from_level: Level | None = None


def _check_ref(v: Any) -> Any:
    return {"id": v} if isinstance(v, str) else v


class RequirementEntry(Strict):
    id: Annotated[Ident, Field(examples=["NET-01"])]
    area: Annotated[Text, Field(examples=["<a declared area>"])]
    clause: Annotated[Text, Field(examples=["<citation>"])]
    also: list[Text] = []
    title: Annotated[Bilingual, Field(examples=['{vi: "...", en: "..."}'])]
    levels: Annotated[list[Level], Field(min_length=1, examples=["[1, 2, 3, 4, 5]"])]
    checks: list[Annotated[CheckRef, BeforeValidator(_check_ref, json_schema_input_type=str | CheckRef)]] = []
    verified: Bool = False
    provisional: Bool = False
    note: LongText | None = None


class UnmappedEntry(Strict):
    check: Annotated[Text, Field(examples=["L1-SSH-001"])]
    reason: Annotated[LongText, Field(examples=["<why no requirement fits>"])]


def _status(v: Any) -> str | None:
    return None if v in STATUSES else f"expected one of {', '.join(STATUSES)}"


class FrameworkFile(Strict):
    """A framework file (fourlayer/data/frameworks/*.yaml); `thresholds` is a partial policy (policy.schema.json)."""

    id: Annotated[Ident, Field(examples=["my-framework"])]
    version: Annotated[Text, Field(examples=['"1.0"'])]
    status: Annotated[str, Field(json_schema_extra={"enum": list(STATUSES)}), expect(_status)]
    name: Annotated[Bilingual, Field(examples=['{vi: "...", en: "..."}'])]
    in_force: Annotated[Bilingual, Field(examples=['{vi: "...", en: "..."}'])]
    sources: list[SourceEntry] = []
    levels: Annotated[dict[Level, LevelEntry], Field(examples=["{1: {section:, name:}, ... 5:}"])]
    areas: Annotated[dict[Text, Bilingual], Field(examples=["{network: {vi:, en:}, ...}"])]
    thresholds: dict[str, Any] | None = None
    requirements: Annotated[list[RequirementEntry], Field(min_length=1, examples=["[{id:, area:, clause:, title:, "
                                                                                  "levels:, checks:}]"])]
    unmapped: list[UnmappedEntry] = []


def framework_schema() -> dict[str, Any]:
    """The JSON Schema of a framework file (committed as fourlayer/data/framework.schema.json)."""
    return schema(FrameworkFile, "fourlayer framework file", "https://fourlayer.invalid/schema/framework.schema.json")


# ---- loading ---------------------------------------------------------------------------------------------------

def _framework(path: str, data: Any, expected_id: str | None) -> Framework:
    if data is None:
        raise InputError(path, 1, None, "the file is empty; see fourlayer/data/frameworks/ for an example")
    expect_kind(path, data, "framework", tuple(FrameworkFile.model_fields))
    file = validate(FrameworkFile, data, path)
    if expected_id and file.id != expected_id:
        raise InputError(path, data.value_line("id"), "id", f"expected {expected_id!r} (the file name), got "
                                                            f"{show(file.id)}")
    missing = [n for n in range(1, 6) if n not in file.levels]
    if missing:
        raise InputError(path, data.key_line("levels"), "levels",
                         f"missing level(s) {', '.join(map(str, missing))}; list all five")
    mapping_lines: dict[str, int] = {}  # check id -> first line mapping it
    requirements, seen = [], {}
    for i, (req, raw) in enumerate(zip(file.requirements, data["requirements"])):
        where, line = item_path("requirements", i), data["requirements"].item_line(i)
        if req.area not in file.areas:
            raise InputError(path, raw.value_line("area"), field_path(where, "area"),
                             f"unknown area {show(req.area)}; declared areas: {', '.join(file.areas)}")
        if req.id in seen:
            raise InputError(path, line, where + ".id", f"duplicate requirement id {req.id!r} (first at line "
                                                        f"{seen[req.id]})")
        seen[req.id] = line
        checks = []
        for j, ref in enumerate(req.checks):
            at = raw["checks"].item_line(j)
            mapping_lines.setdefault(ref.id, at)
            checks.append(Mapping(ref.id, ref.from_level, at))
        requirements.append(Requirement(
            id=req.id, area=req.area, clause=req.clause, title=req.title.as_dict(), levels=tuple(sorted(set(req.levels))),
            checks=tuple(checks), also=tuple(req.also), verified=req.verified, provisional=req.provisional,
            note=req.note))
    unmapped = {}
    for i, (u, raw) in enumerate(zip(file.unmapped, data.get("unmapped") or ())):
        if u.check in mapping_lines:
            raise InputError(path, raw.value_line("check"), field_path(item_path("unmapped", i), "check"),
                             f"{u.check} is mapped at line {mapping_lines[u.check]}; remove it from unmapped")
        mapping_lines.setdefault(u.check, raw.value_line("check"))
        unmapped[u.check] = u.reason
    base = default_policy()
    if file.thresholds is not None:
        base = merge_over(path, base, data["thresholds"], "thresholds", data.value_line("thresholds"))
    return Framework(
        id=file.id, path=path, version=file.version, status=file.status, name=file.name.as_dict(),
        in_force=file.in_force.as_dict(),
        sources=tuple({"id": s.id, "title": s.title, "issued": s.issued.isoformat() if s.issued else None,
                       "url": s.url, "verified": s.verified, "note": s.note} for s in file.sources),
        levels={n: {"section": lv.section, "name": lv.name.as_dict() if lv.name else None, "verified": lv.verified}
                for n, lv in file.levels.items()},
        areas={k: v.as_dict() for k, v in file.areas.items()}, requirements=tuple(requirements), unmapped=unmapped,
        base_policy=base, mapping_lines=mapping_lines)


def available() -> list[str]:
    """Ids of the frameworks shipped with fourlayer."""
    return sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.yaml"))


def load_framework_file(path: str | Path, expected_id: str | None = None) -> Framework:
    """Load and validate one framework file. Raises InputError naming file, line and field."""
    return _framework(str(path), load_yaml(path), expected_id)


def load_framework(ref: str | None = None, known_checks: Iterable[str] | None = None) -> Framework:
    """A built-in framework by id (default: Decree 85), or a framework file by path.

    With `known_checks`, a user file mapping an unknown check id is an InputError; a built-in framework gets
    `warnings` instead (a check missing from this installation must not stop every scan).
    """
    ref = ref or DEFAULT_FRAMEWORK
    builtin = FRAMEWORKS_DIR / f"{ref}.yaml"
    if "/" not in ref and builtin.is_file():
        fw = load_framework_file(builtin, ref)
    elif ref.endswith((".yaml", ".yml")) or Path(ref).is_file():
        fw = load_framework_file(ref)
    else:
        raise InputError("--framework", None, None, f"no framework {ref!r}; built-in: {', '.join(available())} "
                                                    "(or give the path of a framework .yaml file)")
    if known_checks is not None:
        unknown = fw.unknown_checks(known_checks)
        if unknown and fw.path != str(builtin):  # a user's framework: a typo must stop the scan
            raise unknown[0]
        if unknown:  # a shipped one: a check missing from this installation is reported, its mapping ignored
            fw = dataclasses.replace(fw, warnings=tuple(f"{e.one_line()} (mapping ignored)" for e in unknown))
    return fw
