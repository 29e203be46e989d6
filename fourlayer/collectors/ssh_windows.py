"""Read-only evidence from a Windows host over its OpenSSH server: ONE login, one exec channel per command.

Windows has no /bin/sh, so the framed POSIX script of `ssh_shell` cannot run there. Instead each command of
`windows_allowlist.WINDOWS_COMMANDS` goes in its own exec request over the same authenticated connection
(host key checked by `ssh_shell.connect`, exactly as for Linux hosts); its exit status comes from the channel,
so a command cut short (output cap, deadline) is known as such (`rc` None) and never read as complete.

Output bytes are decoded here, once: a UTF-8 or UTF-16 byte-order mark (Windows PowerShell writes one when its
output encoding says so) or UTF-16 without a mark (NUL every other byte) are recognised; anything else is UTF-8,
undecodable bytes replaced.
"""

from __future__ import annotations

import select
import time
from typing import Any

import paramiko

from fourlayer.collectors.base import clean_text
from fourlayer.core.errors import CollectorError

MAX_OUTPUT = 1 << 20  # bytes of stdout + stderr kept per host, as for the shell collector
MAX_ERR = 4096  # bytes of stderr kept per command
# All commands together may take this many ctx.timeout: every command starts a PowerShell (0.5-3 s on a server).
TIMEOUT_FACTOR = 12


def decode(raw: bytes) -> str:
    """Text of a Windows command's output, whatever of UTF-8/UTF-16 (with or without a BOM) it came in."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if len(raw) >= 4 and raw[1:2] == b"\x00" and raw[3:4] == b"\x00" and raw[0:1] != b"\x00":
        return raw.decode("utf-16-le", errors="replace")
    return raw.decode("utf-8", errors="replace")


def run_commands(client: paramiko.SSHClient, commands: dict[str, str], timeout: float, label: str
                 ) -> tuple[dict[str, dict[str, Any]], bool]:
    """{name: {"rc", "out", "err"}} for each command (rc None: cut short), and whether the output cap was hit."""
    deadline = time.monotonic() + timeout * TIMEOUT_FACTOR
    results: dict[str, dict[str, Any]] = {}
    used = 0
    truncated = False
    for name, command in commands.items():
        if truncated or time.monotonic() >= deadline:
            results[name] = {"rc": None, "out": "", "err": "not run: the host's time or output budget was spent"}
            continue
        out, err, rc, capped = _one(client, command, deadline, MAX_OUTPUT - used, label)
        used += len(out) + len(err)
        truncated = truncated or capped
        results[name] = {"rc": rc, "out": decode(out), "err": decode(err[:MAX_ERR])}
    return results, truncated


def _one(client: paramiko.SSHClient, command: str, deadline: float, room: int, label: str
         ) -> tuple[bytes, bytes, int | None, bool]:
    try:
        channel = client.get_transport().open_session(timeout=max(0.1, deadline - time.monotonic()))
        channel.exec_command(command)
        channel.shutdown_write()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise CollectorError(f"{label}: cannot start an audit command: {clean_text(str(exc), 160)}") from None
    out, err = bytearray(), bytearray()
    try:
        while True:
            while channel.recv_ready() or channel.recv_stderr_ready():
                if len(out) + len(err) >= room:
                    return bytes(out), bytes(err), None, True
                if channel.recv_ready():
                    out.extend(channel.recv(min(65536, room - len(out) - len(err))))
                if channel.recv_stderr_ready():
                    err.extend(channel.recv_stderr(min(65536, max(1, room - len(out) - len(err)))))
            if channel.exit_status_ready() and channel.eof_received \
                    and not (channel.recv_ready() or channel.recv_stderr_ready()):
                return bytes(out), bytes(err), channel.recv_exit_status(), False
            if channel.closed:
                return bytes(out), bytes(err), None, False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(out), bytes(err), None, False
            select.select([channel], [], [], min(remaining, 0.5))
    finally:
        channel.close()
