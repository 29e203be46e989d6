"""The run's results held in memory while they are few and spooled to disk once they are many
(fourlayer.core.spool), on a real scan of the demo lab.

- Past its memory budget the runner keeps no list of Results: `ScanRun.results` is the spool, which holds byte
  ranges, not objects. Within it, the results are held and nothing is written to disk.
- Reading the spool, held or on disk, gives exactly the old in-memory list: every batch as `on_results` got it,
  sorted by the old key; the scores are those of the old list-based scoring; every writer (HTML vi/en, JSON, CSV,
  SARIF, JUnit, `--split agency`) writes byte for byte what it writes from the old in-memory document.
- Clauses and waivers, applied by rewriting the spool, give what they give on the in-memory list.
- The spool file is private (0700 directory, 0600 file) and removed after success, failure and interruption.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gc
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

from fourlayer.config.frameworks import load_framework
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import load_policy
from fourlayer.config.waivers import Waiver
from fourlayer.core import defaults
from fourlayer.core.discovery import discover
from fourlayer.core.model import Result, Status
from fourlayer.core.registry import REGISTRY
from fourlayer.core.runner import ScanOptions, run_scan
from fourlayer.core.scoring import rollup, score_tree
from fourlayer.core.spool import ResultSpool, SpooledDocuments, held_size
from fourlayer.lab.demo import DEMO_AS_OF, DemoLab, demo_inventory_path
from fourlayer.reports.document import build_document
from fourlayer.reports.split import write_split
from fourlayer.reports.writers import WRITERS, write_all


def _old_score_tree(results: list[Result], inventory, policy: dict) -> dict:
    """The list-based scoring as it was before the spool (grouped lists, then `rollup` of each)."""
    by_agency, by_system, by_host = defaultdict(list), defaultdict(list), defaultdict(list)
    for r in results:
        by_agency[r.agency].append(r)
        by_system[(r.agency, r.system)].append(r)
        by_host[(r.agency, r.system, r.host)].append(r)
    tree = {}
    for agency in inventory.agencies:
        if agency.id not in by_agency:
            continue
        systems = {}
        for system in agency.systems:
            hosts = {h.id: rollup(list(by_host[(agency.id, system.id, h.id)]), policy) for h in system.hosts}
            systems[system.id] = {"summary": rollup(list(by_system[(agency.id, system.id)]), policy),
                                  "hosts": hosts}
        tree[agency.id] = {"summary": rollup(list(by_agency[agency.id]), policy), "systems": systems}
    return tree


@dataclasses.dataclass
class Scanned:
    run: object
    inventory: object
    landed: list[Result]  # every batch as on_results got it, in landing order (what the old runner kept)
    spool_dirs: list[str]


@pytest.fixture(scope="module", params=["on disk", "held"])
def scanned(request, tmp_path_factory) -> Scanned:
    """The demo lab scanned twice: with no memory budget (every batch to disk as it lands) and the default one
    (the demo's few hundred results held in memory)."""
    tmp = tmp_path_factory.mktemp("spool-tmp")
    saved, tempfile.tempdir = tempfile.tempdir, str(tmp)  # the spool's directory goes here, to be seen
    budget = defaults.SPOOL_MEMORY_MB
    if request.param == "on disk":
        defaults.SPOOL_MEMORY_MB = 0
    try:
        reg = REGISTRY.__class__()
        discover(reg)
        landed: list[Result] = []
        with DemoLab():
            inv = load_inventory(str(demo_inventory_path()))
            policy = load_policy(inv.policy_path)
            run = run_scan(inv, policy, reg.all(), ScanOptions(as_of=DEMO_AS_OF, concurrency=4),
                           on_results=lambda batch, host: landed.extend(copy.deepcopy(batch)))
    finally:
        tempfile.tempdir = saved
        defaults.SPOOL_MEMORY_MB = budget
    assert run.results.on_disk is (request.param == "on disk")
    yield Scanned(run, inv, landed, [str(p) for p in tmp.glob("fourlayer-spool-*")])
    run.close()


def _old_order(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (r.agency, r.system or "", r.host or "", r.layer, r.check_id))


def test_past_its_budget_the_runner_keeps_no_list_of_results(scanned) -> None:
    spool = scanned.run.results
    assert isinstance(spool, ResultSpool) and len(spool) == len(scanned.landed) > 300
    if not spool.on_disk:  # within the budget: the results are held, and no file was made
        assert scanned.spool_dirs == [] and spool.dir is None
        assert sum(len(v) for v in spool._held.values()) == len(scanned.landed)
        return
    held = [v for v in vars(spool).values() if isinstance(v, (list, tuple, dict))]
    for container in held:  # an index of byte ranges per target: no Result, no result dict
        items = container.values() if isinstance(container, dict) else container
        for item in items:
            assert not isinstance(item, (Result, dict)), type(item)
            if isinstance(item, list):
                assert all(isinstance(x, tuple) and all(isinstance(n, int) for n in x) for x in item)
    gc.collect()
    alive = sum(1 for o in gc.get_objects() if isinstance(o, Result))
    assert alive - len(scanned.landed) < 50  # the test's own copies; the run adds none per result


def test_the_spool_is_private_and_holds_no_secret(scanned) -> None:
    if not scanned.run.results.on_disk:
        pytest.skip("the results are held in memory: there is no file")
    [directory] = scanned.spool_dirs
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    [file] = os.listdir(directory)
    assert stat.S_IMODE(os.stat(os.path.join(directory, file)).st_mode) == 0o600
    text = Path(directory, file).read_text(encoding="utf-8")
    assert len(text.splitlines()) == len(scanned.landed)
    assert "PRIVATE KEY" not in text and "client_key" not in text


def test_reading_the_spool_gives_the_old_sorted_list(scanned) -> None:
    expected = [r.to_dict() for r in _old_order(scanned.landed)]
    assert [r.to_dict() for r in scanned.run.results] == expected
    assert list(scanned.run.results.documents()) == expected  # as often as it is read
    assert list(scanned.run.results.documents()) == expected
    statuses = {r["status"] for r in expected}
    assert {"PASS", "FAIL", "ERROR", "NOT_APPLICABLE"} <= statuses


def test_scores_are_those_of_the_old_list_scoring(scanned) -> None:
    policy = scanned.run.policy
    old = _old_score_tree(_old_order(scanned.landed), scanned.inventory, policy)
    assert score_tree(scanned.run.results, scanned.inventory, policy) == old
    assert old and all(a["summary"]["score"] is not None for a in old.values())


def _in_memory(run) -> object:
    """The same run as the old runner returned it: the results as a sorted list of Result objects."""
    return dataclasses.replace(run, results=list(run.results))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_writer_writes_what_it_wrote_from_the_in_memory_document(scanned, tmp_path) -> None:
    fw = load_framework(None)
    new = build_document(scanned.run, scanned.inventory, framework=fw.evidence(scanned.run.results))
    old = build_document(_in_memory(scanned.run), scanned.inventory,
                         framework=fw.evidence(list(scanned.run.results)))
    assert isinstance(new["results"], SpooledDocuments) and isinstance(old["results"], list)
    assert {k: v for k, v in new.items() if k != "results"} == {k: v for k, v in old.items() if k != "results"}
    formats, langs = list(WRITERS), ["vi", "en"]
    write_all(old, tmp_path / "old", "r", formats, langs)
    write_all(new, tmp_path / "new", "r", formats, langs)
    old_files, new_files = _files(tmp_path / "old"), _files(tmp_path / "new")
    assert sorted(old_files) == ["r.csv", "r.en.html", "r.json", "r.junit.xml", "r.sarif", "r.vi.html"]
    for name in old_files:
        assert new_files[name] == old_files[name], name
    assert json.loads(new_files["r.json"])["results"] == old["results"]
    write_split(old, tmp_path / "old-split", "r", formats, langs)
    write_split(new, tmp_path / "new-split", "r", formats, langs)
    old_files, new_files = _files(tmp_path / "old-split"), _files(tmp_path / "new-split")
    assert len(old_files) > 6 and sorted(new_files) == sorted(old_files)
    for name in old_files:
        assert new_files[name] == old_files[name], name


def test_clauses_and_waivers_rewritten_in_the_spool_are_those_applied_in_memory(scanned, tmp_path) -> None:
    from fourlayer.cli.main import _after_scan

    results = list(scanned.run.results)
    failed = next(r for r in results if r.status is Status.FAIL and r.host)
    passed = next(r for r in results if r.status is Status.PASS and r.host)
    later, expired = DEMO_AS_OF + dt.timedelta(days=30), DEMO_AS_OF - dt.timedelta(days=1)
    def waiver(check: str, target: str, why: str, expires: dt.date, line: int) -> Waiver:
        w = Waiver(check=check, target=target, justification=why, approver="ciso", expires=expires)
        w._path, w._line = "w.yaml", line  # as load_waivers places it
        return w

    waivers = [waiver(failed.check_id, failed.host, "accepted risk", later, 3),
               waiver(passed.check_id, passed.host, "not needed", later, 9),
               waiver(failed.check_id, failed.agency, "province-wide", expired, 15),
               waiver("L1-NOPE-001", failed.agency, "gone", later, 21)]
    fw = load_framework(None)
    spool = ResultSpool(str(tmp_path), memory_mb=0 if scanned.run.results.on_disk else None)
    spool.add(results)
    spooled = dataclasses.replace(scanned.run, results=spool)
    in_memory = dataclasses.replace(scanned.run, results=copy.deepcopy(results))
    try:
        got = _after_scan(spooled, fw, waivers)
        want = _after_scan(in_memory, fw, waivers)
        assert got == want and want["applied"] >= 1 and len(want["warnings"]) >= 2
        assert [r.to_dict() for r in spool] == [r.to_dict() for r in in_memory.results]
        assert any(r.status is Status.WAIVED for r in spool) and any(r.clauses for r in spool)
        if spool.on_disk:
            assert len(os.listdir(spool.dir)) == 1  # the file before the rewrite is gone
        else:
            assert spool.dir is None
    finally:
        spool.close()
    assert spool.dir is None or not os.path.exists(spool.dir)


def test_the_spool_is_removed_when_closed_or_when_the_scan_fails(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(defaults, "SPOOL_MEMORY_MB", 0)  # a file from the first result
    for key in ("FOURLAYER_LAB", "FOURLAYER_LAB_USER"):  # the demo inventory names them; no host is scanned
        monkeypatch.setenv(key, os.environ.get(key, str(tmp_path)))
    reg = REGISTRY.__class__()
    discover(reg)
    inv = load_inventory(str(demo_inventory_path()))
    policy = load_policy(inv.policy_path)
    only = ScanOptions(as_of=DEMO_AS_OF, layers=(1,), check_ids=("L1-ORG-001",))
    run = run_scan(inv, policy, reg.all(), only)
    [directory] = tmp_path.glob("fourlayer-spool-*")
    assert len(run.results) >= 1
    run.close()
    assert not directory.exists()

    def broken(batch, host):
        raise RuntimeError("the store broke")

    with pytest.raises(RuntimeError, match="the store broke"):
        run_scan(inv, policy, reg.all(), only, on_results=broken)
    assert list(tmp_path.glob("fourlayer-spool-*")) == []
    run = run_scan(inv, policy, reg.all(), only)
    del run  # dropped without close(): garbage collection removes it
    gc.collect()
    assert list(tmp_path.glob("fourlayer-spool-*")) == []


@pytest.mark.real_timers
def test_the_spool_is_removed_after_a_real_scan_and_after_ctrl_c(tmp_path) -> None:
    from tests.core.test_interrupt import Tarpit

    pit = Tarpit("127.0.0.212")
    spools = tmp_path / "tmp"
    spools.mkdir()
    inv = tmp_path / "inventory.yaml"
    inv.write_text("version: 1\nagencies:\n  - id: sp-agency\n    name: Cơ quan\n    systems:\n"
                   "      - id: sp-system\n        name: Hệ thống\n        level: 2\n        hosts:\n"
                   f"          - {{address: {pit.address}, id: tarpit1, ssh: {{port: {pit.port}}}}}\n"
                   f"          - {{address: 127.0.0.213, id: refused1, ssh: {{port: {pit.port}}}}}\n",  # lands at once
                   encoding="utf-8")
    env = {**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1", "TMPDIR": str(spools)}
    spill_at_once = ("import sys; from fourlayer.core import defaults; defaults.SPOOL_MEMORY_MB = 0; "
                     "from fourlayer.cli.main import main; main(prog_name='fourlayer')")  # a file from the start
    cmd = [sys.executable, "-c", spill_at_once, "scan", str(inv), "--no-history", "--out", str(tmp_path / "out"),
           "--format", "json,csv", "--check", "L1-SSH-001", "--log-format", "json"]
    try:
        done = subprocess.run([*cmd, "--timeout", "0.5", "--host-timeout", "2"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert len(list((tmp_path / "out").glob("*.json"))) == 1
        assert list(spools.iterdir()) == []  # a finished scan leaves no spool
        proc = subprocess.Popen([*cmd, "--timeout", "30", "--host-timeout", "60"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not list(spools.glob("fourlayer-spool-*/*")):  # a host's results are in the file
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 130
        assert list(spools.iterdir()) == []  # an interrupted scan leaves none either
    finally:
        pit.close()


def _result(agency: str, host: str, check: str, layer: int, n: int = 0) -> Result:
    from fourlayer.core.model import Severity

    return Result(check_id=check, layer=layer, severity=Severity.HIGH, status=Status.FAIL, reason=f"reason {n} " * 8,
                  evidence=f"evidence {n} " * 20, agency=agency, system="s", host=host, scope="host",
                  reason_vi=f"lý do {n}", extra={"n": n, "when": dt.date(2026, 1, 2)}, duration_ms=n / 7)


def test_past_its_budget_the_spool_moves_every_result_to_disk_and_reads_the_same(tmp_path) -> None:
    batches = [[_result(f"a{h % 3}", f"h{h:03}", f"L{1 + c % 4}-X-{c:03}", 1 + c % 4, h * 100 + c)
                for c in reversed(range(40))] for h in range(60)]
    budget_mb = sum(map(held_size, [r for b in batches[:20] for r in b])) / (1 << 20)  # about 20 hosts' worth
    held, spilled = ResultSpool(str(tmp_path), memory_mb=10 * budget_mb), ResultSpool(str(tmp_path), budget_mb)
    try:
        for batch in batches:
            held.add(batch)
            spilled.add(batch)
            if not spilled.on_disk:
                assert not list(tmp_path.iterdir())  # nothing written while within the budget
        assert not held.on_disk and held.dir is None
        assert spilled.on_disk and not spilled._held and len(spilled) == len(held) == 2400
        [directory] = tmp_path.iterdir()
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        want = sorted((r for b in batches for r in b), key=lambda r: (r.agency, r.system, r.host, r.layer,
                                                                        r.check_id))
        assert [r.to_dict() for r in held] == [r.to_dict() for r in spilled] == [r.to_dict() for r in want]
        assert list(held.documents("a1")) == list(spilled.documents("a1")) == [r.to_dict() for r in want
                                                                              if r.agency == "a1"]
        assert sorted(held.by_agency()) == sorted(spilled.by_agency()) == ["a0", "a1", "a2"]
        for spool in (held, spilled):  # a rewrite keeps each spool where it is
            spool.rewrite(lambda rs: (dataclasses.replace(r, clauses=["c"]) for r in rs))
            assert all(r.clauses == ["c"] for r in spool) and len(spool) == 2400
        assert not held.on_disk and spilled.on_disk
    finally:
        held.close()
        spilled.close()
    assert held.closed and spilled.closed and not list(tmp_path.iterdir())


def test_the_held_size_of_a_result_is_about_what_it_takes(scanned) -> None:
    """`held_size` (the budget's unit) against what the demo's real results take in memory (tracemalloc)."""
    import tracemalloc

    from fourlayer.dispatch.codec import result_from_json, result_to_json

    lines = [json.dumps(result_to_json(r), default=str) for r in scanned.run.results]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        copies = [result_from_json(json.loads(line)) for line in lines]  # as the runner holds them: fresh objects
        taken = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    estimated = sum(map(held_size, copies))
    assert 0.75 * taken <= estimated <= 1.33 * taken, (estimated, taken, len(copies))
