"""The province overview of `--split agency` in real headless Chromium: it renders under its CSP without console
errors, ranks the demo's agencies as its JSON does, and its links open each agency's own report."""

from __future__ import annotations

import json

import pytest

from fourlayer.reports.split import write_split
from tests.reports.browser.test_report_browser import _no_console_errors, _open


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_overview_ranks_agencies_and_links_their_own_reports(browser, demo_scan, tmp_path, lang):
    from selenium.webdriver.common.by import By

    written = write_split(demo_scan.doc, tmp_path, "demo", ["html", "json"], [lang])
    overview = json.loads((tmp_path / "demo.overview.json").read_text(encoding="utf-8"))
    page = next(p for p in written if p.name == f"demo.overview.{lang}.html")
    driver = _open(browser, page)
    _no_console_errors(driver)
    rows = driver.find_elements(By.CSS_SELECTOR, "#agencies tbody tr")
    assert [r.get_attribute("id") for r in rows] == [f"agency-{a['id']}" for a in overview["agencies"]]
    assert all(r.find_element(By.CSS_SELECTOR, "td").text == str(a["rank"]) for r, a in zip(rows, overview["agencies"]))
    link = rows[-1].find_element(By.CSS_SELECTOR, "a")
    last = overview["agencies"][-1]["id"]
    assert link.text == last
    link.click()
    assert driver.current_url.endswith(f"agencies/{last}/demo-{last}.{lang}.html")
    _no_console_errors(driver)
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.toc a")]
    assert overview["agencies"][-1]["name"] in names
    assert not [a["name"] for a in overview["agencies"][:-1] if a["name"] in names]
