"""Evidence `reachability` of a destination host: what every vantage zone's probe saw of its judged ports.

Why assembled here and not by a host collector talking to the network: segmentation is seen from other zones,
so a host's evidence is the union of the records of every zone's probe (the in-process scanner's zone, or the
segmentation task of each zone's worker). `assemble()` turns those records into one evidence dict per
destination host, annotated with the zone policy's verdict, so that the checks are pure functions of it:

    {"zone": "servers", "zone_kind": "server", "zone_kinds": {zone id: kind},
     "judged_ports": {"22": "admin", "5432": "database"},
     "records": [{src_zone, dst_host, dst_zone, port, state, ms, why, group, allowed}],
     "vantage_zones": [zones whose probe reported], "missing_zones": [other zones that did not report]}

`collect(host, ctx)` is the host collector the runner calls: it looks the host up in `ctx.reachability` (filled
once per scan by `scan_reachability`, or sent by the coordinator to a zone's worker in that plain form), and
without it says that no vantage point probed this host. It returns ReachabilityEvidence (records as ReachRecord).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.segmentation import clean_record, probe_from_zone
from fourlayer.config.inventory import Host, Inventory
from fourlayer.core.errors import CollectorError
from fourlayer.core.evidence import record_dict, record_from

log = logging.getLogger("fourlayer.collectors.reachability")
# In-process probe: a dropped port costs one attempt's timeout, so the attempts are short and many run at once
# (8,000 dropped ports take 8,000 × 2 s ÷ 256 ≈ 63 s); the scan's --host-timeout bounds the whole probe.
PROBE_TIMEOUT_CAP = 2.0
PROBE_CONCURRENCY = 256
NO_VANTAGE = ("no vantage point: this scan ran no segmentation probe from another zone (the scanning machine's "
              "addresses are in no declared zone); run it with --from-zone ID, or run a worker in each zone")


def assemble(inventory: Inventory, records: Iterable[dict[str, Any]], vantage_zones: Iterable[str]
             ) -> dict[str, dict[str, Any]]:
    """Per destination host id, its `reachability` evidence from the records of the zones in `vantage_zones`
    (the zones whose probe reported; a zone that reported nothing is missing, not clean)."""
    zones = {z.id: z for z in inventory.zones}
    policy = inventory.zone_policy
    reported = set(vantage_zones)
    by_host: dict[str, list[dict[str, Any]]] = {}
    for rec in clean_records(inventory, records):
        if rec["src_zone"] in reported:
            by_host.setdefault(rec["dst_host"], []).append(rec)
    kinds = {z.id: z.kind for z in inventory.zones}
    out: dict[str, dict[str, Any]] = {}
    for _, _, host in inventory.iter_hosts():
        if host.zone is None:
            continue
        dst = zones[host.zone]
        judged = {str(p): policy.group_of(p) for p in sorted(policy.judged_ports(dst))}
        recs = []
        for rec in by_host.get(host.id, ()):
            src = zones[rec["src_zone"]]
            recs.append({**rec, "group": policy.group_of(rec["port"]),
                         "allowed": policy.allows(src, dst, rec["port"])})
        others = [z for z in zones if z != dst.id]
        out[host.id] = {"zone": dst.id, "zone_kind": dst.kind, "zone_kinds": kinds, "judged_ports": judged,
                        "records": recs, "vantage_zones": [z for z in others if z in reported],
                        "missing_zones": [z for z in others if z not in reported]}
    return out


def clean_records(inventory: Inventory, records: Iterable[Any]) -> list[dict[str, Any]]:
    """The well-formed records among `records` (segmentation.clean_record), normalised."""
    zones = {z.id for z in inventory.zones}
    hosts = {h.id: h.zone for _, _, h in inventory.iter_hosts() if h.zone}
    return [r for r in (clean_record(rec, zones, hosts) for rec in records) if r is not None]


@dataclass(frozen=True, slots=True)
class ReachRecord:
    """One probe of one port of this host from one vantage zone, with the zone policy's verdict on it."""
    src_zone: str = ""
    dst_host: str = ""
    dst_address: str = ""
    dst_zone: str = ""
    port: int = 0
    state: str = ""  # open, closed, filtered, unprobed (segmentation.STATES)
    ms: float | None = None
    why: str = ""
    group: str | None = None  # the policy's port group (admin, database, ...)
    allowed: bool = True  # the zone policy allows src_zone -> dst_zone on this port


@dataclass(frozen=True, slots=True)
class ReachabilityEvidence:
    """What every vantage zone's probe saw of this host's judged ports (port "22" -> its policy group); a zone
    in `missing_zones` did not report, which is never read as "nothing reachable"."""
    zone: str = ""
    zone_kind: str = ""
    zone_kinds: Mapping[str, str] = field(default_factory=dict)  # every declared zone id -> its kind
    judged_ports: Mapping[str, str] = field(default_factory=dict)
    records: tuple[ReachRecord, ...] = ()
    vantage_zones: tuple[str, ...] = ()
    missing_zones: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**record_dict(self), "records": [record_dict(r) for r in self.records]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReachabilityEvidence:
        return record_from(cls, {**data, "records": tuple(record_from(ReachRecord, r)
                                                          for r in data.get("records") or ())})


def collect(host: Host, ctx: CollectContext) -> ReachabilityEvidence:
    table = getattr(ctx, "reachability", None)
    if table is None:
        raise CollectorError(NO_VANTAGE)
    if host.id not in table:
        raise CollectorError(f"host {host.id} is in no declared zone, so no segmentation evidence exists for it")
    if "error" in table[host.id]:
        raise CollectorError(table[host.id]["error"])
    return ReachabilityEvidence.from_dict(table[host.id])


# -- the in-process scanner's own vantage point ----------------------------------------------------------------

def local_addresses() -> set[str]:
    """This machine's own IP addresses (this network namespace's), read from /proc: no command, no traffic."""
    found: set[str] = set()
    try:  # IPv4: the local routing table lists each local address as "/32 host LOCAL" under its address
        previous = None
        for line in Path("/proc/net/fib_trie").read_text().splitlines():
            text = line.strip()
            if text.startswith(("|--", "+--")):
                previous = text.split()[-1]
            elif "host LOCAL" in text and previous:
                found.add(previous)
    except OSError:
        pass
    try:  # IPv6: one address per line, 32 hex digits first
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            hexa = line.split()[0]
            found.add(str(ipaddress.ip_address(int(hexa, 16))))
    except (OSError, ValueError, IndexError):
        pass
    return found


def scanner_zone(inventory: Inventory, from_zone: str | None = None,
                 addresses: Iterable[str] | None = None) -> str | None:
    """The zone the scanner sits in: `from_zone` if given, else the zone whose networks contain one of this
    machine's addresses (loopback aside), else None (no vantage point)."""
    if from_zone is not None:
        return from_zone
    ips = []
    for a in (local_addresses() if addresses is None else addresses):
        ip = ipaddress.ip_address(a)
        if not ip.is_loopback and not ip.is_link_local:
            ips.append(ip)
    for zone in inventory.zones:
        nets = [ipaddress.ip_network(n) for n in zone.networks]
        if any(ip in n for ip in ips for n in nets if n.version == ip.version):
            return zone.id
    return None


def scan_reachability(inventory: Inventory, from_zone: str | None, timeout_s: float, budget_s: float,
                      only: set[str] | None = None
                      ) -> tuple[dict[str, dict[str, Any]] | None, dict[str, Any] | None]:
    """(reachability evidence per host, the probe's records and vantage) for an in-process scan: the probe runs
    from the scanner's own zone only, so every other zone is a missing vantage point. (None, None) when zones
    are declared but the scanner is in none of them."""
    zone = scanner_zone(inventory, from_zone)
    if zone is None:
        return None, None
    start = time.monotonic()
    try:
        records = probe_from_zone(inventory, zone, timeout_s=min(timeout_s, PROBE_TIMEOUT_CAP),
                                  deadline=start + budget_s, concurrency=PROBE_CONCURRENCY, only=only)
    except (OSError, CollectorError) as exc:  # e.g. out of file descriptors: the checks say so, the scan goes on
        why = f"the segmentation probe from zone {zone} failed: {clean_text(str(exc), 200)}"
        return ({h.id: {"error": why} for _, _, h in inventory.iter_hosts() if h.zone},
                {"records": [], "vantage_zones": [], "error": why})
    seconds = round(time.monotonic() - start, 3)
    log.info("segmentation probe from zone %s: %d ports of %d hosts in %.1f s", zone, len(records),
             len({r["dst_host"] for r in records}), seconds)
    return assemble(inventory, records, [zone]), {"records": records, "vantage_zones": [zone], "seconds": seconds}
