"""The zone policy: which source zones may reach which destination zones on which TCP ports.

Why a policy file and not code: Circular 12/2022 says *that* administration must come from the management zone
and databases be reached only by the application servers, but which ports count as "administration" depends on
the products an agency runs. The shipped default (`fourlayer/data/zone_policy.yaml`) follows the Circular; an
inventory's `zone_policy:` (a file path or an inline mapping) replaces it, validated with file and line.

The file's shape is the `ZonePolicyFile` model (pydantic; fourlayer/data/zone_policy.schema.json is generated from
it); `ZonePolicy` is what the segmentation probe and checks use: port groups resolved into port sets per rule.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo

from fourlayer.config.fields import Bilingual, Ident
from fourlayer.config.inventory import ZONE_KINDS, Zone
from fourlayer.config.policy_model import Port
from fourlayer.config.typed import Strict, expect, schema, validate
from fourlayer.config.validation import Validator
from fourlayer.config.yaml_lines import (
    LineDict,
    expect_kind,
    field_path,
    got,
    item_path,
    load_yaml,
    show,
)
from fourlayer.core.errors import InputError

DEFAULT_ZONE_POLICY = Path(__file__).resolve().parents[1] / "data" / "zone_policy.yaml"
REQUIRED_GROUPS = ("admin", "database")  # judged by L1-ZON-001 and L1-ZON-002
ANY = "*"


# ---- the file's shape ------------------------------------------------------------------------------------------

def _once(ports: list[int]) -> list[int]:
    seen: set[int] = set()
    for port in ports:
        if port in seen:
            raise ValueError(f"port {port} is listed twice; remove one")
        seen.add(port)
    return ports


def _zone_known(name: str, info: ValidationInfo) -> str:
    """A zone kind, a zone id the inventory declares, or '*' (the names come in the validation context)."""
    names = (info.context or {}).get("zones")
    if names is not None and name not in names:
        close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else \
            f"use a zone kind ({', '.join(ZONE_KINDS)}), a declared zone id or '*'"
        raise ValueError(f"no zone or zone kind {show(name)}; {hint}")
    return name


ZoneNames = Annotated[list[Annotated[str, AfterValidator(_zone_known)]], Field(min_length=1)]
PortsOrGroups = Annotated[list[Port | Ident], Field(min_length=1)]


class PortGroup(Strict):
    name: Annotated[Bilingual, Field(examples=['{vi: "...", en: "..."}'])]
    ports: Annotated[list[Port], Field(min_length=1, examples=["[TCP port, ...]"]), AfterValidator(_once)]


class Guard(Strict):
    """The destination zones whose `ports` (port numbers or group names) the policy judges from every zone."""

    to: Annotated[ZoneNames, Field(examples=["[zone kind or id, ...]"])]
    ports: Annotated[PortsOrGroups, Field(examples=["[admin, database, 443, ...]"])]


class Allow(Guard):
    """Source zones (`from`) that may reach `ports` of hosts in the `to` zones."""

    from_: Annotated[ZoneNames, Field(alias="from", examples=["[zone kind or id, ...]"])]


def _version(v: Any) -> str | None:
    return None if type(v) is int and v == 1 else "expected 1 (the zone policy format this fourlayer reads)"


class ZonePolicyFile(Strict):
    version: Annotated[Literal[1], Field(examples=[1]), expect(_version)]
    port_groups: Annotated[dict[Ident, PortGroup], Field(
        examples=["{admin: {name: {...}, ports: [22, 3389]}, database: ...}"])]
    guarded: Annotated[list[Guard], Field(min_length=1, examples=["[{to: [server], ports: [admin]}]"])]
    allow: Annotated[list[Allow], Field(min_length=1, examples=[
        "[{from: [management], to: [server], ports: [admin]}]"])]


def zone_policy_schema() -> dict[str, Any]:
    """The JSON Schema of a zone policy file (committed as fourlayer/data/zone_policy.schema.json)."""
    return schema(ZonePolicyFile, "fourlayer zone policy file",
                  "https://fourlayer.invalid/schema/zone_policy.schema.json")


# ---- what the probe and the checks use -------------------------------------------------------------------------

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
        return _parse(load_yaml(DEFAULT_ZONE_POLICY), str(DEFAULT_ZONE_POLICY), None, zones, "default")
    if isinstance(value, LineDict):
        return _parse(value, owner.path, where, zones, owner.path)  # lines of the inventory
    if not isinstance(value, str):
        owner.fail(line, where, f"expected a file path or a mapping (port_groups:, guarded:, allow:), got {got(value)}")
    path = owner.local_path(LineDict({"zone_policy": value}, line=line), "zone_policy", None)
    if not os.path.isfile(path):
        owner.fail(line, where, f"zone policy file not found: {path} (relative paths start at the inventory's "
                                "folder); fix the path or remove zone_policy: to use the default")
    data = load_yaml(path)
    expect_kind(path, data, "zone policy", tuple(ZonePolicyFile.model_fields))
    return _parse(data, path, None, zones, path)


def _parse(root: Any, path: str, where: str | None, zones: tuple[Zone, ...], source: str) -> ZonePolicy:
    names = {z.id for z in zones} | set(ZONE_KINDS) | {ANY}
    try:
        file = validate(ZonePolicyFile, root, path, {"zones": names})
    except InputError as err:  # an inline policy: its fields under zone_policy.
        raise InputError(path, err.line, field_path(where, err.field) if where and err.field else err.field or where,
                         err.message) from None
    groups = {name: {"name": g.name.as_dict(), "ports": tuple(g.ports)}
              for name, g in file.port_groups.items()}
    for name in REQUIRED_GROUPS:
        if name not in groups:
            raise InputError(path, root.key_line("port_groups"), field_path(where, "port_groups"),
                             f"no port group '{name}'; add {name}: {{name: {{en:, vi:}}, ports: [...]}} "
                             "(the segmentation checks judge it)")

    def rules(key: str) -> tuple[Rule, ...]:
        out = []
        for i, rule in enumerate(getattr(file, key)):
            raw = root[key][i]
            ports: set[int] = set()
            for j, p in enumerate(rule.ports):
                if isinstance(p, str) and p not in groups:
                    at = item_path(field_path(item_path(field_path(where, key), i), "ports"), j)
                    raise InputError(path, raw["ports"].item_line(j), at, f"no port group '{p}'; the groups are: "
                                     f"{', '.join(groups)} (or write a port number)")
                ports.update(groups[p]["ports"] if isinstance(p, str) else (p,))
            out.append(Rule(to=tuple(rule.to), ports=frozenset(ports),
                            sources=tuple(getattr(rule, "from_", ())), line=raw.line))
        return tuple(out)

    guarded, allow = rules("guarded"), rules("allow")
    raw = {"port_groups": {g: {"name": dict(s["name"]), "ports": sorted(s["ports"])} for g, s in groups.items()},
           "guarded": [{"to": list(r.to), "ports": sorted(r.ports)} for r in guarded],
           "allow": [{"from": list(r.sources), "to": list(r.to), "ports": sorted(r.ports)} for r in allow]}
    return ZonePolicy(source=source, groups=groups, guarded=guarded, allow=allow, raw=raw)
