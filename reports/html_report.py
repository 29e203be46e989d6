"""HTML renderer: one self-contained, auto-escaped file (inline CSS and SVG, no network fetches)."""

from __future__ import annotations

from typing import Any

import jinja2

from fourlayer.reports.i18n import LABELS

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "WARN": 2, "WAIVED": 3, "PASS": 4, "NOT_APPLICABLE": 5}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fourlayer.reports", "templates"),
        autoescape=True,  # everything from targets is text, never markup
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:g}"
    return env


def finding_key(r: dict[str, Any]) -> tuple:
    return (STATUS_ORDER[r["status"]], SEVERITY_ORDER[r["severity"]], r["check_id"], r["host"] or "")


def render_html(document: dict[str, Any], lang: str = "vi") -> str:
    results = document["results"]
    by_target: dict[tuple, list] = {}
    for r in results:
        by_target.setdefault((r["agency"], r["system"], r["host"]), []).append(r)
    for items in by_target.values():
        items.sort(key=lambda r: (r["layer"], finding_key(r)))
    worst = sorted((r for r in results if r["status"] in ("FAIL", "ERROR", "WARN")), key=finding_key)
    template = _environment().get_template("report.html.j2")
    return template.render(doc=document, L=LABELS[lang], lang=lang, by_target=by_target,
                           worst=worst[:25], checks=document["checks"])
