"""Discovery batched across hosts: one nmap connect sweep per batch of hosts, ahead of the per-host pipeline.

Starting nmap costs about 40 ms of CPU, a host inside a shared nmap run about 15 ms (bench/RESULTS.md). Hosts reach
the per-host pipeline one by one, so coalescing the nmap calls that happen to arrive together gives batches of
one; this stage instead walks the planned hosts in order, groups those that need the `nmap` collector and share a
port list into batches of `batch_size`, sweeps each batch in one nmap run (at most `workers` runs at a time) and
hands each host to the pipeline (`ready(item)`) once its batch is swept. The pipeline's nmap collector then takes
the host's sweep (`take`) and only runs the per-host version detection.

What stays per host:
- nmap's own `--host-timeout` applies to each host of a run (capped at the host's --host-timeout budget); a host
  nmap gave up on, did not report, or that answered on no port is an ERROR for that host only;
- nmap failing as a whole (crash, killed at its process limit) makes every host of that batch ERROR with the
  reason; the other batches and the scan go on;
- the loopback guard: a host whose address the guard refuses is never swept (handed over at once, the pipeline
  refuses it before any collector runs);
- the --host-timeout budget of a host starts when the pipeline takes it, after its sweep: the sweep itself is
  bounded by nmap's per-host limit.

The stage runs at most `ahead` hosts ahead of the hosts the pipeline has not finished (`in_flight()`), so its
look-ahead, and the age of a sweep when its host is scanned, stay bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.guard import check_allowed
from fourlayer.collectors.nmap_scan import port_spec, sweep, sweep_timeout
from fourlayer.core.errors import CollectorError

log = logging.getLogger("fourlayer.core.discovery")
WINDOW_BATCHES = 4  # hosts are grouped by port list within a window of this many batches (plan order kept)


def needs_sweep(item: Any) -> bool:
    return any("nmap" in c.meta.needs for c in item.checks)


class DiscoveryStage:
    def __init__(self, items: list[Any], ctx: CollectContext, batch_size: int, ready: Callable[[Any], None],
                 in_flight: Callable[[], int], ahead: int, host_budget: float | None = None,
                 stop: threading.Event | None = None, workers: int = 2):
        self.items, self.ctx, self.batch_size = list(items), ctx, max(1, batch_size)
        self.ready, self.in_flight, self.ahead = ready, in_flight, max(ahead, self.batch_size)
        self.timeout = sweep_timeout(ctx, host_budget)
        self.stop = stop or threading.Event()  # the scan's (set on interruption); never set here
        self._halted = threading.Event()
        self.workers = max(1, workers)
        self._swept: dict[tuple[str, str], dict | CollectorError] = {}
        self._lock = threading.Lock()
        self._running = 0  # hosts in batches being swept now
        self._slots = threading.Semaphore(self.workers)
        self._handed = 0
        self._finished = threading.Event()
        self.batches: list[dict[str, float]] = []  # {"hosts", "seconds"} of every nmap run, for the bench
        self._thread = threading.Thread(target=self._walk, name="discovery", daemon=True)

    # -- what the pipeline uses ------------------------------------------------------------------------------
    def start(self) -> "DiscoveryStage":
        self._thread.start()
        return self

    def done(self) -> bool:
        """Every host handed to the pipeline (or the stage stopped)."""
        return self._finished.is_set()

    def halt(self) -> None:
        """Start no further batch (the scan is over or interrupted); a running nmap finishes on its own."""
        self._halted.set()

    def take(self, address: str, spec: str) -> dict | CollectorError | None:
        """This host's sweep (evidence, or the CollectorError for it); None when the stage did not sweep it."""
        with self._lock:
            return self._swept.pop((address, spec), None)

    def summary(self) -> dict[str, Any]:
        """How discovery went: nmap runs, hosts swept, seconds of nmap wall time summed over the runs."""
        with self._lock:
            runs = list(self.batches)
        return {"batch_size": self.batch_size, "nmap_runs": len(runs), "hosts": sum(r["hosts"] for r in runs),
                "seconds": round(sum(r["seconds"] for r in runs), 3)}

    # -- the stage itself ------------------------------------------------------------------------------------
    def _hand(self, item: Any) -> None:
        with self._lock:
            self._handed += 1
        self.ready(item)

    def _walk(self) -> None:
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="nmap-batch")
        try:
            window = self.batch_size * WINDOW_BATCHES
            for start in range(0, len(self.items), window):
                groups: dict[str, list[Any]] = {}
                for item in self.items[start:start + window]:
                    host = item.target.host
                    if not needs_sweep(item) or not _allowed(host.address):
                        self._hand(item)
                        continue
                    groups.setdefault(port_spec(host, self.ctx.policy), []).append(item)
                for spec, members in groups.items():
                    for at in range(0, len(members), self.batch_size):
                        if not self._wait_for_room(len(members[at:at + self.batch_size])):
                            return
                        pool.submit(self._sweep_batch, spec, members[at:at + self.batch_size])
            for _ in range(self.workers):  # every batch swept and handed over
                self._slots.acquire()
        finally:
            pool.shutdown(wait=False)
            self._finished.set()

    def _wait_for_room(self, size: int) -> bool:
        """Block until a worker is free and the look-ahead allows `size` more hosts; False once stopped."""
        while not (self.stop.is_set() or self._halted.is_set()):
            with self._lock:
                room = self.in_flight() + self._running + size <= self.ahead
            if room and self._slots.acquire(timeout=0.05):
                with self._lock:
                    self._running += size
                return True
            time.sleep(0.02)
        return False

    def _sweep_batch(self, spec: str, members: list[Any]) -> None:
        start = time.perf_counter()
        addresses = [m.target.host.address for m in members]
        try:
            found = sweep(addresses, spec, self.timeout)
        except Exception as exc:  # a bug here must not lose the hosts: each gets the reason, the scan goes on
            log.error("discovery of %d hosts crashed: %s: %s", len(members), type(exc).__name__, exc)
            found = {a: CollectorError(f"discovery crashed: {type(exc).__name__}") for a in addresses}
        seconds = time.perf_counter() - start
        with self._lock:
            for address in addresses:
                self._swept[(address, spec)] = found.get(address) or CollectorError(
                    f"nmap reported nothing for {address}")
            self._running -= len(members)
            self.batches.append({"hosts": len(members), "seconds": round(seconds, 3)})
        try:
            for m in members:
                self._hand(m)
        finally:
            self._slots.release()


def _allowed(address: str) -> bool:
    try:
        check_allowed(address)
    except CollectorError:
        return False
    return True
