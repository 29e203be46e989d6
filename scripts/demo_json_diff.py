#!/usr/bin/env python3
"""Compare two demo-scan JSON reports field by field, apart from what differs on every run.

Used to prove that a refactoring changed no verdict, reason, evidence, score or metadata:

    .venv/bin/fourlayer demo --out /tmp/before   # on the old commit
    .venv/bin/fourlayer demo --out /tmp/after    # on the new one
    .venv/bin/python scripts/demo_json_diff.py /tmp/before /tmp/after

Run ids, clock times, durations and per-run timings are set aside (they differ between any two runs), and so is
what is made fresh at each lab start (certificate dates and fingerprints, ports chosen by the kernel). Exit 0 when
the rest is identical, 1 with the differing paths otherwise.

The recorded Windows host's dates are re-dated relative to the scan's clock (fourlayer/lab/windows_recorded.py:
"now + N days", at the scan's time of day), so a reason such as "AntivirusSignatureLastUpdated=2026-10-22 02:48 UTC
(41 days before the scan)" carries the minute the scan ran. Only that time of day is set aside ("2026-10-22 <hh:mm>
UTC"): the date, the age in days and the rest of the field are still compared.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

VOLATILE_KEYS = {"id", "run_id", "started", "finished", "seconds", "duration_ms", "stage_seconds", "generated",
                 "signed_at"}
# Lab material made at start (certificates, host keys), clock times inside reasons, the machine's process count.
VOLATILE_TEXT = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d+ days (left|ago|old)\b"), r"<n> days \1"),
    (re.compile(r"(?:after|in) \d+ days"), "in <n> days"),
    (re.compile(r"\b[0-9a-f]{32,}\b", re.I), "<hex>"),
    (re.compile(r"SHA256:[A-Za-z0-9+/]{43}"), "SHA256:<fingerprint>"),  # host keys made at each lab start
    (re.compile(r"\b\d+ processes\b"), "<n> processes"),  # this machine's process table
    # the time of day of a "YYYY-MM-DD HH:MM UTC" stamp (checks/layer1/windows_host.py): the scan's clock minute
    (re.compile(r"(?<=\b\d{4}-\d{2}-\d{2} )\d{2}:\d{2}(?= UTC\b)"), "<hh:mm>"),
    (re.compile(r"\d+(\.\d+)? ?(ms|s)\b"), "<dur>"),
    (re.compile(r"/run/fourlayer-lab/[^\s'\"]+"), "<lab>"),
    (re.compile(r"fourlayer-\d{8}T\d{6}Z-[0-9a-f]+"), "<stem>"),
]


def normalise(value: Any, path: str = "") -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, f"{path}.{k}") for k, v in value.items()
                if not (k in VOLATILE_KEYS and path in ("", ".run", ".hosts") or k in {"duration_ms", "seconds",
                                                                                    "stage_seconds"})}
    if isinstance(value, list):
        return [normalise(v, path) for v in value]
    if isinstance(value, str):
        for pattern, repl in VOLATILE_TEXT:
            value = pattern.sub(repl, value)
    return value


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, dict):
        out = [f"{path}.{k}: only in {'first' if k in a else 'second'}" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def report(folder_or_file: str) -> dict:
    path = Path(folder_or_file)
    if path.is_dir():
        [path] = sorted(path.glob("*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], "\nusage: demo_json_diff.py BEFORE AFTER (folders or .json files)",
              file=sys.stderr)
        return 2
    before, after = (normalise(report(p)) for p in argv)
    found = differences(before, after)
    for line in found[:200]:
        print(line)
    print(f"{len(found)} difference(s)" if found else "identical (apart from run ids, times and durations)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
