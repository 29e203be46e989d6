"""The report's reachability matrix: source zone × destination zone, from the segmentation probes' records.

Why a matrix: a province's probe makes thousands of (zone, host, port) records; what a reader needs is which
zone boundaries leak, then which host:port behind each. Each cell counts the probes from one vantage zone into
one zone and says how it stands against the zone policy; only the open ports are listed for the drill-down
(closed and filtered ones are counted, not listed), so the document stays small.

Cell status: `violation` (an open port the zone policy forbids), `open_allowed` (open ports, all allowed),
`ok` (every judged port filtered or closed), `partial` (some ports were not probed before the deadline),
`not_observed` (the source zone's probe did not report: no vantage point), `not_judged` (the policy judges
no port of the destination zone), `same_zone` (a zone is not probed from itself).
"""

from __future__ import annotations

from typing import Any

from fourlayer.collectors.reachability import clean_records
from fourlayer.config.inventory import Inventory

MAX_DETAILS = 200  # open host:port entries listed per cell


def zone_matrix(inventory: Inventory, segmentation: dict[str, Any]) -> dict[str, Any]:
    zones = {z.id: z for z in inventory.zones}
    policy = inventory.zone_policy
    vantage = [z for z in segmentation.get("vantage_zones", []) if z in zones]
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for src in zones:
        for dst in zones:
            cells[(src, dst)] = {"src": src, "dst": dst, "probes": 0, "open": 0, "closed": 0, "filtered": 0,
                                 "unprobed": 0, "violations": 0, "details": []}
    for rec in clean_records(inventory, segmentation.get("records", [])):
        src, dst = zones[rec["src_zone"]], zones[rec["dst_zone"]]
        if src.id not in vantage:
            continue
        cell = cells[(src.id, dst.id)]
        state = rec["state"]
        cell["probes"] += 1
        cell[state] += 1
        if state == "open":
            allowed = policy.allows(src, dst, rec["port"])
            cell["violations"] += 0 if allowed else 1
            if len(cell["details"]) < MAX_DETAILS:
                cell["details"].append({"host": rec["dst_host"], "address": rec.get("dst_address"),
                                        "port": rec["port"], "group": policy.group_of(rec["port"]),
                                        "allowed": allowed})
    for (src, dst), cell in cells.items():
        cell["details"].sort(key=lambda d: (d["allowed"], d["host"], d["port"]))
        cell["status"] = _status(cell, src, dst, vantage, bool(policy.judged_ports(zones[dst])))
    return {
        "zones": [{"id": z.id, "name": z.name, "kind": z.kind} for z in zones.values()],
        "vantage_zones": vantage,
        "missing_zones": [z for z in zones if z not in vantage],
        "policy": policy.to_dict(),
        "cells": list(cells.values()),
        "totals": {k: sum(c[k] for c in cells.values()) for k in ("probes", "open", "violations", "unprobed")},
    }


def _status(cell: dict[str, Any], src: str, dst: str, vantage: list[str], judged: bool) -> str:
    if src == dst:
        return "same_zone"
    if src not in vantage:
        return "not_observed"
    if not judged:
        return "not_judged"
    if cell["violations"]:
        return "violation"
    if cell["unprobed"]:
        return "partial"
    return "open_allowed" if cell["open"] else "ok"
