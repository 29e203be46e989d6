"""Run the real `fourlayer scan` CLI and record how long each stage took (bench only).

    python bench/scan_child.py TIMINGS.json scan INVENTORY --out DIR ...

The CLI runs unchanged; the scoring (`build_document`) and rendering (`write_all`) functions it calls are
wrapped with timers, and the ScanRun handed to scoring gives the runner's own stage times, per-collector
seconds summed over hosts and check evaluation time. The figures go to TIMINGS.json when the CLI returns.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import threading
import time
from collections import defaultdict
from typing import Any, Callable

from fourlayer.reports import document, writers

TIMINGS: dict[str, Any] = {"stages": {}}


def _timed(module: Any, name: str, stage: str, inspect: Callable[..., None] | None = None) -> None:
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if inspect:
            inspect(*args)
        start = time.perf_counter()
        TIMINGS.setdefault("memory_mb", {})[f"before {stage}"] = memory()
        TIMINGS.setdefault("cpu_seconds", {})[f"before {stage}"] = cpu()
        try:
            return original(*args, **kwargs)
        finally:
            TIMINGS["stages"][stage] = TIMINGS["stages"].get(stage, 0.0) + time.perf_counter() - start
            TIMINGS["memory_mb"][f"after {stage}"] = memory()
            TIMINGS["cpu_seconds"][f"after {stage}"] = cpu()

    setattr(module, name, wrapper)


def memory() -> dict[str, float]:
    """This process's resident set now and its peak so far (MB)."""
    fields = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return {k: round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM")}


THREAD_CPU: dict[str, float] = defaultdict(float)
_thread_cpu_lock = threading.Lock()


def _count_thread_cpu() -> None:
    """Every thread's own CPU time, summed by its name with numbers and host ids dropped (`col-h001_3` ->
    `col`, `Thread-12 (work)` -> `Thread (work)`): which kind of thread burns the scanner's CPU."""
    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        try:
            original(self)
        finally:
            kind = (self.name.split("-", 1)[0] if self.name.startswith(("col-", "checks-"))
                    else re.sub(r"[-_]?\d+", "", self.name))
            with _thread_cpu_lock:
                THREAD_CPU[kind] += time.thread_time()

    threading.Thread.run = run  # type: ignore[method-assign]
    import paramiko  # its Transport is a Thread with its own run(): counted as "paramiko"

    transport_run = paramiko.Transport.run

    def paramiko_run(self: threading.Thread) -> None:
        try:
            transport_run(self)
        finally:
            with _thread_cpu_lock:
                THREAD_CPU["paramiko"] += time.thread_time()

    paramiko.Transport.run = paramiko_run  # type: ignore[method-assign]


COLLECTOR_CPU: dict[str, float] = defaultdict(float)


def _count_collector_cpu() -> None:
    """Each collector's CPU in the thread that runs it (threads it starts itself are counted by name above)."""
    import fourlayer.collectors as collectors
    import fourlayer.core.runner as runner

    def host_collector(name: str) -> Callable:
        collect = collectors.host_collector(name)

        def timed(*args: Any) -> Any:
            start = time.thread_time()
            try:
                return collect(*args)
            finally:
                with _thread_cpu_lock:
                    COLLECTOR_CPU[name] += time.thread_time() - start
        return timed

    runner.host_collector = host_collector


def cpu() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process and of the children it waited for (nmap)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": round(own.ru_utime + own.ru_stime, 3), "children": round(children.ru_utime + children.ru_stime, 3)}


def summarise_run(run: Any, *_: Any) -> None:
    """Per-collector busy seconds (summed over hosts), slowest hosts, check time, result counts."""
    busy: dict[str, float] = defaultdict(float)
    failures: dict[str, int] = defaultdict(int)
    for host in run.hosts:
        for name, info in host.collectors.items():
            busy[name] += info.get("seconds") or 0.0
            failures[name] += 0 if info.get("ok") else 1
    statuses: dict[str, int] = defaultdict(int)
    for r in run.results:
        statuses[r.status.value] += 1
    slowest = sorted(run.hosts, key=lambda h: h.seconds, reverse=True)[:5]
    TIMINGS.update({
        "runner_stage_seconds": dict(run.stage_seconds),
        "discovery": dict(getattr(run, "discovery", {}) or {}),
        "collector_busy_seconds": {k: round(v, 3) for k, v in sorted(busy.items())},
        "collector_failures": dict(failures),
        "check_seconds": round(sum(r.duration_ms for r in run.results) / 1000, 3),
        "results": len(run.results), "statuses": dict(statuses), "hosts": len(run.hosts),
        "host_seconds": {h.host: round(h.seconds, 3) for h in run.hosts},
        "host_collector_seconds": {h.host: {k: v.get("seconds") for k, v in h.collectors.items()}
                                   for h in run.hosts},
        "slowest_hosts": [{"host": h.host, "seconds": h.seconds,
                           "collectors": {k: v.get("seconds") for k, v in h.collectors.items()}} for h in slowest],
        "complete": run.complete})


def _main_thread_profiler() -> Any:
    """A cProfile.Profile timed by the main thread's CPU; bench/profile.py shadows the standard `profile` module cProfile imports, so the bench
    folder is left off sys.path for that import."""
    here = [p for p in sys.path if os.path.abspath(p or ".") == os.path.dirname(os.path.abspath(__file__))]
    for p in here:
        sys.path.remove(p)
    sys.modules.pop("profile", None)
    try:
        import cProfile
    finally:
        sys.path[:0] = here
    return cProfile.Profile(time.thread_time)  # CPU time of the thread, not wall (waits for the GIL are not CPU)


def main(argv: list[str]) -> int:
    out_path, cli_args = argv[0], argv[1:]
    _count_thread_cpu()
    _count_collector_cpu()
    _timed(document, "build_document", "scoring", inspect=summarise_run)
    _timed(writers, "write_all", "rendering")
    from fourlayer.cli.main import main as cli

    code = 0
    TIMINGS["cpu_seconds"] = {"start": cpu()}
    profile_to = os.environ.get("FOURLAYER_BENCH_CPROFILE")  # cProfile of the main thread only, to this file
    profiler = _main_thread_profiler() if profile_to else None
    if profiler:
        profiler.enable()
    try:
        cli.main(args=cli_args, prog_name="fourlayer", standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)
    TIMINGS["cpu_seconds"]["end"] = cpu()
    TIMINGS["cpu_seconds"]["main_thread"] = round(time.thread_time(), 3)
    TIMINGS["collector_cpu_seconds"] = {k: round(v, 3) for k, v in sorted(COLLECTOR_CPU.items())}
    TIMINGS["thread_cpu_seconds"] = {k: round(v, 3) for k, v in sorted(THREAD_CPU.items(), key=lambda kv: -kv[1])}
    with open(out_path, "w") as fh:
        json.dump(TIMINGS, fh, indent=1)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
