#!/usr/bin/env python3
"""CPU of rendering a saved report document, as the scan renders it: results read back from a spool.

    .venv/bin/python bench/render_cost.py --doc bench/out/<run>/reports/fourlayer-<run>.json \
        [--formats html,json] [--lang both] [--repeat 3] [--profile OUT.prof]

The document's results are put in a ResultSpool (one batch per target, as the runner lands them), then every
format is written with the real writers (`write_all`) into a temporary directory, --repeat times; prints the
process CPU (`time.process_time`) per repeat and per host, and the sha256 of every file written (the same
figures before and after a change show the output is byte-identical). A measurement, not a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/profile.py would shadow the standard library's `profile` (which cProfile imports)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fourlayer.core.spool import ResultSpool, target_key  # noqa: E402
from fourlayer.dispatch.codec import result_from_json  # noqa: E402
from fourlayer.reports.writers import write_all  # noqa: E402


def spooled(doc: dict) -> tuple[dict, ResultSpool]:
    spool = ResultSpool()
    batches: dict = {}
    for d in doc["results"]:
        r = result_from_json(d)
        batches.setdefault(target_key(r), []).append(r)
    for batch in batches.values():
        spool.add(batch)
    return {**doc, "results": spool.documents()}, spool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--formats", default="html,json")
    parser.add_argument("--lang", default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the last repeat into this file")
    args = parser.parse_args()
    doc = json.loads(args.doc.read_text(encoding="utf-8"))
    hosts = sum(len(s["hosts"]) for a in doc["agencies"] for s in a["systems"])
    formats = args.formats.split(",")
    langs = ["vi", "en"] if args.lang == "both" else [args.lang]
    doc, spool = spooled(doc)
    out = Path(tempfile.mkdtemp(prefix="fourlayer-render-cost-"))
    try:
        cpu = []
        for i in range(args.repeat):
            profiler = cProfile.Profile(time.thread_time) if args.profile and i == args.repeat - 1 else None
            start = time.process_time()
            if profiler:
                profiler.enable()
            files = write_all(doc, out, "report", formats, langs)
            if profiler:
                profiler.disable()
                profiler.dump_stats(str(args.profile))
            cpu.append(time.process_time() - start)
        print(f"{hosts} hosts, {len(doc['results'])} results, formats {','.join(formats)}, langs {','.join(langs)}")
        for i, seconds in enumerate(cpu, 1):
            print(f"repeat {i}: {seconds:.3f} s CPU = {1000 * seconds / max(hosts, 1):.2f} ms per host"
                  + ("  (cProfile on)" if args.profile and i == len(cpu) else ""))
        plain = cpu[:-1] if args.profile and len(cpu) > 1 else cpu
        print(f"best {1000 * min(plain) / max(hosts, 1):.2f} ms per host")
        for path in sorted(files):
            print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}  {path.stat().st_size} B")
    finally:
        shutil.rmtree(out, ignore_errors=True)
        spool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
