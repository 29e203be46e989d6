#!/usr/bin/env python3
"""Peak memory of storing one run's report document in the history database (`HistoryStore.finish_run`).

    .venv/bin/python bench/store_memory.py --doc bench/out/<run>/reports/fourlayer-<time>-<run>.json [--ref REV]

Loads the document (a scan's JSON report) in a fresh process, resets the peak (`/proc/self/clear_refs`), stores
it in a new database, and prints RSS and peak before and after; with --ref the same with `storage.py` as it was
at that git revision (the "before" figure). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def memory() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return tuple(round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def store_class(ref: str | None):
    if ref is None:
        from fourlayer.history.storage import HistoryStore

        return HistoryStore
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:fourlayer/history/storage.py"],
                            capture_output=True, text=True, check=True).stdout
    module = type(sys)("storage_at_ref")
    sys.modules[module.__name__] = module
    exec(compile(source, f"storage.py@{ref}", "exec"), module.__dict__)
    return module.HistoryStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--ref", default=None, help="git revision of storage.py to measure instead of this tree's")
    args = parser.parse_args(argv)
    HistoryStore = store_class(args.ref)
    doc = json.loads(args.doc.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as work:
        store = HistoryStore(Path(work) / "h.sqlite")
        store.begin_run("r1", doc["run"]["started"], "inventory", "bench", {}, [a["id"] for a in doc["agencies"]], 1)
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
        before, start = memory(), time.perf_counter()
        store.finish_run("r1", doc["run"]["started"], doc["run"]["finished"], True, None, doc, None)
        after = memory()
        store.close()
    print(json.dumps({"storage": args.ref or "this tree", "results": len(doc["results"]), "rss_before_mb": before[0],
                      "rss_after_mb": after[0], "peak_mb": after[1], "peak_increase_mb": round(after[1] - before[0], 1),
                      "seconds": round(time.perf_counter() - start, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
