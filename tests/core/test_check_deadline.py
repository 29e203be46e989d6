"""No check outlives its host's deadline (--host-timeout): a check that never returns (a pure-Python loop, registered
here as a plugin check would be) is ERROR, the other checks and hosts go on, the scan ends within the budget, the
process exits by itself, and SIGTERM still stops it at once. Hosts are real lab sshd; scans are the real runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from fourlayer.config.inventory_load import load_inventory
from fourlayer.core.model import Check, passed
from fourlayer.config.policy import load_policy
from fourlayer.core.registry import make_meta
from fourlayer.core.discovery import discover
from fourlayer.core.runner import CHECK_FLOOR, ScanOptions, run_scan
from fourlayer.core.target import Target
from tests.scan_harness import agency, lab_host, write_inventory

# Every test here needs a check that never returns to be abandoned when a timed join expires: under libfaketime
# that wait never wakes (tests/conftest.py), so these run in the real-clock pass only.
pytestmark = pytest.mark.real_timers

HOST_TIMEOUT = 3.0
SLACK = CHECK_FLOOR + 1.0  # the floor the runner may add, plus scheduling on a busy machine
LOOP_ID, QUICK_ID = "L1-TST-901", "L1-TST-902"
TEXTS = dict(title={"en": "Test check", "vi": "Kiểm tra thử"}, rationale={"en": "Test.", "vi": "Thử nghiệm."},
             remediation={"en": "None.", "vi": "Không có."}, references=("tests",), layer=1, severity="low",
             min_level=1, source="tests")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets the looping checks end once the test is over, so no busy thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


def looping_check(check_id: str, scope: str, stuck: Callable[[Target], bool], release: threading.Event) -> Check:
    def func(t: Target):
        while stuck(t) and not release.is_set():  # pure Python, never sleeps: the worst a plugin check can do
            pass
        return passed("finished")
    return Check(make_meta(id=check_id, scope=scope, **TEXTS), func)


def scan_in_thread(path: Path, checks: list[Check], release: threading.Event):
    """run_scan in a thread, so that the old runner (which waits for the loop forever) fails instead of hanging."""
    inventory = load_inventory(path)
    box = {}
    worker = threading.Thread(target=lambda: box.update(run=run_scan(
        inventory, load_policy(inventory.policy_path), checks, ScanOptions(host_timeout=HOST_TIMEOUT, timeout=3.0))),
        daemon=True)
    start = time.monotonic()
    worker.start()
    worker.join(HOST_TIMEOUT + SLACK + 5)
    took = time.monotonic() - start
    if worker.is_alive():
        release.set()
        worker.join(30)
        pytest.fail(f"the scan was still running {took:.0f} s after it started (--host-timeout {HOST_TIMEOUT:g})")
    return box["run"], took


def test_host_check_that_never_returns_is_error_and_the_scan_goes_on(sshd_hardened, sshd_weak, ssh_known_hosts,
                                                                      tmp_path, release):
    path = write_inventory(tmp_path, [agency(hosts=[lab_host(sshd_hardened, ssh_known_hosts, None, "stuck"),
                                                    lab_host(sshd_weak, ssh_known_hosts, None, "other")])])
    loop = looping_check(LOOP_ID, "host", lambda t: t.host.id == "stuck", release)
    builtin = discover()
    checks = [builtin.get("L1-SSH-001"), loop, builtin.get("L1-SSH-002")]  # evaluated in this order
    run, took = scan_in_thread(path, checks, release)
    assert took < HOST_TIMEOUT + SLACK, f"took {took:.1f} s"
    by = {(r.host, r.check_id): r for r in run.results}
    overran = by[("stuck", LOOP_ID)]
    assert overran.status == "ERROR" and "did not finish within" in overran.reason and "--host-timeout" in overran.reason
    assert "không hoàn thành" in overran.reason_vi and overran.duration_ms >= 500
    after = by[("stuck", "L1-SSH-002")]
    assert after.status == "ERROR" and f"ran out while {LOOP_ID} was running" in after.reason and after.reason_vi
    assert by[("stuck", "L1-SSH-001")].status == "PASS"  # finished before the loop: its verdict stands
    assert [by[("other", c)].status for c in ("L1-SSH-001", LOOP_ID, "L1-SSH-002")] == ["FAIL", "PASS", "FAIL"]
    assert {h.host for h in run.hosts} == {"stuck", "other"}


def test_system_check_that_never_returns_is_error_within_the_budget(tmp_path, release):
    path = write_inventory(tmp_path, [agency("a1"), agency("a2", system={"id": "s2"})])
    checks = [looping_check(LOOP_ID, "system", lambda t: t.agency.id == "a1", release),
              looping_check(QUICK_ID, "system", lambda t: False, release)]
    run, took = scan_in_thread(path, checks, release)
    assert took < HOST_TIMEOUT + SLACK, f"took {took:.1f} s"
    by = {(r.agency, r.check_id): r.status for r in run.results}
    assert by == {("a1", LOOP_ID): "ERROR", ("a1", QUICK_ID): "ERROR", ("a2", LOOP_ID): "PASS",
                  ("a2", QUICK_ID): "PASS"}


# A real `fourlayer scan` process with a plugin check that loops forever (registered before the CLI runs).
PLUGIN_SCAN = """\
import os, sys
from fourlayer.cli.main import main
from fourlayer.core.registry import check

@check(id="L1-TST-903", layer=1, severity="low", min_level=1, references=["tests"], source="plugin",
       scope=os.environ["TEST_CHECK_SCOPE"],
       title={"en": "Loops", "vi": "Lặp mãi"}, rationale={"en": "T", "vi": "Thử"}, remediation={"en": "N", "vi": "Không"})
def forever(t):
    sys.stderr.write("check started\\n"); sys.stderr.flush()
    while True:
        pass

main(sys.argv[1:], prog_name="fourlayer")
"""


@pytest.mark.parametrize("scope, signum", [("host", None), ("host", signal.SIGTERM), ("system", None),
                                           ("system", signal.SIGTERM)])
def test_scan_process_with_a_looping_check_ends_by_itself_and_on_sigterm(tmp_path, scope, signum):
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\nagencies:\n  - id: a\n    name: A\n    systems:\n      - id: s\n        name: S\n"
                   "        level: 1\n        hosts: [{address: 127.0.0.199, id: h, ssh: false}]\n", encoding="utf-8")
    out = tmp_path / "out"
    host_timeout = 60 if signum else HOST_TIMEOUT
    proc = subprocess.Popen(
        [sys.executable, "-c", PLUGIN_SCAN, "scan", str(inv), "--check", "L1-TST-903", "--no-history", "--quiet",
         "--format", "json", "--out", str(out), "--host-timeout", str(host_timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1", "TEST_CHECK_SCOPE": scope})
    try:
        assert proc.stderr.readline() == "check started\n"
        started = time.monotonic()
        if signum:
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=host_timeout + SLACK + 10)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == (143 if signum else 0), err
    assert took < (5 if signum else HOST_TIMEOUT + SLACK), f"took {took:.1f} s"
    if signum is None:
        [result] = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))["results"]
        assert result["status"] == "ERROR" and "did not finish within" in result["reason"]
