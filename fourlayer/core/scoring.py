"""Scoring: severity-weighted score and coverage, rolled up host -> system -> agency, overall and per layer.

score    = 100 * sum(weight * credit) / sum(weight)   over PASS (credit 1), WARN (credit 0.5), FAIL (credit 0)
coverage = 100 * sum(weight of PASS/WARN/FAIL) / sum(weight of PASS/WARN/FAIL/ERROR)
NOT_APPLICABLE and WAIVED results are excluded from both and listed as such.
A layer is met when its score >= policy scoring.layer_threshold, its coverage >= scoring.min_coverage,
at least one check was evaluated, and no critical check failed.
The same results always give the same numbers (pure arithmetic, stable ordering).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from fourlayer.core.model import Result, Severity, Status

CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}
DEFAULT_WEIGHTS = {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}


def _weights(policy: dict) -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **policy.get("scoring", {}).get("weights", {})}


def summarise(results: Iterable[Result], policy: dict) -> dict[str, Any]:
    """Score, coverage and counts for a set of results (no layer breakdown)."""
    weights = _weights(policy)
    earned = possible = applicable = 0.0
    counts = {s.value: 0 for s in Status}
    critical_failures = 0
    for r in results:
        counts[r.status.value] += 1
        w = float(weights[r.severity.value])
        if r.status in CREDIT:
            earned += w * CREDIT[r.status]
            possible += w
            applicable += w
        elif r.status is Status.ERROR:
            applicable += w
        if r.status is Status.FAIL and r.severity is Severity.CRITICAL:
            critical_failures += 1
    return {
        "score": round(100.0 * earned / possible, 1) if possible else None,
        "coverage": round(100.0 * possible / applicable, 1) if applicable else None,
        "earned": round(earned, 2), "possible": round(possible, 2), "applicable": round(applicable, 2),
        "counts": counts, "critical_failures": critical_failures,
    }


def layer_met(summary: dict[str, Any], policy: dict) -> tuple[bool, str]:
    scoring = policy.get("scoring", {})
    threshold = float(scoring.get("layer_threshold", 80))
    min_cov = float(scoring.get("min_coverage", 80))
    if summary["score"] is None:
        return False, "no check of this layer could be evaluated"
    reasons = []
    if summary["score"] < threshold:
        reasons.append(f"score {summary['score']} < {threshold:g}")
    if summary["coverage"] is not None and summary["coverage"] < min_cov:
        reasons.append(f"coverage {summary['coverage']}% < {min_cov:g}%")
    if summary["critical_failures"]:
        reasons.append(f"{summary['critical_failures']} critical check(s) failed")
    return (not reasons), ("; ".join(reasons) if reasons else "met")


def rollup(results: list[Result], policy: dict) -> dict[str, Any]:
    """Overall and per-layer summaries for a set of results."""
    out = summarise(results, policy)
    layers = {}
    for layer in (1, 2, 3, 4):
        s = summarise([r for r in results if r.layer == layer], policy)
        s["met"], s["why"] = layer_met(s, policy)
        layers[str(layer)] = s
    out["layers"] = layers
    out["layers_met"] = sum(1 for s in layers.values() if s["met"])
    return out


def score_tree(results: list[Result], inventory, policy: dict) -> dict[str, Any]:
    """{agency_id: {summary, systems: {system_id: {summary, hosts: {host_id: summary}}}}}"""
    by_agency: dict[str, list[Result]] = defaultdict(list)
    by_system: dict[tuple[str, str | None], list[Result]] = defaultdict(list)
    by_host: dict[tuple[str, str | None, str | None], list[Result]] = defaultdict(list)
    for r in results:
        by_agency[r.agency].append(r)
        by_system[(r.agency, r.system)].append(r)
        by_host[(r.agency, r.system, r.host)].append(r)
    tree: dict[str, Any] = {}
    for agency in inventory.agencies:
        if agency.id not in by_agency:
            continue
        systems = {}
        for system in agency.systems:
            hosts = {h.id: rollup(by_host[(agency.id, system.id, h.id)], policy) for h in system.hosts}
            systems[system.id] = {"summary": rollup(by_system[(agency.id, system.id)], policy), "hosts": hosts}
        tree[agency.id] = {"summary": rollup(by_agency[agency.id], policy), "systems": systems}
    return tree
