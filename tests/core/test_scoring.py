"""Scoring arithmetic: weights, coverage, layer met rules, determinism."""

from fourlayer.core.model import Result, Severity, Status
from fourlayer.core.scoring import rollup, summarise

POLICY = {"scoring": {"weights": {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0},
                      "layer_threshold": 80, "min_coverage": 80}}


def r(status, severity="high", layer=1, check="L1-X-001"):
    return Result(check, layer, Severity(severity), Status(status), "", "", "a", "s", "h", "host")


def test_weighted_score_and_coverage():
    results = [r("PASS", "critical"), r("FAIL", "high"), r("WARN", "medium"), r("ERROR", "low"),
               r("NOT_APPLICABLE", "critical"), r("WAIVED", "critical")]
    s = summarise(results, POLICY)
    # earned 10 + 0 + 1.5 = 11.5 of 18 possible; applicable 18 + 1 (error)
    assert s["score"] == round(100 * 11.5 / 18, 1)
    assert s["coverage"] == round(100 * 18 / 19, 1)
    assert s["counts"]["NOT_APPLICABLE"] == 1 and s["counts"]["WAIVED"] == 1


def test_layer_not_met_on_critical_failure_even_with_high_score():
    results = [r("PASS", "critical")] * 20 + [r("FAIL", "critical")]
    out = rollup(results, POLICY)
    assert out["layers"]["1"]["score"] > 90
    assert not out["layers"]["1"]["met"] and "critical" in out["layers"]["1"]["why"]


def test_layer_not_met_on_low_coverage_and_unevaluated():
    out = rollup([r("PASS", "high"), r("ERROR", "high"), r("ERROR", "high")], POLICY)
    assert out["layers"]["1"]["score"] == 100.0 and not out["layers"]["1"]["met"]
    assert "coverage" in out["layers"]["1"]["why"]
    assert out["layers"]["2"]["score"] is None and not out["layers"]["2"]["met"]


def test_deterministic():
    results = [r("PASS", "low", layer=2), r("FAIL", "medium", layer=3), r("PASS", "high", layer=4)]
    assert rollup(results, POLICY) == rollup(list(reversed(results)), POLICY)
