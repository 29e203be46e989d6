"""The HTML report as a person meets it, in headless Chromium opened from file://: numbers, filters, no-JS
reading, screenshots (test-artifacts/screenshots/), and a hostile host whose markup must never run."""

from __future__ import annotations

import re

import pytest

from fourlayer.reports.view import fmt_number, target_anchor
from tests.reports.browser.conftest import SSH_XSS

HOST = ("soyte-nghean", "his", "his-app")  # the demo's weak host: many findings in several layers


def _open(driver, path, fragment: str = "", width: int = 1280, height: int = 1000):
    driver.set_window_size(width, height)
    driver.get(path.resolve().as_uri() + fragment)
    return driver


def _visible(driver, css: str) -> list:
    """Elements the filters leave shown (whether or not their host's <details> is open right now)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).filter(e => !e.closest('[hidden]'))", css)


def _js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def _click(driver, element) -> None:
    """Click as a person would, with the element mid-screen (not under the sticky filter bar)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _screenshot(driver, path) -> None:
    """Save a PNG; a renderer starved by a loaded machine gets two more tries before the test fails."""
    from selenium.common.exceptions import TimeoutException

    for attempt in range(3):
        try:
            driver.save_screenshot(str(path))
            return
        except TimeoutException:
            if attempt == 2:
                raise


def _no_console_errors(driver) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_overview_numbers_match_the_json(browser, demo_scan, lang):
    from selenium.webdriver.common.by import By

    _open(browser, demo_scan.file(f".{lang}.html"))
    assert _js(browser, "return document.documentElement.lang") == lang
    rows = browser.find_elements(By.CSS_SELECTOR, "#overview-table tbody tr")
    assert [r.get_attribute("data-agency") for r in rows] == [a["id"] for a in demo_scan.doc["agencies"]]
    for row, agency in zip(rows, demo_scan.doc["agencies"]):
        s = agency["summary"]
        assert agency["name"] in row.text
        score = row.find_element(By.CSS_SELECTOR, "[data-k=score]").text
        assert score == fmt_number(s["score"], lang)
        assert row.find_element(By.CSS_SELECTOR, "[data-k=coverage]").text == fmt_number(s["coverage"], lang) + "%"
        assert row.find_element(By.CSS_SELECTOR, "[data-k=layers-met]").text == f"{s['layers_met']}/4"
        for cell in row.find_elements(By.CSS_SELECTOR, "td[data-l]"):
            layer = s["layers"][cell.get_attribute("data-l")]
            assert cell.get_attribute("data-met") == ("true" if layer["met"] else "false")
            assert ("✓" in cell.text) == layer["met"]
            assert cell.find_element(By.CSS_SELECTOR, "[data-k=layer-score]").text == fmt_number(layer["score"], lang)
    counts = {st: sum(r["status"] == st for r in demo_scan.doc["results"]) for st in demo_scan.doc["statuses"]}
    for chip in browser.find_elements(By.CSS_SELECTOR, "[data-total]"):
        assert chip.text.endswith(f": {counts[chip.get_attribute('data-total')]}")
    findings = browser.find_elements(By.CSS_SELECTOR, "details.finding")
    assert len(findings) == len(demo_scan.doc["results"])
    assert _js(browser, "return performance.getEntriesByType('resource').length") == 0, "no fetch of any kind"
    _no_console_errors(browser)


def test_vietnamese_text_renders_with_its_diacritics(browser, demo_scan):
    _open(browser, demo_scan.file(".vi.html"))
    text = _js(browser, "return document.body.innerText")
    for phrase in ("Báo cáo an toàn thông tin theo mô hình 4 lớp", "Lực lượng tại chỗ", "Kết nối hệ thống giám sát "
                   "quốc gia", "Sở Y tế Nghệ An", "KHÔNG ĐẠT", "Độ bao phủ", "Phương pháp"):
        assert phrase in text, phrase


def test_filters_hide_and_show_findings(browser, demo_scan):
    from selenium.webdriver.common.by import By

    _open(browser, demo_scan.file(".en.html"))
    results = demo_scan.doc["results"]
    form = browser.find_element(By.ID, "filters")
    assert form.is_displayed()
    assert len(_visible(browser, "details.finding")) == len(results)
    assert browser.find_element(By.ID, "filter-count").text == f"{len(results)} / {len(results)}"

    pass_box = form.find_element(By.CSS_SELECTOR, "input[name=status][value=PASS]")
    pass_box.click()
    n_pass = sum(r["status"] == "PASS" for r in results)
    assert n_pass and not _visible(browser, "details.finding[data-status=PASS]")
    assert len(_visible(browser, "details.finding[data-status=FAIL]")) == sum(r["status"] == "FAIL" for r in results)
    assert browser.find_element(By.ID, "filter-count").text == f"{len(results) - n_pass} / {len(results)}"
    pass_box.click()
    assert len(_visible(browser, "details.finding")) == len(results)

    form.find_element(By.CSS_SELECTOR, "input[name=layer][value='1']").click()
    assert not _visible(browser, "details.finding[data-layer='1']")
    assert not _visible(browser, ".wrow[data-layer='1']"), "the worst-findings table follows the filter too"
    assert _visible(browser, "details.finding[data-layer='2']")
    # his-app has findings only in layers 1 and 2: its layer-1 group disappears, the host stays
    host = browser.find_element(By.ID, target_anchor(*HOST))
    groups = _visible(browser, f"[id='{target_anchor(*HOST)}'] .lgroup")
    assert host.is_displayed() and groups and not any("Layer 1" in g.text for g in groups)

    browser.find_element(By.ID, "preset-problems").click()
    shown = {e.get_attribute("data-status") for e in _visible(browser, "details.finding")}
    assert shown and shown <= {"FAIL", "ERROR", "WARN"}
    assert _visible(browser, "details.finding[data-layer='1']"), "a preset resets the other filters"
    browser.find_element(By.ID, "preset-all").click()
    assert len(_visible(browser, "details.finding")) == len(results)
    _no_console_errors(browser)


def test_without_javascript_every_finding_is_still_readable(browser, demo_scan):
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        _open(browser, demo_scan.file(".en.html"))
        assert not browser.find_element(By.ID, "filters").is_displayed(), "no filter UI without JavaScript"
        findings = browser.find_elements(By.CSS_SELECTOR, "details.finding")
        assert len(findings) == len(demo_scan.doc["results"])
        fail = next(r for r in demo_scan.doc["results"] if r["status"] == "FAIL" and r["evidence"])
        anchor = f"{target_anchor(fail['agency'], fail['system'], fail['host'])}--{fail['check_id']}"
        element = browser.find_element(By.ID, anchor)
        assert fail["reason"] in element.text
        _click(browser, element.find_element(By.TAG_NAME, "summary"))  # <details> opens natively, without script
        evidence = element.find_element(By.TAG_NAME, "pre")
        assert evidence.is_displayed() and evidence.text == fail["evidence"].strip()
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_screenshots_of_the_overview_and_one_host(browser, demo_scan, screenshots, lang):
    from selenium.webdriver.common.by import By

    _open(browser, demo_scan.file(f".{lang}.html"), height=1500)
    assert _js(browser, "return document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
    overview = screenshots / f"overview-{lang}.png"
    _screenshot(browser, overview)

    host_id = target_anchor(*HOST)
    _open(browser, demo_scan.file(f".{lang}.html"), f"#{host_id}", height=1700)
    host = browser.find_element(By.ID, host_id)
    assert host.get_attribute("open") is not None, "a host with failures opens by default"
    first = host.find_element(By.CSS_SELECTOR, "details.finding[data-status=FAIL]")
    _click(browser, first.find_element(By.TAG_NAME, "summary"))
    assert first.find_element(By.TAG_NAME, "pre").is_displayed()
    _js(browser, "arguments[0].scrollIntoView({block: 'start'})", host)  # the CSS scroll margin clears the filters
    host_png = screenshots / f"host-{HOST[2]}-{lang}.png"
    _screenshot(browser, host_png)
    for png in (overview, host_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_print_layout_is_a4_with_agencies_on_new_pages(browser, demo_scan):
    import base64

    _open(browser, demo_scan.file(".en.html"))
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    assert pdf.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf))
    assert sizes and all(abs(float(w) - 595.92) < 2 and abs(float(h) - 842.88) < 2 for w, h in sizes), sizes
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= len(demo_scan.doc["agencies"]) + 2, "overview, one page run per agency, method"


def test_hostile_markup_from_targets_never_runs(browser, hostile_scan, screenshots):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    doc = hostile_scan.doc
    hostile = [r for r in doc["results"] if "<" in r["reason"] + r["evidence"]]
    payload = SSH_XSS.decode().strip()
    assert any(payload in r["reason"] for r in hostile), "the SSH banner's markup reached a result"
    assert any("script" in r["evidence"] and "alert(1)" in r["evidence"] for r in hostile), "certificate subject"
    for lang in ("vi", "en"):
        _open(browser, hostile_scan.file(f".{lang}.html"))
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text
        assert _js(browser, "return typeof window.__xss") == "undefined"
        assert _js(browser, "return document.scripts.length") == 1, "only the report's own script"
        assert _js(browser, "return document.querySelectorAll('img,[onerror],[onload],[onmouseover]').length") == 0
        for r in hostile:  # the exact text is there, as text
            anchor = f"{target_anchor(r['agency'], r['system'], r['host'])}--{r['check_id']}"
            element = browser.find_element(By.ID, anchor)
            _click(browser, element.find_element(By.TAG_NAME, "summary"))
            shown = (r.get("reason_vi") or r["reason"]) if lang == "vi" else r["reason"]
            assert shown in element.text
            if r["evidence"]:
                assert element.find_element(By.TAG_NAME, "pre").text == r["evidence"].strip()
        assert "<img src=x onerror=" in browser.find_element(By.CSS_SELECTOR, "#overview-table").text
        assert _js(browser, "return typeof window.__xss") == "undefined"
    banner = next(r for r in hostile if payload in r["reason"])
    _js(browser, "arguments[0].scrollIntoView({block: 'center'})", browser.find_element(
        By.ID, f"{target_anchor(banner['agency'], banner['system'], banner['host'])}--{banner['check_id']}"))
    _screenshot(browser, screenshots / "hostile-host-en.png")
    _no_console_errors(browser)


def test_hostile_text_survives_every_machine_format(hostile_scan):
    """No browser needed: the same hostile scan, as JSON (schema-valid), CSV, SARIF and JUnit, text intact."""
    import csv
    import io
    import json
    import xml.etree.ElementTree as ET

    from tests.reports.test_reports import _errors, _sarif_schema_errors

    payload = SSH_XSS.decode().strip()
    assert _errors(hostile_scan.doc) == []
    rows = list(csv.DictReader(io.StringIO(hostile_scan.file(".csv").read_text(encoding="utf-8-sig"), newline="")))
    assert any(payload in row["reason"] for row in rows)
    assert any(row["agency_name"].startswith("Cơ quan <img src=x onerror=") for row in rows)
    sarif = json.loads(hostile_scan.file(".sarif").read_text(encoding="utf-8"))
    assert _sarif_schema_errors(sarif) == []
    assert any(payload in res["message"]["text"] for res in sarif["runs"][0]["results"])
    root = ET.parse(hostile_scan.file(".junit.xml")).getroot()
    assert any(payload in (e.get("message") or "") for e in root.iter("error"))
