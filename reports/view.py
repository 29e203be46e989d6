"""The HTML view model: the report document regrouped for a reader (worst first; agency → system → host → layer).

Everything here is plain data; the templates (and reports/html_findings.py, for each finding) do the markup,
every string escaped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fourlayer.reports import charts

from fourlayer.core.constants import SEVERITIES

SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "WARN": 2, "WAIVED": 3, "PASS": 4, "NOT_APPLICABLE": 5}
PROBLEMS = ("FAIL", "ERROR", "WARN")
LAYERS = charts.LAYERS
MAX_TARGETS_SHOWN = 6


def finding_key(r: dict[str, Any]) -> tuple:
    """Worst first: status, then severity, then check id and target."""
    return (STATUS_ORDER.get(r["status"], 9), SEVERITY_ORDER.get(r["severity"], 9), r["check_id"],
            r.get("system") or "", r.get("host") or "")


def fmt_number(value: float | None, lang: str) -> str:
    """82.5 -> "82.5" (en) / "82,5" (vi); None -> an en dash."""
    if value is None:
        return "–"
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "vi" else text


def fmt_time(iso: str | None) -> str:
    """ISO timestamp -> "YYYY-MM-DD HH:MM:SS UTC" (or the text as given when it is not ISO)."""
    if not iso:
        return "–"
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


def duration_seconds(run: dict[str, Any]) -> float | None:
    try:
        return round((dt.datetime.fromisoformat(run["finished"]) -
                      dt.datetime.fromisoformat(run["started"])).total_seconds(), 1)
    except (KeyError, TypeError, ValueError):
        return None


def target_anchor(agency: str, system: str | None, host: str | None) -> str:
    """A stable fragment id for one agency, system or host (inventory ids are slugs)."""
    if host:
        return f"host-{agency}--{system}--{host}"
    if system:
        return f"system-{agency}--{system}"
    return f"agency-{agency}"


def target_label(r: dict[str, Any]) -> str:
    return " / ".join(p for p in (r.get("agency"), r.get("system"), r.get("host")) if p)


def clause_text(clause: Any, lang: str) -> str:
    """A framework clause given as text or as {id, title|name: text or {vi, en}}."""
    if not isinstance(clause, dict):
        return str(clause)
    label = clause.get("title") or clause.get("name") or ""
    if isinstance(label, dict):
        label = label.get(lang) or next(iter(label.values()), "")
    ident = str(clause.get("id") or clause.get("clause") or "")
    return f"{ident} — {label}" if ident and label else ident or str(label)


def localized(value: Any, lang: str) -> str:
    """A bilingual {vi, en} text (or plain text) in one language."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


OUTCOME_ORDER = {"not_met": 0, "partial": 1, "met": 2}


def requirements(framework: dict[str, Any] | None) -> tuple[list[dict[str, Any]], int | None]:
    """The framework's evidenced requirements as table rows (worst outcome first), and how many there are.
    `requirements_evidenced` may be a list of requirement dicts, a list of ids, or just a count."""
    evidenced = (framework or {}).get("requirements_evidenced")
    if isinstance(evidenced, bool) or not isinstance(evidenced, (list, int, float)):
        return [], None
    if not isinstance(evidenced, list):
        return [], int(evidenced)
    rows = []
    for q in evidenced:
        q = q if isinstance(q, dict) else {"id": q}
        rows.append({"id": str(q.get("id", "")), "title": q.get("title") or "", "clause": q.get("clause") or "",
                     "also": list(q.get("also") or []), "verified": bool(q.get("verified", True)),
                     "checks": list(q.get("checks") or []), "outcome": q.get("outcome"),
                     "counts": dict(q.get("counts") or {})})
    rows.sort(key=lambda q: (OUTCOME_ORDER.get(q["outcome"], 3), q["id"]))
    return rows, len(rows)


def flatten_policy(policy: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested policy -> [("tls.cert_warning_days", "30"), ...]; lists joined by commas."""
    rows: list[tuple[str, str]] = []
    for key, value in policy.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten_policy(value, path + "."))
        elif isinstance(value, (list, tuple)):
            rows.append((path, ", ".join(str(v) for v in value)))
        else:
            rows.append((path, str(value)))
    return rows


def _unknown_check(check_id: str, layer: int, severity: str) -> dict[str, Any]:
    empty = {"vi": "", "en": ""}
    return {"id": check_id, "layer": layer, "severity": severity, "min_level": 1, "scope": "host",
            "title": {"vi": check_id, "en": check_id}, "rationale": empty, "remediation": empty,
            "references": []}


class Finding:
    """One result as the template shows it (plain attributes: the template reads them 10^5 times)."""

    __slots__ = ("r", "c", "id", "clauses", "status", "severity", "layer", "check_id", "reason", "evidence", "waiver",
                 "title", "problem", "clauses_text", "head")

    def __init__(self, r: dict[str, Any], c: dict[str, Any], fid: str, clauses: list[str], lang: str, title: str):
        self.r, self.c, self.id, self.clauses = r, c, fid, clauses
        self.status, self.severity, self.layer = r["status"], r["severity"], r["layer"]
        self.check_id, self.evidence = r["check_id"], r.get("evidence") or ""
        self.reason = (r.get("reason_vi") or r["reason"]) if lang == "vi" else r["reason"]
        self.waiver = r.get("waiver") or None
        self.title = title  # the check's title in `lang` (or its id): build_view localises it once per check
        self.problem = r["status"] not in ("PASS", "NOT_APPLICABLE")
        self.clauses_text = "; ".join(clauses)
        self.head = (self.check_id, self.status, self.severity, self.layer)  # what the summary shows before the reason


@dataclass
class CheckGroup:
    """Worst-findings row: one check in one status, with every target it hit."""

    check_id: str
    status: str
    severity: str
    layer: int
    reason: str
    targets: list[tuple[str, str]] = field(default_factory=list)  # (label, fragment id)

    @property
    def more(self) -> int:
        return max(0, len(self.targets) - MAX_TARGETS_SHOWN)


@dataclass
class View:
    by_target: dict[tuple, list[tuple[str, list[Finding]]]]  # target -> [(layer, findings)]
    worst: list[CheckGroup]
    waived: list[Finding]
    totals: dict[str, int]
    counts: dict[str, int]
    checks: dict[str, dict[str, Any]]
    trends: dict[str, charts.Trend]
    bars: dict[str, charts.LayerBars]
    history: dict[str, Any] | None
    framework: dict[str, Any] | None
    policy_rows: list[tuple[str, str]]
    requirements: list[dict[str, Any]]
    requirements_count: int | None
    anchors: dict[tuple, str]  # (agency, system, host, check_id) -> finding fragment id

    def groups(self, agency: str, system: str | None = None, host: str | None = None):
        return self.by_target.get((agency, system, host), [])

    def anchor_of(self, r: dict[str, Any]) -> str | None:
        return self.anchors.get((r.get("agency"), r.get("system"), r.get("host"), r.get("check_id")))

    def release(self) -> None:
        """Drop the findings (the bulk of the view), freed at once by their reference counts: once the page is
        rendered, the template's context still holds the view in reference cycles until a garbage collection."""
        self.by_target.clear()
        self.worst.clear()
        self.waived.clear()


def _worst(findings: list[Finding]) -> list[CheckGroup]:
    groups: dict[tuple[str, str], CheckGroup] = {}
    for f in findings:
        r = f.r
        if f.status not in PROBLEMS:
            continue
        g = groups.get((r["check_id"], r["status"]))
        if g is None:
            g = groups[(r["check_id"], r["status"])] = CheckGroup(r["check_id"], r["status"], r["severity"],
                                                                  r["layer"], f.reason)
        g.targets.append((r.get("host") or r.get("system") or r["agency"], f.id))
    return sorted(groups.values(), key=lambda g: (STATUS_ORDER[g.status], SEVERITY_ORDER.get(g.severity, 9),
                                                  -len(g.targets), g.check_id))


@dataclass
class Ordered:
    """The results worst first, each with its target and fragment id: what every language's view shares (built
    once by `ordered`, so that the second language neither reads the results again nor sorts them)."""

    rows: list[tuple[dict[str, Any], tuple, str]]  # (result, (agency, system, host), fragment id)
    anchors: dict[tuple, str]  # (agency, system, host, check_id) -> the first such finding's fragment id


def ordered(results: Any) -> Ordered:
    rows: list[tuple[dict[str, Any], tuple, str]] = []
    anchors: dict[tuple, str] = {}
    for r in sorted(results, key=finding_key):
        key = (r["agency"], r.get("system"), r.get("host"))
        fid = f"{target_anchor(*key)}--{r['check_id']}"
        if (*key, r["check_id"]) in anchors:  # the same check twice on one target: keep ids unique
            fid = f"{fid}-{len(rows)}"
        anchors.setdefault((*key, r["check_id"]), fid)
        rows.append((r, key, fid))
    return Ordered(rows, anchors)


def build_view(doc: dict[str, Any], lang: str, shared: Ordered | None = None) -> View:
    """The view of `doc` in `lang`; `shared` is `ordered(doc["results"])` when the caller renders several
    languages of one document (computed here otherwise)."""
    checks = dict(doc.get("checks") or {})
    if shared is None:
        shared = ordered(doc["results"])
    findings: list[Finding] = []
    grouped: dict[tuple, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    titles: dict[str, str] = {}
    for r, key, fid in shared.rows:
        cid = r["check_id"]
        if cid not in titles:
            if cid not in checks:
                checks[cid] = _unknown_check(cid, r["layer"], r["severity"])
            titles[cid] = localized(checks[cid].get("title"), lang) or cid
        clauses = r.get("clauses")
        f = Finding(r, checks[cid], fid, [clause_text(c, lang) for c in clauses] if clauses else [], lang, titles[cid])
        findings.append(f)
        grouped[key][str(r["layer"])].append(f)
    by_target = {key: [(n, layers[n]) for n in LAYERS if n in layers] for key, layers in grouped.items()}

    totals = {s: 0 for s in STATUS_ORDER}
    for f in findings:
        totals[f.status] = totals.get(f.status, 0) + 1
    agencies = doc["agencies"]
    counts = {"agencies": len(agencies), "systems": sum(len(a["systems"]) for a in agencies),
              "hosts": sum(len(s["hosts"]) for a in agencies for s in a["systems"]),
              "checks": len(doc.get("checks") or {}), "results": len(findings)}

    scoring = (doc.get("policy") or {}).get("scoring", {})
    threshold = float(scoring.get("layer_threshold", 80))
    bars = {a["id"]: charts.layer_bars(a["summary"]["layers"], threshold) for a in agencies}
    history = doc.get("history") or None
    trends: dict[str, charts.Trend] = {}
    if history:
        runs = list(history.get("trend") or [])
        if runs and doc["run"]["id"] not in {r.get("run_id") for r in runs}:
            runs.append({"run_id": doc["run"]["id"], "started": doc["run"]["started"],
                         "agencies": {a["id"]: {"score": a["summary"]["score"],
                                                "coverage": a["summary"]["coverage"],
                                                "layers": {n: a["summary"]["layers"][n]["score"] for n in LAYERS}}
                                      for a in agencies}})
        for a in agencies:
            chart = charts.trend(runs, a["id"], threshold)
            if chart is not None:
                trends[a["id"]] = chart
    policy_rows = [row for row in flatten_policy(doc.get("policy") or {}) if not row[0].startswith("scoring.")]
    framework = doc.get("framework") or None
    reqs, req_count = requirements(framework)
    return View(by_target=by_target, worst=_worst(findings),
                waived=[f for f in findings if f.status == "WAIVED"], totals=totals, counts=counts,
                checks=checks, trends=trends, bars=bars, history=history, framework=framework,
                policy_rows=policy_rows, requirements=reqs, requirements_count=req_count,
                anchors=shared.anchors)
