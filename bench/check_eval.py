"""Check evaluation and scoring CPU per host, on recorded evidence (no I/O in the measured part).

    # once: collect the evidence of a hardened and a weak bench lab host (bench/lab.py), keep it in a pickle
    unshare -n bash -c 'ip link set lo up; FOURLAYER_LOOPBACK_ONLY=1 .venv/bin/python bench/check_eval.py \
        record /tmp/evidence.pickle'
    # then, as often as needed: CPU (thread_time) of evaluating every planned check of each host, best of N
    .venv/bin/python bench/check_eval.py run /tmp/evidence.pickle --repeat 30
    .venv/bin/python bench/check_eval.py run /tmp/evidence.pickle --profile 30   # cProfile(time.thread_time)
    .venv/bin/python bench/check_eval.py run /tmp/evidence.pickle --dump /tmp/results.json  # every Result

`run` evaluates each host's planned checks as the runner's `checks-*` thread does (`runner.evaluate` over
`item.checks` on the target, its resources cleared first: they are parsed once per target), and feeds the
results (and the planned NOT_APPLICABLE) to `score_tree` (host, system, agency) on a one-agency inventory. `--dump` writes the results'
`to_dict()` (minus duration_ms) so that two commits can be compared on the same evidence.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import sys
import time
from pathlib import Path

# bench/profile.py shadows the standard `profile` module that cProfile imports: leave bench/ off sys.path for it
_HERE = [p for p in sys.path if os.path.abspath(p or ".") == os.path.dirname(os.path.abspath(__file__))]
for _p in _HERE:
    sys.path.remove(_p)
import cProfile  # noqa: E402
import pstats  # noqa: E402

sys.path[:0] = _HERE
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))) if not _HERE else None


def _checks():
    from fourlayer.core.discovery import discover

    reg = discover()
    return sorted(reg.all(), key=lambda c: (c.meta.layer, c.meta.id))


def record(out: Path, levels: int) -> int:
    """Collect every needed collector's evidence once per host of a 2-host lab (hardened, weak)."""
    from lab import BenchLab

    from fourlayer.collectors.base import CollectContext
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy
    from fourlayer.core.planner import plan_scan
    from fourlayer.core.runner import ScanOptions, collect_host

    with BenchLab(2, dead=0, tarpits=0) as lab:
        inv = load_inventory(str(lab.inventory))
        policy = load_policy(inv.policy_path)
        for system in inv.agencies[0].systems:
            object.__setattr__(system, "level", levels) if levels else None
        options = ScanOptions(timeout=5.0)
        clock = dt.datetime.now(dt.timezone.utc)
        plan = plan_scan(inv, _checks(), policy, clock.date(), options, clock=clock)
        ctx = CollectContext(policy=policy, timeout=options.timeout)
        hosts = []
        for item in plan.hosts:
            needed = {n for c in item.checks for n in c.meta.needs}
            evidence, failed, _ = collect_host(item.target.host, needed, ctx, time.monotonic() + 60)
            kind = next(h.kind for h in lab.hosts if h.id == item.target.host.id)
            hosts.append({"kind": kind, "level": item.target.level, "host": item.target.host,
                          "system": item.target.system, "agency": item.target.agency, "as_of": clock.date(),
                          "clock": clock, "evidence": evidence, "failed": failed})
            print(f"{item.target.host.id} ({kind}, level {item.target.level}): {len(item.checks)} checks, "
                  f"evidence {sorted(evidence)}, failed {sorted(failed)}")
        out.write_bytes(pickle.dumps({"policy": policy, "hosts": hosts}))
    print(f"recorded {len(hosts)} hosts in {out}")
    return 0


def _planned(data: dict):
    """(target, planned checks, skipped results, failed collectors) per recorded host, planned as the scan does."""
    from fourlayer.core.planner import plan_scan
    from fourlayer.core.runner import ScanOptions

    out = []
    checks = _checks()
    for h in data["hosts"]:
        inv = _Inventory(h["agency"])
        plan = plan_scan(inv, checks, data["policy"], h["as_of"], ScanOptions(), clock=h["clock"])
        item = next(i for i in plan.hosts if i.target.host.id == h["host"].id)
        out.append((h, item))
    return out


class _Inventory:
    """The recorded host's agency as a one-agency inventory (what plan_scan reads)."""

    def __init__(self, agency):
        self.agencies = [agency]
        self.zones = None
        self.path = ""

    def iter_hosts(self):
        for s in self.agencies[0].systems:
            for h in s.hosts:
                yield self.agencies[0], s, h


def run(path: Path, repeat: int, profile: int, dump: Path | None, top: int) -> int:
    from fourlayer.core.runner import evaluate
    from fourlayer.core.scoring import score_tree

    data = pickle.loads(path.read_bytes())
    planned = _planned(data)

    def once(h, item):
        t = item.target
        t.resources.clear()
        t.evidence = dict(h["evidence"])
        start = time.thread_time()
        results = [evaluate(c, t, h["failed"]) for c in item.checks]
        mid = time.thread_time()
        score_tree(results + item.skipped, _Inventory(t.agency), data["policy"])
        end = time.thread_time()
        return results, mid - start, end - mid

    if dump:
        rows = []
        for h, item in planned:
            results, _, _ = once(h, item)
            rows += [{k: v for k, v in r.to_dict().items() if k != "duration_ms"} for r in results + item.skipped]
        dump.write_text(json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True))
        print(f"{len(rows)} results written to {dump}")
    if profile:
        prof = cProfile.Profile(time.thread_time)
        prof.enable()
        for _ in range(profile):
            for h, item in planned:
                once(h, item)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(top)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
        return 0
    for h, item in planned:
        once(h, item)  # warm: imports, compiled regexes, caches of the process (not of the target)
    best: dict[str, list[float]] = {}
    for _ in range(repeat):
        for h, item in planned:
            _, checks_s, score_s = once(h, item)
            b = best.setdefault(h["kind"], [float("inf"), float("inf")])
            b[0], b[1] = min(b[0], checks_s), min(b[1], score_s)
    for (h, item) in planned:
        b = best[h["kind"]]
        print(f"{h['kind']:9} level {item.target.level}: {len(item.checks)} checks evaluated "
              f"({len(item.skipped)} planned NOT_APPLICABLE): checks {b[0] * 1000:.2f} ms, "
              f"scoring {b[1] * 1000:.3f} ms CPU (best of {repeat})")
    mean = [sum(b[i] for b in best.values()) / len(best) * 1000 for i in (0, 1)]
    print(f"mean per host: checks {mean[0]:.2f} ms, scoring {mean[1]:.3f} ms CPU")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record", help="collect a hardened and a weak lab host's evidence into a pickle")
    rec.add_argument("out", type=Path)
    rec.add_argument("--level", type=int, default=0, help="classification level of both systems (default: lab's)")
    r = sub.add_parser("run", help="CPU of evaluating every planned check on the recorded evidence")
    r.add_argument("evidence", type=Path)
    r.add_argument("--repeat", type=int, default=20)
    r.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N rounds (thread_time)")
    r.add_argument("--top", type=int, default=40)
    r.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.cmd == "record":
        return record(args.out, args.level)
    return run(args.evidence, args.repeat, args.profile, args.dump, args.top)


if __name__ == "__main__":
    raise SystemExit(main())
