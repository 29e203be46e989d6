#!/usr/bin/env python3
"""The zone engine against the in-process scan: the same loopback hosts, scanned once in one process and once
through a real RabbitMQ node by real `fourlayer worker` processes, one zone per /24 (issue #12).

    unshare -n sh -c 'ip link set lo up; .venv/bin/python bench/zones_bench.py --zones 4 --hosts 400'

Run it in a private network namespace (`unshare -n`): it binds a broker and tarpits on 127.0.8x.y. Measures wall
time (in-process vs broker), coordinator CPU per host (the dispatcher's own figure and the whole process's),
messages per host, and the wall time when one worker of zone 0 is SIGKILLed a quarter of the way through.
Hosts are cheap on purpose (a refused SSH port, or a tarpit that costs --timeout): the figures are the engine's
overhead, not a full audit's (bench/run_bench.py measures that). This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.rabbitmq_node import RabbitNode  # noqa: E402
from tests.zone_engine import FOURLAYER, Tarpit, Worker, env  # noqa: E402

CHECKS = [f"L1-SSH-00{i}" for i in range(1, 8)]  # one collector (ssh_transport): the host's cost is its answer


def inventory(tmp: Path, zones: list[str], hosts: int, tarpit_every: int) -> tuple[Path, list[Tarpit]]:
    import yaml

    tarpits, entries = [], []
    for i in range(hosts):
        z = i % len(zones)
        address = f"127.0.{80 + z}.{1 + i // len(zones)}"
        if tarpit_every and (i // len(zones)) % tarpit_every == 0:  # spread evenly over the zones
            tarpits.append(Tarpit(address))
            port = tarpits[-1].port
        else:
            port = 9  # nothing listens: refused at once
        entries.append({"address": address, "id": f"h{i:04d}", "zone": zones[z], "roles": ["linux"],
                        "ssh": {"port": port}})
    doc = {"version": 1,
           "zones": [{"id": z, "name": f"Vùng {z}", "kind": "server", "networks": [f"127.0.{80 + n}.0/24"]}
                     for n, z in enumerate(zones)],
           "agencies": [{"id": f"ag{k}", "name": f"Cơ quan {k}", "systems": [
               {"id": f"sys{k}", "name": "Hệ thống", "level": 2, "hosts": entries[k::4]}]} for k in range(4)]}
    path = tmp / "zones-bench.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, tarpits


def run_scan(cmd: list[str], err: Path, on_line=None) -> dict:
    """Wall time and CPU (user+sys, the process and its children) of one `fourlayer scan`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with open(err, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh, env=env())
    seen = 0
    while proc.poll() is None:
        if on_line is not None:
            text = err.read_text(errors="replace")
            done = len(re.findall(r"^fourlayer: host \d+/", text, re.M))
            if done != seen:
                seen = done
                on_line(done)
        time.sleep(0.05)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = err.read_text(errors="replace")
    out = {"exit": proc.returncode, "wall_s": round(wall, 2), "process_cpu_s": round(cpu, 2)}
    m = re.search(r"dispatch: (\d+) task\(s\), (\d+) message\(s\) back, (\d+) duplicate.*CPU ([\d.]+) ms/host", text)
    if m:
        out.update(tasks=int(m[1]), messages_back=int(m[2]), duplicates=int(m[3]), dispatch_cpu_ms_per_host=float(m[4]))
    out["errors_no_scanner"] = text.count("no scanner in zone")
    return out


def stored(out: Path) -> dict:
    (path,) = sorted(out.glob("fourlayer-*.json"))
    doc = json.loads(path.read_text(encoding="utf-8"))
    hosts = {r["host"] for r in doc["results"] if r["host"]}
    per_host = {}
    for r in doc["results"]:
        per_host[(r["host"], r["check_id"])] = per_host.get((r["host"], r["check_id"]), 0) + 1
    return {"hosts_in_report": len(hosts), "results_stored_twice": sum(1 for v in per_host.values() if v > 1),
            "complete": doc["run"]["complete"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zones", type=int, default=4)
    ap.add_argument("--hosts", type=int, default=400)
    ap.add_argument("--tarpit-every", type=int, default=4, help="every Nth host is a tarpit (costs --timeout)")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=16, help="in-process hosts in parallel = workers x slots")
    ap.add_argument("--workers-per-zone", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, reports, broker data)")
    args = ap.parse_args(argv)
    zones = [f"z{i}" for i in range(args.zones)]
    slots = max(1, args.concurrency // (args.zones * args.workers_per_zone))
    tmp = Path(tempfile.mkdtemp(prefix="zones-bench-"))
    node = RabbitNode(tmp / "rabbit", zones=tuple(zones))
    inv, tarpits = inventory(tmp, zones, args.hosts, args.tarpit_every)
    report: dict = {"hosts": args.hosts, "zones": args.zones, "tarpits": len(tarpits), "timeout": args.timeout,
                    "concurrency": args.concurrency, "workers": args.zones * args.workers_per_zone,
                    "slots_per_worker": slots, "load_before": os.getloadavg(), "cpus": os.cpu_count()}
    base = [*FOURLAYER, "scan", str(inv), "--format", "json", "--lang", "en", "--no-history", "--timeout",
            str(args.timeout), *[a for c in CHECKS for a in ("--check", c)]]
    workers: list[Worker] = []
    try:
        report["in_process"] = run_scan([*base, "--out", str(tmp / "local"), "--concurrency", str(args.concurrency),
                                         "--quiet"], tmp / "local.err")
        report["in_process"].update(stored(tmp / "local"))
        t = time.monotonic()
        node.start()
        report["broker_start_s"] = round(time.monotonic() - t, 1)
        for z in zones:
            for k in range(args.workers_per_zone):
                workers.append(Worker(tmp, z, node.zone_url(z), f"{z}-{k}", slots))
        for w in workers:
            w.wait_for("ready", 120)
        broker = [*base, "--broker", node.coordinator_url, "--log-format", "text", "--zone-timeout", "30"]
        report["broker"] = run_scan([*broker, "--out", str(tmp / "broker")], tmp / "broker.err")
        report["broker"].update(stored(tmp / "broker"))
        victim = workers[0]
        killed = {}

        def kill_at_quarter(done: int) -> None:
            if not killed and done >= args.hosts // 4:
                victim.kill()
                killed["at_host"] = done

        report["broker_one_worker_killed"] = run_scan([*broker, "--out", str(tmp / "killed")], tmp / "killed.err",
                                                      kill_at_quarter)
        report["broker_one_worker_killed"].update(stored(tmp / "killed"), killed_at_host=killed.get("at_host"),
                                                  killed_worker=victim.name)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.stop()
        node.stop()
        for p in tarpits:
            p.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    b, l = report["broker"], report["in_process"]
    report["messages_per_host"] = round((b.get("tasks", 0) + b.get("messages_back", 0)) / args.hosts, 2)
    report["process_cpu_ms_per_host"] = {"in_process": round(1000 * l["process_cpu_s"] / args.hosts, 2),
                                         "broker_coordinator": round(1000 * b["process_cpu_s"] / args.hosts, 2)}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
