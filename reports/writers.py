"""Output formats: name -> writer(document, out_dir, stem, langs) -> files written.

Adding a format is one entry here; `fourlayer scan --format` accepts every key of WRITERS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from fourlayer.reports.html_report import render_html
from fourlayer.reports.json_report import render_json

Writer = Callable[[dict[str, Any], Path, str, list[str]], list[Path]]


def write_json(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
    path = out / f"{stem}.json"
    path.write_text(render_json(doc), encoding="utf-8")
    return [path]


def write_html(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
    written = []
    for lang in langs:
        path = out / f"{stem}.{lang}.html"
        path.write_text(render_html(doc, lang), encoding="utf-8")
        written.append(path)
    return written


WRITERS: dict[str, Writer] = {"json": write_json, "html": write_html}
DEFAULT_FORMATS = ("html", "json")


def write_all(doc: dict[str, Any], out: Path, stem: str, formats: list[str], langs: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in formats:
        written.extend(WRITERS[name](doc, out, stem, langs))
    return written
