"""The planner: which checks apply to which target, and why the others do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fourlayer.config.inventory import Host, Inventory
from fourlayer.config.policy_model import Policy
from fourlayer.core.model import Check, Result, Status, reason_parts
from fourlayer.core.target import Target

Reason = dict[str, str]  # {"en": ..., "vi": ...}

NO_SSH: Reason = {"en": "SSH is disabled for this host in the inventory",
                  "vi": "SSH bị tắt đối với máy chủ này trong danh mục tài sản"}
NO_TLS: Reason = {"en": "the inventory declares no TLS port for this host",
                  "vi": "danh mục tài sản không khai báo cổng TLS nào cho máy chủ này"}
NO_HTTP: Reason = {"en": "the inventory declares no HTTP or TLS port for this host",
                   "vi": "danh mục tài sản không khai báo cổng HTTP hoặc TLS nào cho máy chủ này"}

NO_ZONE: Reason = {"en": "the inventory declares no network zones, so segmentation between zones is not judged",
                   "vi": "danh mục tài sản không khai báo vùng mạng nên không đánh giá việc phân vùng giữa các vùng"}


def _no_ssh(host: Host) -> Reason | None:
    return None if host.ssh is not None and host.ssh.enabled else NO_SSH


# Why a host cannot give a collector's evidence at all (checks then are NOT_APPLICABLE), or None.
COLLECTOR_PRECONDITIONS = {
    "tls": lambda h: None if h.tls else NO_TLS,
    "http": lambda h: None if (h.http or h.tls) else NO_HTTP,
    "ssh_transport": _no_ssh,
    "reachability": lambda h: None if h.zone else NO_ZONE,
}


@dataclass
class PlanItem:
    target: Target
    checks: list[Check] = field(default_factory=list)
    # the checks that do not apply, with why: their NOT_APPLICABLE results are made when the host is judged (made
    # at planning, 10,000 hosts' would be ~300,000 results in memory before the first host is scanned)
    skips: list[tuple[Check, Any]] = field(default_factory=list)

    @property
    def skipped(self) -> list[Result]:
        return [skip(c, self.target, reason) for c, reason in self.skips]


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


def skip(check: Check, target: Target, reason: "str | Reason") -> Result:
    m = check.meta
    reason_en, reason_vi = reason_parts(reason)
    return Result(check_id=m.id, layer=m.layer, severity=m.severity, status=Status.NOT_APPLICABLE,
                  reason=reason_en, reason_vi=reason_vi, evidence="", agency=target.agency.id,
                  system=target.system.id if target.system else None,
                  host=target.host.id if target.host else None, scope=m.scope)


def why_not(check: Check, target: Target) -> Reason | None:
    """Why `check` does not apply to `target` ({"en", "vi"}), or None when it applies."""
    m = check.meta
    if target.level < m.min_level:
        return {"en": f"applies from classification level {m.min_level}; this target is level {target.level}",
                "vi": f"chỉ áp dụng từ cấp độ {m.min_level} trở lên; đối tượng này thuộc cấp độ {target.level}"}
    host = target.host
    if host is not None:
        if m.applies_to and not set(m.applies_to) & set(host.roles):
            wanted, roles = ", ".join(m.applies_to), ", ".join(host.roles)
            return {"en": f"applies to roles {wanted}; host roles are {roles or 'none'}",
                    "vi": f"chỉ áp dụng cho máy chủ có vai trò {wanted}; "
                          + (f"máy chủ này có vai trò {roles}" if roles else "máy chủ này chưa được gán vai trò nào")}
        for need in m.needs:
            pre = COLLECTOR_PRECONDITIONS.get(need)
            reason = pre(host) if pre else None
            if reason:
                return reason
    return None


def for_kind(checks: list[Check], host: Host) -> list[Check]:
    """A network device gets only the device checks (they read its configuration), a host only the others: an
    IOS router has no sshd -T, and a Linux server has no running-config to judge."""
    device = host.device is not None
    return [c for c in checks if ("device_config" in c.meta.needs) == device]


def plan_scan(inventory: Inventory, checks: list[Check], policy: dict, as_of: dt.date, options: Any,
              clock: dt.datetime | None = None) -> Plan:
    """Targets and their checks; `as_of` judges declared facts, `clock` (default now) observed evidence."""
    clock = clock or dt.datetime.now(dt.timezone.utc)
    chosen = selected(checks, options)
    agencies = [a for a in inventory.agencies if not options.agencies or a.id in options.agencies]
    by_scope = {s: [c for c in chosen if c.meta.scope == s] for s in ("agency", "system", "host")}
    typed = Policy.of(policy)  # once: every target of the scan reads the same typed policy
    non_host: list[PlanItem] = []
    hosts: list[PlanItem] = []

    def item_for(target: Target, scope_checks: list[Check]) -> PlanItem:
        item = PlanItem(target)
        for c in scope_checks:
            reason = why_not(c, target)
            if reason:
                item.skips.append((c, reason))
            else:
                item.checks.append(c)
        return item

    for agency in agencies:
        non_host.append(item_for(Target(agency, None, None, typed, as_of, clock=clock), by_scope["agency"]))
        for system in agency.systems:
            non_host.append(item_for(Target(agency, system, None, typed, as_of, clock=clock), by_scope["system"]))
            for host in system.hosts:
                hosts.append(item_for(Target(agency, system, host, typed, as_of, clock=clock),
                                      for_kind(by_scope["host"], host)))
    return Plan(non_host, hosts, chosen)
