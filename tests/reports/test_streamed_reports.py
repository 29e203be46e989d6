"""Every report format is written piece by piece (bounded memory at 2,000 hosts) with the very same text as its
whole-string rendering, and only ever appears complete at its final name."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fourlayer.core.json_stream import Streamed, iter_json
from fourlayer.reports.csv_report import render_csv
from fourlayer.reports.html_report import render_html
from fourlayer.reports.json_report import render_json
from fourlayer.reports.junit_report import render_junit, write_junit
from fourlayer.reports.sarif_report import render_sarif
from fourlayer.reports.writers import WRITERS, write_all


def test_streamed_files_equal_the_rendered_text(demo_scan, tmp_path: Path) -> None:
    written = write_all(demo_scan.doc, tmp_path, "r", list(WRITERS), ["vi", "en"])
    by_name = {p.name: p.read_bytes().decode("utf-8") for p in written}
    assert set(by_name) == {"r.vi.html", "r.en.html", "r.json", "r.csv", "r.sarif", "r.junit.xml"}
    assert by_name["r.vi.html"] == render_html(demo_scan.doc, "vi")
    assert by_name["r.en.html"] == render_html(demo_scan.doc, "en")
    assert by_name["r.json"] == render_json(demo_scan.doc)
    assert by_name["r.csv"] == render_csv(demo_scan.doc)
    assert by_name["r.sarif"] == render_sarif(demo_scan.doc)
    assert by_name["r.junit.xml"] == render_junit(demo_scan.doc)
    assert "Sở Y tế Nghệ An" in by_name["r.vi.html"] and by_name["r.json"].endswith("}\n")
    assert by_name["r.csv"].count("\r\n") == len(demo_scan.doc["results"]) + 1
    assert {"FAIL", "ERROR", "NOT_APPLICABLE", "PASS"} <= {r["status"] for r in demo_scan.doc["results"]}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_streamed_files_equal_the_scan_outputs(demo_scan, tmp_path: Path) -> None:
    """What `fourlayer scan` wrote (the session fixture) is byte for byte what the whole-string renderers give."""
    doc = demo_scan.doc
    assert demo_scan.file(".csv").read_bytes().decode("utf-8") == render_csv(doc)
    assert demo_scan.file(".sarif").read_bytes().decode("utf-8") == render_sarif(doc)
    assert demo_scan.file(".junit.xml").read_bytes().decode("utf-8") == render_junit(doc)


def test_junit_every_status_and_no_results_stream_as_rendered(demo_scan) -> None:
    statuses = ("PASS", "WARN", "FAIL", "ERROR", "NOT_APPLICABLE", "WAIVED")
    every = [{**r, "status": statuses[i % len(statuses)],
              "waiver": {"justification": "accepted <risk> & co"} if i % len(statuses) == 5 else r.get("waiver")}
             for i, r in enumerate(demo_scan.doc["results"])]
    for doc in ({**demo_scan.doc, "results": every}, {**demo_scan.doc, "results": []}):
        out = io.StringIO()
        write_junit(doc, out)
        assert out.getvalue() == render_junit(doc) and "<testsuites" in out.getvalue()


@pytest.mark.parametrize("indent", [None, 2])
def test_streamed_json_is_json_dumps_of_the_same_object(demo_scan, indent) -> None:
    doc = demo_scan.doc
    lazy = {**doc, "results": Streamed(lambda: iter(doc["results"])), "empty": Streamed(iter(())),
            "nested": {"checks": Streamed(list(doc["checks"].values()))}}
    plain = {**doc, "results": doc["results"], "empty": [], "nested": {"checks": list(doc["checks"].values())}}
    expected = json.dumps(plain, indent=indent, ensure_ascii=False, default=str)
    assert "".join(iter_json(lazy, indent=indent, default=str)) == expected

