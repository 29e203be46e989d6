#!/usr/bin/env python3
"""Report sizes and Chromium load times: one report of everything vs `--split agency` (overview + per agency).

    .venv/bin/python bench/report_load.py --doc bench/out/m2000-single/reports/fourlayer-<run>.json [--lang vi]

From a scan's JSON report document (e.g. `run_bench.py --hosts 2000 --dead 1980 --tarpits 0`), it writes the
single HTML report and the split (overview + every agency's report) with the real writers, then opens the
overview, the largest agency report and the single report in real headless Chromium (/usr/bin/chromium through
chromedriver, offline flags of tests/browser) and reads the navigation timing: navigation start to the end of
the load event (`PerformanceNavigationTiming.loadEventEnd`), best and median of --repeat loads, each from
about:blank. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fourlayer.reports.split import write_split  # noqa: E402
from fourlayer.reports.writers import write_all  # noqa: E402
from tests.browser.conftest import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

NAVIGATION = ("const n = performance.getEntriesByType('navigation')[0];"
              "return n ? [n.domContentLoadedEventEnd, n.loadEventEnd] : null;")


def browser(page_timeout: float):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fourlayer-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    # selenium's own HTTP calls to chromedriver give up after 120 s: a 190 MB report loads for longer than that
    driver.command_executor._client_config.timeout = page_timeout + 60
    driver.set_page_load_timeout(page_timeout)
    driver.set_script_timeout(page_timeout)
    return driver, profile


def load_times(driver, path: Path, repeat: int) -> dict:
    """Navigation start → load event end (ms, the browser's own clock), and the wall time of the whole load."""
    loads, ready, walls = [], [], []
    for _ in range(repeat):
        driver.get("about:blank")
        start = time.perf_counter()
        driver.get(path.resolve().as_uri())  # returns once the load event has fired (page load strategy normal)
        walls.append(time.perf_counter() - start)
        timing = driver.execute_script(NAVIGATION)
        if timing:
            ready.append(timing[0])
            loads.append(timing[1])
    return {"file": path.name, "bytes": path.stat().st_size,
            "load_event_ms_best": round(min(loads)) if loads else None,
            "load_event_ms_median": round(statistics.median(loads)) if loads else None,
            "dom_content_loaded_ms_median": round(statistics.median(ready)) if ready else None,
            "wall_seconds_median": round(statistics.median(walls), 2), "loads": len(loads)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doc", type=Path, required=True, help="a scan's JSON report (the report document)")
    parser.add_argument("--lang", default="vi", choices=["vi", "en"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single-repeat", type=int, default=1,
                        help="loads of the single report (at 2,000 hosts one load takes minutes and GBs)")
    parser.add_argument("--page-timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=None, help="work directory (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    work = args.out or Path(tempfile.mkdtemp(prefix="fourlayer-report-load-"))
    doc = json.loads(args.doc.read_text(encoding="utf-8"))
    hosts = sum(len(s["hosts"]) for a in doc["agencies"] for s in a["systems"])
    report: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "hosts": hosts,
                    "agencies": len(doc["agencies"]), "results": len(doc["results"]),
                    "load_average_1min_before": round(os.getloadavg()[0], 2)}
    start = time.perf_counter()
    single = write_all(doc, work / "single", "single", ["html"], [args.lang])[0]
    report["single_render_seconds"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    split = write_split(doc, work / "split", "split", ["html", "json"], [args.lang])
    report["split_render_seconds"] = round(time.perf_counter() - start, 2)
    overview = next(p for p in split if p.name == f"split.overview.{args.lang}.html")
    agency_html = sorted((p for p in split if "/agencies/" in str(p) and p.suffix == ".html"),
                         key=lambda p: p.stat().st_size)
    sizes = [p.stat().st_size for p in agency_html]
    report["agency_html_bytes"] = {"min": sizes[0], "median": int(statistics.median(sizes)), "max": sizes[-1],
                                   "files": len(sizes)}
    del doc
    driver, profile = browser(args.page_timeout)
    try:
        report["chromium"] = {"version": driver.capabilities.get("browserVersion"),
                              "overview": load_times(driver, overview, args.repeat),
                              "largest_agency_report": load_times(driver, agency_html[-1], args.repeat),
                              "single_report": load_times(driver, single, args.single_repeat)}
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    report["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
