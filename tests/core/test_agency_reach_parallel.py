"""Agency endpoint probes run in parallel before the hosts: a slow SOC manager costs one timeout, not one per
agency in a row. (A connect that hangs cannot be made on loopback, so the probe here is a slow stand-in.)"""

from __future__ import annotations

import threading
import time

from fourlayer.config.inventory import SOC, Agency, Endpoint, Inventory, NationalMonitoring, System
from fourlayer.config.policy import default_policy
from fourlayer.core.discovery import discover
from fourlayer.core.runner import ScanOptions, run_scan
from fourlayer.core.model import Status


def test_agency_probes_run_in_parallel_once_each() -> None:
    agencies = tuple(
        Agency(id=f"a{i}", name=f"Cơ quan {i}", systems=(System(id=f"a{i}-s", name="Hệ thống", level=2),),
               soc=SOC(provider="SOC", manager=Endpoint("127.0.0.197", 9)),
               national_monitoring=NationalMonitoring(connected=True, collector=Endpoint("127.0.0.197", 9)))
        for i in range(4))
    inventory = Inventory(path="mem", version=1, agencies=agencies)
    checks = [c for c in discover().all() if "reach" in c.meta.needs]
    calls: list[str] = []
    lock = threading.Lock()

    def slow_probe(agency, ctx):
        with lock:
            calls.append(agency.id)
        time.sleep(0.4)
        down = {"endpoint": "127.0.0.197:9", "reachable": False, "detail": "timed out after 0.4s"}
        return {"reach": {"soc_manager": down, "national_collector": down}}, {}

    start = time.monotonic()
    run = run_scan(inventory, default_policy(), checks, ScanOptions(concurrency=8), agency_evidence=slow_probe)
    elapsed = time.monotonic() - start
    assert sorted(calls) == ["a0", "a1", "a2", "a3"]
    assert elapsed < 1.2  # 4 agencies x 0.4 s in a row would be 1.6 s
    assert checks and {r.status for r in run.results if r.check_id in {c.meta.id for c in checks}} == {Status.FAIL}
