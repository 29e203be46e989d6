"""Round trips on the WAN bench: what each host's connections waited for, against the time they took.

The delay line counts, per TCP connection, the client's speaking turns (its SYN, then each time it sends data
after the server spoke): each is a round trip the client had to wait for. A host's collectors run
concurrently; a collector's own connections overlap or follow each other as it chose. The floor:
- per collector, its connections in start order, grouped into waves of overlapping connections; a wave costs
  its longest connection's round trips, the collector the sum over its waves;
- the host: its slowest collector's floor (they run side by side), × the host's RTT.
That is what the protocols need in the order the collectors ask; wall / floor says what the scanner (and the
machine's CPU: lab servers included) adds on top. A floor with every connection at once is given beside it.
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import defaultdict


def port_class(port: int, ports: dict[str, int], sinks: set[int]) -> str:
    by_port = {v: k for k, v in ports.items()}
    if port in by_port:
        return {"ssh": "ssh", "tls": "tls", "http": "http"}[by_port[port]]
    return "sinks" if port in sinks else "nmap"


def rtt_ms_for(address: str, base_rtt_ms: float, remote: dict[str, float]) -> float:
    ip = ipaddress.ip_address(address)
    for cidr, rtt in remote.items():
        if ip in ipaddress.ip_network(cidr, strict=False):
            return rtt
    return base_rtt_ms


def analyse(flows: list[dict], hosts: list[dict], timings: dict, base_rtt_ms: float, remote: dict[str, float],
            sinks: set[int]) -> dict:
    """`hosts`: [{id, address, kind, ports}] of the lab; `timings`: the scan child's timings.json."""
    by_address = defaultdict(list)
    for flow in flows:
        by_address[flow["site"]].append(flow)
    host_wall = timings.get("host_seconds", {})
    rows = []
    for host in hosts:
        if host["kind"] not in ("hardened", "weak") or host["id"] not in host_wall:
            continue
        rtt = rtt_ms_for(host["address"], base_rtt_ms, remote) / 1000
        flows_of: dict[str, list[dict]] = defaultdict(list)
        for flow in by_address.get(host["address"], []):
            if flow["turns"]:
                flows_of[port_class(flow["site_port"], host["ports"], sinks)].append(flow)
        if not flows_of:
            continue
        classes = {k: [f["turns"] for f in v] for k, v in flows_of.items()}
        waves = {k: wave_turns(v) for k, v in flows_of.items()}
        longest = max(max(t) for t in classes.values())
        wall = host_wall[host["id"]]
        rows.append({"id": host["id"], "rtt_ms": rtt * 1000, "wall": wall,
                     "floor_parallel": longest * rtt, "floor": max(waves.values()) * rtt,
                     "floor_by_collector": {k: round(v * rtt, 3) for k, v in waves.items()},
                     "turns": {k: sum(v) for k, v in classes.items()},
                     "connections": {k: len(v) for k, v in classes.items()},
                     "longest_connection_turns": {k: max(v) for k, v in classes.items()},
                     "collector_seconds": (timings.get("host_collector_seconds") or {}).get(host["id"], {})})
    return summarise(rows)


def wave_turns(flows: list[dict]) -> int:
    """Round trips of a collector's connections, overlapping ones counted once (their longest)."""
    total, wave_end, wave_max = 0, None, 0
    for flow in sorted(flows, key=lambda f: f["start"]):
        if wave_end is not None and flow["start"] < wave_end:
            wave_max = max(wave_max, flow["turns"])
            wave_end = max(wave_end, flow["start"] + flow["seconds"])
            continue
        total += wave_max
        wave_end, wave_max = flow["start"] + flow["seconds"], flow["turns"]
    return total + wave_max


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summarise(rows: list[dict]) -> dict:
    out: dict = {"hosts_analysed": len(rows), "by_rtt": {}}
    for rtt in sorted({r["rtt_ms"] for r in rows}):
        group = [r for r in rows if r["rtt_ms"] == rtt]
        classes = sorted({k for r in group for k in r["turns"]})
        collectors = sorted({k for r in group for k in r["collector_seconds"]})
        out["by_rtt"][f"{rtt:g} ms"] = {
            "hosts": len(group),
            "wall_median_s": _median([r["wall"] for r in group]),
            "wall_p95_s": round(sorted(r["wall"] for r in group)[int(0.95 * (len(group) - 1))], 3),
            "floor_median_s": _median([r["floor"] for r in group]),
            "floor_all_at_once_median_s": _median([r["floor_parallel"] for r in group]),
            "wall_over_floor_median": _median([r["wall"] / r["floor"] for r in group]),
            "wall_over_floor_p95": round(sorted(r["wall"] / r["floor"] for r in group)[int(0.95 * (len(group) - 1))],
                                         2),
            "floor_by_collector_median_s": {
                k: _median([r["floor_by_collector"].get(k, 0) for r in group]) for k in classes},
            "round_trips_median": {k: _median([r["turns"].get(k, 0) for r in group]) for k in classes},
            "connections_median": {k: _median([r["connections"].get(k, 0) for r in group]) for k in classes},
            "longest_connection_round_trips_median": {
                k: _median([r["longest_connection_turns"].get(k, 0) for r in group]) for k in classes},
            "collector_seconds_median": {
                k: _median([r["collector_seconds"][k] for r in group if r["collector_seconds"].get(k) is not None])
                for k in collectors},
        }
    return out
