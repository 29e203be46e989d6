"""The zone policy: which source zones may reach which destination zones on which TCP ports.

Why a policy file and not code: Circular 12/2022 says *that* administration must come from the management zone
and databases be reached only by the application servers, but which ports count as "administration" depends on
the products an agency runs. The shipped default (`fourlayer/data/zone_policy.yaml`) follows the Circular; an
inventory's `zone_policy:` (a file path or an inline mapping) replaces it, validated with file and line.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fourlayer.config.inventory import ZONE_KINDS, Zone
from fourlayer.config.validation import DataValidator, Validator
from fourlayer.config.yaml_lines import LineDict, LineList, expect_kind, field_path, got, item_path, load_yaml, show

DEFAULT_ZONE_POLICY = Path(__file__).resolve().parents[1] / "data" / "zone_policy.yaml"
TOP_KEYS = ("version", "port_groups", "guarded", "allow")
GROUP_KEYS = ("name", "ports")
GUARD_KEYS = ("to", "ports")
ALLOW_KEYS = ("from", "to", "ports")
REQUIRED_GROUPS = ("admin", "database")  # judged by L1-ZON-001 and L1-ZON-002
ANY = "*"


@dataclass(frozen=True)
class Rule:
    """`from` (absent for a guard) zones -> `to` zones on `ports`; names are zone kinds, zone ids or '*'."""

    to: tuple[str, ...]
    ports: frozenset[int]
    sources: tuple[str, ...] = ()
    line: int = 0


def _matches(names: tuple[str, ...], zone: Zone) -> bool:
    return ANY in names or zone.kind in names or zone.id in names


@dataclass(frozen=True)
class ZonePolicy:
    source: str  # "default" or the file it came from
    groups: dict[str, dict[str, Any]]  # name -> {"name": {en, vi}, "ports": (int, ...)}
    guarded: tuple[Rule, ...]
    allow: tuple[Rule, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def group_ports(self, name: str) -> frozenset[int]:
        return frozenset(self.groups.get(name, {}).get("ports", ()))

    def group_of(self, port: int) -> str | None:
        return next((g for g, spec in self.groups.items() if port in spec["ports"]), None)

    def judged_ports(self, dst: Zone) -> frozenset[int]:
        """The ports of a host in `dst` that the policy judges (and the probe tries) from other zones."""
        return frozenset().union(*(r.ports for r in self.guarded if _matches(r.to, dst)))

    def allows(self, src: Zone, dst: Zone, port: int) -> bool:
        """Whether `src` may reach `port` of a host in `dst`; an unjudged port is allowed (not this policy's)."""
        if port not in self.judged_ports(dst):
            return True
        return any(port in r.ports and _matches(r.to, dst) and _matches(r.sources, src) for r in self.allow)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, **self.raw}


def load_zone_policy(value: Any, line: int, where: str, owner: Validator, zones: tuple[Zone, ...]) -> ZonePolicy:
    """The policy from an inventory's `zone_policy:` value (None = the default; a path; an inline mapping)."""
    if value is None:
        return _parse(load_yaml(DEFAULT_ZONE_POLICY), DataValidator(str(DEFAULT_ZONE_POLICY)), None, zones, "default")
    if isinstance(value, LineDict):
        return _parse(value, DataValidator(owner.path), where, zones, owner.path)  # lines of the inventory
    if not isinstance(value, str):
        owner.fail(line, where, f"expected a file path or a mapping (port_groups:, guarded:, allow:), got {got(value)}")
    path = owner.local_path(LineDict({"zone_policy": value}, line=line), "zone_policy", None)
    if not os.path.isfile(path):
        owner.fail(line, where, f"zone policy file not found: {path} (relative paths start at the inventory's "
                                "folder); fix the path or remove zone_policy: to use the default")
    data = load_yaml(path)
    expect_kind(path, data, "zone policy", TOP_KEYS)
    return _parse(data, DataValidator(path), None, zones, path)


def _parse(root: Any, v: DataValidator, where: str | None, zones: tuple[Zone, ...], source: str) -> ZonePolicy:
    m = v.mapping(root, getattr(root, "line", 1), where, "version: 1, port_groups:, guarded:, allow:")
    v.keys(m, where, TOP_KEYS)
    version, line, vwhere = v.get(m, "version", where, "1")
    if type(version) is not int or version != 1:
        v.fail(line, vwhere, f"expected 1 (the zone policy format this fourlayer reads), got {show(version)}")
    names = {z.id for z in zones} | set(ZONE_KINDS) | {ANY}
    groups = _groups(v, m, where)
    guarded = tuple(_rule(v, item, at, w, groups, names, with_from=False)
                    for item, at, w in _items(v, m, "guarded", where, "{to: [server], ports: [admin]}"))
    allow = tuple(_rule(v, item, at, w, groups, names, with_from=True)
                  for item, at, w in _items(v, m, "allow", where, "{from: [management], to: [server], ports: [admin]}"))
    raw = {"port_groups": {g: {"name": dict(s["name"]), "ports": sorted(s["ports"])} for g, s in groups.items()},
           "guarded": [{"to": list(r.to), "ports": sorted(r.ports)} for r in guarded],
           "allow": [{"from": list(r.sources), "to": list(r.to), "ports": sorted(r.ports)} for r in allow]}
    return ZonePolicy(source=source, groups=groups, guarded=guarded, allow=allow, raw=raw)


def _items(v: DataValidator, m: LineDict, key: str, where: str | None, example: str):
    items = v.seq(m, key, where, f"of entries like {example}")
    if not items:
        v.fail(m.value_line(key), field_path(where, key), f"missing; add {key}: [{example}]")
    return [(item, items.item_line(i), item_path(field_path(where, key), i)) for i, item in enumerate(items)]


def _groups(v: DataValidator, m: LineDict, where: str | None) -> dict[str, dict[str, Any]]:
    value, line, gwhere = v.get(m, "port_groups", where, "{admin: {name: {...}, ports: [22, 3389]}, database: ...}")
    groups_raw = v.mapping(value, line, gwhere, "group name: {name: {en:, vi:}, ports: [...]}")
    groups: dict[str, dict[str, Any]] = {}
    for name in groups_raw:
        at, gw = groups_raw.value_line(name), field_path(gwhere, name)
        v.check_ident(name, groups_raw.key_line(name), gw)
        spec = v.mapping(groups_raw[name], at, gw, "name: {en:, vi:}, ports: [...]")
        v.keys(spec, gw, GROUP_KEYS)
        title = v.bilingual(spec, "name", gw)
        ports = v.port_list(spec, "ports", gw)
        if not ports:
            v.fail(spec.value_line("ports"), field_path(gw, "ports"), "missing; add ports: [TCP port, ...]")
        groups[name] = {"name": title, "ports": tuple(ports)}
    for name in REQUIRED_GROUPS:
        if name not in groups:
            v.fail(m.key_line("port_groups"), gwhere, f"no port group '{name}'; add {name}: {{name: {{en:, vi:}}, ports: [...]}} "
                                 "(the segmentation checks judge it)")
    return groups


def _rule(v: DataValidator, item: Any, line: int, where: str, groups: dict, names: set[str], with_from: bool) -> Rule:
    keys = ALLOW_KEYS if with_from else GUARD_KEYS
    m = v.mapping(item, line, where, ", ".join(f"{k}: [...]" for k in keys))
    v.keys(m, where, keys)
    sources = _zone_names(v, m, "from", where, names) if with_from else ()
    to = _zone_names(v, m, "to", where, names)
    ports_raw = v.seq(m, "ports", where, "of port group names or port numbers")
    if not ports_raw:
        v.fail(m.value_line("ports"), field_path(where, "ports"), "missing; add ports: [admin, database, 443, ...]")
    ports: set[int] = set()
    for i, p in enumerate(ports_raw):
        at, pw = ports_raw.item_line(i), item_path(field_path(where, "ports"), i)
        if isinstance(p, str):
            if p not in groups:
                v.fail(at, pw, f"no port group '{p}'; the groups are: {', '.join(groups)} (or write a port number)")
            ports.update(groups[p]["ports"])
        else:
            ports.add(v.port(p, at, pw))
    return Rule(to=to, ports=frozenset(ports), sources=sources, line=m.line)


def _zone_names(v: DataValidator, m: LineDict, key: str, where: str, names: set[str]) -> tuple[str, ...]:
    items = v.seq(m, key, where, "of zone kinds, zone ids or '*'")
    if not items:
        v.fail(m.value_line(key), field_path(where, key), f"missing; add {key}: [zone kind or id, ...]")
    out = []
    for i, name in enumerate(items):
        at, nw = items.item_line(i), item_path(field_path(where, key), i)
        if not isinstance(name, str) or name not in names:
            close = difflib.get_close_matches(str(name), sorted(names), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"use a zone kind ({', '.join(ZONE_KINDS)}), a declared zone id or '*'"
            v.fail(at, nw, f"no zone or zone kind {show(name)}; {hint}")
        out.append(name)
    return tuple(out)
