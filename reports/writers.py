"""Output formats: name -> writer(document, out_dir, stem, langs) -> files written.

Adding a format is one entry here; `fourlayer scan --format` accepts every key of WRITERS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TextIO

from fourlayer.reports.csv_report import render_csv
from fourlayer.reports.html_report import generate_html
from fourlayer.reports.json_report import render_json, write_json
from fourlayer.reports.junit_report import render_junit
from fourlayer.reports.sarif_report import render_sarif

Writer = Callable[[dict[str, Any], Path, str, list[str]], list[Path]]


def _single(suffix: str, render: Callable[[dict[str, Any]], str],
            stream: Callable[[dict[str, Any], TextIO], None] | None = None) -> Writer:
    """A writer for a format that does not depend on the language: one UTF-8 file <stem><suffix>
    (`stream` writes the same text piece by piece, for formats that grow large)."""
    def write(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
        path = out / f"{stem}{suffix}"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            if stream is not None:
                stream(doc, fh)
            else:
                fh.write(render(doc))
        return [path]

    return write


def write_html(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
    written = []
    for lang in langs:
        path = out / f"{stem}.{lang}.html"
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(generate_html(doc, lang))  # streamed: never the whole report in memory
        written.append(path)
    return written


WRITERS: dict[str, Writer] = {
    "html": write_html,
    "json": _single(".json", render_json, stream=write_json),
    "csv": _single(".csv", render_csv),
    "sarif": _single(".sarif", render_sarif),
    "junit": _single(".junit.xml", render_junit),
}
DEFAULT_FORMATS = tuple(WRITERS)


def write_all(doc: dict[str, Any], out: Path, stem: str, formats: list[str], langs: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in formats:
        written.extend(WRITERS[name](doc, out, stem, langs))
    return written
