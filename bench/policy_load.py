#!/usr/bin/env python3
"""What loading the policy-side files costs: `fourlayer --help` start-up and the files a scan reads.

    .venv/bin/python bench/policy_load.py [--repeat 100] [--help-runs 11]

Prints, for this checkout: `fourlayer --help` wall time (min and median over --help-runs fresh processes),
whether `import fourlayer.cli.main` imports pydantic, and per-call times (min and median over --repeat rounds,
each in a fresh cache state) of: the demo inventory + its policy (`load_inventory` + `load_policy`, what `fourlayer
scan` does before any traffic), the built-in framework (`load_framework`, which merges its thresholds into the
policy), the example waivers, and building one check target from the loaded policy (`Target(...)`, once per host,
system and agency in a scan). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO = ROOT / "inventory" / "demo.yaml"
WAIVERS = ROOT / "inventory" / "waivers.example.yaml"


def _times(fn, repeat: int) -> tuple[float, float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out), statistics.median(out)


def _help(runs: int) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "fourlayer.cli.main", "--help"]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        out.append(time.perf_counter() - start)
    return min(out), statistics.median(out)


def main() -> None:
    os.environ.setdefault("FOURLAYER_LAB", "/tmp/fourlayer-lab")  # the demo inventory's references, not opened
    os.environ.setdefault("FOURLAYER_LAB_USER", "audit")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--help-runs", type=int, default=11)
    args = ap.parse_args()

    lo, med = _help(args.help_runs)
    print(f"fourlayer --help: min {lo * 1000:.0f} ms, median {med * 1000:.0f} ms ({args.help_runs} runs)")
    code = "import sys, fourlayer.cli.main; print('pydantic' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    print(f"import fourlayer.cli.main imports pydantic: {imported}")

    from fourlayer.config import policy as policy_mod
    from fourlayer.config.frameworks import load_framework
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.waivers import load_waivers
    from fourlayer.core.target import Target

    inv = load_inventory(str(DEMO))

    def demo() -> None:
        policy_mod.load_policy(load_inventory(str(DEMO)).policy_path)

    def framework() -> None:
        policy_mod._defaults.cache_clear()  # the built-in policy is read once per process; count it here
        load_framework()

    policy = policy_mod.load_policy(inv.policy_path)
    agency, system, host = next(inv.iter_hosts())
    today = dt.date.today()
    rows = [("demo inventory + policy", demo), ("built-in framework", framework),
            ("example waivers", lambda: load_waivers(str(WAIVERS))),
            ("one Target from the policy", lambda: Target(agency, system, host, policy, today))]
    for name, fn in rows:
        fn()  # imports and caches warm, as in a scan
        lo, med = _times(fn, args.repeat)
        print(f"{name}: min {lo * 1000:.3f} ms, median {med * 1000:.3f} ms per call ({args.repeat} calls)")


if __name__ == "__main__":
    main()
