"""fourlayer's SSH-algorithm or TLS audit alone: one collector and the checks that need only it, over every host.

    python bench/fl_audit.py ssh|tls INVENTORY OUT.json [--concurrency 16] [--timeout 5] [--per-host 4]

Hosts are audited in parallel (`--concurrency`, like `fourlayer scan --concurrency`); `--per-host` is the TLS
collector's connection limit per host (policy `tls_max_connections`). Writes
{"seconds", "hosts": {address:port: {"evidence"|"error", "results": {check id: status}}}}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from fourlayer.collectors import host_collector
from fourlayer.collectors.base import CollectContext
from fourlayer.core.errors import CollectorError
from fourlayer.core.evidence import to_dict
from fourlayer.config.inventory_load import load_inventory
from fourlayer.core.planner import why_not
from fourlayer.config.policy import load_policy
from fourlayer.core.discovery import discover
from fourlayer.core.runner import evaluate
from fourlayer.core.target import Target

COLLECTOR = {"ssh": "ssh_transport", "tls": "tls"}


def target_key(kind: str, host) -> str:
    port = host.ssh.port if kind == "ssh" else host.tls[0]
    return f"{host.address}:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=sorted(COLLECTOR))
    parser.add_argument("inventory")
    parser.add_argument("out")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--per-host", type=int, default=4)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    name = COLLECTOR[args.kind]
    inv = load_inventory(args.inventory)
    policy = {**load_policy(inv.policy_path), "tls_max_connections": args.per_host}
    checks = [c for c in discover().all() if c.meta.scope == "host" and set(c.meta.needs) == {name}]
    ctx = CollectContext(policy=policy, timeout=args.timeout)
    collect = host_collector(name)
    today = dt.date.today()
    targets = [Target(a, s, h, policy, today, clock=dt.datetime.now(dt.timezone.utc)) for a, s, h in inv.iter_hosts()
               if (h.tls if args.kind == "tls" else h.ssh is not None and h.ssh.enabled)]

    def one(t: Target) -> tuple[str, dict]:
        entry: dict = {}
        failed: dict[str, str] = {}
        try:
            t.evidence = {name: collect(t.host, ctx)}
            entry["evidence"] = to_dict(t.evidence[name])  # the serialised form (typed evidence -> dict)
        except CollectorError as exc:
            failed[name] = entry["error"] = str(exc)
        entry["results"] = {c.meta.id: evaluate(c, t, failed).status.value for c in checks if not why_not(c, t)}
        return target_key(args.kind, t.host), entry

    with ThreadPoolExecutor(max(1, args.concurrency)) as pool:
        hosts = dict(pool.map(one, targets))
    out = {"kind": args.kind, "collector": name, "checks": [c.meta.id for c in checks],
           "concurrency": args.concurrency, "per_host": args.per_host,
           "seconds": round(time.perf_counter() - start, 3), "hosts": hosts}
    with open(args.out, "w") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
