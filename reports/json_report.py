"""JSON renderer: the report document as UTF-8 JSON, stable key order."""

from __future__ import annotations

import json
from typing import Any


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n"
