"""CSV of findings: one row per result, UTF-8 with a BOM so that Excel opens Vietnamese text intact.

Cells that a spreadsheet would read as a formula (=, +, -, @, tab, CR at the start) get a leading apostrophe:
text from targets must never run as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterator, TextIO

COLUMNS = ("run_id", "agency", "agency_name", "system", "system_name", "level", "host", "address", "check_id",
           "layer", "severity", "status", "title_vi", "title_en", "reason", "reason_vi", "evidence", "remediation_vi",
           "remediation_en", "references", "clauses", "waiver_justification", "waiver_approver",
           "waiver_expires")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _names(doc: dict[str, Any]) -> tuple[dict, dict, dict]:
    agencies, systems, hosts = {}, {}, {}
    for a in doc["agencies"]:
        agencies[a["id"]] = a["name"]
        for s in a["systems"]:
            systems[(a["id"], s["id"])] = s
            for h in s["hosts"]:
                hosts[(a["id"], s["id"], h["id"])] = h["address"]
    return agencies, systems, hosts


def _clause(c: Any) -> str:
    return str(c.get("id", c)) if isinstance(c, dict) else str(c)


def csv_rows(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per result, produced as they are written."""
    agencies, systems, hosts = _names(doc)
    checks = doc.get("checks") or {}
    for r in doc["results"]:
        c = checks.get(r["check_id"], {})
        system = systems.get((r["agency"], r.get("system")), {})
        waiver = r.get("waiver") or {}
        yield {
            "run_id": doc["run"]["id"], "agency": r["agency"], "agency_name": agencies.get(r["agency"], ""),
            "system": r.get("system") or "", "system_name": system.get("name", ""), "level": system.get("level", ""),
            "host": r.get("host") or "", "address": hosts.get((r["agency"], r.get("system"), r.get("host")), ""),
            "check_id": r["check_id"], "layer": r["layer"], "severity": r["severity"], "status": r["status"],
            "title_vi": c.get("title", {}).get("vi", ""), "title_en": c.get("title", {}).get("en", ""),
            "reason": r["reason"], "reason_vi": r.get("reason_vi") or r["reason"], "evidence": r["evidence"],
            "remediation_vi": c.get("remediation", {}).get("vi", ""),
            "remediation_en": c.get("remediation", {}).get("en", ""),
            "references": "; ".join(c.get("references", [])),
            "clauses": "; ".join(_clause(x) for x in r.get("clauses") or []),
            "waiver_justification": waiver.get("justification", ""), "waiver_approver": waiver.get("approver", ""),
            "waiver_expires": str(waiver.get("expires", "") or ""),
        }


def write_csv(doc: dict[str, Any], fh: TextIO) -> None:
    """The CSV text, starting with a BOM, row by row; `fh` opened with encoding="utf-8" and newline=""."""
    fh.write(BOM)
    writer = csv.writer(fh, lineterminator="\r\n")  # a DictWriter's text, without its per-row key checks
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_safe(row[k]) for k in COLUMNS] for row in csv_rows(doc))


def render_csv(doc: dict[str, Any]) -> str:
    """The CSV text as one string (what write_csv writes)."""
    out = io.StringIO(newline="")
    write_csv(doc, out)
    return out.getvalue()
