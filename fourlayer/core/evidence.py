"""Typed evidence: what each collector returns is a frozen, slotted dataclass defined beside the collector.

A check or resource reads attributes (`t.ev("ssh_shell").command("sshd_T").out`); a misspelt attribute raises
AttributeError where a string key would have answered `{}` — `tests/core/test_evidence.py` runs every check over
real lab evidence to catch it. Each type has `to_dict()` (plain JSON, field for field the shape a collector returned
before it was typed) and `from_dict()` (what tests, recorded fixtures and saved evidence hold); `Target.ev` turns a
plain dict given for a typed collector into its type, so evidence built by hand keeps working.

A collector without a registered type (a third-party one) may return a plain dict: `Target.ev` gives it back as is.
The types are imported lazily (a collector module imports its I/O libraries).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

# collector name -> (module, class) of its evidence type
TYPES: dict[str, tuple[str, str]] = {
    "device_config": ("fourlayer.collectors.device_config", "DeviceConfigEvidence"),
    "http": ("fourlayer.collectors.http", "HttpEvidence"),
    "nmap": ("fourlayer.collectors.nmap_scan", "NmapEvidence"),
    "reach": ("fourlayer.collectors.agency", "ReachEvidence"),
    "reachability": ("fourlayer.collectors.reachability", "ReachabilityEvidence"),
    "ssh_shell": ("fourlayer.collectors.ssh_shell", "ShellEvidence"),
    "ssh_transport": ("fourlayer.collectors.ssh_transport", "TransportEvidence"),
    "tls": ("fourlayer.collectors.tls_evidence", "TlsEvidence"),
}


def evidence_type(name: str) -> type | None:
    """The evidence class of collector `name`, None when it has none (plain-dict evidence)."""
    where = TYPES.get(name)
    return getattr(importlib.import_module(where[0]), where[1]) if where else None


def typed(name: str, value: Any) -> Any:
    """`value` as collector `name`'s evidence type when it is a plain mapping of a typed collector, else unchanged."""
    if isinstance(value, Mapping):
        cls = evidence_type(name)
        if cls is not None:
            return cls.from_dict(value)
    return value


def to_dict(value: Any) -> Any:
    """The serialised (plain JSON) form of one collector's evidence; plain dicts are returned as they are."""
    return value.to_dict() if hasattr(value, "to_dict") else value


def record_dict(record: Any) -> dict[str, Any]:
    """A flat evidence record (a slotted dataclass of plain values) as its JSON dict: tuples become lists."""
    return {f: _plain(getattr(record, f)) for f in type(record).__slots__}


def record_from(cls: type, data: Mapping[str, Any]) -> Any:
    """`cls` (a flat record: every field has a default) from its JSON dict; lists become tuples, keys that are
    missing take the field's default (evidence recorded before a field existed), unknown keys are ignored."""
    return cls(**{f: _frozen(data[f]) for f in cls.__slots__ if f in data})


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value
