"""JSON renderer: the report document as UTF-8 JSON, stable key order, and its published JSON Schema.

Strict JSON: NaN and Infinity (which JSON.parse and other strict parsers reject) raise instead of being written;
inputs refuse them at validation, so one here is a bug.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TextIO

from fourlayer.core.json_stream import Streamed
from fourlayer.core.json_stream import write_json as stream_json

SCHEMA_FILE = "report.schema.json"


def render_json(document: dict[str, Any]) -> str:
    if isinstance(document.get("results"), Streamed):
        document = {**document, "results": list(document["results"])}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False, default=str,
                      allow_nan=False) + "\n"


def write_json(document: dict[str, Any], fh: TextIO) -> None:
    """The same text as render_json, streamed to `fh` (never the whole report as one string in memory): the
    results (a spool read from disk, fourlayer.core.spool) and the agencies' nodes are encoded item by item."""
    streamed = {**document, **{k: Streamed(document[k]) for k in ("agencies", "results")
                               if isinstance(document.get(k), (list, Streamed))}}
    stream_json(fh, streamed, ensure_ascii=False, indent=2, default=str)
    fh.write("\n")


def schema_text() -> str:
    """The JSON Schema (draft 2020-12) of the report document, as shipped in the package."""
    return (resources.files("fourlayer.reports") / "schema" / SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    return json.loads(schema_text())
