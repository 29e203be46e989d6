"""Run a command and watch it: wall time, peak RSS (own and whole process tree), open fds, threads (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Usage:
    returncode: int = 0
    wall_seconds: float = 0.0
    cpu_user_seconds: float = 0.0  # the command and the children it waited for (nmap...)
    cpu_system_seconds: float = 0.0
    peak_rss_mb: float = 0.0  # largest single process in the tree (wait4 ru_maxrss)
    peak_tree_rss_mb: float = 0.0  # sampled: the command plus its descendants at one moment
    peak_fds: int = 0  # sampled: open file descriptors of the command
    peak_threads: int = 0
    peak_children: int = 0
    machine_cpu_busy_percent: float = 0.0  # all cores, whole machine (lab servers included) while it ran
    samples: int = 0
    stdout_tail: str = ""
    stderr_tail: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _status(pid: int) -> dict[str, str]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            out[key] = value.strip()
    except OSError:
        pass
    return out


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            kids.extend(int(x) for x in text)
    except OSError:
        pass
    return kids


def _rss_kb(pid: int) -> int:
    value = _status(pid).get("VmRSS", "0 kB").split()[0]
    return int(value) if value.isdigit() else 0


def _sample(pid: int, usage: Usage) -> None:
    status = _status(pid)
    if not status:
        return
    tree, stack = [], _children(pid)
    while stack:
        child = stack.pop()
        tree.append(child)
        stack.extend(_children(child))
    rss = _rss_kb(pid) + sum(_rss_kb(c) for c in tree)
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = 0
    usage.peak_tree_rss_mb = max(usage.peak_tree_rss_mb, rss / 1024)
    usage.peak_fds = max(usage.peak_fds, fds)
    usage.peak_threads = max(usage.peak_threads, int(status.get("Threads", "0") or 0))
    usage.peak_children = max(usage.peak_children, len(tree))
    usage.samples += 1


def run_watched(cmd: list[str], env: dict[str, str] | None = None, interval: float = 0.05,
                timeout: float | None = None, stdout_file: Path | None = None) -> Usage:
    """Run `cmd` to completion (killed after `timeout`), sampling it every `interval` seconds.
    Its stdout goes to `stdout_file` when given (else only the tail is kept)."""
    usage = Usage()
    start = time.perf_counter()
    cpu_before = _cpu_times()
    with open(os.devnull, "rb") as devnull, _Tail(stdout_file) as out, _Tail() as err:
        proc = subprocess.Popen(cmd, stdin=devnull, stdout=out.fh, stderr=err.fh, env=env)
        done = threading.Event()

        def watch() -> None:
            # time.sleep, not done.wait(interval): under libfaketime a timed wait on a lock never wakes unless
            # notified (libfaketime #390), and the sampler would see nothing in the suite's shifted-clock pass
            while not done.is_set():
                time.sleep(interval)
                if done.is_set():
                    break
                _sample(proc.pid, usage)
                if timeout and time.perf_counter() - start > timeout:
                    proc.kill()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            done.set()
            watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        usage.stdout_tail, usage.stderr_tail = out.tail(), err.tail()
    usage.returncode = proc.returncode
    busy, total = (after - before for after, before in zip(_cpu_times(), cpu_before))
    usage.machine_cpu_busy_percent = round(100 * busy / total, 1) if total else 0.0
    usage.wall_seconds = round(time.perf_counter() - start, 3)
    usage.cpu_user_seconds = round(rusage.ru_utime, 2)
    usage.cpu_system_seconds = round(rusage.ru_stime, 2)
    usage.peak_rss_mb = round(rusage.ru_maxrss / 1024, 1)
    usage.peak_tree_rss_mb = round(usage.peak_tree_rss_mb, 1)
    return usage


class _Tail:
    """A file (temporary unless `path` is given) for a child's output; reads back the last few KiB as text."""

    def __init__(self, path: Path | None = None):
        self.path = path

    def __enter__(self) -> "_Tail":
        import tempfile

        self.fh = open(self.path, "w+b") if self.path else tempfile.TemporaryFile()
        return self

    def tail(self, size: int = 4000) -> str:
        self.fh.seek(0, os.SEEK_END)
        length = self.fh.tell()
        self.fh.seek(max(0, length - size))
        return self.fh.read().decode("utf-8", "replace")

    def __exit__(self, *exc) -> None:
        self.fh.close()
