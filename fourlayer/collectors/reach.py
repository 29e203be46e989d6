"""Reaching a declared TCP endpoint: bounded connects and bounded reads, every connect behind the loopback guard.

Every network helper here works against a deadline (an absolute `time.monotonic()` value), so a peer that
dribbles one byte at a time cannot stretch an operation past its budget.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import time

from fourlayer.collectors.base import clean_text
from fourlayer.collectors.guard import LOOPBACK_ENV, check_allowed  # noqa: F401 - re-exported


def remaining(deadline: float) -> float:
    """Seconds left before `deadline`; raises TimeoutError when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


def connect(address: str, port: int, deadline: float) -> socket.socket:
    """A connected TCP socket (non-blocking) or an OSError/TimeoutError. Every connection passes the guard."""
    check_allowed(address)
    sock = socket.create_connection((address, port), timeout=remaining(deadline))
    sock.setblocking(False)
    return sock


def wait_io(sock: socket.socket, deadline: float, write: bool = False) -> None:
    """Block until `sock` is readable (or writable), or raise TimeoutError at the deadline."""
    left = remaining(deadline)
    if hasattr(select, "poll"):  # no FD_SETSIZE limit: a big scan may hold more than 1024 descriptors
        poller = select.poll()
        poller.register(sock, select.POLLOUT if write else select.POLLIN)
        ready = poller.poll(max(1, int(left * 1000)))
    else:
        ready = any(select.select([], [sock], [], left)[:2] if write else select.select([sock], [], [], left)[:2])
    if not ready:
        raise TimeoutError("timed out")


def recv_some(sock: socket.socket, deadline: float, size: int = 65536) -> bytes:
    """One bounded read from a non-blocking (TLS or plain) socket; b"" means the peer closed."""
    while True:
        try:
            return sock.recv(size)
        except ssl.SSLWantReadError:
            wait_io(sock, deadline)
        except ssl.SSLWantWriteError:
            wait_io(sock, deadline, write=True)
        except BlockingIOError:
            wait_io(sock, deadline)
        except ssl.SSLZeroReturnError:
            return b""


def recv_exact(sock: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly `size` bytes, or ConnectionError if the peer closes first."""
    buf = b""
    while len(buf) < size:
        chunk = recv_some(sock, deadline, size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by peer")
        buf += chunk
    return buf


def send_all(sock: socket.socket, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view):]
        except (ssl.SSLWantWriteError, BlockingIOError):
            wait_io(sock, deadline, write=True)
        except ssl.SSLWantReadError:
            wait_io(sock, deadline)


def describe_error(exc: BaseException, timeout: float | None = None) -> str:
    """A short, clean, human message for a network failure."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return clean_text(exc.verify_message or str(exc), 200)
    if isinstance(exc, ssl.SSLError):
        return "TLS error: " + clean_text((exc.reason or str(exc)).replace("_", " ").lower(), 200)
    if isinstance(exc, ConnectionError):
        return clean_text(os.strerror(exc.errno) if exc.errno else str(exc) or "connection closed", 200).lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "network unreachable"
    if isinstance(exc, OSError):
        return clean_text(exc.strerror or str(exc), 200)
    return clean_text(f"{type(exc).__name__}: {exc}", 200)


def tcp_reachable(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """Whether a TCP connection to host:port completes within `timeout`, and why not.

    Only for endpoints the inventory declares (SOC manager, national collector). Raises CollectorError when
    the loopback guard refuses the address.
    """
    check_allowed(host)
    try:
        connect(host, port, time.monotonic() + timeout).close()
    except (OSError, TimeoutError) as exc:
        return False, describe_error(exc, timeout)
    return True, "connected"

