"""The loopback guard: with FOURLAYER_LOOPBACK_ONLY=1 nothing may be sent to an address off this machine.

It is applied where every piece of network I/O starts: the runner calls `check_allowed` on a host's address
before any of its collectors (nmap, SSH, TLS, HTTP) runs, and the agency endpoint probes and every socket
`reach.connect` opens call it too. Loopback means 127.0.0.0/8 and IPv6 ::1 (also written ::ffff:127.x.y.z):
the kernel never routes either off the machine.

Under the guard a name is not resolved: looking it up may itself send a DNS query to a server outside loopback.
Only IP literals and `localhost` (answered by the local hosts file, RFC 6761) are accepted.
"""

from __future__ import annotations

import ipaddress
import os
import socket

from fourlayer.collectors.base import clean_text
from fourlayer.core.errors import CollectorError

LOOPBACK_ENV = "FOURLAYER_LOOPBACK_ONLY"
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_LOCAL_NAMES = ("localhost", "localhost.")


def loopback_only() -> bool:
    return os.environ.get(LOOPBACK_ENV, "") not in ("", "0", "false", "no")


def is_loopback(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if addr.version == 6:
        mapped = addr.ipv4_mapped
        return addr == ipaddress.IPv6Address("::1") or (mapped is not None and mapped in _LOOPBACK)
    return addr in _LOOPBACK


def _addresses(address: str) -> set:
    try:
        return {ipaddress.ip_address(address)}
    except ValueError:
        pass
    if address.lower() not in _LOCAL_NAMES:
        raise CollectorError(f"refusing to resolve {clean_text(address, 100)}: {LOOPBACK_ENV}=1 takes IP addresses "
                             "(or localhost) only, since a name lookup may query a DNS server outside loopback")
    try:
        infos = socket.getaddrinfo(address, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise CollectorError(f"{clean_text(address, 100)}: cannot resolve ({exc.strerror or exc})") from None
    return {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}


def check_allowed(address: str) -> None:
    """Raise CollectorError if FOURLAYER_LOOPBACK_ONLY=1 and `address` is (or resolves to) anything that is
    not loopback. Does nothing when the guard is off."""
    if not loopback_only():
        return
    outside = sorted(str(a) for a in _addresses(address) if not is_loopback(a))
    if outside:
        raise CollectorError(f"refusing to contact {clean_text(address, 100)} ({', '.join(outside)}): "
                             f"{LOOPBACK_ENV}=1 allows 127.0.0.0/8 only (and IPv6 ::1)")
