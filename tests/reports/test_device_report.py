"""Network devices in the report: a device is listed like a host (kind "device", vendor, role) in the JSON — valid
against the published schema — and in the HTML of both languages, and its results roll up into the system's and
the agency's scores. A real scan of two IOS devices (the hardened and the weak fixture)."""

from __future__ import annotations

import json
from pathlib import Path

from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import load_policy
from fourlayer.core.discovery import discover
from fourlayer.core.registry import REGISTRY
from fourlayer.core.runner import ScanOptions, run_scan
from fourlayer.core.scoring import rollup
from fourlayer.reports.document import build_document
from fourlayer.reports.html_report import render_html
from fourlayer.reports.json_report import render_json
from tests.scan_harness import TODAY, agency, write_inventory
from tests.checks.test_device_checks import AGELESS, DATA, SOC
from tests.reports.test_reports import _errors


def _document(tmp_path: Path) -> tuple[dict, list]:
    devices = [{"id": "edge-rtr", "vendor": "cisco_ios", "role": "edge router",
                "config": str(DATA / "cisco_ios" / "hardened.conf")},
               {"id": "branch-rtr", "vendor": "cisco_ios", "role": "bộ định tuyến chi nhánh",
                "config": str(DATA / "cisco_ios" / "weak.conf")}]
    inv = load_inventory(write_inventory(tmp_path, [agency(level=3, soc=SOC, system={"devices": devices})],
                                         AGELESS))
    discover()
    run = run_scan(inv, load_policy(inv.policy_path), REGISTRY.all(), ScanOptions(as_of=TODAY, timeout=2.0))
    return build_document(run, inv), run.results


def test_devices_in_json_and_scores(tmp_path):
    doc, results = _document(tmp_path)
    assert _errors(json.loads(render_json(doc))) == []  # as published (the results are read from the spool)
    hosts = {h["id"]: h for h in doc["agencies"][0]["systems"][0]["hosts"]}
    assert hosts["edge-rtr"]["kind"] == "device" and hosts["edge-rtr"]["vendor"] == "cisco_ios"
    assert hosts["branch-rtr"]["role"] == "bộ định tuyến chi nhánh"
    assert hosts["edge-rtr"]["collectors"]["device_config"]["ok"] is True
    # only device checks ran on devices, and they count in the device's, the system's and the agency's scores
    device_results = [r for r in results if r.host in hosts]
    assert device_results and all(r.check_id[3:7] == "DEV-" for r in device_results)
    assert hosts["edge-rtr"]["summary"]["score"] == 100.0
    assert hosts["branch-rtr"]["summary"]["score"] < 20
    system = doc["agencies"][0]["systems"][0]["summary"]
    system_results = [r for r in results if r.system == "s1"]
    assert system["score"] == rollup(system_results, doc["policy"])["score"]
    assert system["counts"]["FAIL"] >= sum(1 for r in device_results if r.status.value == "FAIL")


def test_devices_in_html_both_languages(tmp_path):
    doc, _ = _document(tmp_path)
    vi, en = render_html(doc, "vi"), render_html(doc, "en")
    assert "Network device" in en and "Thiết bị mạng" in vi
    assert "Cisco IOS / IOS XE" in en and "saved configuration" in en and "tệp cấu hình đã lưu" in vi
    assert "bộ định tuyến chi nhánh" in vi and "L1-DEV-003" in en


def test_the_demo_shows_its_ios_router(demo_scan):
    """inventory/demo.yaml's hospital edge router (inventory/devices/demo-cisco-ios.conf): its weaknesses are
    findings of the demo report, next to the lab's hosts."""
    results = demo_scan.results("his-edge-rtr")
    verdicts = {cid: r["status"] for cid, r in results.items()}
    assert {cid for cid, s in verdicts.items() if s == "FAIL"} >= {
        "L1-DEV-001", "L1-DEV-003", "L1-DEV-004", "L1-DEV-005", "L1-DEV-006", "L1-DEV-008", "L1-DEV-009",
        "L2-DEV-001", "L3-DEV-001"}
    assert {cid for cid, s in verdicts.items() if s == "PASS"} >= {"L1-DEV-002", "L1-DEV-007", "L2-DEV-002"}
    host = next(h for a in demo_scan.doc["agencies"] for s in a["systems"] for h in s["hosts"]
                if h["id"] == "his-edge-rtr")
    assert (host["kind"], host["vendor"], host["role"]) == ("device", "cisco_ios", "bộ định tuyến biên")
    assert "CVE-2023-20198" in results["L3-DEV-001"]["reason"]
