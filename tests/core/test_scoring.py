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


def test_score_tree_nodes_are_the_rollups_of_their_results_in_any_order():
    """score_tree feeds each agency, system and host its results as they come (a host's one after the other, or
    interleaved with others'): each node's numbers are exactly `rollup` of its own results, fractional weights
    included (the same floats, summed in the same order)."""
    import random
    from types import SimpleNamespace as NS

    from fourlayer.core.scoring import score_tree

    policy = {"scoring": {"weights": {"critical": 7.3, "high": 0.7, "medium": 3.3, "low": 0.1, "info": 0.2},
                          "layer_threshold": 80, "min_coverage": 80}}
    rng = random.Random(16)
    where = [(f"a{a}", f"a{a}-s{s}", f"a{a}-s{s}-h{h}") for a in range(2) for s in range(2) for h in range(3)]
    results = [Result("L1-X-001", rng.choice([1, 2, 3, 4]), rng.choice(list(Severity)), rng.choice(list(Status)),
                      "", "", a, s, h, "host") for a, s, h in where for _ in range(40)]
    inventory = NS(agencies=[NS(id=f"a{a}", systems=[NS(id=f"a{a}-s{s}", hosts=[NS(id=f"a{a}-s{s}-h{h}")
                                                                                 for h in range(3)])
                                                      for s in range(2)]) for a in range(3)])
    for order in (results, rng.sample(results, len(results))):
        tree = score_tree(order, inventory, policy)
        assert set(tree) == {"a0", "a1"}  # an agency without results is left out
        for a, s, h in where:
            assert tree[a]["summary"] == rollup([x for x in order if x.agency == a], policy)
            assert tree[a]["systems"][s]["summary"] == rollup([x for x in order if x.system == s], policy)
            assert tree[a]["systems"][s]["hosts"][h] == rollup([x for x in order if x.host == h], policy)
