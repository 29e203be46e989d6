"""`fourlayer scan --split agency`: a province overview plus one report per agency that holds that agency's data only.

Two real scans (the second one with history) through the real CLI of a two-agency inventory: hosts on
127.0.0.214-215 with a real listener on 214, agency- and system-level declared facts, every format, both
languages, signed. Then: no file of agency A contains an id, address, name or finding of agency B (and the
reverse), every agency file verifies against its signature, and the overview names agencies and checks, never a
host. The same split of the demo lab's full document (tests/demo_fixtures.py) checks the richer sections.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from fourlayer.reports.split import agency_document, results_by_agency, write_split
from fourlayer.reports.writers import WRITERS
from tests.demo_fixtures import demo_scan  # noqa: F401  (fixture)
from tests.scan_harness import write_inventory

ADDRESS = {"so-tai-chinh": "127.0.0.214", "so-y-te": "127.0.0.215"}
NAMES = {"so-tai-chinh": "Sở Tài chính tỉnh Thử nghiệm", "so-y-te": "Sở Y tế tỉnh Thử nghiệm"}
SYSTEMS = {"so-tai-chinh": "ke-toan-ngan-sach", "so-y-te": "ho-so-benh-an"}
HOSTS = {"so-tai-chinh": "may-chu-ngan-sach", "so-y-te": "may-chu-benh-an"}
CHECKS = ["L1-NET-001", "L2-SOC-001", "L4-NAT-001"]


def _agency(agency_id: str, port: int) -> dict:
    return {"id": agency_id, "name": NAMES[agency_id],
            "soc": {"provider": f"SOC của {agency_id}", "contract_until": "2030-01-01"},
            "systems": [{"id": SYSTEMS[agency_id], "name": f"Hệ thống {agency_id}", "level": 2, "hosts": [
                {"id": HOSTS[agency_id], "address": ADDRESS[agency_id], "roles": ["linux"], "services": [port]}]}]}


@pytest.fixture(scope="module")
def split_scan(tmp_path_factory):
    """Two scans with one history database; the second with --split agency and a signing key."""
    work = tmp_path_factory.mktemp("split")
    policy = {"network": {"service_detection": False}}
    inventory = write_inventory(work, [_agency("so-tai-chinh", 8901), _agency("so-y-te", 8902)], policy=policy)
    runner = CliRunner()
    key = work / "keys"
    assert runner.invoke(main, ["keys", "generate", "--out", str(key)]).exit_code == 0
    base = ["scan", str(inventory), "--quiet", "--db", str(work / "h.sqlite"), "--as-of", "2026-11-01",
            *[arg for c in CHECKS for arg in ("--check", c)]]
    with ListenerProcess([ListenerSpec("sink", ADDRESS["so-tai-chinh"], 8901, name="split-a")]):
        first = runner.invoke(main, [*base, "--out", str(work / "first")])
        assert first.exit_code in (0, 3, 4), first.output
        result = runner.invoke(main, [*base, "--out", str(work / "out"), "--split", "agency", "--lang", "both",
                                      "--format", ",".join(WRITERS), "--sign-key", str(key / "fourlayer-signing.key")])
    assert result.exit_code in (0, 3, 4), result.output
    # 2 agencies × 6 files, each with .sig and .sshsig: one line for them all, not 36
    assert f"wrote 36 files of 2 agencies in {work / 'out' / 'agencies'}/<agency id>/" in result.output
    assert result.output.count("wrote ") == 1 + 3 * 3  # that line + the overview's 3 files and their signatures
    return work, work / "out", key


def overview_errors(overview: dict) -> list[str]:
    """Errors of an overview against its published schema (reports/schema/overview.schema.json)."""
    from importlib import resources

    import jsonschema

    schema = json.loads((resources.files("fourlayer.reports") / "schema" / "overview.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return [f"{e.json_path}: {e.message[:200]}" for e in jsonschema.Draft202012Validator(schema).iter_errors(overview)]


def _leaks(text: str, other: str) -> list[str]:
    needles = [other, ADDRESS[other], NAMES[other], SYSTEMS[other], HOSTS[other], f"SOC của {other}"]
    return [n for n in needles if n in text]


def test_each_agency_gets_every_format_with_its_own_data_only(split_scan):
    work, out, _ = split_scan
    for mine, other in (("so-tai-chinh", "so-y-te"), ("so-y-te", "so-tai-chinh")):
        folder = out / "agencies" / mine
        reports = sorted(p for p in folder.iterdir() if not p.name.endswith((".sig", ".sshsig")))
        assert {p.name.split(f"-{mine}")[-1] for p in reports} == \
            {".vi.html", ".en.html", ".json", ".csv", ".sarif", ".junit.xml"}
        for path in reports:
            text = path.read_text(encoding="utf-8")
            assert not _leaks(text, other), (path.name, _leaks(text, other))
            assert ADDRESS[mine] in text or path.suffix in (".csv", ".sarif", ".xml")
        doc = json.loads(next(p for p in reports if p.suffix == ".json").read_text(encoding="utf-8"))
        assert [a["id"] for a in doc["agencies"]] == [mine]
        assert doc["results"] and {r["agency"] for r in doc["results"]} == {mine}
        assert doc["run"]["options"]["agencies"] == [mine]
        assert set(doc["history"]["trend"][-1]["agencies"]) == {mine}  # the second scan has history
        net = [r for r in doc["results"] if r["check_id"] == "L1-NET-001"]
        assert len(net) == 1 and (("8901" in net[0]["evidence"]) == (mine == "so-tai-chinh"))


def test_every_agency_file_is_signed_and_verifies(split_scan):
    work, out, key = split_scan
    pub = key / "fourlayer-signing.pub"
    runner = CliRunner()
    for folder in (out / "agencies").iterdir():
        for report in (p for p in folder.iterdir() if not p.name.endswith((".sig", ".sshsig"))):
            assert Path(f"{report}.sig").exists() and Path(f"{report}.sshsig").exists(), report
            check = runner.invoke(main, ["verify", str(report), "--pubkey", str(pub)])
            assert check.exit_code == 0, check.output


def test_the_overview_ranks_agencies_and_names_no_host(split_scan):
    _, out, _ = split_scan
    overview = json.loads(next(out.glob("*.overview.json")).read_text(encoding="utf-8"))
    assert not overview_errors(overview), overview_errors(overview)
    assert [a["rank"] for a in overview["agencies"]] == [1, 2]
    scores = [a["score"] for a in overview["agencies"]]
    assert scores == sorted(scores, reverse=True)
    assert {a["id"] for a in overview["agencies"]} == set(NAMES)
    assert len(overview["trend"]) == 2 and overview["totals"]["hosts"] == 2
    for a in overview["agencies"]:
        assert set(a["layers"]) == {"1", "2", "3", "4"} and (out / a["reports"]["html.vi"]).is_file()
    for lang in ("vi", "en"):
        html = next(out.glob(f"*.overview.{lang}.html")).read_text(encoding="utf-8")
        for agency_id in NAMES:
            assert NAMES[agency_id] in html
            assert ADDRESS[agency_id] not in html and HOSTS[agency_id] not in html
        assert "<script" not in html and "Content-Security-Policy" in html and "default-src" in html
    assert "Xếp hạng các cơ quan theo điểm" in next(out.glob("*.overview.vi.html")).read_text(encoding="utf-8")
    assert not list(out.glob("fourlayer-*.vi.html")) or all(".overview." in p.name for p in out.glob("*.html"))


def test_the_demo_document_splits_without_leaking(demo_scan, tmp_path):  # noqa: F811
    """The demo lab's real document with every optional section (waivers, framework, history: test_reports),
    split: each agency's document is valid against the published schema and names nothing of the other."""
    from tests.reports.test_reports import _errors, _with_extras

    doc = _with_extras(demo_scan.doc)
    assert len(doc["agencies"]) >= 2
    grouped = results_by_agency(doc["results"])
    files = write_split(doc, tmp_path, "demo", ["json", "html"], ["vi"])
    overview = json.loads((tmp_path / "demo.overview.json").read_text(encoding="utf-8"))
    assert not overview_errors(overview), overview_errors(overview)
    assert len(overview["trend"]) == 3 and overview["worst_checks"]
    for agency in doc["agencies"]:
        others = [a for a in doc["agencies"] if a["id"] != agency["id"]]
        own = agency_document(doc, agency, grouped.get(agency["id"], []))
        assert len(own["results"]) == len(grouped[agency["id"]])
        assert not _errors(own), _errors(own)[:3]
        assert all(r["agency"] == agency["id"] for r in own["history"]["new"] + own["history"]["fixed"])
        assert all(e["target"].split("/")[0] == agency["id"] for e in own["waivers"]["expired"])
        assert own["waivers"]["warnings"] == [] and {a for p in own["history"]["trend"] for a in p["agencies"]} \
            == {agency["id"]}
        for req in (own.get("framework") or {}).get("requirements_evidenced", []):
            assert set(req["agencies"]) == {agency["id"]}
        # what the agency itself declares may name the same things (its SOC manager is the other agency's
        # log collector in the demo): only what is not its own counts as a leak
        declared = json.dumps(agency, ensure_ascii=False)
        paths = [p for p in files if f"/{agency['id']}/" in str(p)]
        assert len(paths) == 2
        for path in paths:
            text = path.read_text(encoding="utf-8")
            for other in others:
                hosts = [h for s in other["systems"] for h in s["hosts"]]
                needles = [other["id"], other["name"], *(s["id"] for s in other["systems"]),
                           *(h["address"] for h in hosts), *(h["id"] for h in hosts)]
                leaks = [n for n in needles if n not in declared and re.search(rf"\b{re.escape(n)}\b", text)]
                assert not leaks, (path.name, other["id"], leaks)


def test_a_stored_run_re_renders_split(split_scan, tmp_path):
    work, out, _ = split_scan
    result = CliRunner().invoke(main, ["report", "latest", "--db", str(work / "h.sqlite"), "--out", str(tmp_path),
                                       "--split", "agency", "--format", "json"])
    assert result.exit_code == 0, result.output
    again = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    first = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert again == first and len(again) == 3  # the overview and one per agency, same names
    for name in again:
        if "/" in name:
            assert json.loads((tmp_path / name).read_text(encoding="utf-8")) == \
                json.loads((out / name).read_text(encoding="utf-8"))


def test_a_section_the_split_does_not_know_is_left_out(demo_scan):  # noqa: F811
    """A newer, province-wide section (say a zone matrix listing every agency's hosts) is never copied whole."""
    doc = demo_scan.doc
    mine, other = doc["agencies"][0], doc["agencies"][1]
    address = other["systems"][0]["hosts"][0]["address"]
    wider = {**doc, "matrix_of_everything": {"details": [{"host": other["id"], "address": address}]}}
    own = agency_document(wider, mine, results_by_agency(doc["results"]).get(mine["id"], []))
    assert "matrix_of_everything" not in own and set(own) <= set(doc)
