"""HTTP collector: one `GET /` per web port (plain ports in host.http, HTTPS on host.tls), no redirects followed.

Evidence: HttpEvidence (below), serialised as (port keys are strings):

    {"ports": {"8080": {"scheme": "http", "status": 301, "reason": "Moved Permanently",
                        "headers": {"strict-transport-security": "...", ...},  # lowercased names, clean text
                        "location": "https://..."|None, "title": str|None,
                        "headers_truncated": bool, "error": None}}}

Certificates are not verified here (that is the TLS collector's job); the header check must still see a server
whose certificate is bad. Reads are bounded: 64 KiB of headers, 64 KiB of body, `ctx.timeout` per phase.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fourlayer import __version__
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.reach import check_allowed, connect, describe_error, recv_some, send_all
from fourlayer.collectors.tls import client_context, expected_name, handshake, sni_for
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024
MAX_HEADERS = 200
HEADER_VALUE_LIMIT = 2048
_STATUS = re.compile(rb"^HTTP/(\d)(?:\.(\d))? (\d{3})(?: (.*))?$")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)



@dataclass(frozen=True, slots=True)
class HttpResponse:
    """The answer of one web port to `GET /` (status None and `error` set when it gave none); header names are
    lower case, values bounded."""
    scheme: str
    status: int | None = None
    reason: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    headers_truncated: bool = False
    location: str | None = None
    title: str | None = None
    error: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(frozen=True, slots=True)
class HttpEvidence:
    """What `collect` read: port ("443") -> HttpResponse, for every HTTPS (host.tls) and HTTP (host.http) port."""
    ports: Mapping[str, HttpResponse] = field(default_factory=dict)

    def by_port(self) -> list[tuple[str, HttpResponse]]:
        """The responses in port order."""
        return sorted(self.ports.items(), key=lambda x: int(x[0]))

    def to_dict(self) -> dict[str, Any]:
        return {"ports": {p: {f: dict(r.headers) if f == "headers" else getattr(r, f) for f in HttpResponse.__slots__}
                          for p, r in self.ports.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HttpEvidence:
        ports = {}
        for port, r in dict(data.get("ports", {})).items():
            status = r.get("status")
            ports[str(port)] = HttpResponse(str(r.get("scheme", "")), None if status is None else int(status),
                                            r.get("reason"), dict(r.get("headers") or {}),
                                            bool(r.get("headers_truncated", False)), r.get("location"),
                                            r.get("title"), r.get("error"))
        return cls(ports)

class _BadResponse(Exception):
    """The peer's answer is not HTTP or breaks a bound."""


def host_header(name: str, port: int, scheme: str) -> str:
    shown = f"[{name}]" if ":" in name else name
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def parse_head(head: bytes) -> dict[str, Any]:
    """Status line and headers of a response head (without the blank line)."""
    lines = re.split(rb"\r?\n", head)
    match = _STATUS.match(lines[0])
    if not match:
        raise _BadResponse(f"not an HTTP response (starts {clean_text(lines[0][:60], 80)!r})")
    headers: dict[str, str] = {}
    truncated = False
    for line in lines[1:]:
        if b":" not in line:
            continue
        name, _, value = line.partition(b":")
        key = clean_text(name.strip().lower(), 100)
        if key not in headers and len(headers) >= MAX_HEADERS:
            truncated = True
            continue
        value_text = clean_text(value.strip(), HEADER_VALUE_LIMIT)
        headers[key] = f"{headers[key]}, {value_text}" if key in headers else value_text
    return {"status": int(match.group(3)), "reason": clean_text(match.group(4) or b"", 100),
            "headers": headers, "headers_truncated": truncated}


def _read_response(sock, deadline: float) -> tuple[bytes, bytes]:
    """(head, body start) — head bounded by MAX_HEADER_BYTES, body by MAX_BODY_BYTES; body read stops at the
    deadline or at Content-Length without failing."""
    buf = b""
    while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
        if len(buf) > MAX_HEADER_BYTES:
            raise _BadResponse(f"response headers larger than {MAX_HEADER_BYTES // 1024} KiB")
        chunk = recv_some(sock, deadline, 16384)
        if not chunk:
            if not buf:
                raise ConnectionError("connection closed before any response")
            break
        buf += chunk
        if not b"HTTP/".startswith(buf[:5]):
            raise _BadResponse(f"not an HTTP response (starts {clean_text(buf[:40], 60)!r})")
    sep = b"\r\n\r\n" if b"\r\n\r\n" in buf else b"\n\n"
    head, _, body = buf.partition(sep)
    if len(head) > MAX_HEADER_BYTES:
        raise _BadResponse(f"response headers larger than {MAX_HEADER_BYTES // 1024} KiB")
    length = re.search(rb"(?im)^content-length:\s*(\d{1,12})\s*$", head)
    want = min(int(length.group(1)), MAX_BODY_BYTES) if length else MAX_BODY_BYTES
    try:
        while len(body) < want:
            chunk = recv_some(sock, deadline, 16384)
            if not chunk:
                break
            body += chunk
    except (OSError, TimeoutError):
        pass  # the head is what we came for
    return head, body[:MAX_BODY_BYTES]


def fetch(address: str, port: int, scheme: str, name: str, timeout: float) -> dict[str, Any]:
    """One bounded `GET /` to address:port; raises on failure."""
    deadline = time.monotonic() + timeout
    if scheme == "https":
        sock = handshake(address, port, client_context(), sni_for(name), deadline)
    else:
        sock = connect(address, port, deadline)
    with sock:
        request = (f"GET / HTTP/1.1\r\nHost: {host_header(name, port, scheme)}\r\n"
                   f"User-Agent: fourlayer/{__version__}\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        deadline = time.monotonic() + timeout
        send_all(sock, request.encode("ascii", "replace"), deadline)
        head, body = _read_response(sock, deadline)
    result = parse_head(head)
    title = _TITLE.search(body)
    result["title"] = clean_text(re.sub(rb"\s+", b" ", title.group(1)).strip(), 200) if title else None
    result["location"] = result["headers"].get("location")
    return result


def _empty(scheme: str, error: str | None) -> dict[str, Any]:
    return {"scheme": scheme, "status": None, "reason": None, "headers": {}, "headers_truncated": False,
            "location": None, "title": None, "error": error}


def collect(host: Host, ctx: CollectContext) -> HttpEvidence:
    """GET / on every HTTPS (host.tls) and plain HTTP (host.http) port. Raises CollectorError if none answers."""
    targets = {p: "https" for p in host.tls}
    targets.update({p: "http" for p in host.http if p not in targets})
    if not targets:
        return HttpEvidence()
    check_allowed(host.address)
    name = expected_name(host)

    def one(port: int) -> dict[str, Any]:
        scheme = targets[port]
        try:
            return {**_empty(scheme, None), **fetch(host.address, port, scheme, name, ctx.timeout)}
        except Exception as exc:  # noqa: BLE001 - any peer misbehaviour becomes that port's error text
            text = str(exc) if isinstance(exc, _BadResponse) else describe_error(exc, ctx.timeout)
            return _empty(scheme, text)

    with ThreadPoolExecutor(min(4, len(targets)), thread_name_prefix="fourlayer-http") as pool:
        results = dict(zip(targets, pool.map(one, targets)))
    if all(r["error"] for r in results.values()):
        detail = "; ".join(f"{p}: {r['error']}" for p, r in results.items())
        raise CollectorError(f"{host.address}: no web port answered ({detail})")
    return HttpEvidence.from_dict({"ports": {str(p): r for p, r in results.items()}})
