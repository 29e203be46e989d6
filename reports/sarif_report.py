"""SARIF 2.1.0: one run, one rule per check that ran, one result per check outcome, for CI code-scanning views.

Mapping: FAIL -> kind "fail" with a level from the severity; WARN -> "review"; ERROR -> "open" (could not decide);
NOT_APPLICABLE -> "notApplicable"; PASS -> "pass"; WAIVED -> "fail" with an accepted external suppression that
carries the waiver's justification. Targets are logical locations agency/system/host; the physical location is
the inventory file that declares them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import PurePath
from typing import Any, TextIO

from fourlayer.core.json_stream import Streamed, write_json

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
KINDS = {"FAIL": "fail", "WARN": "review", "ERROR": "open", "NOT_APPLICABLE": "notApplicable", "PASS": "pass",
         "WAIVED": "fail"}


def _utc(iso: str | None) -> str | None:
    if not iso:
        return None
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _rule(check_id: str, c: dict[str, Any]) -> dict[str, Any]:
    severity = c.get("severity", "info")
    return {
        "id": check_id,
        "shortDescription": {"text": c.get("title", {}).get("en") or check_id},
        "fullDescription": {"text": c.get("rationale", {}).get("en") or c.get("title", {}).get("en") or check_id},
        "help": {"text": c.get("remediation", {}).get("en") or ""},
        "defaultConfiguration": {"level": LEVELS.get(severity, "note")},
        "properties": {"layer": c.get("layer"), "severity": severity, "min_level": c.get("min_level"),
                       "scope": c.get("scope"), "references": list(c.get("references", [])),
                       "title_vi": c.get("title", {}).get("vi", ""),
                       "security-severity": SECURITY_SEVERITY.get(severity, "0.0"),
                       "tags": ["security", f"layer-{c.get('layer')}", severity]},
    }


def _key(r: dict[str, Any]) -> tuple:
    return (r.get("check_id"), r.get("agency"), r.get("system"), r.get("host"))


def _artifact_uri(inventory: str | None) -> str:
    if not inventory:
        return "inventory.yaml"
    path = PurePath(inventory)
    return path.as_uri() if path.is_absolute() else path.as_posix()


def _result(r: dict[str, Any], rule_index: int, uri: str, baseline: str | None) -> dict[str, Any]:
    target = "/".join(p for p in (r["agency"], r.get("system"), r.get("host")) if p)
    status = r["status"]
    out: dict[str, Any] = {
        "ruleId": r["check_id"], "ruleIndex": rule_index, "kind": KINDS.get(status, "informational"),
        "level": LEVELS.get(r["severity"], "note") if KINDS.get(status) == "fail" else "none",
        "message": {"text": f"{target}: {r['reason'] or status}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": uri}},
            "logicalLocations": [{"name": r.get("host") or r.get("system") or r["agency"],
                                  "fullyQualifiedName": target, "kind": "resource"}]}],
        "partialFingerprints": {"fourlayerTarget/v1": hashlib.sha256(
            "\x1f".join(str(p or "") for p in _key(r)).encode("utf-8")).hexdigest()},
        "properties": {"status": status, "severity": r["severity"], "layer": r["layer"], "scope": r.get("scope"),
                       "evidence": r.get("evidence", "")},
    }
    if r.get("clauses"):
        out["properties"]["clauses"] = r["clauses"]
    waiver = r.get("waiver")
    if status == "WAIVED" and waiver:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": str(waiver.get("justification", "")),
                                "properties": {k: str(v) for k, v in waiver.items()}}]
    if baseline:
        out["baselineState"] = baseline
    return out


def sarif_log(doc: dict[str, Any], streamed: bool = False) -> dict[str, Any]:
    """The SARIF log; with `streamed`, its results are a `Streamed` list, produced while they are written."""
    checks = dict(doc.get("checks") or {})
    for r in doc["results"]:
        checks.setdefault(r["check_id"], {"layer": r["layer"], "severity": r["severity"]})
    ids = sorted(checks)
    index = {cid: i for i, cid in enumerate(ids)}
    uri = _artifact_uri(doc["run"].get("inventory"))
    history = doc.get("history") or None
    new = {_key(r) for r in (history or {}).get("new") or []}
    invocation: dict[str, Any] = {"executionSuccessful": bool(doc["run"].get("complete", True))}
    for field, value in (("startTimeUtc", _utc(doc["run"].get("started"))),
                         ("endTimeUtc", _utc(doc["run"].get("finished")))):
        if value:
            invocation[field] = value
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": doc["tool"]["name"], "version": doc["tool"]["version"],
                                "semanticVersion": doc["tool"]["version"],
                                "rules": [_rule(cid, checks[cid]) for cid in ids]}},
            "automationDetails": {"id": f"fourlayer/{doc['run']['id']}"},
            "invocations": [invocation],
            "results": (Streamed if streamed else list)(
                _result(r, index[r["check_id"]], uri,
                        None if history is None else ("new" if _key(r) in new else "unchanged"))
                for r in doc["results"]),
            "properties": {"run_id": doc["run"]["id"], "report_schema_version": doc["schema_version"]},
        }],
    }


def render_sarif(doc: dict[str, Any]) -> str:
    return json.dumps(sarif_log(doc), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_sarif(doc: dict[str, Any], fh: TextIO) -> None:
    """The same text as render_sarif, written result by result (never the whole log in memory)."""
    write_json(fh, sarif_log(doc, streamed=True), indent=2)
    fh.write("\n")
