"""The segmentation probe: from inside one zone, TCP connects to the policy-relevant ports of other zones' hosts.

Why its own collector: segmentation is a property of the path between two zones, not of a host, so it is seen
only from a vantage point inside each zone (the in-process scanner's zone, or a zone's worker). Each record says
what one connect attempt saw:

- `open`: the three-way handshake completed (the socket is closed at once; nothing is sent).
- `closed`: the destination answered with a TCP RST (connect() fails with ECONNREFUSED and no ICMP error is
  queued on the socket): the path is open, nothing listens.
- `filtered`: no answer within `timeout_s` (a firewall drops), or an ICMP destination-unreachable came back
  (a firewall rejects). ICMP is told from RST by IP_RECVERR: the kernel queues the ICMP message on the
  socket's error queue, an RST queues nothing. EHOSTUNREACH/ENETUNREACH (ICMP host/net/admin-prohibited),
  EACCES/EPERM (a local firewall) are filtered as well. A firewall that rejects with a forged TCP RST looks
  closed: it cannot be told from the host itself.
- `unprobed`: the probe's `deadline` came before this attempt could finish (never counted as reachable or not).

Pure stdlib sockets and selectors, bounded concurrency and a connect rate, every address behind the loopback
guard. Records are plain JSON-serialisable dicts so that a worker can send them over a broker as they are.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import selectors
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

from fourlayer.collectors.base import clean_text
from fourlayer.collectors.guard import check_allowed
from fourlayer.config.inventory import Host, Inventory, Zone
from fourlayer.core.errors import CollectorError

STATES = ("open", "closed", "filtered", "unprobed")
IP_RECVERR = 11  # <linux/in.h>; not exported by Python's socket module
IPV6_RECVERR = 25  # <linux/in6.h>
_EE = struct.Struct("=IBBBBII")  # struct sock_extended_err
_EE_ORIGIN_ICMP = (2, 3)  # SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6
_FILTERED_ERRNOS = {errno.EHOSTUNREACH: "ICMP host unreachable or administratively prohibited",
                    errno.ENETUNREACH: "ICMP network unreachable (or no route)",
                    errno.EHOSTDOWN: "host down", errno.ENETDOWN: "network down",
                    errno.EACCES: "refused by a local firewall", errno.EPERM: "refused by a local firewall"}


@dataclass
class _Attempt:
    host: Host
    zone: Zone
    port: int
    sock: socket.socket | None = None
    started: float = 0.0


def clean_record(rec: Any, zones: set[str], hosts: dict[str, str]) -> dict[str, Any] | None:
    """A record as the coordinator keeps it, or None when it is not one: records come back from workers over a
    broker, so a malformed one (unknown zone or host, a port out of range, an unknown state) is dropped rather
    than trusted; texts are bounded. `hosts` maps host id -> zone id."""
    if not isinstance(rec, dict):
        return None
    src, host, port, state = rec.get("src_zone"), rec.get("dst_host"), rec.get("port"), rec.get("state")
    if src not in zones or host not in hosts or state not in STATES or type(port) is not int \
            or not 1 <= port <= 65535 or hosts[host] == src:
        return None
    ms = rec.get("ms")
    return {"src_zone": src, "dst_host": host, "dst_address": clean_text(str(rec.get("dst_address", "")), 100),
            "dst_zone": hosts[host], "port": port, "state": state,
            "ms": round(float(ms), 1) if isinstance(ms, (int, float)) and not isinstance(ms, bool)
            and math.isfinite(ms) else None,
            "why": clean_text(str(rec.get("why", "")), 200)}


def probe_targets(inventory: Inventory, zone_id: str, only: set[str] | None = None
                  ) -> list[tuple[Host, Zone, int]]:
    """(host, its zone, port) for every policy-judged port of every host outside `zone_id` (and, when `only` is
    given, whose id is in it), in inventory order."""
    zones = {z.id: z for z in inventory.zones}
    if zone_id not in zones:
        raise CollectorError(f"no zone {zone_id!r} in the inventory")
    policy = inventory.zone_policy
    out = []
    for _, _, host in inventory.iter_hosts():
        if host.zone is None or host.zone == zone_id or (only is not None and host.id not in only):
            continue
        dst = zones[host.zone]
        out.extend((host, dst, port) for port in sorted(policy.judged_ports(dst)))
    return out


def probe_from_zone(inventory: Inventory, zone_id: str, *, timeout_s: float = 2.0, rate: float = 200.0,
                    deadline: float | None = None, concurrency: int = 64,
                    only: set[str] | None = None) -> list[dict[str, Any]]:
    """One record per (host in another zone, judged port): {src_zone, dst_host, dst_zone, port, state, ms, why}.

    `timeout_s` bounds one connect attempt (no answer then = filtered); `rate` is connects started per second;
    `deadline` (time.monotonic(), default none) ends the whole probe: what is not finished then is `unprobed`.
    `only`: the ids of the hosts to probe (a scan limited with --agency probes no other agency's hosts).
    """
    targets = probe_targets(inventory, zone_id, only)
    addresses: dict[str, tuple[int, str] | str] = {}  # address -> (family, ip) or why it cannot be probed
    for host, _, _ in targets:
        if host.address not in addresses:
            addresses[host.address] = _resolve(host.address)
    records: list[dict[str, Any]] = []
    pending = [_Attempt(h, z, p) for h, z, p in targets]
    pending.reverse()  # pop() from the end keeps inventory order
    inflight: dict[int, _Attempt] = {}
    sel = selectors.DefaultSelector()
    gap = 1.0 / rate if rate > 0 else 0.0
    next_start = time.monotonic()

    def record(a: _Attempt, state: str, why: str, ms: float | None) -> None:
        records.append({"src_zone": zone_id, "dst_host": a.host.id, "dst_address": a.host.address,
                        "dst_zone": a.zone.id, "port": a.port, "state": state,
                        "ms": None if ms is None else round(ms, 1), "why": why})

    def finish(a: _Attempt, state: str, why: str) -> None:
        sel.unregister(a.sock)
        inflight.pop(a.sock.fileno(), None)
        a.sock.close()
        record(a, state, why, (time.monotonic() - a.started) * 1000)

    try:
        while pending or inflight:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            while pending and len(inflight) < concurrency and now >= next_start:
                a = pending.pop()
                target = addresses[a.host.address]
                if isinstance(target, str):
                    record(a, "unprobed", target, None)
                    continue
                started = _start(a, target)
                if started is not None:  # failed at once (no route, local firewall)
                    record(a, *started, 0.0)
                else:
                    sel.register(a.sock, selectors.EVENT_WRITE, a)
                    inflight[a.sock.fileno()] = a
                next_start = max(next_start + gap, now) if gap else now
                now = time.monotonic()
            wake = [a.started + timeout_s for a in inflight.values()]
            if pending and len(inflight) < concurrency:
                wake.append(next_start)
            if deadline is not None:
                wake.append(deadline)
            wait = max(0.0, min(wake) - time.monotonic()) if wake else 0.0
            for key, _ in sel.select(wait):
                a = key.data
                finish(a, *_outcome(a.sock))
            now = time.monotonic()
            for a in [a for a in inflight.values() if now - a.started >= timeout_s]:
                finish(a, "filtered", f"no answer within {timeout_s:g} s (dropped)")
    finally:
        for a in list(inflight.values()):
            sel.unregister(a.sock)
            a.sock.close()
            record(a, "unprobed", "the probe's deadline came before an answer", None)
        sel.close()
    for a in reversed(pending):
        record(a, "unprobed", "the probe's deadline came before this port was tried", None)
    return records


def _resolve(address: str) -> tuple[int, str] | str:
    """(family, IP) to connect to, or the reason the address cannot be probed (guard, no such name)."""
    try:
        check_allowed(address)
    except CollectorError as exc:
        return str(exc)
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), address
    except ValueError:
        pass
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(address, None, proto=socket.IPPROTO_TCP)[0]
    except OSError as exc:
        return f"cannot resolve {address}: {exc.strerror or exc}"
    return family, sockaddr[0]


def _start(a: _Attempt, target: tuple[int, str]) -> tuple[str, str] | None:
    """Open a non-blocking socket and start connecting; (state, why) if it failed at once, else None."""
    family, ip = target
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    a.sock, a.started = sock, time.monotonic()
    code = sock.connect_ex((ip, a.port))
    if code in (errno.EINPROGRESS, errno.EAGAIN, 0):
        return None
    state = _classify(sock, code)
    sock.close()
    return state


def _outcome(sock: socket.socket) -> tuple[str, str]:
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code == 0:
        return "open", "handshake completed"
    return _classify(sock, code)


def _classify(sock: socket.socket, code: int) -> tuple[str, str]:
    icmp = _icmp_error(sock)
    if code == errno.ECONNREFUSED:
        if icmp:
            return "filtered", f"rejected: {icmp}"
        return "closed", "TCP RST (nothing listens)"
    if code in _FILTERED_ERRNOS:
        return "filtered", icmp or _FILTERED_ERRNOS[code]
    return "filtered", f"connect failed: {errno.errorcode.get(code, code)}"


def _icmp_error(sock: socket.socket) -> str | None:
    """The ICMP error the kernel queued on this socket (IP_RECVERR), as text; None when there is none."""
    try:
        _, ancdata, _, _ = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except OSError:
        return None
    for _level, _type, data in ancdata:
        if len(data) >= _EE.size:
            ee_errno, origin, icmp_type, icmp_code, _, _, _ = _EE.unpack_from(data)
            if origin in _EE_ORIGIN_ICMP:
                return f"ICMP{'v6' if origin == 3 else ''} type {icmp_type} code {icmp_code} " \
                       f"({errno.errorcode.get(ee_errno, ee_errno)})"
    return None
