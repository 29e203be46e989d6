"""HTML and JSON reports are written piece by piece (bounded memory at 1,000 hosts) with the very same text."""

from __future__ import annotations

from pathlib import Path

from fourlayer.reports.html_report import render_html
from fourlayer.reports.json_report import render_json
from fourlayer.reports.writers import write_all


def test_streamed_files_equal_the_rendered_text(demo_scan, tmp_path: Path) -> None:
    written = write_all(demo_scan.doc, tmp_path, "r", ["html", "json"], ["vi", "en"])
    by_name = {p.name: p.read_text(encoding="utf-8") for p in written}
    assert set(by_name) == {"r.vi.html", "r.en.html", "r.json"}
    assert by_name["r.vi.html"] == render_html(demo_scan.doc, "vi")
    assert by_name["r.en.html"] == render_html(demo_scan.doc, "en")
    assert by_name["r.json"] == render_json(demo_scan.doc)
    assert "Sở Y tế Nghệ An" in by_name["r.vi.html"] and by_name["r.json"].endswith("}\n")
