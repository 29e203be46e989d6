"""HTML renderer: one self-contained, auto-escaped file (inline CSS, SVG and a small filter script).

The Content-Security-Policy allows only the report's own style and script (by hash): no network fetch of any
kind, and no other script, even if text from a target ever slipped through unescaped.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from importlib import resources
from typing import Any, Iterator

import jinja2
from markupsafe import Markup, escape

from fourlayer.reports.html_findings import findings_renderer
from fourlayer.reports.i18n import LABELS
from fourlayer.reports.view import (MAX_TARGETS_SHOWN, SEVERITY_ORDER, STATUS_ORDER, Ordered, View,
                                    build_view, duration_seconds, fmt_number, fmt_time, localized, target_label)

_TICKS = re.compile(r"`([^`]+)`")
LARGE_REPORT_HOSTS = 50  # above this, the browser lays out each host only when it scrolls into view


def codeticks(text: str) -> Markup:
    """Escape, then show `backticked` spans of check texts as code."""
    return Markup(_TICKS.sub(r"<code>\1</code>", str(escape(text))))


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def _static(name: str) -> str:
    return (resources.files("fourlayer.reports") / "templates" / name).read_text(encoding="utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fourlayer.reports", "templates"),
        autoescape=True,  # everything from targets is text, never markup
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["codeticks"] = codeticks
    return env


def content_security_policy(css: str, script: str) -> str:
    return (f"default-src 'none'; style-src {_hash(css)}; script-src {_hash(script)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def render_html(document: dict[str, Any], lang: str = "vi") -> str:
    return "".join(generate_html(document, lang))


def generate_html(document: dict[str, Any], lang: str = "vi", shared: Ordered | None = None) -> Iterator[str]:
    """The report in pieces, for writing straight to a file: a 1,000-host report is ~70 MB of text, which as one
    string (plus its encoded copy) would dominate the scanner's peak memory. `shared`: the results in order
    (view.ordered), given when several languages of one document are written."""
    css, script = _static("report.css"), _static("report.js")
    scoring = (document.get("policy") or {}).get("scoring", {})
    view = build_view(document, lang, shared)
    env = _environment()
    macros = env.get_template("_macros.html.j2").make_module({"L": LABELS[lang], "lang": lang})
    bodies = {cid: macros.check_body(c) for cid, c in view.checks.items()}  # autoescaped, once per check
    findings = findings_renderer(LABELS[lang], macros.finding_head, bodies, macros.waiver)
    return _released_after(view, env.get_template("report.html.j2").generate(
        doc=document, v=view, L=LABELS[lang], lang=lang, css=Markup(css), script=Markup(script), findings=findings,
        csp=content_security_policy(css, script), layers=("1", "2", "3", "4"),
        severities=list(SEVERITY_ORDER), statuses=list(STATUS_ORDER), threshold=float(scoring.get("layer_threshold", 80)),
        min_coverage=float(scoring.get("min_coverage", 80)), weights=scoring.get("weights", {}),
        max_targets=MAX_TARGETS_SHOWN, large_report_hosts=LARGE_REPORT_HOSTS,
        duration=duration_seconds(document["run"]), n=functools.partial(fmt_number, lang=lang),
        text=functools.partial(localized, lang=lang), fmt_time=fmt_time, target_label=target_label))


def _released_after(view: View, pieces: Iterator[str]) -> Iterator[str]:
    """`pieces`, then the view's findings released (View.release), also when the writing stops early."""
    try:
        yield from pieces
    finally:
        view.release()
