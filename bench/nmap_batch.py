#!/usr/bin/env python3
"""nmap CPU per host: one nmap run per host vs one run per batch of hosts (the discovery stage's sweep).

    unshare -n bash -c 'ip link set lo up; FOURLAYER_LOOPBACK_ONLY=1 .venv/bin/python bench/nmap_batch.py'

Sweeps --hosts loopback addresses (127.0.30.x, nothing listens: every port answers with a reset, as the bench
lab's dead hosts do) with the bench inventory's port list, through the real collector code
(`nmap_scan._run` per host, `nmap_scan.sweep` per batch), and reports nmap's CPU (user + system of the nmap
children) and wall time per host for each batch size. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fourlayer.collectors.nmap_scan import _run, sweep, sweep_arguments  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=64)
    parser.add_argument("--batches", default="1,8,16,32,64")
    parser.add_argument("--ports", default="1-1024,12022,12080,12443", help="the bench inventory's port list")
    args = parser.parse_args(argv)
    addresses = [f"127.0.{30 + i // 250}.{1 + i % 250}" for i in range(args.hosts)]
    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        cpu, wall = _children_cpu(), time.perf_counter()
        if batch == 1:
            for address in addresses:
                _run(address, args.ports, sweep_arguments(60), 60)
        else:
            for at in range(0, len(addresses), batch):
                sweep(addresses[at:at + batch], args.ports, 60)
        rows.append({"batch": batch, "nmap_cpu_ms_per_host": round(1000 * (_children_cpu() - cpu) / len(addresses), 1),
                     "wall_ms_per_host": round(1000 * (time.perf_counter() - wall) / len(addresses), 1)})
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"hosts": args.hosts, "ports": args.ports, "load_average_1min": round(os.getloadavg()[0], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
