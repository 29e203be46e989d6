"""The check model: statuses, severities, check metadata and results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

from fourlayer.core.constants import SEVERITIES  # noqa: F401 (re-exported)


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    ERROR = "ERROR"  # could not evaluate; never counted as a pass
    NOT_APPLICABLE = "NOT_APPLICABLE"
    WAIVED = "WAIVED"


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


assert tuple(s.value for s in Severity) == SEVERITIES, "Severity and fourlayer.core.constants.SEVERITIES differ"


SCOPES = ("host", "system", "agency")
LANGS = ("vi", "en")


@dataclass(frozen=True)
class CheckMeta:
    id: str
    layer: int
    severity: Severity
    min_level: int
    title: dict[str, str]
    rationale: dict[str, str]
    remediation: dict[str, str]
    references: tuple[str, ...]
    needs: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()  # host roles; empty = every host
    scope: str = "host"
    source: str = "builtin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "layer": self.layer,
            "severity": self.severity.value,
            "min_level": self.min_level,
            "scope": self.scope,
            "needs": list(self.needs),
            "applies_to": list(self.applies_to),
            "title": dict(self.title),
            "rationale": dict(self.rationale),
            "remediation": dict(self.remediation),
            "references": list(self.references),
            "source": self.source,
        }


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    func: Callable[..., "Outcome"]


class Unevaluable(Exception):
    """Raised by a check when its evidence cannot decide (e.g. a command failed on the target): ERROR, not a crash."""


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a status, a one-line reason and the evidence that decided it."""

    status: Status
    reason: "str | dict[str, str]"  # one line; {"en": ..., "vi": ...} for a bilingual reason
    evidence: str = ""


Text = "str | dict[str, str]"  # a reason or fragment: plain (reads the same in both languages) or {"en", "vi"}


def bi(en: str, vi: str) -> dict[str, str]:
    """A bilingual reason (or fragment of one)."""
    return {"en": en, "vi": vi}


def in_lang(text: Text, code: str) -> str:
    """The `code` ("en" or "vi") version of a reason fragment; a plain string reads the same in both."""
    if isinstance(text, dict):
        return text.get(code) or text.get("en", "")
    return str(text)


def bi_join(parts: list, sep: str = "; ", head: tuple[str, str] = ("", "")) -> dict[str, str]:
    """Reason fragments joined language by language, each language after its `head` (en, vi)."""
    return {code: prefix + sep.join(in_lang(p, code) for p in parts) for code, prefix in zip(("en", "vi"), head)}


def reason_parts(reason: "str | dict[str, str]") -> tuple[str, str | None]:
    """(English reason, Vietnamese reason or None) from what a check returned."""
    if isinstance(reason, dict):
        en = str(reason.get("en") or next(iter(reason.values()), ""))
        return en, (str(reason["vi"]) if reason.get("vi") else None)
    return str(reason), None


def passed(reason: "str | dict[str, str]", evidence: str = "") -> Outcome:
    return Outcome(Status.PASS, reason, evidence)


def failed(reason: "str | dict[str, str]", evidence: str = "") -> Outcome:
    return Outcome(Status.FAIL, reason, evidence)


def warned(reason: "str | dict[str, str]", evidence: str = "") -> Outcome:
    return Outcome(Status.WARN, reason, evidence)


def not_applicable(reason: "str | dict[str, str]", evidence: str = "") -> Outcome:
    return Outcome(Status.NOT_APPLICABLE, reason, evidence)


def errored(reason: "str | dict[str, str]", evidence: str = "") -> Outcome:
    return Outcome(Status.ERROR, reason, evidence)


@dataclass
class Result:
    check_id: str
    layer: int
    severity: Severity
    status: Status
    reason: str
    evidence: str
    agency: str
    system: str | None
    host: str | None
    scope: str
    waiver: dict[str, Any] | None = None
    duration_ms: float = 0.0
    reason_vi: str | None = None  # the same reason in Vietnamese, when the check gives one
    extra: dict[str, Any] = field(default_factory=dict)
    clauses: list[str] = field(default_factory=list)  # requirement clauses of the framework in force

    @property
    def target(self) -> str:
        return self.host or self.system or self.agency

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "layer": self.layer,
            "severity": self.severity.value,
            "status": self.status.value,
            "reason": self.reason,
            **({"reason_vi": self.reason_vi} if self.reason_vi else {}),
            "evidence": self.evidence,
            "agency": self.agency,
            "system": self.system,
            "host": self.host,
            "scope": self.scope,
            "waiver": self.waiver,
            "clauses": list(self.clauses),
            "duration_ms": round(self.duration_ms, 3),
        }
