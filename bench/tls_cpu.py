#!/usr/bin/env python3
"""The TLS collector's CPU per host, and per connection kind, against real lab TLS listeners.

    unshare -n bash -c 'ip link set lo up; FOURLAYER_LOOPBACK_ONLY=1 .venv/bin/python bench/tls_cpu.py'

Starts the bench lab's TLS profiles (good, weak, expired, expiring, mismatch: bench/lab.py's TLS_CYCLE, same
certificates and server name) in one listener child process on 127.0.0.x, then:

1. `collect`: the real `tls.collect` of a host with one TLS port, `--rounds` times per profile; the scanner's
   CPU is this process's (getrusage: every thread, the servers run in the child), in ms per host, weighted as
   bench/lab.py cycles the profiles (good twice);
2. `kinds`: each probe of `_Port` run alone in this thread (`time.thread_time`), ms per call and connections,
   i.e. what each handshake or raw probe costs the scanner;
3. with `--profile FILE`: a cProfile (CPU clock: `time.thread_time`) of those per-kind calls, the top entries
   printed and the stats written to FILE.

A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/profile.py shadows the standard `profile` module that cProfile imports: bench/ is left off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import cProfile  # noqa: E402
import pstats  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fourlayer.collectors import reach, tls  # noqa: E402
from fourlayer.collectors.base import CollectContext  # noqa: E402
from fourlayer.config.inventory import Host  # noqa: E402
from fourlayer.lab.certs import write_lab_certs  # noqa: E402
from fourlayer.lab.serve import ListenerProcess  # noqa: E402
from fourlayer.lab.servers import tls_listener  # noqa: E402

PROFILES = ("good", "weak", "expired", "expiring", "mismatch")
WEIGHTS = {"good": 2, "weak": 1, "expired": 1, "expiring": 1, "mismatch": 1}  # bench/lab.py's TLS_CYCLE
SERVER_NAME = "bench.fourlayer.test"  # bench/lab.py's BENCH_DNS


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Counting:
    """Counts the TCP connections the collector opens (reach.connect), by every module that imported it."""

    def __init__(self) -> None:
        self.count, self._real = 0, reach.connect

    def __enter__(self) -> "_Counting":
        def counted(*args, **kwargs):
            self.count += 1
            return self._real(*args, **kwargs)
        for module in (tls, sys.modules["fourlayer.collectors.tls_flight"]):
            module.connect = counted
        return self

    def __exit__(self, *exc) -> None:
        for module in (tls, sys.modules["fourlayer.collectors.tls_flight"]):
            module.connect = self._real


def _timed(name: str, call, totals: dict[str, list[float]], profiler: cProfile.Profile | None):
    with _Counting() as counting:
        start = time.thread_time()
        if profiler:
            profiler.enable()
        try:
            return call()
        finally:
            if profiler:
                profiler.disable()
            slot = totals.setdefault(name, [0.0, 0.0])
            slot[0] += time.thread_time() - start
            slot[1] += counting.count


def measure_kinds(host: Host, ctx: CollectContext, rounds: int, profiler: cProfile.Profile | None
                  ) -> dict[str, tuple[float, float]]:
    """kind -> (ms of this thread's CPU per call, connections per call), averaged over `rounds`: the probes
    `collect` makes for the host's one port, each alone in this thread."""
    totals: dict[str, list[float]] = {}
    for _ in range(rounds):
        port = tls._Port(host, host.tls[0], ctx.timeout, tls.weak_classes(ctx))  # noqa: SLF001
        facts = _timed("first", port.first, totals, profiler)
        known = tls.known_protocols(facts["protocol"], port.raw)
        if not port.verified:
            _timed("verify", port.verify, totals, profiler)
        _timed("weak", port.weak, totals, profiler)
        if hasattr(port, "rsa_kex"):  # before the RSA-kex question rode in the weak-suite offers
            _timed("rsa_kex", port.rsa_kex, totals, profiler)
        versions = {v: known[v] if v in known else _timed(v, lambda v=v: port.protocol(v), totals, profiler)
                    for v in tls.PROTOCOLS}
        if hasattr(port, "export") and port.wants_export() and not (versions["SSLv3"] is False
                                                                   and versions["TLSv1"] is False):
            _timed("export", port.export, totals, profiler)
    return {k: (1000 * v[0] / rounds, v[1] / rounds) for k, v in totals.items()}


def measure_collect(host: Host, ctx: CollectContext, rounds: int) -> tuple[float, float]:
    """(ms of CPU per collect, connections per collect)."""
    tls.collect(host, ctx)  # warm: contexts, trust store
    with _Counting() as counting:
        start = _cpu()
        for _ in range(rounds):
            tls.collect(host, ctx)
        spent = _cpu() - start
    return 1000 * spent / rounds, counting.count / rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="collects per profile (default 20)")
    parser.add_argument("--kind-rounds", type=int, default=10, help="per-kind runs per profile (default 10)")
    parser.add_argument("--profile", help="write cProfile stats (thread_time) of the per-kind calls here")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--max-connections", type=int, help="policy tls_max_connections (default: the collector's)")
    args = parser.parse_args(argv)
    os.environ.setdefault(reach.LOOPBACK_ENV, "1")
    policy = {"tls_max_connections": args.max_connections} if args.max_connections else {}
    ctx = CollectContext(policy=policy, timeout=5.0)
    with tempfile.TemporaryDirectory(prefix="fourlayer-tls-cpu-") as tmp:
        certs = write_lab_certs(Path(tmp) / "certs", dns_name=SERVER_NAME, ip=None)
        specs = [tls_listener(p, certs, f"127.0.0.{60 + i}", name=f"tls-{p}") for i, p in enumerate(PROFILES)]
        process = ListenerProcess(specs).start()
        try:
            hosts = {p: Host(address=process.endpoint(f"tls-{p}")[0], id=f"tls-{p}", roles=("web",),
                             tls=(process.port(f"tls-{p}"),), tls_ca_file=certs["ca"].cert,
                             tls_server_name=SERVER_NAME) for p in PROFILES}
            print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
            weighted, conns = 0.0, 0.0
            for p in PROFILES:
                ms, n = measure_collect(hosts[p], ctx, args.rounds)
                weighted += WEIGHTS[p] * ms
                conns += WEIGHTS[p] * n
                print(f"collect {p:9s} {ms:6.2f} ms CPU  {n:4.1f} connections")
            total = sum(WEIGHTS.values())
            print(f"collect per TLS port (bench mix) {weighted / total:6.2f} ms CPU  {conns / total:4.1f} connections")
            profiler = cProfile.Profile(time.thread_time) if args.profile else None
            for p in PROFILES:
                kinds = measure_kinds(hosts[p], ctx, args.kind_rounds, profiler)
                text = "  ".join(f"{k} {ms:.2f}ms/{n:.0f}c" for k, (ms, n) in kinds.items())
                print(f"kinds {p:9s} {sum(ms for ms, _ in kinds.values()):6.2f} ms: {text}")
            if profiler:
                profiler.dump_stats(args.profile)
                pstats.Stats(args.profile).sort_stats("tottime").print_stats(args.top)
            print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        finally:
            process.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
