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


# What one result adds to a tally: (its status's count key, what it adds to earned, possible and applicable, 1 for
# a failed critical check). Found by status then severity (str enums hash as str: two C lookups, no .value).
Contribution = tuple[str, float, float, float, int]


def contributions(weights: dict[str, float]) -> dict[Status, dict[Severity, Contribution]]:
    """Every (status, severity)'s Contribution under `weights`, worked out once for all the results it scores. The
    floats are those of adding `w * credit` and `w` one result at a time, so the sums stay the same; adding 0.0
    to a finite sum leaves it exactly as it was."""
    table: dict[Status, dict[Severity, Contribution]] = {}
    for status in Status:
        table[status] = row = {}
        for severity in Severity:
            w = float(weights[severity.value])
            credit = CREDIT.get(status)
            row[severity] = (status.value, w * credit if credit is not None else 0.0,
                             w if credit is not None else 0.0,
                             w if credit is not None or status is Status.ERROR else 0.0,
                             int(status is Status.FAIL and severity is Severity.CRITICAL))
    return table


_NO_COUNTS = {s.value: 0 for s in Status}


class Tally:
    """The running sums `summarise` gives, fed one result at a time (in the same order, the same floats)."""

    __slots__ = ("weights", "table", "earned", "possible", "applicable", "counts", "critical_failures")

    def __init__(self, weights: dict[str, float], table: dict[Status, dict[Severity, Contribution]] | None = None):
        self.weights = weights
        self.table = table if table is not None else contributions(weights)
        self.earned = self.possible = self.applicable = 0.0
        self.counts = dict(_NO_COUNTS)
        self.critical_failures = 0

    def add(self, r: Result) -> None:
        self.take(self.table[r.status][r.severity])

    def take(self, c: Contribution) -> None:
        """Add one result's Contribution (`contributions(weights)[status][severity]`)."""
        key, earned, possible, applicable, critical = c
        self.counts[key] += 1
        self.earned += earned
        self.possible += possible
        self.applicable += applicable
        self.critical_failures += critical

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

    __slots__ = ("all", "layers", "table")

    def __init__(self, weights: dict[str, float], table: dict[Status, dict[Severity, Contribution]] | None = None):
        self.table = table if table is not None else contributions(weights)
        self.all = Tally(weights, self.table)
        self.layers = {layer: Tally(weights, self.table) for layer in (1, 2, 3, 4)}

    def add(self, r: Result) -> None:
        self.take(self.table[r.status][r.severity], r.layer)

    def take(self, c: Contribution, layer: int) -> None:
        """Add one result's Contribution to the overall tally and its layer's."""
        self.all.take(c)
        tally = self.layers.get(layer)
        if tally is not None:
            tally.take(c)

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
    table = contributions(weights)
    nodes: dict[tuple, Rollup] = {}

    def node(key: tuple) -> Rollup:
        acc = nodes.get(key)
        if acc is None:
            acc = nodes[key] = Rollup(weights, table)
        return acc

    where: tuple = ()  # (agency, system, host) of the last result: a host's results come one after the other
    for r in results:
        if (r.agency, r.system, r.host) != where:
            where = (r.agency, r.system, r.host)
            accs = (node(where[:1]), node(where[:2]), node(where))
        c, layer = table[r.status][r.severity], r.layer
        for acc in accs:
            acc.take(c, layer)
    empty = Rollup(weights, table)

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
