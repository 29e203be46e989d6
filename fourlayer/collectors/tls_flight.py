"""The server's first flight in answer to a hand-built ClientHello, read without the local TLS library.

ServerHello (version, suite) always; with `full`, also the Certificate message (every certificate the server sent)
and, for a Diffie-Hellman suite, the group of its ServerKeyExchange (RFC 5246 7.4.3). No session is completed: the
connection is closed once these are read, so a server whose suites the local OpenSSL refuses (NULL, RC4, 3DES,
DH-512) still shows its certificate and its group.
"""

from __future__ import annotations

from dataclasses import dataclass

from fourlayer.collectors.base import clean_text
from fourlayer.collectors.reach import connect, recv_exact, send_all

MAX_RECORD = 16384 + 2048
MAX_FLIGHT = 256 * 1024  # bytes of handshake messages read before giving up on the rest of the flight
MAX_CERTS = 10
# Suites whose ServerKeyExchange carries finite-field DH parameters: DHE/EDH (RSA, DSS) and anonymous DH.
DHE_SUITES = frozenset({
    0x0011, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001B,
    0x0032, 0x0033, 0x0034, 0x0038, 0x0039, 0x003A, 0x0040, 0x0044, 0x0045, 0x0046, 0x0067, 0x006A, 0x006B,
    0x006C, 0x006D, 0x0087, 0x0088, 0x0089, 0x009E, 0x009F, 0x00A2, 0x00A3, 0x00A6, 0x00A7, 0xCCAA,
})
# DHE suites that are not weak in themselves, offered beside the weak ones to learn the server's DH group.
DHE_PROBE_SUITES = {
    0x009E: "DHE-RSA-AES128-GCM-SHA256", 0x009F: "DHE-RSA-AES256-GCM-SHA384", 0xCCAA: "DHE-RSA-CHACHA20-POLY1305",
    0x0067: "DHE-RSA-AES128-SHA256", 0x006B: "DHE-RSA-AES256-SHA256", 0x0033: "DHE-RSA-AES128-SHA",
    0x0039: "DHE-RSA-AES256-SHA", 0x00A2: "DHE-DSS-AES128-GCM-SHA256", 0x00A3: "DHE-DSS-AES256-GCM-SHA384",
    0x0040: "DHE-DSS-AES128-SHA256", 0x006A: "DHE-DSS-AES256-SHA256", 0x0032: "DHE-DSS-AES128-SHA",
    0x0038: "DHE-DSS-AES256-SHA", 0x0045: "DHE-RSA-CAMELLIA128-SHA", 0x0088: "DHE-RSA-CAMELLIA256-SHA",
    0x0044: "DHE-DSS-CAMELLIA128-SHA", 0x0087: "DHE-DSS-CAMELLIA256-SHA",
}


class NotTLS(Exception):
    """The peer answered with something that is not TLS."""


@dataclass
class Flight:
    version: int
    suite: int
    certificates: list[bytes] | None = None  # DER, leaf first; None when no Certificate message was read
    dh: tuple[int, int] | None = None  # (p, g) of a DH ServerKeyExchange


def _vector(data: bytes, at: int, size: int) -> tuple[bytes, int]:
    length = int.from_bytes(data[at:at + size], "big")
    if at + size + length > len(data):
        raise NotTLS("truncated handshake message")
    return data[at + size:at + size + length], at + size + length


def _certificates(body: bytes) -> list[bytes]:
    chain, _ = _vector(body, 0, 3)
    certs, at = [], 0
    while at < len(chain) and len(certs) < MAX_CERTS:
        der, at = _vector(chain, at, 3)
        certs.append(der)
    return certs


def _dh_params(body: bytes) -> tuple[int, int]:
    p, at = _vector(body, 0, 2)
    g, _ = _vector(body, at, 2)
    return int.from_bytes(p, "big"), int.from_bytes(g, "big")


def _messages(data: bytes):
    """(type, body) of every complete handshake message in `data`, and the bytes used."""
    at, out = 0, []
    while len(data) - at >= 4:
        length = int.from_bytes(data[at + 1:at + 4], "big")
        if len(data) - at - 4 < length:
            break
        out.append((data[at], data[at + 4:at + 4 + length]))
        at += 4 + length
    return out, at


def server_flight(address: str, port: int, hello: bytes, deadline: float, full: bool = False) -> Flight | None:
    """Send `hello`; the server's answer, or None if it refused (alert or close) before its ServerHello."""
    sock = connect(address, port, deadline)
    try:
        send_all(sock, hello, deadline)
        pending, seen, flight = b"", 0, None
        while seen < MAX_FLIGHT:
            try:
                header = recv_exact(sock, 5, deadline)
            except ConnectionError:
                return flight
            kind, length = header[0], int.from_bytes(header[3:5], "big")
            if kind == 21:  # alert
                return flight
            if kind != 22 or header[1] != 3 or length > MAX_RECORD:
                if flight is not None:
                    return flight  # e.g. a ChangeCipherSpec after an abbreviated flight
                raise NotTLS(f"not a TLS answer (starts {clean_text(header, 40)})")
            pending += recv_exact(sock, length, deadline)
            seen += length
            messages, used = _messages(pending)
            pending = pending[used:]
            if flight is None and pending[:1] not in (b"", b"\x02") and not messages:
                raise NotTLS("first handshake message is not a ServerHello")
            for kind, body in messages:
                if flight is None:
                    if kind != 2 or len(body) < 38 or len(body) < 38 + body[34]:
                        raise NotTLS("first handshake message is not a ServerHello")
                    sid = body[34]
                    flight = Flight(int.from_bytes(body[0:2], "big"), int.from_bytes(body[35 + sid:37 + sid], "big"))
                    if not full:
                        return flight
                elif kind == 11:
                    flight.certificates = _certificates(body)
                elif kind == 12 and flight.suite in DHE_SUITES:
                    flight.dh = _dh_params(body)
                elif kind == 14:  # ServerHelloDone
                    return flight
        if flight is None:
            raise NotTLS("ServerHello too fragmented")
        return flight
    finally:
        sock.close()
