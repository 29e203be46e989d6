"""Sampling profile of a scan with py-spy (the thread holding the GIL) and a summary of where CPU goes.

py-spy's raw format is one collapsed stack per line: `frame;frame;...;frame COUNT`, a frame being
`function (path:line)`. The summary attributes each sample to the innermost fourlayer module on its stack
(collector, runner, checks, reports) and lists the hottest functions by own and inclusive samples.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")
AREAS = (  # (path fragment, area): the first that matches the innermost fourlayer frame wins
    ("collectors/nmap_scan", "collector nmap"), ("collectors/ssh_transport", "collector ssh_transport"),
    ("collectors/ssh_shell", "collector ssh_shell"), ("collectors/tls", "collector tls"),
    ("collectors/http", "collector http"), ("collectors/reach", "collector helpers (reach)"),
    ("collectors/agency", "collector agency"), ("reports/", "rendering"), ("fourlayer/scoring", "scoring"),
    ("checks/", "checks"), ("fourlayer/runner", "runner"), ("fourlayer/planner", "planner"),
    ("fourlayer/inventory", "inventory load"), ("fourlayer/policy", "inventory load"),
    ("fourlayer/registry", "startup (imports, registry)"), ("fourlayer/cli", "cli"),
)


def py_spy() -> str:
    exe = Path(sys.executable).parent / "py-spy"
    return str(exe) if exe.exists() else (shutil.which("py-spy") or "py-spy")


def wrap(cmd: list[str], out: Path, rate: int = 100) -> list[str]:
    """`cmd` run under `py-spy record` writing raw collapsed stacks to `out`. `--gil`: only the thread holding
    the GIL is sampled, i.e. Python CPU time (threads waiting on sockets or locks do not count);
    `--nonblocking`: the scan is not paused for each sample, so it runs at nearly full speed."""
    return [py_spy(), "record", "--format", "raw", "--gil", "--nonblocking", "--rate", str(rate),
            "--output", str(out), "--", *cmd]


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for part in stack.split(";"):
        m = _FRAME.match(part.strip())
        out.append((m.group("func"), m.group("path")) if m else (part.strip(), ""))
    return out


def _area(frames: list[tuple[str, str]]) -> str:
    for func, path in reversed(frames):
        for fragment, area in AREAS:
            if fragment in path:
                return area
    for func, path in reversed(frames):
        if "site-packages/" in path:
            return "library " + path.split("site-packages/", 1)[1].split("/", 1)[0]
    return "other (interpreter, imports)"


def _short(func: str, path: str) -> str:
    tail = path.split("site-packages/", 1)[-1]
    tail = tail.split("/work/main/", 1)[-1].split("/lib/python3", 1)[-1]
    return f"{func} ({tail})"


def summarise(path: Path, top: int = 15) -> dict:
    total, areas, own, inclusive = 0, Counter(), Counter(), Counter()
    if not path.exists():
        return {"samples": 0, "error": f"no profile at {path}"}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = _frames(stack)
        # py-spy prefixes the thread as the first frame, e.g. `thread (0x7f..)`; keep it out of function lists
        code = [f for f in frames if f[1]]
        total += n
        areas[_area(code)] += n
        if code:
            own[_short(*code[-1])] += n
        for name in {_short(*f) for f in code}:
            inclusive[name] += n

    def pct(counter: Counter) -> list[list]:
        return [[name, n, round(100 * n / total, 1)] for name, n in counter.most_common(top)] if total else []

    return {"samples": total, "areas": pct(areas), "own": pct(own), "inclusive": pct(inclusive)}


def format_summary(summary: dict) -> list[str]:
    lines = [f"{summary.get('samples', 0)} samples"]
    for key, title in (("areas", "by area"), ("own", "hottest functions (own)"),
                       ("inclusive", "hottest functions (inclusive)")):
        lines.append(f"{title}:")
        lines += [f"  {pct:5.1f}%  {name}" for name, _, pct in summary.get(key, [])[:10]]
    return lines
