"""The inventory's `zones:` list and each host's zone, validated line by line (mixed into the inventory loader).

Why so strict: segmentation is judged per zone pair, so a host placed in the wrong zone (or in none) would make
a finding about the wrong wall. When zones are declared every host belongs to exactly one zone, either by an
explicit `zone:` (which must contain its address) or by the one zone whose networks contain its address.
"""

from __future__ import annotations

import bisect
import difflib
import ipaddress
from typing import Any

from fourlayer.config.inventory import ZONE_KINDS, Zone
from fourlayer.config.yaml_lines import LineDict, LineList, field_path, got, item_path, show

ZONE_KEYS = ("id", "name", "kind", "networks", "description")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_NETWORKS = 10_000  # across all zones: far above a province's, low enough to validate in well under a second


class NetIndex:
    """Non-overlapping networks kept sorted, so that refusing an overlap and placing an address are binary
    searches (an inventory may declare thousands of networks and hosts)."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []  # (IP version, first address), sorted
        self.entries: list[tuple[int, Network, str, int]] = []  # (last address, network, zone id, line)

    def overlap(self, net: Network) -> tuple[Network, str, int] | None:
        """The declared network that `net` overlaps (network, zone, line), or None."""
        key = (net.version, int(net.network_address))
        i = bisect.bisect_left(self.keys, key)
        for j in (i - 1, i):
            if 0 <= j < len(self.keys) and self.keys[j][0] == net.version:
                start, (end, other, zone, line) = self.keys[j][1], self.entries[j]
                if start <= int(net.broadcast_address) and key[1] <= end:
                    return other, zone, line
        return None

    def add(self, net: Network, zone: str, line: int) -> None:
        key = (net.version, int(net.network_address))
        i = bisect.bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.entries.insert(i, (int(net.broadcast_address), net, zone, line))

    def zone_of(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        i = bisect.bisect_right(self.keys, (ip.version, int(ip))) - 1
        if i >= 0 and self.keys[i][0] == ip.version and int(ip) <= self.entries[i][0]:
            return self.entries[i][2]
        return None


def _did_you_mean(value: str, known: list[str], listing: str) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"{listing}: {', '.join(known) or 'none'}"


class ZoneValidation:
    """Zone parsing for `_InventoryValidator` (uses its Validator getters: fail, mapping, keys, ident, text…)."""

    zone_list: tuple[Zone, ...] = ()
    zone_nets: dict[str, list[Network]] = {}
    net_index: NetIndex | None = None

    def zones(self, root: LineDict) -> tuple[Zone, ...]:
        items, line, where = self.get(root, "zones", None)
        self.zone_list, self.zone_nets = (), {}
        if items is None:
            return ()
        if not isinstance(items, LineList) or not items:
            self.fail(line, where, f"expected a list of zones, each with id:, name:, kind:, networks:, "
                                   f"got {got(items) if items or items == [] else 'nothing'}")
        seen = self.net_index = NetIndex()  # every network so far, to refuse overlaps
        zones = []
        for i, raw in enumerate(items):
            zones.append(self.zone(raw, items.item_line(i), item_path("zones", i), seen))
        self.zone_list = tuple(zones)
        return self.zone_list

    def zone(self, raw: Any, line: int, field: str, seen: NetIndex) -> Zone:
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
            if len(seen.keys) >= MAX_NETWORKS:
                self.fail(at, where, f"more than {MAX_NETWORKS} networks in all zones; merge adjacent networks "
                                     "into wider prefixes")
            clash = seen.overlap(net)
            if clash is not None:
                other, other_zone, other_line = clash
                self.fail(at, where, f"network {net} overlaps {other} of zone '{other_zone}' (line "
                                     f"{other_line}); an address must belong to one zone only — split or "
                                     "narrow one of the two networks")
            seen.add(net, zone_id, at)
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
            if ip is not None and self.net_index.zone_of(ip) != zone_id:
                self.fail(addr_line, field_path(field, "address"),
                          f"{address} is not in zone '{zone_id}' (networks "
                          f"{', '.join(map(str, self.zone_nets[zone_id]))}); fix the address, the zone: or "
                          "the zone's networks")
            return zone_id
        addr_where = field_path(field, "address")
        if ip is None:
            self.fail(addr_line, addr_where, f"{address} is a name, so no zone's networks can place it; add "
                                             "zone: <id> to this host")
        zone_id = self.net_index.zone_of(ip)  # one zone at most: overlapping networks were refused
        if zone_id is None:
            self.fail(addr_line, addr_where, f"{address} is in no declared zone; add its network to a zone's "
                                             "networks: or set zone: <id> on this host")
        return zone_id


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
