"""One real scan of the demo lab per test session, shared by every test that needs a full report.

The lab (fourlayer/lab/demo.py) runs real sshd, TLS, HTTP and TCP listeners on 127.0.0.11-14; the scan runs
through the real CLI with a fixed `--as-of` date so declared dates judge the same way on any day.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main
from fourlayer.lab.demo import DEMO_AS_OF as LAB_DEMO_AS_OF

__all__ = ["DemoScan", "demo_scan", "DEMO_AS_OF"]

DEMO_AS_OF = LAB_DEMO_AS_OF.isoformat()  # the demo inventory's own day: declared facts judge the same


@dataclass
class DemoScan:
    out: Path
    doc: dict
    files: list[Path]
    output: str
    seconds: float

    def file(self, suffix: str) -> Path:
        matches = [p for p in self.files if p.name.endswith(suffix)]
        assert len(matches) == 1, f"expected one *{suffix} among {self.files}"
        return matches[0]

    def results(self, target: str) -> dict[str, dict]:
        """check id -> result for one host, system or agency id."""
        return {r["check_id"]: r for r in self.doc["results"]
                if (r["host"] or r["system"] or r["agency"]) == target}


@pytest.fixture(scope="session")
def demo_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoScan]:
    from fourlayer.lab.demo import DemoLab, demo_inventory_path
    from fourlayer.reports.writers import WRITERS

    out = tmp_path_factory.mktemp("demo-report")
    with DemoLab():
        start = time.monotonic()
        result = CliRunner().invoke(main, ["scan", str(demo_inventory_path()), "--out", str(out), "--quiet",
                                           "--format", ",".join(WRITERS), "--lang", "both",
                                           "--as-of", DEMO_AS_OF], catch_exceptions=False)
        seconds = time.monotonic() - start
    assert result.exit_code == 0, result.output
    files = sorted(p for p in out.iterdir() if p.is_file())
    doc = json.loads(next(p for p in files if p.suffix == ".json").read_text(encoding="utf-8"))
    yield DemoScan(out=out, doc=doc, files=files, output=result.output, seconds=seconds)
