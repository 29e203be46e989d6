"""The planner: which checks apply to which target, and why the others do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fourlayer.inventory import Host, Inventory
from fourlayer.model import Check, Result, Status
from fourlayer.target import Target


def _no_ssh(host: Host) -> str | None:
    return None if host.ssh is not None and host.ssh.enabled else "SSH is disabled for this host in the inventory"


# Why a host cannot give a collector's evidence at all (checks then are NOT_APPLICABLE), or None.
COLLECTOR_PRECONDITIONS = {
    "tls": lambda h: None if h.tls else "the inventory declares no TLS port for this host",
    "http": lambda h: None if (h.http or h.tls) else "the inventory declares no HTTP or TLS port for this host",
    "ssh_transport": _no_ssh,
}


@dataclass
class PlanItem:
    target: Target
    checks: list[Check] = field(default_factory=list)
    skipped: list[Result] = field(default_factory=list)


@dataclass
class Plan:
    non_host: list[PlanItem]
    hosts: list[PlanItem]
    checks_used: list[Check]


def selected(checks: list[Check], options: Any) -> list[Check]:
    out = []
    for c in checks:
        if options.layers and c.meta.layer not in options.layers:
            continue
        if options.check_ids and c.meta.id not in options.check_ids:
            continue
        if c.meta.id in options.skip_ids:
            continue
        out.append(c)
    return out


def skip(check: Check, target: Target, reason: str) -> Result:
    m = check.meta
    return Result(check_id=m.id, layer=m.layer, severity=m.severity, status=Status.NOT_APPLICABLE,
                  reason=reason, evidence="", agency=target.agency.id,
                  system=target.system.id if target.system else None,
                  host=target.host.id if target.host else None, scope=m.scope)


def why_not(check: Check, target: Target) -> str | None:
    m = check.meta
    if target.level < m.min_level:
        return f"applies from classification level {m.min_level}; this target is level {target.level}"
    host = target.host
    if host is not None:
        if m.applies_to and not set(m.applies_to) & set(host.roles):
            return f"applies to roles {', '.join(m.applies_to)}; host roles are {', '.join(host.roles) or 'none'}"
        for need in m.needs:
            pre = COLLECTOR_PRECONDITIONS.get(need)
            reason = pre(host) if pre else None
            if reason:
                return reason
    return None


def plan_scan(inventory: Inventory, checks: list[Check], policy: dict, today: dt.date, options: Any) -> Plan:
    chosen = selected(checks, options)
    agencies = [a for a in inventory.agencies if not options.agencies or a.id in options.agencies]
    by_scope = {s: [c for c in chosen if c.meta.scope == s] for s in ("agency", "system", "host")}
    non_host: list[PlanItem] = []
    hosts: list[PlanItem] = []

    def item_for(target: Target, scope_checks: list[Check]) -> PlanItem:
        item = PlanItem(target)
        for c in scope_checks:
            reason = why_not(c, target)
            if reason:
                item.skipped.append(skip(c, target, reason))
            else:
                item.checks.append(c)
        return item

    for agency in agencies:
        non_host.append(item_for(Target(agency, None, None, policy, today), by_scope["agency"]))
        for system in agency.systems:
            non_host.append(item_for(Target(agency, system, None, policy, today), by_scope["system"]))
            for host in system.hosts:
                hosts.append(item_for(Target(agency, system, host, policy, today), by_scope["host"]))
    return Plan(non_host, hosts, chosen)
