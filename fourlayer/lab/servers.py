"""Lab listeners: TLS, plain HTTP, banner, TCP sink, tarpit and hostile peers, served with asyncio.

They run inside a child process started by `fourlayer.lab.serve.ListenerProcess` (never in the test process),
bound to 127.0.0.x only. Specs are plain data so they cross the process boundary as JSON.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import os
import ssl
import struct
import warnings
from dataclasses import asdict, dataclass, fields
from typing import Any, Awaitable, Callable

from fourlayer.lab.certs import CertFiles

KINDS = ("tls", "http", "banner", "sink", "tarpit", "garbage", "drip")
HTTP_PROFILES = ("good", "partial", "weak", "hostile")
TLS_PROFILES = ("good", "weak", "expired", "expiring", "mismatch", "rsa1024")
with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated in Python; the weak lab listener needs them
    warnings.simplefilter("ignore", DeprecationWarning)
    TLS_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                    "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
# Everything this OpenSSL build can still speak, NULL and anonymous suites included (3DES/RC4 are compiled out
# of OpenSSL 3 here; if a build still has them, they are offered too).
WEAK_SERVER_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
# The usual suites plus the weakest this OpenSSL still has (no encryption, no authentication), for a server whose
# only flaw is its cipher list; SECLEVEL=0 also lets a server load a 1024-bit key or a SHA-1 signed chain.
# ("DEFAULT" would not do: it removes NULL and anonymous suites for good.)
NULL_ANON_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:NULL-SHA256:NULL-SHA:AECDH-AES128-SHA:@SECLEVEL=0"
LEGACY_OK_CIPHERS = "DEFAULT:@SECLEVEL=0"  # OpenSSL's default list (CBC suites with SHA-1 MACs included)
GARBAGE = b"\x00\xff\x16\x03garbage \x1b[2J<script>alert(1)</script>\r\n" * 64
READ_LIMIT = 16 * 1024
IDLE_SECONDS = 30.0


LAB_NETNS_ENV = "FOURLAYER_LAB_NETNS"


def in_named_netns(name: str) -> bool:
    """True when this process runs in the network namespace `ip netns add NAME` made (/run/netns/NAME)."""
    try:
        return os.stat(f"/run/netns/{os.path.basename(name)}").st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def require_loopback(host: str) -> None:
    """Lab listeners bind to 127.0.0.0/8 only, except inside a network namespace a bench made for itself
    (FOURLAYER_LAB_NETNS=NAME, and this process really is inside the namespace /run/netns/NAME)."""
    if ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8"):
        return
    if os.environ.get(LAB_NETNS_ENV) and in_named_netns(os.environ[LAB_NETNS_ENV]):
        return
    raise ValueError(f"lab listeners bind to 127.0.0.0/8 only, not {host}")


@dataclass
class ListenerSpec:
    """One listener. `port=0` lets the child pick a free port (reported back by ListenerProcess)."""

    kind: str
    host: str
    port: int = 0
    name: str = ""
    http_profile: str = "good"  # tls and http kinds: good | weak | hostile
    cert_file: str | None = None
    key_file: str | None = None
    tls_min: str = "TLSv1.2"
    tls_max: str = "TLSv1.3"
    ciphers: str | None = None  # OpenSSL cipher string for TLS <= 1.2
    dh_params: str | None = None  # PEM file of the finite-field DH group for DHE suites (OpenSSL: >= 1024 bits)
    banner: bytes = b""  # banner: sent on connect; drip: sent first, then one byte every drip_interval
    drip_interval: float = 0.2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"listener kind {self.kind!r} not in {KINDS}")
        require_loopback(self.host)
        if self.http_profile not in HTTP_PROFILES:
            raise ValueError(f"http_profile {self.http_profile!r} not in {HTTP_PROFILES}")
        if self.kind == "tls" and not (self.cert_file and self.key_file):
            raise ValueError("a tls listener needs cert_file and key_file")
        if not self.name:
            self.name = f"{self.kind}@{self.host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["banner"] = base64.b64encode(self.banner).decode()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ListenerSpec":
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["banner"] = base64.b64decode(data.get("banner") or b"")
        return cls(**data)


def tls_listener(profile: str, certs: dict[str, CertFiles], host: str, port: int = 0,
                 name: str | None = None, cert: CertFiles | None = None, ciphers: str | None = None,
                 versions: tuple[str, str] | None = None, http_profile: str | None = None,
                 dh_params: str | None = None) -> ListenerSpec:
    """A TLS listener for one of TLS_PROFILES: `weak` speaks TLS 1.0-1.2 with every cipher OpenSSL still has
    and a 1024-bit SHA-1 self-signed certificate; the others speak TLS 1.2-1.3 with the certificate of that kind
    (`rsa1024` at SECLEVEL 0 so that the small key loads). `cert` overrides the certificate (e.g. one with a
    hostile subject, or a SHA-1 signed chain), `ciphers` the cipher list, `versions` the (lowest, highest)
    protocol, `http_profile` what the HTTPS server answers, `dh_params` the DH group file of its DHE suites."""
    if profile not in TLS_PROFILES:
        raise ValueError(f"tls profile {profile!r} not in {TLS_PROFILES}")
    cert = cert or certs[profile]
    weak = profile == "weak"
    low, high = versions or (("TLSv1", "TLSv1.2") if weak else ("TLSv1.2", "TLSv1.3"))
    default_ciphers = WEAK_SERVER_CIPHERS if weak else LEGACY_OK_CIPHERS if profile == "rsa1024" else None
    return ListenerSpec("tls", host, port, name or f"tls-{profile}",
                        http_profile=http_profile or ("weak" if weak else "good"),
                        cert_file=cert.cert, key_file=cert.key, tls_min=low, tls_max=high,
                        ciphers=ciphers or default_ciphers, dh_params=dh_params)


def http_listener(profile: str, host: str, port: int = 0, name: str | None = None) -> ListenerSpec:
    return ListenerSpec("http", host, port, name or f"http-{profile}", http_profile=profile)


# --- SSH identification -------------------------------------------------------------------------------------

def _name_list(names: tuple[str, ...]) -> bytes:
    data = ",".join(names).encode("ascii")
    return struct.pack(">I", len(data)) + data


def ssh_identification(identification: str, kex: tuple[str, ...] = ("curve25519-sha256",),
                       host_keys: tuple[str, ...] = (), ciphers: tuple[str, ...] = ("aes128-ctr",),
                       macs: tuple[str, ...] = ("hmac-sha2-256",)) -> bytes:
    """What an SSH server sends first: its identification line and, for SSH-2 (`SSH-2.0-`/`SSH-1.99-`), an
    SSH_MSG_KEXINIT packet (RFC 4253 6, 7.1) offering the given algorithms. Served by a `banner` listener, it
    lets a test show any server version on the wire. With no host key algorithms, no client tries a key
    exchange, so nothing waits on a server that never continues."""
    line = identification.encode("ascii") + b"\r\n"
    if not identification.startswith(("SSH-2.0-", "SSH-1.99-")):
        return line  # an SSH-1 server: its next message is not SSH-2 framed
    payload = b"\x14" + os.urandom(16) + b"".join(_name_list(x) for x in (
        kex, host_keys, ciphers, ciphers, macs, macs, ("none",), ("none",), (), ())) + b"\x00" + b"\x00" * 4
    padding = 8 - (len(payload) + 5) % 8
    padding += 8 if padding < 4 else 0
    return line + struct.pack(">IB", len(payload) + padding + 1, padding) + payload + b"\x00" * padding


# --- HTTP responses -------------------------------------------------------------------------------------------

_SECURITY_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
]


_PAGE = b"<html><head><title>fourlayer lab</title></head><body>ok</body></html>"
# Half done: a one-day HSTS, framing forbidden by CSP frame-ancestors only, a redirect that stays on http, and
# a current (not known-vulnerable) Apache version in the Server header.
_PARTIAL_HEADERS = [
    ("Strict-Transport-Security", "max-age=86400"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
]


def http_response(profile: str, scheme: str, host: str) -> bytes:
    """The fixed response a lab web server gives to any request: `good` redirects http to https and sends
    HSTS and the security headers; `partial` is half done; `weak` discloses versions and sends none;
    `hostile` sends markup, control characters and far too many headers."""
    if profile == "good":
        if scheme == "http":
            status, headers, body = "301 Moved Permanently", [("Location", f"https://{host}/")], b""
        else:
            status, headers, body = "200 OK", [("Content-Type", "text/html; charset=utf-8")], _PAGE
        headers = [("Server", "nginx")] + headers + _SECURITY_HEADERS
    elif profile == "partial":
        if scheme == "http":
            status, headers, body = "302 Found", [("Location", f"http://{host}/login")], b""
        else:
            status, headers, body = "200 OK", [("Content-Type", "text/html; charset=utf-8")], _PAGE
        headers = [("Server", "Apache/2.4.62 (Debian)")] + headers + _PARTIAL_HEADERS
    elif profile == "weak":
        status, body = "200 OK", b"<html><head><title>It works!</title></head><body>It works!</body></html>"
        headers = [("Server", "Apache/2.2.8 (Ubuntu)"), ("X-Powered-By", "PHP/5.2.4-2ubuntu5"),
                   ("Content-Type", "text/html")]
    else:  # hostile: markup and control characters in headers, very many headers, a long value, a huge body
        status, body = "200 OK", b"<title><script>alert(1)</script></title>" + b"x" * (1024 * 1024)
        headers = [("Server", "<script>alert(1)</script>\x1b[31m\x07evil"), ("X-Long", "v" * 10000)]
        headers += [(f"X-Junk-{i}", str(i)) for i in range(300)]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode("latin-1") + body


# --- connection handlers ---------------------------------------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _drain_until_eof(reader: asyncio.StreamReader, seconds: float = IDLE_SECONDS) -> None:
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(READ_LIMIT):
                pass
    except (TimeoutError, ConnectionError, ssl.SSLError):
        pass


def _handler(spec: ListenerSpec) -> Handler:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ssl.SSLError):
            return
        writer.write(http_response(spec.http_profile, "https" if spec.kind == "tls" else "http", spec.host))
        await writer.drain()

    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(spec.banner)
        await writer.drain()
        await _drain_until_eof(reader)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _drain_until_eof(reader)

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(spec.banner or GARBAGE)
        await writer.drain()
        await _drain_until_eof(reader)

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(spec.banner)
        for _ in range(int(IDLE_SECONDS / spec.drip_interval)):
            await writer.drain()
            await asyncio.sleep(spec.drip_interval)
            if reader.at_eof() or writer.is_closing():
                return
            writer.write(b"a")

    chosen = {"tls": http, "http": http, "banner": banner, "sink": silent, "tarpit": silent,
              "garbage": garbage, "drip": drip}[spec.kind]

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await chosen(reader, writer)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass
        finally:
            writer.close()

    return guarded


def server_ssl_context(spec: ListenerSpec) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = TLS_VERSIONS[spec.tls_min]
        ctx.maximum_version = TLS_VERSIONS[spec.tls_max]
    if spec.ciphers:
        ctx.set_ciphers(spec.ciphers)  # before loading a weak key: SECLEVEL decides whether it loads
    ctx.load_cert_chain(spec.cert_file, spec.key_file)
    if spec.dh_params:
        ctx.load_dh_params(spec.dh_params)
    return ctx


async def start_listener(spec: ListenerSpec) -> asyncio.base_events.Server:
    """Bind one listener; returns the asyncio server (its socket tells the real port)."""
    ssl_ctx = server_ssl_context(spec) if spec.kind == "tls" else None
    return await asyncio.start_server(_handler(spec), spec.host, spec.port, ssl=ssl_ctx,
                                      ssl_handshake_timeout=10 if ssl_ctx else None, reuse_address=True)


def quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Failed handshakes and resets from probing clients are expected in the lab; keep stderr readable."""
    exc = context.get("exception")
    if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
        return
    loop.default_exception_handler(context)
