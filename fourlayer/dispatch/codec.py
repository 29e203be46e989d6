"""What crosses the broker, as plain JSON: a host's declared description and its results.

A task carries the agency, system and host *as declared* in the inventory: addresses, ports, roles, and for SSH
only references (user name, key file path, known_hosts path, the NAME of an environment variable holding a
password). The worker resolves those references on its own disk and environment, so no key, password or
passphrase ever travels; tests/dispatch/test_dispatch_secrets.py reads every message the broker delivered to prove it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any

from fourlayer.config.inventory import Agency, Host, Inventory, System
from fourlayer.core.model import Result, Severity, Status


def to_json(value: Any) -> Any:
    """A frozen inventory dataclass (or anything inside one) as JSON-ready values: dates as ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(to_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _build(kind: Any, raw: Any) -> Any:
    """`raw` (from `to_json`) back into `kind`, following the dataclass's own type hints."""
    if raw is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [k for k in typing.get_args(kind) if k is not type(None)]
        return _build(inner[0], raw) if len(inner) == 1 else raw
    if origin is tuple:
        (item, *_rest) = typing.get_args(kind)
        return tuple(_build(item, v) for v in raw)
    if origin in (frozenset, set):
        (item,) = typing.get_args(kind)
        return origin(_build(item, v) for v in raw)
    if kind is dt.date:
        return dt.date.fromisoformat(raw)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(raw)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _build(hints[k], v) for k, v in raw.items() if k in known})
    return raw


def from_json(kind: type, raw: dict[str, Any]) -> Any:
    return _build(kind, raw)


def host_description(agency: Agency, system: System, host: Host) -> dict[str, Any]:
    """The declared facts a host's checks read: its agency (without the other systems), system and host."""
    one_system = dataclasses.replace(system, hosts=(host,))
    return {"agency": to_json(dataclasses.replace(agency, systems=(one_system,))), "system_id": system.id,
            "host_id": host.id}


def target_parts(description: dict[str, Any]) -> tuple[Agency, System, Host]:
    agency = from_json(Agency, description["agency"])
    system = next(s for s in agency.systems if s.id == description["system_id"])
    host = next(h for h in system.hosts if h.id == description["host_id"])
    return agency, system, host


def inventory_to_json(inventory: Inventory) -> dict[str, Any]:
    """The whole inventory for a zone's segmentation probe (addresses, zones, zone policy; references only)."""
    return to_json(inventory)


def inventory_from_json(raw: dict[str, Any]) -> Inventory:
    from fourlayer.config.zone_policy import ZonePolicy

    inventory = from_json(Inventory, {k: v for k, v in raw.items() if k != "zone_policy"})
    policy = from_json(ZonePolicy, raw["zone_policy"]) if raw.get("zone_policy") else None
    return dataclasses.replace(inventory, zone_policy=policy)


def result_to_json(r: Result) -> dict[str, Any]:
    return {**r.to_dict(), "extra": to_json(r.extra), "duration_ms": r.duration_ms}


def result_from_json(d: dict[str, Any]) -> Result:
    return Result(check_id=d["check_id"], layer=int(d["layer"]), severity=Severity(d["severity"]),
                  status=Status(d["status"]), reason=d["reason"], evidence=d["evidence"], agency=d["agency"],
                  system=d["system"], host=d["host"], scope=d["scope"], waiver=d.get("waiver"),
                  duration_ms=float(d.get("duration_ms") or 0.0), reason_vi=d.get("reason_vi"),
                  extra=d.get("extra") or {}, clauses=list(d.get("clauses") or []))
