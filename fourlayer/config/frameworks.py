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
from typing import Any, Iterable

from fourlayer.config.policy import default_policy, merge_over
from fourlayer.config.validation import MAX_LONG_TEXT, DataValidator
from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    expect_kind,
    field_path,
    got,
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
TOP_KEYS = ("id", "version", "status", "name", "in_force", "sources", "levels", "areas", "thresholds",
            "requirements", "unmapped")
SOURCE_KEYS = ("id", "title", "issued", "url", "verified", "note")
LEVEL_KEYS = ("section", "name", "verified")
REQ_KEYS = ("id", "area", "clause", "also", "title", "levels", "checks", "verified", "provisional", "note")
MAPPING_KEYS = ("id", "from_level")
UNMAPPED_KEYS = ("check", "reason")
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


# ---- loading ---------------------------------------------------------------------------------------------------

class _FrameworkValidator(DataValidator):
    def __init__(self, path: str):
        super().__init__(path)
        self.mapping_lines: dict[str, int] = {}

    def level_list(self, m: LineDict, key: str, where: str) -> tuple[int, ...]:
        items = self.seq(m, key, where, "of classification levels, e.g. [3, 4, 5]")
        if not items:
            self.fail(m.value_line(key), field_path(where, key), "missing; add levels: [1, 2, 3, 4, 5]")
        out = []
        for i, v in enumerate(items):
            if type(v) is not int or not 1 <= v <= 5:
                self.fail(items.item_line(i), item_path(field_path(where, key), i),
                          f"expected a classification level 1–5, got {got(v)}")
            out.append(v)
        return tuple(sorted(set(out)))

    def mapping_item(self, raw: Any, line: int, where: str) -> Mapping:
        if isinstance(raw, str):
            check_id, from_level = raw, None
        else:
            m = self.mapping(raw, line, where, "a check id, or {id: CHECK, from_level: N}")
            self.keys(m, where, MAPPING_KEYS)
            check_id = self.text(m, "id", where, "L1-SSH-001")
            from_level = self.integer(m, "from_level", where, 1, 5, "expected a classification level 1–5")
        self.mapping_lines.setdefault(check_id, line)
        return Mapping(check_id, from_level, line)

    def requirement(self, raw: Any, line: int, where: str, areas: dict) -> Requirement:
        m = self.mapping(raw, line, where, "id:, area:, clause:, title:, levels:, checks:")
        self.keys(m, where, REQ_KEYS)
        area = self.text(m, "area", where, f"one of {', '.join(areas)}")
        if area not in areas:
            self.fail(m.value_line("area"), field_path(where, "area"),
                      f"unknown area {show(area)}; declared areas: {', '.join(areas)}")
        checks = self.seq(m, "checks", where, "of check ids") or LineList()
        also = self.seq(m, "also", where, "of further citations") or LineList()
        for i, v in enumerate(also):
            if not isinstance(v, str) or not v.strip():
                self.fail(also.item_line(i), item_path(field_path(where, "also"), i), f"expected text, got {got(v)}")
        return Requirement(
            id=self.ident(m, "id", where, "NET-01"), area=area, clause=self.text(m, "clause", where, "<citation>"),
            title=self.bilingual(m, "title", where), levels=self.level_list(m, "levels", where),
            checks=tuple(self.mapping_item(v, checks.item_line(i), item_path(field_path(where, "checks"), i))
                         for i, v in enumerate(checks)),
            also=tuple(v.strip() for v in also), verified=bool(self.boolean(m, "verified", where)),
            provisional=bool(self.boolean(m, "provisional", where)),
            note=self.text(m, "note", where, limit=MAX_LONG_TEXT))

    def source(self, raw: Any, line: int, where: str) -> dict[str, Any]:
        m = self.mapping(raw, line, where, "id:, title:, verified:")
        self.keys(m, where, SOURCE_KEYS)
        issued = self.date(m, "issued", where)
        return {"id": self.ident(m, "id", where, "decree-85-2016"), "title": self.text(m, "title", where, "<title>"),
                "issued": issued.isoformat() if issued else None, "url": self.text(m, "url", where),
                "verified": bool(self.boolean(m, "verified", where, "true or false")),
                "note": self.text(m, "note", where, limit=MAX_LONG_TEXT)}

    def levels(self, m: LineDict) -> dict[int, dict[str, Any]]:
        raw = self.mapping(m.get("levels"), m.value_line("levels"), "levels", "1: {section:, name:}, ... 5:")
        out = {}
        for key, value in raw.items():
            where = field_path("levels", key)
            if type(key) is not int or not 1 <= key <= 5:
                self.fail(raw.key_line(key), where, f"expected a classification level 1–5 as key, got {got(key)}")
            lv = self.mapping(value, raw.value_line(key), where, "section:, name:")
            self.keys(lv, where, LEVEL_KEYS)
            out[key] = {"section": self.text(lv, "section", where, "<standard section>"),
                        "name": self.bilingual(lv, "name", where) if "name" in lv else None,
                        "verified": bool(self.boolean(lv, "verified", where))}
        missing = [n for n in range(1, 6) if n not in out]
        if missing:
            self.fail(m.key_line("levels"), "levels", f"missing level(s) {', '.join(map(str, missing))}; list all five")
        return out

    def framework(self, data: Any, expected_id: str | None) -> Framework:
        if data is None:
            self.fail(1, None, "the file is empty; see fourlayer/data/frameworks/ for an example")
        expect_kind(self.path, data, "framework", TOP_KEYS)
        m = self.mapping(data, getattr(data, "line", 1), None, "id:, name:, requirements: ...")
        self.keys(m, None, TOP_KEYS)
        fid = self.ident(m, "id", None, expected_id or "my-framework")
        if expected_id and fid != expected_id:
            self.fail(m.value_line("id"), "id", f"expected {expected_id!r} (the file name), got {show(fid)}")
        status = m.get("status")
        if status not in STATUSES:
            self.fail(m.value_line("status"), "status", f"expected one of {', '.join(STATUSES)}, got {got(status)}")
        areas_raw = self.mapping(m.get("areas"), m.value_line("areas"), "areas", "network: {vi:, en:}, ...")
        areas = {str(k): self.bilingual(areas_raw, k, "areas") for k in areas_raw}
        sources = self.seq(m, "sources", None, "of {id:, title:, verified:}") or LineList()
        reqs_raw = self.seq(m, "requirements", None, "of requirements")
        if not reqs_raw:
            self.fail(m.value_line("requirements"), "requirements", "missing or empty; add at least one requirement")
        requirements = tuple(self.requirement(v, reqs_raw.item_line(i), item_path("requirements", i), areas)
                             for i, v in enumerate(reqs_raw))
        seen: dict[str, int] = {}
        for i, r in enumerate(requirements):
            if r.id in seen:
                self.fail(reqs_raw.item_line(i), item_path("requirements", i) + ".id",
                          f"duplicate requirement id {r.id!r} (first at line {seen[r.id]})")
            seen[r.id] = reqs_raw.item_line(i)
        base = default_policy()
        if m.get("thresholds") is not None:
            base = merge_over(self.path, base, m["thresholds"], "thresholds", m.value_line("thresholds"))
        return Framework(
            id=fid, path=self.path, version=str(self.text(m, "version", None, "\"1.0\"")), status=status,
            name=self.bilingual(m, "name", None), in_force=self.bilingual(m, "in_force", None),
            sources=tuple(self.source(v, sources.item_line(i), item_path("sources", i)) for i, v in enumerate(sources)),
            levels=self.levels(m), areas=areas, requirements=requirements, unmapped=self.unmapped(m),
            base_policy=base, mapping_lines=dict(self.mapping_lines))

    def unmapped(self, m: LineDict) -> dict[str, str]:
        items = self.seq(m, "unmapped", None, "of {check:, reason:}") or LineList()
        out = {}
        for i, v in enumerate(items):
            where = item_path("unmapped", i)
            u = self.mapping(v, items.item_line(i), where, "check:, reason:")
            self.keys(u, where, UNMAPPED_KEYS)
            check_id = self.text(u, "check", where, "L1-SSH-001")
            if check_id in self.mapping_lines:
                self.fail(u.value_line("check"), field_path(where, "check"),
                          f"{check_id} is mapped at line {self.mapping_lines[check_id]}; remove it from unmapped")
            self.mapping_lines.setdefault(check_id, u.value_line("check"))
            out[check_id] = self.text(u, "reason", where, "<why no requirement fits>", MAX_LONG_TEXT)
        return out


def available() -> list[str]:
    """Ids of the frameworks shipped with fourlayer."""
    return sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.yaml"))


def load_framework_file(path: str | Path, expected_id: str | None = None) -> Framework:
    """Load and validate one framework file. Raises InputError naming file, line and field."""
    return _FrameworkValidator(str(path)).framework(load_yaml(path), expected_id)


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
