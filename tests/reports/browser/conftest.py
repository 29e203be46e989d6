"""Browser-test fixtures: Debian's headless Chromium driven by Selenium, and a scan of a hostile loopback host.

Chromium runs offline (no background networking, no component updates, a fresh profile per session). When it
is not installed the browser tests skip with the reason, except in CI (env CI set), where that is an error.
The hostile host is 127.0.0.155 (tls_lab's `tls-xss` address): a certificate whose subject CN is markup, plus
our own listeners there on free ports: an "SSH" port answering with a <script> banner and a hostile HTTP server.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec, http_listener
from tests.tls_fixtures import ADDRESSES, LAB_DNS

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
SSH_XSS = b"<script>window.__xss=1</script><svg onload=window.__xss=2>\r\n"  # first 60 bytes reach the reason
HOSTILE_AS_OF = "2026-11-01"
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-sync", "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
                  "--force-device-scale-factor=1", "--lang=en-US")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium Python package (pip install -e '.[test]')")
    if missing:
        reason = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if _in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator["object"]:
    """One headless Chromium for the session (WebDriver), offline, with a fresh profile."""
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fourlayer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class HostileScan:
    doc: dict
    files: list[Path]
    seconds: float

    def file(self, suffix: str) -> Path:
        return next(p for p in self.files if p.name.endswith(suffix))


def _hostile_inventory(path: Path, tls_port: int, ssh_port: int, http_port: int, ca: str) -> None:
    # Inventory text is the user's, not a target's, but it is escaped all the same: markup in names too.
    path.write_text(f"""version: 1
agencies:
  - id: xss-agency
    name: "Cơ quan <img src=x onerror=\\"window.__xss='agency'\\"> & Sở"
    security_officer: {{name: "</dd><script>window.__xss='officer'</script>", email: "a@b.test"}}
    systems:
      - id: xss-system
        name: "Hệ thống <b onmouseover=window.__xss=4>đậm</b>"
        level: 2
        hosts:
          - address: {ADDRESSES['tls-xss']}
            id: hostile-host
            roles: [linux, web]
            services: [{tls_port}, {ssh_port}, {http_port}]
            tls: [{tls_port}]
            http: [{http_port}]
            tls_ca_file: {ca}
            tls_server_name: {LAB_DNS}
            ssh: {{port: {ssh_port}}}
""", encoding="utf-8")


@pytest.fixture(scope="session")
def hostile_scan(tls_lab, tmp_path_factory) -> Iterator[HostileScan]:
    """A real scan (through the CLI, every format, both languages) of one host whose SSH banner, certificate
    subject and HTTP headers carry markup and script."""
    address = ADDRESSES["tls-xss"]
    listeners = ListenerProcess([ListenerSpec("banner", address, 0, name="ssh-xss", banner=SSH_XSS),
                                 http_listener("hostile", address, name="http-hostile-xss")]).start()
    try:
        work = tmp_path_factory.mktemp("hostile")
        inventory = work / "hostile.yaml"
        _hostile_inventory(inventory, tls_lab.endpoint("tls-xss")[1], listeners.port("ssh-xss"),
                           listeners.port("http-hostile-xss"), tls_lab.certs["xss-ca"].cert)
        out = work / "report"
        start = time.monotonic()
        result = CliRunner().invoke(main, ["scan", str(inventory), "--out", str(out), "--quiet", "--lang", "both",
                                           "--format", "html,json,csv,sarif,junit", "--timeout", "2",
                                           "--as-of", HOSTILE_AS_OF], catch_exceptions=False)
        seconds = time.monotonic() - start
    finally:
        listeners.stop()
    assert result.exit_code == 0, result.output
    files = sorted(p for p in out.iterdir() if p.is_file())
    doc = json.loads(next(p for p in files if p.suffix == ".json").read_text(encoding="utf-8"))
    yield HostileScan(doc, files, seconds)
