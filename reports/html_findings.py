"""The HTML of one target's findings, by layer: the report's innermost loop (once per result, 10^5 times in a
large report), written in Python rather than as a Jinja macro.

The text is exactly what the macro it replaces rendered (the `findings_by_layer` macro of _macros.html.j2, as it
was, with trim_blocks and lstrip_blocks): autoescaped the same way, every value from a target through
`markupsafe.escape` once, the per-check pieces (summary head, check body, waiver) still rendered by their macros.
"""

from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape

from fourlayer.reports.view import Finding


def findings_renderer(labels: dict[str, Any], head: Callable[[Finding], Markup], bodies: dict[str, Markup],
                      waiver: Callable[[dict[str, Any]], Markup]) -> Callable[[list], Markup]:
    """`findings(groups)`: the markup of [(layer, [Finding])] (View.groups) for the labels of one language.
    `head(f)` renders what a finding's summary shows before its reason, once per Finding.head (check, status,
    severity, layer); `bodies` holds each check's body, `waiver(w)` renders a waiver."""
    heads: dict[tuple, Markup] = {}
    group_head = f"<div class=\"lgroup\" data-group>\n<h4>{escape(labels['layer'])} "
    layer_names = {ln: escape(name) for ln, name in labels["layer_names"].items()}
    evidence = f"<h5>{escape(labels['evidence'])}</h5><pre>"
    about = f"\">{escape(labels['check_details'])}</a></p>"
    clauses = f"<h5>{escape(labels['clauses'])}</h5><p>"

    def finding(f: Finding) -> str:
        summary = heads.get(f.head)
        if summary is None:
            summary = heads[f.head] = head(f)
        parts = [f"<details class=\"finding\" id=\"{escape(f.id)}\"{summary}<span class=\"reason\">"
                 f"{escape(f.reason)}</span></span></summary>\n<div class=\"fbody\">\n"]
        if f.waiver:
            parts.append(waiver(f.waiver))
        if f.evidence:
            parts.append(f"{evidence}{escape(f.evidence)}</pre>")
        if f.problem:
            parts.append(bodies[f.check_id])
        else:
            parts.append(f"<p class=\"meta\"><a href=\"#check-{escape(f.check_id)}{about}")
        if f.clauses:
            parts.append(f"{clauses}{escape(f.clauses_text)}</p>")
        parts.append("</div>\n</details>\n")
        return "".join(parts)

    def findings(groups: list) -> Markup:
        out = []
        for ln, items in groups:
            out.append(f"{group_head}{escape(ln)} — {layer_names[ln]}</h4>\n")
            out.extend(map(finding, items))
            out.append("</div>\n")
        return Markup("".join(out))

    return findings
