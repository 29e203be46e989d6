#!/usr/bin/env python3
"""fourlayer benchmark: N real loopback hosts, one full `fourlayer scan`, optionally ssh-audit and sslyze beside it.

    .venv/bin/python bench/run_bench.py --hosts 200 [--compare] [--profile] [--concurrency 16] [--json OUT]

Reports wall time, hosts/s, checks/s, peak RSS / fds / threads of the scanner, time per stage and what a dead
or tarpit host cost. The lab is torn down on exit, Ctrl-C and SIGTERM. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import compare, profile, wan, wan_report  # noqa: E402
from bench.lab import AddressPlan, BenchLab, NATIONAL_PORT, SOC_PORT  # noqa: E402
from bench.monitor import run_watched  # noqa: E402

BENCH = ROOT / "bench"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(int(mem) / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "openssh": os.popen("/usr/sbin/sshd -V 2>&1").read().strip().splitlines()[0:1],
            "nmap": os.popen("nmap --version").read().split("\n")[0]}


def scan(lab: BenchLab, args: argparse.Namespace, out: Path) -> dict:
    """One full `fourlayer scan` of the lab inventory in a child process, watched and timed."""
    timings_path = out / "timings.json"
    cmd = [sys.executable, str(BENCH / "scan_child.py"), str(timings_path), "scan", str(lab.inventory),
           "--out", str(out / "reports"), "--format", args.formats, "--lang", args.lang, "--quiet",
           "--timeout", str(args.timeout), "--concurrency", str(args.concurrency),
           "--discovery-batch", str(args.discovery_batch), *(["--split", args.split] if args.split else []),
           "--db", str(out / "history.sqlite")]  # stored like a real scan, never in the user's own history
    if args.profile:
        cmd = profile.wrap(cmd, out / "profile.txt")
    if args.wan_inner:  # the scanner sits on the far side of the WAN link, in its own namespace
        cmd = ["ip", "netns", "exec", args.wan_inner, *cmd]
    load_before = os.getloadavg()[0]
    usage = run_watched(cmd, env=child_env(wan=bool(args.wan_inner)), timeout=args.scan_limit)
    usage.extra["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if usage.returncode != 0:
        raise RuntimeError(f"scan failed (exit {usage.returncode}): {usage.stderr_tail[-2000:]}")
    timings = json.loads(timings_path.read_text())
    return summarise_scan(lab, usage.to_dict(), timings, args)


def summarise_scan(lab: BenchLab, usage: dict, timings: dict, args: argparse.Namespace) -> dict:
    wall = usage["wall_seconds"]
    statuses = timings.get("statuses", {})
    evaluated = sum(n for s, n in statuses.items() if s != "NOT_APPLICABLE")
    per_host = timings.get("host_seconds", {})
    kinds = {h.id: h.kind for h in lab.hosts}

    def cost(kind: str) -> float | None:
        values = [s for h, s in per_host.items() if kinds.get(h) == kind]
        return max(values) if values else None

    live = sorted(s for h, s in per_host.items() if kinds.get(h) in ("hardened", "weak"))
    runner = timings.get("runner_stage_seconds", {})
    wrapped = timings.get("stages", {})
    stages = {**runner, "scoring": round(wrapped.get("scoring", 0.0), 3),
              "rendering": round(wrapped.get("rendering", 0.0), 3)}
    # process start, imports, inventory and policy load, agency checks, history store, exit
    stages["other"] = round(wall - sum(stages.values()), 3)
    return {
        "hosts": len(lab.hosts), "host_kinds": lab.counts(), "concurrency": args.concurrency,
        "discovery_batch": args.discovery_batch, "split": args.split,
        "timeout": args.timeout, "wall_seconds": wall, "hosts_per_second": round(len(lab.hosts) / wall, 2),
        "results": timings.get("results"), "results_evaluated": evaluated,
        "checks_per_second": round(evaluated / wall, 1), "results_per_second": round(timings.get("results", 0) / wall, 1),
        "statuses": statuses, "peak_rss_mb": usage["peak_rss_mb"], "peak_tree_rss_mb": usage["peak_tree_rss_mb"],
        "peak_fds": usage["peak_fds"], "peak_threads": usage["peak_threads"],
        "peak_child_processes": usage["peak_children"],
        "cpu_seconds": round(usage["cpu_user_seconds"] + usage["cpu_system_seconds"], 2),
        "machine_cpu_busy_percent": usage["machine_cpu_busy_percent"],
        "load_average_before_after": usage["extra"].get("load_average_1min"),  # other work on the machine
        "stage_seconds": stages,
        "collector_busy_seconds": timings.get("collector_busy_seconds", {}),
        "discovery": timings.get("discovery", {}),  # nmap runs of the discovery stage (empty: one per host)
        "check_evaluation_seconds": timings.get("check_seconds"),
        "memory_mb_by_stage": timings.get("memory_mb", {}),
        "cpu_seconds_by_stage": cpu_by_stage(timings.get("cpu_seconds", {}), len(per_host)),
        "cpu_seconds_by_thread": timings.get("thread_cpu_seconds", {}),
        "cpu_seconds_by_collector": timings.get("collector_cpu_seconds", {}),
        "collector_failures": timings.get("collector_failures", {}),
        "host_seconds": {"live_median": round(statistics.median(live), 3) if live else None,
                         "live_p95": round(live[int(0.95 * (len(live) - 1))], 3) if live else None,
                         "live_max": live[-1] if live else None,
                         "dead_max": cost("dead"), "tarpit_max": cost("tarpit"), "cheap_max": cost("cheap")},
        "complete": timings.get("complete"), "profiled": bool(args.profile),
    }


def cpu_by_stage(marks: dict, hosts: int) -> dict:
    """The scan process's own CPU and its nmap children's, between scan_child's marks: startup (imports before
    the CLI runs), the scan (plan, collectors, checks: up to scoring), scoring, rendering, and per host."""
    order = [k for k in ("start", "before scoring", "after scoring", "before rendering", "after rendering", "end")
             if k in marks]
    if len(order) < 2:
        return {}
    out = {"startup_self": marks["start"]["self"]} if "start" in marks else {}
    for a, b in zip(order, order[1:]):
        out[f"{a} -> {b}"] = {k: round(marks[b][k] - marks[a][k], 3) for k in ("self", "children")}
    scan = out.get("start -> before scoring")
    if scan and hosts:
        out["scan_ms_per_host"] = {k: round(1000 * v / hosts, 1) for k, v in scan.items()}
    total = marks[order[-1]]
    out["total_ms_per_host"] = round(1000 * (total["self"] + total["children"]) / max(1, hosts), 1)
    return out


def child_env(wan: bool = False) -> dict[str, str]:
    """The scan's environment: the loopback guard on, except on the WAN bench, whose hosts are 10.78.x.y inside
    the bench's own network namespaces (nothing else is reachable from there)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if wan:
        env.pop("FOURLAYER_LOOPBACK_ONLY", None)
    else:
        env["FOURLAYER_LOOPBACK_ONLY"] = "1"
    return env


def print_summary(report: dict) -> None:
    s = report.get("scan")
    lab = report["lab"]
    print(f"lab: {lab['hosts']} hosts {lab['host_kinds']} up in {lab['start_seconds']} s, "
          f"down in {lab.get('stop_seconds')} s, leftover processes {lab.get('leftover_processes')}")
    if s:
        print(f"scan: {s['wall_seconds']} s wall, {s['hosts_per_second']} hosts/s, {s['checks_per_second']} checks/s "
              f"({s['results_evaluated']} evaluated of {s['results']} results), peak RSS {s['peak_rss_mb']} MB "
              f"(tree {s['peak_tree_rss_mb']} MB), fds {s['peak_fds']}, threads {s['peak_threads']}, "
              f"CPU {s['cpu_seconds']} s, machine CPU busy {s['machine_cpu_busy_percent']}%, "
              f"load average before/after {s['load_average_before_after']}")
        print(f"  stages: {s['stage_seconds']}")
        print(f"  CPU by stage: {s.get('cpu_seconds_by_stage')}")
        print(f"  CPU by thread kind: {s.get('cpu_seconds_by_thread')}; by collector (its own thread): "
              f"{s.get('cpu_seconds_by_collector')}")
        print(f"  collector busy seconds (sum over hosts): {s['collector_busy_seconds']}; "
              f"checks {s['check_evaluation_seconds']} s")
        print(f"  per host: {s['host_seconds']}; discovery: {s.get('discovery')}")
    for kind, other in (("ssh", "ssh-audit"), ("tls", "sslyze")):
        c = report.get("compare", {}).get(kind)
        if not c or "error" in c:
            print(f"{kind}: comparison failed: {c['error']}") if c else None
            continue
        agree = {k: f"{v['agree']}/{v['agree'] + v['differ']}" for k, v in c["categories"].items()}
        print(f"{kind}: fourlayer {c['fourlayer']['wall_seconds']} s vs {other} {c[other]['wall_seconds']} s "
              f"-> {c['speedup']}x; agreement {agree}; unreachable {c['unreachable']}")
        if c.get("ssh-audit self-contradictions", {}).get("targets"):
            print(f"    ssh-audit contradicts its own key sizes on {c['ssh-audit self-contradictions']['targets']} "
                  f"targets, e.g. {c['ssh-audit self-contradictions']['example']}")
        for d in c["differences"]:
            print(f"    differ: {d['category']}: {d['item']} ({d['side']}, {d['targets']} targets"
                  f"{', ' + other + ': ' + d['other tool said'] if d.get('other tool said') else ''})")
    if report.get("profile"):
        print("profile (active CPU samples of the scan):")
        for line in profile.format_summary(report["profile"]):
            print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--dead", type=int, default=None, help="dead addresses (default 1 per 100 hosts)")
    parser.add_argument("--tarpits", type=int, default=1)
    parser.add_argument("--cheap", type=int, default=0,
                        help="cheap hosts: one HTTP listener each, no SSH or TLS (a 10,000-host bench's filler)")
    parser.add_argument("--concurrency", type=int, default=16, help="fourlayer scan --concurrency")
    parser.add_argument("--timeout", type=float, default=5.0, help="fourlayer scan --timeout (per operation)")
    parser.add_argument("--discovery-batch", type=int, default=16, help="fourlayer scan --discovery-batch")
    parser.add_argument("--formats", default="html,json", help="fourlayer scan --format; `all` = every format")
    parser.add_argument("--lang", default="both")
    parser.add_argument("--split", choices=["agency"], default=None, help="fourlayer scan --split")
    parser.add_argument("--compare", action="store_true", help="also run ssh-audit and sslyze side by side")
    parser.add_argument("--no-scan", action="store_true", help="skip the full scan (with --compare)")
    parser.add_argument("--profile", action="store_true", help="record the scan with py-spy")
    parser.add_argument("--scan-limit", type=float, default=1800, help="kill the scan after this many seconds")
    parser.add_argument("--out", type=Path, default=None, help="work directory (default bench/out/<time>)")
    parser.add_argument("--json", type=Path, default=None, help="write the report here too")
    parser.add_argument("--wan-rtt", type=float, default=0, help="WAN bench: round-trip time in ms (bench/wan.py)")
    parser.add_argument("--wan-loss", type=float, default=0, help="WAN bench: packet loss in percent, each way")
    parser.add_argument("--wan-remote", action="append", default=[], metavar="CIDR=RTT",
                        help="WAN bench: hosts in CIDR (10.78.x.y) get this RTT instead (a remote district)")
    parser.add_argument("--wan-rate", type=float, default=0, help="WAN bench: link rate in Mbit/s (0 = unlimited)")
    parser.add_argument("--wan-inner", default="", help=argparse.SUPPRESS)  # set by the WAN bench itself
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.wan_rtt and not args.wan_inner:
        return wan_main(args, raw_argv)
    if args.formats == "all":
        from fourlayer.reports.writers import WRITERS

        args.formats = ",".join(WRITERS)

    out = args.out or BENCH / "out" / dt.datetime.now().strftime("run-%Y%m%dT%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    report: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine(),
                    "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    plan = AddressPlan(wan.SITE_NET) if args.wan_inner else AddressPlan()
    lab = BenchLab(args.hosts, dead=args.dead, tarpits=args.tarpits, plan=plan, cheap=args.cheap)
    start = time.perf_counter()
    try:
        lab.start()
        report["lab"] = {"hosts": len(lab.hosts), "host_kinds": lab.counts(),
                         "start_seconds": round(time.perf_counter() - start, 2),
                         "sshd_processes": len(lab.sshd), "listener_processes": len(lab.listeners),
                         "fd_limit": list(lab.fd_limit)}
        if args.wan_inner:
            (out / "hosts.json").write_text(json.dumps(
                [{"id": h.id, "address": h.address, "kind": h.kind, "ports": h.ports} for h in lab.hosts]))
        if not args.no_scan:
            report["scan"] = scan(lab, args, out)
            if args.profile:
                report["profile"] = profile.summarise(out / "profile.txt")
        if args.compare:
            work = out / "compare"
            work.mkdir(exist_ok=True)
            os.environ["FOURLAYER_LOOPBACK_ONLY"] = "1"
            inventory = str(lab.compare_inventory)
            report["compare"] = {
                "note": "same hosts for both tools: every lab host except tarpits (they only measure a timeout)",
                "ssh": guarded(compare.compare_ssh, inventory, work, args.concurrency, args.timeout),
                "tls": guarded(compare.compare_tls, inventory, work, 10, args.timeout, per_host=5)}
    except KeyboardInterrupt:
        report["interrupted"] = True
        print("interrupted: tearing the lab down", file=sys.stderr)
    finally:
        pids = [i.pid for i in lab.sshd.values() if i.pid] + [p.pid for p in lab.listeners if p.pid]
        stop = time.perf_counter()
        lab.stop()
        report.setdefault("lab", {})["stop_seconds"] = round(time.perf_counter() - stop, 2)
        report["lab"]["leftover_processes"] = sum(1 for pid in pids if _alive(pid))
    (out / "report.json").write_text(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    if "lab" in report and "hosts" in report["lab"]:
        print_summary(report)
    print(f"report: {out / 'report.json'}")
    return 130 if report.get("interrupted") else 0


def wan_main(args: argparse.Namespace, raw_argv: list[str]) -> int:
    """The WAN bench: build the link (bench/wan.py), run this bench inside the site namespace with the scan in
    the scanner's, then read the delay line's per-connection round trips and set them against the wall times."""
    out = args.out or BENCH / "out" / dt.datetime.now().strftime("wan-%Y%m%dT%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    remote = dict(item.split("=", 1) for item in args.wan_remote)
    one_way = {cidr: float(rtt) / 2 for cidr, rtt in remote.items()}
    link = wan.WanLink(args.wan_rtt / 2, loss=args.wan_loss / 100, rules=one_way, rate_mbit=args.wan_rate,
                       work=out)
    code = 1
    with link:
        inner = [sys.executable, str(Path(__file__).resolve()), *raw_argv, "--wan-inner", link.scan_ns,
                 "--out", str(out)]
        proc = subprocess.Popen([*link.exec_prefix(link.site_ns), *inner],
                                env={**os.environ, "FOURLAYER_LAB_NETNS": link.site_ns})
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            code = proc.wait()
        flows = link.dump_flows()
    carried, dropped = wan.carried_dropped(link.stats_path)
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    hosts = json.loads((out / "hosts.json").read_text()) if (out / "hosts.json").exists() else []
    report["wan"] = {
        "rtt_ms": args.wan_rtt, "loss_percent_each_way": args.wan_loss, "remote": remote,
        "rate_mbit": args.wan_rate or None, "packets_carried": carried, "packets_dropped": dropped,
        "connections": len(flows), "leftover_namespaces": wan.leftover_namespaces(),
        **wan_report.analyse(flows, hosts, timings, args.wan_rtt, {k: float(v) for k, v in remote.items()},
                             {SOC_PORT, NATIONAL_PORT})}
    (out / "report.json").write_text(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(f"wan: RTT {args.wan_rtt} ms, loss {args.wan_loss}% each way, remote {remote or 'none'}; "
          f"{carried} packets carried, {dropped} dropped, {len(flows)} connections; "
          f"leftover namespaces {report['wan']['leftover_namespaces'] or 'none'}")
    for rtt, group in report["wan"]["by_rtt"].items():
        print(f"  hosts at {rtt}: {json.dumps(group, ensure_ascii=False)}")
    return code


def guarded(func, *args, **kwargs) -> dict:
    """A failed comparison is reported, and never loses the scan figures already measured."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


if __name__ == "__main__":
    sys.exit(main())
