"""Scoring: severity-weighted score and coverage, rolled up host -> system -> agency, overall and per layer.

score    = 100 * sum(weight * credit) / sum(weight)   over PASS (credit 1), WARN (credit 0.5), FAIL (credit 0)
coverage = 100 * sum(weight of PASS/WARN/FAIL) / sum(weight of PASS/WARN/FAIL/ERROR)
NOT_APPLICABLE and WAIVED results are excluded from both and listed as such.
A layer is met when its score >= policy scoring.layer_threshold, its coverage >= scoring.min_coverage,
at least one check was evaluated, and no critical check failed.
The same results always give the same numbers (pure arithmetic, stable ordering).
"""

from __future__ import annotations

from typing import Any, Iterable

from fourlayer.core.model import Result, Severity, Status

CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}
DEFAULT_WEIGHTS = {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}


def _weights(policy: dict) -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **policy.get("scoring", {}).get("weights", {})}


class Tally:
    """The running sums `summarise` gives, fed one result at a time (in the same order, the same floats)."""

    __slots__ = ("weights", "earned", "possible", "applicable", "counts", "critical_failures")

    def __init__(self, weights: dict[str, float]):
        self.weights = weights
        self.earned = self.possible = self.applicable = 0.0
        self.counts = {s.value: 0 for s in Status}
        self.critical_failures = 0

    def add(self, r: Result) -> None:
        self.counts[r.status.value] += 1
        w = float(self.weights[r.severity.value])
        if r.status in CREDIT:
            self.earned += w * CREDIT[r.status]
            self.possible += w
            self.applicable += w
        elif r.status is Status.ERROR:
            self.applicable += w
        if r.status is Status.FAIL and r.severity is Severity.CRITICAL:
            self.critical_failures += 1

    def summary(self) -> dict[str, Any]:
        earned, possible, applicable = self.earned, self.possible, self.applicable
        return {
            "score": round(100.0 * earned / possible, 1) if possible else None,
            "coverage": round(100.0 * possible / applicable, 1) if applicable else None,
            "earned": round(earned, 2), "possible": round(possible, 2), "applicable": round(applicable, 2),
            "counts": dict(self.counts), "critical_failures": self.critical_failures,
        }


def summarise(results: Iterable[Result], policy: dict) -> dict[str, Any]:
    """Score, coverage and counts for a set of results (no layer breakdown)."""
    tally = Tally(_weights(policy))
    for r in results:
        tally.add(r)
    return tally.summary()


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


class Rollup:
    """`rollup` fed one result at a time: the overall tally and one per layer."""

    __slots__ = ("all", "layers")

    def __init__(self, weights: dict[str, float]):
        self.all = Tally(weights)
        self.layers = {layer: Tally(weights) for layer in (1, 2, 3, 4)}

    def add(self, r: Result) -> None:
        self.all.add(r)
        if r.layer in self.layers:
            self.layers[r.layer].add(r)

    def summary(self, policy: dict) -> dict[str, Any]:
        out = self.all.summary()
        layers = {}
        for layer, tally in self.layers.items():
            s = tally.summary()
            s["met"], s["why"] = layer_met(s, policy)
            layers[str(layer)] = s
        out["layers"] = layers
        out["layers_met"] = sum(1 for s in layers.values() if s["met"])
        return out


def rollup(results: Iterable[Result], policy: dict) -> dict[str, Any]:
    """Overall and per-layer summaries for a set of results."""
    acc = Rollup(_weights(policy))
    for r in results:
        acc.add(r)
    return acc.summary(policy)


def score_tree(results: Iterable[Result], inventory, policy: dict) -> dict[str, Any]:
    """{agency_id: {summary, systems: {system_id: {summary, hosts: {host_id: summary}}}}}

    One pass over `results` (a spool read from disk, 1,000,000 results at 10,000 hosts): only running tallies per
    agency, system and host are kept, each fed in the results' order, so the numbers are those of summing lists."""
    weights = _weights(policy)
    nodes: dict[tuple, Rollup] = {}

    def node(key: tuple) -> Rollup:
        acc = nodes.get(key)
        if acc is None:
            acc = nodes[key] = Rollup(weights)
        return acc

    for r in results:
        node((r.agency,)).add(r)
        node((r.agency, r.system)).add(r)
        node((r.agency, r.system, r.host)).add(r)
    empty = Rollup(weights)

    def summary(key: tuple) -> dict[str, Any]:
        return nodes.get(key, empty).summary(policy)

    tree: dict[str, Any] = {}
    for agency in inventory.agencies:
        if (agency.id,) not in nodes:
            continue
        systems = {}
        for system in agency.systems:
            hosts = {h.id: summary((agency.id, system.id, h.id)) for h in system.hosts}
            systems[system.id] = {"summary": summary((agency.id, system.id)), "hosts": hosts}
        tree[agency.id] = {"summary": summary((agency.id,)), "systems": systems}
    return tree
