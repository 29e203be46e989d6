#!/usr/bin/env python3
"""How long reading the user's files takes: a generated 10,000-host inventory, and the demo inventory + policy.

    .venv/bin/python bench/inventory_load.py --hosts 10000 --runs 5 --demo 100

The generated inventory has the bench lab's shape (bench/lab.py `inventory_data`: 20 hosts per agency in two
systems, SOC, national monitoring, contacts, an assessment per system, defaults.ssh with a known_hosts file,
each host with roles, services, tls, http, its own ssh: port/key_file/sysroot) without starting the lab: the
addresses are 10.x.y.z and nothing is contacted. Prints the best and median wall time of `load_inventory` over
`--runs` loads, and of `--demo` loads of inventory/demo.yaml with its policy. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOSTS_PER_AGENCY = 20  # as bench/lab.py


def inventory_data(n: int, folder: Path) -> dict:
    key, known = folder / "id_ed25519", folder / "known_hosts"
    key.write_text("not a key; never read by the loader\n")
    known.write_text("")
    agencies = []
    for a, start in enumerate(range(0, n, HOSTS_PER_AGENCY)):
        chunk = list(range(start, min(n, start + HOSTS_PER_AGENCY)))
        half = (len(chunk) + 1) // 2
        systems = [{"id": f"a{a:04d}-s{s}", "name": f"Hệ thống {s + 1} của cơ quan {a + 1}", "level": 1 + (a + s) % 3,
                    "last_assessment": {"date": "2026-03-01", "assessor": "Đơn vị kiểm định (bench)",
                                        "operator_independent": s == 0},
                    "hosts": [{"address": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "id": f"h{i:05d}",
                               "roles": ["linux", "web"], "services": [22, 443, 8080], "tls": [443],
                               "http": [8080], "tls_server_name": "bench.test",
                               "ssh": {"port": 22, "key_file": str(key), "sysroot": "/srv/root-hardened"}}
                              for i in part]}
                   for s, part in enumerate((chunk[:half], chunk[half:])) if part]
        agencies.append({
            "id": f"a{a:04d}", "name": f"Cơ quan thử nghiệm {a + 1}",
            "security_officer": {"name": "Nguyễn Văn An", "email": "an@bench.test"},
            "soc": {"provider": "SOC (bench)", "contract_until": "2030-01-01", "manager": "127.0.0.1:1514"},
            "national_monitoring": {"connected": True, "since": "2024-01-01", "collector": "127.0.0.1:1515"},
            "incident_contact": {"name": "Trần Thị Bình", "phone": "+84 000 000 000"},
            "systems": systems})
    return {"version": 1, "defaults": {"ssh": {"user": "audit", "known_hosts": str(known)}}, "agencies": agencies}


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """(wall times, CPU times of this process) of `runs` calls; on a shared machine the CPU time is the steadier."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo", type=int, default=100, help="loads of the demo inventory + policy")
    args = parser.parse_args()
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy

    with tempfile.TemporaryDirectory(prefix="fl-invbench-") as tmp:
        path = Path(tmp) / "inventory.yaml"
        path.write_text(yaml.safe_dump(inventory_data(args.hosts, Path(tmp)), sort_keys=False, allow_unicode=True))
        hosts = sum(1 for _ in load_inventory(path).iter_hosts())
        assert hosts == args.hosts, hosts
        big, big_cpu = timed(lambda: load_inventory(path), args.runs)
        print(f"{args.hosts} hosts: load_inventory wall best {min(big):.2f} s, median {statistics.median(big):.2f} s; "
              f"CPU best {min(big_cpu):.2f} s, median {statistics.median(big_cpu):.2f} s over {args.runs} loads",
              flush=True)
    demo = ROOT / "inventory" / "demo.yaml"

    # what `fourlayer demo` exports (the lab's folder need not exist: the loader checks no key file)
    env = {"FOURLAYER_LAB_USER": "audit", "FOURLAYER_LAB": "/nonexistent-lab", "HOME": str(ROOT)}

    def demo_once() -> None:
        inv = load_inventory(demo, env=env)
        load_policy(inv.policy_path)

    wall, cpu = timed(lambda: [demo_once() for _ in range(args.demo)], 3)
    per, per_cpu = [t / args.demo * 1000 for t in wall], [t / args.demo * 1000 for t in cpu]
    print(f"demo inventory + policy: wall best {min(per):.2f} ms, median {statistics.median(per):.2f} ms; CPU best "
          f"{min(per_cpu):.2f} ms, median {statistics.median(per_cpu):.2f} ms per load ({args.demo} loads, 3 rounds)")


if __name__ == "__main__":
    main()
