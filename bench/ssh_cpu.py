#!/usr/bin/env python3
"""CPU per host of the SSH collectors, by thread: the collector's own thread and paramiko's transport threads.

    unshare -n bash -c 'ip link set lo up; .venv/bin/python bench/ssh_cpu.py --rounds 20'
    ... bench/ssh_cpu.py --rounds 5 --profile /tmp/ssh   # + cProfile (thread CPU time) of both kinds of thread

Starts a small bench lab (bench/lab.py: a hardened and a weak sshd with their sysroots), then runs
`ssh_shell.collect` and `ssh_transport.collect` against each host `--rounds` times, one at a time. Each thread's
CPU is `time.thread_time()` taken at its end (paramiko's `Transport.run` is wrapped for that), so other processes
on the machine (the lab's own sshd) do not count. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/profile.py shadows the standard `profile` module that cProfile imports (see scan_child's profiler)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != str(ROOT / "bench")]
import cProfile  # noqa: E402
import pstats  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import paramiko  # noqa: E402

from bench.lab import BenchLab  # noqa: E402
from fourlayer.collectors import ssh_shell, ssh_transport  # noqa: E402
from fourlayer.collectors.base import CollectContext  # noqa: E402
from fourlayer.config.inventory_load import load_inventory  # noqa: E402

_lock = threading.Lock()
_transport_cpu: list[float] = []
_profiles: dict[str, list[cProfile.Profile]] = {}


def _wrap_transport_run(profile: bool) -> None:
    original = paramiko.Transport.run

    def run(self: paramiko.Transport) -> None:
        prof = cProfile.Profile(time.thread_time) if profile else None
        start = time.thread_time()
        try:
            if prof is not None:
                prof.runcall(original, self)
            else:
                original(self)
        finally:
            spent = time.thread_time() - start
            with _lock:
                _transport_cpu.append(spent)
                if prof is not None:
                    _merge("transport", prof)

    paramiko.Transport.run = run


def _merge(kind: str, prof: cProfile.Profile) -> None:
    prof.create_stats()
    _profiles.setdefault(kind, []).append(prof)


def _measure(fn, host, ctx, profile: bool) -> tuple[float, float, str]:
    """(collector thread CPU, transport threads CPU, error) of one collect in a fresh thread."""
    out: dict[str, object] = {}

    def body() -> None:
        prof = cProfile.Profile(time.thread_time) if profile else None
        start = time.thread_time()
        try:
            (prof.runcall if prof else (lambda f, *a: f(*a)))(fn, host, ctx)
        except Exception as exc:  # noqa: BLE001 (reported, the bench goes on)
            out["error"] = f"{type(exc).__name__}: {exc}"
        out["cpu"] = time.thread_time() - start
        if prof is not None:
            with _lock:
                _merge(fn.__module__.rsplit(".", 1)[-1], prof)

    before = len(_transport_cpu)
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    # paramiko's Transport.close() does not wait for its thread (stop_thread stops joining once the packetizer is
    # closed): wait here, so that its CPU is not counted to the next collect
    for other in threading.enumerate():
        if isinstance(other, paramiko.Transport):
            other.join(5)
    with _lock:
        transport = sum(_transport_cpu[before:])
    return float(out["cpu"]), transport, str(out.get("error", ""))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--profile", help="write cProfile stats to PREFIX-<kind>.prof and print the top entries")
    ap.add_argument("--only", choices=("shell", "transport"), help="one collector only")
    args = ap.parse_args(argv)
    _wrap_transport_run(bool(args.profile))
    ctx = CollectContext(timeout=5.0)
    with BenchLab(2, dead=0, tarpits=0) as lab:
        inventory = load_inventory(lab.inventory)
        hosts = [h for a in inventory.agencies for s in a.systems for h in s.hosts]
        collectors = [("ssh_shell", ssh_shell.collect), ("ssh_transport", ssh_transport.collect)]
        if args.only:
            collectors = [c for c in collectors if c[0].endswith(args.only)]
        for name, fn in collectors:  # warm-up: imports, known_hosts parse, lazy paramiko setup
            for host in hosts:
                _measure(fn, host, ctx, False)
        _transport_cpu.clear()
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in collectors}
        for _ in range(args.rounds):
            for name, fn in collectors:
                for host in hosts:
                    own, transport, error = _measure(fn, host, ctx, bool(args.profile))
                    if error:
                        print(f"{name} {host.id}: {error}", file=sys.stderr)
                    figures[name].append((own, transport))
    load = os.getloadavg()[0]
    print(f"{args.rounds} rounds x {len(hosts)} hosts, load {load:.2f}")
    for name, values in figures.items():
        own = [v[0] * 1000 for v in values]
        transport = [v[1] * 1000 for v in values]
        print(f"{name:14s} collector thread {statistics.mean(own):6.2f} ms (median {statistics.median(own):6.2f})"
              f"  transport threads {statistics.mean(transport):6.2f} ms (median {statistics.median(transport):6.2f})"
              f"  sum {statistics.mean(own) + statistics.mean(transport):6.2f} ms per host")
    if args.profile:
        for kind, profs in sorted(_profiles.items()):
            stats = pstats.Stats(profs[0])
            for prof in profs[1:]:
                stats.add(prof)
            path = f"{args.profile}-{kind}.prof"
            stats.dump_stats(path)
            print(f"\n==== {kind} ({path})")
            stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
