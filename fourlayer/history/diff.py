"""What changed between scans: new failures, fixed findings, score changes, trends, persistent findings.

Pure functions over result dicts (the report's `results` items, or rows from `HistoryStore.results`) plus
two helpers that read a `HistoryStore`: `history_section` (the report's `doc["history"]`) and
`load_persistence` (the declared evidence that L3-PER-001 judges).

Rules (documented in docs/history.md):
- A result's identity is (check id, agency, system, host).
- *new*: FAIL or ERROR now, and not FAIL/ERROR in the earlier run. A target or check the earlier run did not
  evaluate counts only if that run evaluated the same check for the same agency (a new host, say) — a check
  the earlier run skipped or did not have is not "new since the last scan", it is unknown.
- *fixed*: FAIL in the earlier run, PASS now.
- *persistent*: FAIL in each of the last N runs that evaluated it; runs where it was ERROR, NOT_APPLICABLE or
  absent are skipped (they say nothing), any other status (PASS, WARN, WAIVED) ends the streak.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from fourlayer.core.model import Severity

BAD = ("FAIL", "ERROR")
SKIPPED_IN_STREAK = ("ERROR", "NOT_APPLICABLE")
PERSISTENCE_CHECK = "L3-PER-001"
LOOKBACK_RUNS = 200  # persistence streaks look this far back at most (first_seen then reads "at least since")
LAYERS = ("1", "2", "3", "4")


def result_key(r: dict[str, Any]) -> tuple:
    return (r["check_id"], r["agency"], r.get("system"), r.get("host"))


def _order(r: dict[str, Any]) -> tuple:
    return (Severity(r["severity"]).rank, r["check_id"], r["agency"], r.get("system") or "", r.get("host") or "")


def compare(before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]) -> dict[str, list[dict]]:
    """{"new": [...], "fixed": [...], "still_failing": [...]}: result dicts of `after`, each with
    `previous_status` (and `previous_reason` for fixed ones)."""
    earlier = {result_key(r): r for r in before}
    evaluated = {(r["check_id"], r["agency"]) for r in earlier.values()}
    new, fixed, still = [], [], []
    for r in after:
        p = earlier.get(result_key(r))
        if r["status"] in BAD:
            if p is None and (r["check_id"], r["agency"]) not in evaluated:
                continue
            if p is None or p["status"] not in BAD:
                new.append({**r, "previous_status": p["status"] if p else None})
            else:
                still.append({**r, "previous_status": p["status"]})
        elif r["status"] == "PASS" and p is not None and p["status"] == "FAIL":
            fixed.append({**r, "previous_status": "FAIL", "previous_reason": p["reason"]})
    return {"new": sorted(new, key=_order), "fixed": sorted(fixed, key=_order),
            "still_failing": sorted(still, key=_order)}


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 1)


def score_changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """{agency: {"all"|"1".."4": {"before", "after", "delta"}}} for agencies in either run."""
    out: dict[str, dict[str, dict]] = {}
    for agency in sorted(set(before) | set(after)):
        a, b = before.get(agency, {}), after.get(agency, {})
        rows = {"all": (a.get("score"), b.get("score"))}
        rows.update({n: (a.get("layers", {}).get(n), b.get("layers", {}).get(n)) for n in LAYERS})
        out[agency] = {k: {"before": x, "after": y, "delta": _delta(x, y)} for k, (x, y) in rows.items()}
    return out


def doc_scores(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-agency scores of a report document, in the shape `HistoryStore.scores` gives for one run."""
    return {a["id"]: {"score": a["summary"]["score"], "coverage": a["summary"]["coverage"],
                      "layers": {n: a["summary"]["layers"][n]["score"] for n in LAYERS}}
            for a in doc["agencies"]}


def diff_runs(store, run_a, run_b) -> dict[str, Any]:
    """The diff of two stored runs (RunInfo), A → B."""
    changes = compare(store.results(run_a.id), store.results(run_b.id))
    scores = store.scores([run_a.id, run_b.id])
    return {"from": run_a.to_dict(), "to": run_b.to_dict(), **changes,
            "scores": score_changes(scores[run_a.id], scores[run_b.id])}


def previous_complete_run(store, doc: dict[str, Any]):
    """The newest complete run before this document's run that covered one of its agencies, or None."""
    agencies = {a["id"] for a in doc["agencies"]}
    for run in store.runs(complete_only=True, before=doc["run"]["started"], exclude=doc["run"]["id"]):
        if agencies & set(run.agencies):
            return run
    return None


def history_section(store, doc: dict[str, Any], trend_runs: int) -> dict[str, Any] | None:
    """`doc["history"]` for a report, or None when no earlier complete run covers its agencies.

    {"trend": [{"run_id", "started", "agencies": {id: {"score", "coverage", "layers": {"1": score, ...}}}}],
     "new": [...], "fixed": [...], "previous_run": id}   — trend oldest first, this run last.
    """
    previous = previous_complete_run(store, doc)
    if previous is None:
        return None
    agencies = [a["id"] for a in doc["agencies"]]
    past = [r for r in store.runs(complete_only=True, before=doc["run"]["started"], exclude=doc["run"]["id"])
            if set(agencies) & set(r.agencies)][:max(0, trend_runs - 1)]
    scores = store.scores(r.id for r in past)
    trend = [{"run_id": r.id, "started": r.started,
              "agencies": {a: _trend_point(scores[r.id][a]) for a in agencies if a in scores[r.id]}}
             for r in reversed(past)]
    trend.append({"run_id": doc["run"]["id"], "started": doc["run"]["started"], "agencies": doc_scores(doc)})
    changes = compare(store.results(previous.id), doc["results"])
    return {"trend": trend, "new": changes["new"], "fixed": changes["fixed"], "previous_run": previous.id}


def _trend_point(s: dict[str, Any]) -> dict[str, Any]:
    return {"score": s["score"], "coverage": s["coverage"], "layers": {n: s["layers"].get(n) for n in LAYERS}}


def persistence_summary(rows: Iterable[tuple]) -> dict[str, Any]:
    """Streaks of consecutive FAILs per (check, target), grouped by system — the evidence of L3-PER-001.

    `rows`: (run_id, started, check_id, agency, system, host, status), newest run first.
    {"runs": n, "lookback": LOOKBACK_RUNS, "systems": {"agency/system": {"runs": k, "streaks": [
        {"check_id", "host", "target", "streak", "first_seen", "first_run", "last_run"}]}}}
    """
    all_runs: set[str] = set()
    system_runs: dict[str, set[str]] = defaultdict(set)
    history: dict[tuple, list[tuple[str, str, str]]] = defaultdict(list)
    for run_id, started, check_id, agency, system, host, status in rows:
        all_runs.add(run_id)
        if system is None:
            continue  # agency-scope findings belong to no system
        system_runs[f"{agency}/{system}"].add(run_id)
        history[(check_id, agency, system, host)].append((run_id, started, status))
    systems = {key: {"runs": len(ids), "streaks": []} for key, ids in system_runs.items()}
    for (check_id, agency, system, host), seq in history.items():
        streak, first = 0, None
        for run_id, started, status in seq:
            if status in SKIPPED_IN_STREAK:
                continue
            if status != "FAIL":
                break
            streak, first = streak + 1, (run_id, started)
        if streak:
            systems[f"{agency}/{system}"]["streaks"].append({
                "check_id": check_id, "host": host, "target": host or system, "streak": streak,
                "first_seen": first[1][:10], "first_run": first[0], "last_run": seq[0][0]})
    for node in systems.values():
        node["streaks"].sort(key=lambda s: (-s["streak"], s["check_id"], s["target"]))
    return {"runs": len(all_runs), "lookback": LOOKBACK_RUNS, "systems": systems}


def load_persistence(store, agencies: Iterable[str]) -> dict[str, Any]:
    """The persistence summary of the stored runs that covered `agencies` (L3-PER-001's own results excluded)."""
    return persistence_summary(store.past_statuses(agencies, LOOKBACK_RUNS, exclude_check=PERSISTENCE_CHECK))
