"""JUnit XML: one <testsuite> per target (agency, system or host), one <testcase> per check result.

FAIL -> <failure>, ERROR -> <error>, NOT_APPLICABLE and WAIVED -> <skipped>, PASS -> passed; WARN passes (it earns
half credit in the score) with the warning in <system-out>, so a CI job fails on failures, not on warnings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any, Iterator, TextIO

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Text that XML 1.0 can carry (control characters dropped); ElementTree escapes the rest."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _case(parent: ET.Element, r: dict[str, Any], check: dict[str, Any], classname: str) -> None:
    title = check.get("title", {}).get("en") or r["check_id"]
    case = ET.SubElement(parent, "testcase", classname=xml_text(classname),
                         name=xml_text(f"{r['check_id']}: {title}"),
                         time=f"{float(r.get('duration_ms') or 0) / 1000:.3f}")
    status, reason, evidence = r["status"], xml_text(r["reason"]), xml_text(r.get("evidence", ""))
    if status == "FAIL":
        ET.SubElement(case, "failure", message=reason, type=r["severity"]).text = evidence
    elif status == "ERROR":
        ET.SubElement(case, "error", message=reason, type="unevaluated").text = evidence
    elif status in ("NOT_APPLICABLE", "WAIVED"):
        waiver = r.get("waiver") or {}
        note = f"waived: {waiver.get('justification', '')}" if status == "WAIVED" else reason
        ET.SubElement(case, "skipped", message=xml_text(note))
    elif status == "WARN":
        ET.SubElement(case, "system-out").text = xml_text(f"WARN ({r['severity']}): {reason}\n{evidence}")


def _by_target(doc: dict[str, Any]) -> dict[tuple, list[dict[str, Any]]]:
    by_target: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in doc["results"]:
        by_target[(r["agency"], r.get("system"), r.get("host"))].append(r)
    return by_target


def _counts(results: list[dict[str, Any]]) -> dict[str, int]:
    return {"tests": len(results), "failures": sum(r["status"] == "FAIL" for r in results),
            "errors": sum(r["status"] == "ERROR" for r in results),
            "skipped": sum(r["status"] in ("NOT_APPLICABLE", "WAIVED") for r in results)}


def _suites(doc: dict[str, Any], by_target: dict[tuple, list[dict[str, Any]]]) -> Iterator[ET.Element]:
    """One <testsuite> element per target, built when it is wanted."""
    checks = doc.get("checks") or {}
    started = (doc["run"].get("started") or "")[:19]
    for key, results in by_target.items():
        name = "/".join(p for p in key if p)
        seconds = sum(float(r.get("duration_ms") or 0) for r in results) / 1000
        suite = ET.Element("testsuite", name=xml_text(name), timestamp=started,
                           time=f"{seconds:.3f}", **{k: str(v) for k, v in _counts(results).items()})
        for r in results:
            _case(suite, r, checks.get(r["check_id"], {}), ".".join(p for p in key if p))
        yield suite


def _root(doc: dict[str, Any], by_target: dict[tuple, list[dict[str, Any]]]) -> ET.Element:
    root = ET.Element("testsuites", name=f"fourlayer {doc['run']['id']}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for results in by_target.values():
        for k, v in _counts(results).items():
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def junit_tree(doc: dict[str, Any]) -> ET.Element:
    by_target = _by_target(doc)
    root = _root(doc, by_target)
    root.extend(_suites(doc, by_target))
    return root


def render_junit(doc: dict[str, Any]) -> str:
    root = junit_tree(doc)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(doc: dict[str, Any], fh: TextIO) -> None:
    """The same text as render_junit, one <testsuite> at a time (never the whole tree in memory)."""
    by_target = _by_target(doc)
    if not by_target:
        fh.write(render_junit(doc))
        return
    root = _root(doc, by_target)
    root.text = mark = "\ue000suites\ue000"
    head, _, tail = ET.tostring(root, encoding="unicode").rpartition(mark)
    fh.write('<?xml version="1.0" encoding="UTF-8"?>\n' + head)
    last = len(by_target) - 1
    for i, suite in enumerate(_suites(doc, by_target)):
        ET.indent(suite, level=1)  # as ET.indent(root) indents it
        suite.tail = "\n" if i == last else "\n  "
        fh.write(("\n  " if i == 0 else "") + ET.tostring(suite, encoding="unicode"))
    fh.write(tail + "\n")
