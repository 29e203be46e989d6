"""The CLI as a user meets it: one-line errors with exit 2 on bad input, no traceback, nothing written."""

from __future__ import annotations

import json

from fourlayer.inventory_files import __file__ as _inv_init  # the shipped example inventories
from pathlib import Path

EXAMPLE = Path(_inv_init).parent / "example-province.yaml"


def _bad_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nagencies:\n  - id: a1\n    name: A\n    systems:\n"
                    "      - id: s1\n        name: S\n        level: 7\n        hosts: []\n", encoding="utf-8")
    return path


def test_validate_ok(run_cli):
    out = run_cli("inventory", "validate", str(EXAMPLE))
    assert "OK" in out and "agencies" in out


def test_validate_bad_level_is_one_line_with_file_and_line(run_cli, tmp_path):
    path = _bad_inventory(tmp_path)
    out = run_cli("inventory", "validate", str(path), expect=2)
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert f"{path}:8" in lines[0] and "level" in lines[0]
    assert "Traceback" not in out


def test_scan_of_bad_inventory_exits_2_before_any_traffic(run_cli, tmp_path):
    out_dir = tmp_path / "reports"
    out = run_cli("scan", str(_bad_inventory(tmp_path)), "--out", str(out_dir), "--quiet", expect=2)
    assert "level" in out and "Traceback" not in out
    assert not out_dir.exists(), "nothing may be written for a bad inventory"


def test_scan_unknown_agency_and_format_are_refused(run_cli, tmp_path):
    out = run_cli("scan", str(EXAMPLE), "--agency", "no-such-agency", "--out", str(tmp_path / "r"), "--quiet",
                  expect=2)
    assert "no-such-agency" in out
    out = run_cli("scan", str(EXAMPLE), "--format", "pdf", "--out", str(tmp_path / "r"), expect=2)
    assert "pdf" in out


def test_checks_list_layer_filter_and_show(run_cli):
    items = json.loads(run_cli("checks", "list", "--layer", "2", "--format", "json"))
    assert items and all(i["layer"] == 2 for i in items)
    table = run_cli("checks", "list")
    assert "L1-SSH-001" in table and "checks" in table.splitlines()[-1]
    vi = run_cli("checks", "show", "L1-SSH-001", "--lang", "vi")
    assert "Khắc phục" in vi and "L1-SSH-001" in vi
    out = run_cli("checks", "show", "L9-NOPE-001", expect=2)
    assert "L9-NOPE-001" in out
