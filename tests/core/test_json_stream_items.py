"""The streamed JSON writer's per-item encoder gives json.dumps' exact text (it bypasses json's Python encoder)."""

from __future__ import annotations

import datetime as dt
import enum
import json

import pytest

from fourlayer.core.json_stream import _dumps_item, iter_json, Streamed


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 5


ITEMS = [
    {},
    {"a": 1},
    {"check_id": "L1-SSH-001", "layer": 1, "severity": "high", "status": "FAIL", "reason": "Mật khẩu \"yếu\"\n\t\u2028",
     "reason_vi": "ký tự \x00 \x1f \\ /", "evidence": "", "agency": "a", "system": None, "host": "h", "scope": "host",
     "waiver": None, "clauses": [], "duration_ms": 0.0},
    {"clauses": ["Điều 9", "c\"2"], "waiver": {"justification": "x", "expires": "2027-01-01", "n": [1, {"k": []}]},
     "duration_ms": 12.345, "big": 10 ** 30, "neg": -0.0, "tiny": 1e-300, "t": True, "f": False},
    {"enum": Colour.RED, "level": Level.HIGH, "when": dt.date(2026, 1, 2), "nested": [[], {}, [1.5, None, "s"]]},
    {1: "int key", "b": 2},
    {"tuple": ("a", "b"), "set_of_lists": [["x"], "y"]},
    # nested as a SARIF result is: every level assembled by the fast path, oddities deep inside fall back
    {"ruleId": "L1-SSH-001", "ruleIndex": 3, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "i"}},
                                                            "logicalLocations": [{"name": "h\u2028", "kind": "r"}]}],
     "properties": {"evidence": "<script>\"x\"</script>", "clauses": ["Điều 9"], "deep": [[[{}]], [[]], {"x": []}]},
     "odd": [{2: "int key deep"}, {"e": Colour.RED, "l": Level.HIGH, "d": dt.date(2026, 1, 2)}, (1, [2.5, -1])]},
    [1, "top-level list", {"k": ["v"]}],
    "just a string",
    12,
]


@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("indent", [None, 2, 4])
@pytest.mark.parametrize("item", ITEMS)
def test_item_text_is_json_dumps(item, indent, ensure_ascii):
    options = {"indent": indent, "ensure_ascii": ensure_ascii, "default": str, "allow_nan": False}
    assert _dumps_item(item, options) == json.dumps(item, **options)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")], {"deep": [{"x": float("nan")}]}])
def test_non_finite_floats_still_refused(value):
    with pytest.raises(ValueError):
        _dumps_item({"x": value}, {"indent": 2, "ensure_ascii": False, "default": str, "allow_nan": False})


def test_streamed_document_text_is_json_dumps():
    doc = {"results": ITEMS, "n": 1}
    text = "".join(iter_json({**doc, "results": Streamed(ITEMS)}, indent=2, default=str))
    assert text == json.dumps(doc, indent=2, ensure_ascii=False, default=str)
