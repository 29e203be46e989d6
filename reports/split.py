"""`fourlayer scan --split agency`: one report per agency, holding that agency's data only, plus a province overview.

A province's department sends each agency its own findings; agency A must never receive agency B's ids,
addresses, names or findings. `agency_document` is the report document cut down to one agency (every section
that names targets is filtered, sections that summarise the whole province are recomputed for that agency or
dropped), and every existing writer renders it unchanged, so each agency gets every format asked for, each file
self-contained (and signed when signing is asked for). The overview (`fourlayer.reports.province`) stays small:
it ranks agencies and names checks, never a host.

Layout under --out:
    <stem>.overview.<lang>.html, <stem>.overview.json
    agencies/<agency id>/<stem>-<agency id>.<format...>
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from fourlayer.core.spool import SpooledDocuments
from fourlayer.reports.writers import ReportWriteError, atomic_text, write_all

SPLITS = ("agency",)
AGENCY_DIR = "agencies"
# the scan's own facts (run, tool, policy, catalogue texts): the same for every agency, naming no target
SHARED_SECTIONS = ("schema_version", "tool", "run", "policy", "scoring_method", "statuses", "checks")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # inventory/schema.json: an id is a safe file name


def results_by_agency(results: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Results grouped by agency in one pass (2,000 hosts × 100 agencies must not be 100 passes over 134,000)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        out.setdefault(r["agency"], []).append(r)
    return out


def _framework_for(framework: dict[str, Any], agency_id: str) -> dict[str, Any]:
    """The framework section as if the scan had covered this agency alone: its own tallies, no other agency."""
    evidenced, not_evidenced = [], list(framework.get("requirements_not_evidenced") or [])
    for req in framework.get("requirements_evidenced") or []:
        own = (req.get("agencies") or {}).get(agency_id)
        if own is None:
            not_evidenced.append(req["id"])
        else:
            evidenced.append({**req, **own, "agencies": {agency_id: own}})
    return {**framework, "requirements_evidenced": evidenced, "requirements_not_evidenced": not_evidenced}


def _history_for(history: dict[str, Any], agency_id: str) -> dict[str, Any]:
    trend = [{**point, "agencies": {agency_id: point["agencies"][agency_id]}}
             for point in history.get("trend") or [] if agency_id in (point.get("agencies") or {})]
    return {**history, "trend": trend,
            "new": [r for r in history.get("new") or [] if r.get("agency") == agency_id],
            "fixed": [r for r in history.get("fixed") or [] if r.get("agency") == agency_id]}


def _waivers_for(waivers: dict[str, Any], agency: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Waivers of this agency's targets only. The waiver file's warnings are about the whole file (they name
    other agencies' targets), so they stay in the province's own report and overview, not here."""
    hosts = {h["id"] for s in agency["systems"] for h in s["hosts"]}
    mine = [e for e in waivers.get("expired") or []
            if str(e.get("target", "")).split("/")[0] == agency["id"] or e.get("target") in hosts]
    return {"applied": sum(1 for r in results if r.get("status") == "WAIVED"), "expired": mine, "warnings": []}


def agency_document(doc: dict[str, Any], agency: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The report document of one agency: its own node, results, history, framework tallies and waivers."""
    agency_id = agency["id"]
    used = {r["check_id"] for r in results}
    # sections kept as they are hold no target of any agency; every other section is cut down below, and one
    # this module does not know (a newer field, e.g. a province-wide zone matrix) is left out, never copied
    out = {k: v for k, v in doc.items() if k in SHARED_SECTIONS}
    out["run"] = {**doc["run"], "options": {**(doc["run"].get("options") or {}), "agencies": [agency_id]}}
    out["checks"] = {cid: meta for cid, meta in (doc.get("checks") or {}).items() if cid in used}
    out["agencies"] = [agency]
    if doc.get("history"):
        out["history"] = _history_for(doc["history"], agency_id)
    if doc.get("framework"):
        out["framework"] = _framework_for(doc["framework"], agency_id)
    if doc.get("waivers"):
        out["waivers"] = _waivers_for(doc["waivers"], agency, results)
    out["results"] = results
    return out


def agency_dir(out: Path, agency_id: str) -> Path:
    if not _SAFE_ID.match(agency_id):  # the inventory loader refuses such ids; never a path outside --out
        raise ReportWriteError(out / AGENCY_DIR, f"agency id {agency_id!r} is not a safe directory name")
    return out / AGENCY_DIR / agency_id


def write_split(doc: dict[str, Any], out: Path, stem: str, formats: list[str], langs: list[str],
                split: str = "agency") -> list[Path]:
    """The province overview, then every agency's own reports; the files written (a failure raises
    ReportWriteError with the complete files before it, like `write_all`)."""
    from fourlayer.reports.province import overview_document, write_overview

    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    results = doc["results"]  # a scan's spool (fourlayer.core.spool): each agency's results read when written
    grouped = results.spool.by_agency() if isinstance(results, SpooledDocuments) else results_by_agency(results)
    links = {a["id"]: {fmt: str(Path(AGENCY_DIR) / a["id"] / name) for fmt, name in
                       _agency_file_names(f"{stem}-{a['id']}", formats, langs).items()} for a in doc["agencies"]}
    written: list[Path] = []
    try:
        written += write_overview(overview_document(doc, grouped, links), out, stem, langs, atomic_text)
        for agency in doc["agencies"]:
            folder = agency_dir(out, agency["id"])
            own = list(grouped.get(agency["id"], []))  # one agency's results at a time, never all of them
            written += write_all(agency_document(doc, agency, own), folder,
                                 f"{stem}-{agency['id']}", formats, langs)
    except ReportWriteError as exc:
        exc.written = written + [p for p in exc.written if p not in written]
        raise
    return written


def _agency_file_names(stem: str, formats: list[str], langs: list[str]) -> dict[str, str]:
    """The name of each agency file the overview links to (the HTML one per language, as `write_all` names it)."""
    names: dict[str, str] = {}
    suffixes = {"json": ".json", "csv": ".csv", "sarif": ".sarif", "junit": ".junit.xml"}
    for fmt in formats:
        if fmt == "html":
            names.update({f"html.{lang}": f"{stem}.{lang}.html" for lang in langs})
        elif fmt in suffixes:
            names[fmt] = f"{stem}{suffixes[fmt]}"
    return names
