"""The inventory's `zones:` networks and each host's zone, checked after the file's model (mixed into the loader).

Why so strict: segmentation is judged per zone pair, so a host placed in the wrong zone (or in none) would make
a finding about the wrong wall. When zones are declared every host belongs to exactly one zone, either by an
explicit `zone:` (which must contain its address) or by the one zone whose networks contain its address.
"""

from __future__ import annotations

import bisect
import difflib
import ipaddress
from typing import Any

from fourlayer.config.inventory import Zone
from fourlayer.config.yaml_lines import LineDict, LineList, field_path, item_path, show

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

    def zones(self, root: LineDict, models: list[Any] | None) -> tuple[Zone, ...]:
        """The zones of the validated file (`inventory_model.ZoneIn`), their networks parsed and refused when they
        overlap; `root` (the file's tree) gives the lines."""
        self.zone_list, self.zone_nets = (), {}
        if models is None:
            return ()
        seen = self.net_index = NetIndex()  # every network so far, to refuse overlaps
        items = root["zones"]
        self.zone_list = tuple(self.zone(z, items[i], item_path("zones", i), seen) for i, z in enumerate(models))
        return self.zone_list

    def zone(self, z: Any, m: LineDict, field: str, seen: NetIndex) -> Zone:
        self.unique("zone", z.id, m.value_line("id"), field_path(field, "id"), f"zone id '{z.id}'",
                    "zone ids must be unique; rename one")
        nets_raw: LineList = m["networks"]
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
            seen.add(net, z.id, at)
            nets.append(net)
        self.zone_nets[z.id] = nets
        return Zone(id=z.id, name=z.name, kind=z.kind, networks=tuple(str(n) for n in nets),
                    description=z.description or "", line=m.line)

    def network(self, value: str, line: int, where: str) -> Network:
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

    def host_zone(self, m: LineDict, field: str, explicit: str | None, address: str, addr_line: int) -> str | None:
        """The zone id of a host: its explicit `zone:` (checked against its address) or the CIDR match."""
        line, where = m.value_line("zone"), field_path(field, "zone")
        if not self.zone_list:
            if explicit is not None:
                self.fail(line, where, "this inventory declares no zones:; add a zones: list (id, name, kind, "
                                       "networks) or remove zone:")
            return None
        ip = _ip(address)
        if explicit is not None:
            zone_id = explicit
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
