"""scripts/demo_json_diff.py sets aside what differs on every run, and only that."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "demo_json_diff.py"


def _module():
    spec = importlib.util.spec_from_file_location("demo_json_diff", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scan_clock_minute_of_a_recorded_windows_date_is_set_aside_and_nothing_else() -> None:
    diff = _module()
    reason = ("AntivirusSignatureLastUpdated=2026-10-22 {} UTC (41 days before the scan) version 1.401.88.0")
    one, other = ({"results": [{"evidence": reason.format(t)}]} for t in ("01:55", "02:46"))
    assert diff.differences(diff.normalise(one), diff.normalise(other)) == []
    assert diff.normalise(reason.format("01:55")) == reason.format("<hh:mm>")
    # the date, the age and the rest of the field still count
    for changed in (reason.replace("2026-10-22", "2026-10-21"), reason.replace("41 days", "40 days"),
                    reason.replace("1.401.88.0", "1.401.89.0")):
        later = {"results": [{"evidence": changed.format("02:46")}]}
        assert diff.differences(diff.normalise(one), diff.normalise(later)), changed
    # a time of day that is not such a stamp is kept
    assert diff.normalise("window 02:00 UTC to 04:00 UTC") == "window 02:00 UTC to 04:00 UTC"
