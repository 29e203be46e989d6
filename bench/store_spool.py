#!/usr/bin/env python3
"""CPU of closing a run in the history store (`HistoryStore.finish_run`) from a list, a held spool and one on disk.

    .venv/bin/python bench/store_spool.py --doc <a scan's JSON report> --results 50000

The report's results are repeated (each copy under other host names) up to `--results`, then stored twice in fresh
databases: from an in-memory list (how runs were stored before `fourlayer/core/spool.py`), from a spool that holds
them in memory (a run within the spool's budget) and from one on disk (past it: the results re-inserted and the
compressed document both read back from disk). Prints the process CPU of each. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fourlayer.core.spool import ResultSpool  # noqa: E402
from fourlayer.dispatch.codec import result_from_json  # noqa: E402
from fourlayer.history.storage import HistoryStore  # noqa: E402

STARTED = "2026-01-01T00:00:00+00:00"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", required=True, help="a scan's JSON report (e.g. the demo's)")
    ap.add_argument("--results", type=int, default=50_000)
    args = ap.parse_args(argv)
    doc = json.loads(Path(args.doc).read_text(encoding="utf-8"))
    base = [result_from_json({**r, "extra": {}}) for r in doc["results"]]
    results = [dataclasses.replace(r, host=f"{r.host}-{i}") if r.host else r
               for i in range(args.results // len(base) + 1) for r in base][:args.results]
    with tempfile.TemporaryDirectory() as tmp:
        for mode, budget_mb in (("list", None), ("held", 1 << 20), ("disk", 0)):
            store = HistoryStore(Path(tmp) / f"{mode}.sqlite")
            store.begin_run(mode, STARTED, "inventory.yaml", "bench", {}, [a["id"] for a in doc["agencies"]], 1)
            spool = ResultSpool(tmp, memory_mb=budget_mb) if budget_mb is not None else None
            if spool is not None:
                spool.add(results)
            stored = spool if spool is not None else results
            items = spool.documents() if spool is not None else [r.to_dict() for r in results]
            document = {**{k: v for k, v in doc.items() if k != "results"}, "results": items}
            start = time.process_time()
            store.finish_run(mode, STARTED, None, True, None, document, stored)
            print(f"{mode:5} {len(results):,} results: finish_run CPU {time.process_time() - start:.2f} s")
            if spool is not None:
                spool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
