"""The inventory's `zones:` list and each host's zone, validated line by line (mixed into the inventory loader).

Why so strict: segmentation is judged per zone pair, so a host placed in the wrong zone (or in none) would make
a finding about the wrong wall. When zones are declared every host belongs to exactly one zone, either by an
explicit `zone:` (which must contain its address) or by the one zone whose networks contain its address.
"""

from __future__ import annotations

import difflib
import ipaddress
from typing import Any

from fourlayer.config.inventory import ZONE_KINDS, Zone
from fourlayer.config.yaml_lines import LineDict, LineList, field_path, got, item_path, show

ZONE_KEYS = ("id", "name", "kind", "networks", "description")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _did_you_mean(value: str, known: list[str], listing: str) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"{listing}: {', '.join(known) or 'none'}"


class ZoneValidation:
    """Zone parsing for `_InventoryValidator` (uses its Validator getters: fail, mapping, keys, ident, text…)."""

    zone_list: tuple[Zone, ...] = ()
    zone_nets: dict[str, list[Network]] = {}

    def zones(self, root: LineDict) -> tuple[Zone, ...]:
        items, line, where = self.get(root, "zones", None)
        self.zone_list, self.zone_nets = (), {}
        if items is None:
            return ()
        if not isinstance(items, LineList) or not items:
            self.fail(line, where, f"expected a list of zones, each with id:, name:, kind:, networks:, "
                                   f"got {got(items) if items or items == [] else 'nothing'}")
        seen: list[tuple[Network, str, int]] = []  # every network so far, to refuse overlaps
        zones = []
        for i, raw in enumerate(items):
            zones.append(self.zone(raw, items.item_line(i), item_path("zones", i), seen))
        self.zone_list = tuple(zones)
        return self.zone_list

    def zone(self, raw: Any, line: int, field: str, seen: list[tuple[Network, str, int]]) -> Zone:
        m = self.mapping(raw, line, field, "id:, name:, kind:, networks: [CIDR, ...]")
        self.keys(m, field, ZONE_KEYS)
        zone_id = self.ident(m, "id", field, "<short id, e.g. servers>")
        self.unique("zone", zone_id, m.value_line("id"), field_path(field, "id"), f"zone id '{zone_id}'",
                    "zone ids must be unique; rename one")
        name = self.text(m, "name", field, "<the zone's name, e.g. Vùng máy chủ>")
        kind, kind_line, kind_where = self.get(m, "kind", field, f"<one of {', '.join(ZONE_KINDS)}>")
        if kind not in ZONE_KINDS:
            hint = _did_you_mean(str(kind), list(ZONE_KINDS), "the Circular 12/2022 zone kinds are") \
                if isinstance(kind, str) else f"expected one of {', '.join(ZONE_KINDS)}"
            self.fail(kind_line, kind_where, f"unknown zone kind {show(kind)}; {hint}")
        nets_raw = self.seq(m, "networks", field, "of CIDRs, e.g. [10.10.1.0/24]")
        if not nets_raw:
            self.fail(m.value_line("networks"), field_path(field, "networks"),
                      "missing; add networks: [CIDR, ...] — the address ranges of this zone, e.g. [10.10.1.0/24]")
        nets: list[Network] = []
        for j, value in enumerate(nets_raw):
            where, at = item_path(field_path(field, "networks"), j), nets_raw.item_line(j)
            net = self.network(value, at, where)
            for other, other_zone, other_line in seen:
                if net.version == other.version and net.overlaps(other):
                    self.fail(at, where, f"network {net} overlaps {other} of zone '{other_zone}' (line "
                                         f"{other_line}); an address must belong to one zone only — split or "
                                         "narrow one of the two networks")
            seen.append((net, zone_id, at))
            nets.append(net)
        self.zone_nets[zone_id] = nets
        description = self.text(m, "description", field, limit=4000) or ""
        return Zone(id=zone_id, name=name, kind=kind, networks=tuple(str(n) for n in nets),
                    description=description, line=m.line)

    def network(self, value: Any, line: int, where: str) -> Network:
        if not isinstance(value, str):
            self.fail(line, where, f"expected a CIDR such as 10.10.1.0/24, got {got(value)}; quote it")
        text = value.strip()
        try:
            if "/" not in text:
                raise ValueError(text)
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.fail(line, where, f"expected a CIDR such as 10.10.1.0/24 (address/prefix length), got {show(value)}")
        try:
            return ipaddress.ip_network(text, strict=True)
        except ValueError:
            self.fail(line, where, f"{show(value)} has host bits set; write the network address: {loose}")
        raise AssertionError("unreachable")

    def zone_policy(self, root: LineDict, zones: tuple[Zone, ...]) -> Any:
        """The zone policy in force (the Circular 12 default unless `zone_policy:` overrides it); None without
        zones."""
        from fourlayer.config.zone_policy import load_zone_policy

        value, line, where = self.get(root, "zone_policy", None)
        if not zones:
            if value is not None:
                self.fail(line, where, "a zone policy needs zones; add a zones: list or remove zone_policy:")
            return None
        return load_zone_policy(value, line, where, self, zones)

    def host_zone(self, m: LineDict, field: str, address: str, addr_line: int) -> str | None:
        """The zone id of a host: its explicit `zone:` (checked against its address) or the CIDR match."""
        explicit, line, where = self.get(m, "zone", field)
        if not self.zone_list:
            if explicit is not None:
                self.fail(line, where, "this inventory declares no zones:; add a zones: list (id, name, kind, "
                                       "networks) or remove zone:")
            return None
        ip = _ip(address)
        if explicit is not None:
            zone_id = self.check_ident(explicit, line, where)
            if zone_id not in self.zone_nets:
                self.fail(line, where, f"no zone '{zone_id}'; "
                          + _did_you_mean(zone_id, list(self.zone_nets), "the declared zones are"))
            if ip is not None and not any(ip in n for n in self.zone_nets[zone_id] if n.version == ip.version):
                self.fail(addr_line, field_path(field, "address"),
                          f"{address} is not in zone '{zone_id}' (networks "
                          f"{', '.join(map(str, self.zone_nets[zone_id]))}); fix the address, the zone: or "
                          "the zone's networks")
            return zone_id
        addr_where = field_path(field, "address")
        if ip is None:
            self.fail(addr_line, addr_where, f"{address} is a name, so no zone's networks can place it; add "
                                             "zone: <id> to this host")
        matches = [z for z, nets in self.zone_nets.items() if any(ip in n for n in nets if n.version == ip.version)]
        if not matches:
            self.fail(addr_line, addr_where, f"{address} is in no declared zone; add its network to a zone's "
                                             "networks: or set zone: <id> on this host")
        if len(matches) > 1:  # overlapping networks are refused first, so this guards against future changes
            self.fail(addr_line, addr_where, f"{address} is in zones {', '.join(matches)}; set zone: <id> on "
                                             "this host to say which one")
        return matches[0]


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
