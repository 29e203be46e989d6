"""SSH transport evidence without logging in: identification banner, offered algorithms, host keys.

Step 1 reads the server identification and its SSH_MSG_KEXINIT over a plain socket (bounded in bytes
and time). Step 2 reads one host key per offered host key family (type, size, SHA256 fingerprint) from the
server's first key-exchange reply (`ssh_kex`): the first family on the same connection, each further family on
one more connection, never finishing the handshake. A server offering no key exchange that `ssh_kex` can start
(only group exchange or post-quantum hybrids) gets one full paramiko handshake per family instead.

A server that speaks only SSH-1 (identification `SSH-1.x-`, not `SSH-1.99-`) sends no SSH-2 key exchange:
its evidence has the banner, `"ssh2": False` and empty algorithm lists, which checks must not read as "no weak
algorithm".

Evidence: TransportEvidence (below; host keys as HostKey), serialised field for field as the dict it holds.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import paramiko

from fourlayer.collectors import ssh_kex
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.core.errors import CollectorError
from fourlayer.core.evidence import record_dict, record_from
from fourlayer.config.inventory import Host

CLIENT_ID = b"SSH-2.0-fourlayer_audit\r\n"
MAX_LINE = 255  # RFC 4253 4.2: identification line incl. CR LF
MAX_PRE_BANNER = 4096  # other lines a server may send before its identification
MAX_PACKET = 35000  # RFC 4253 6.1: implementations must handle packets of this size
MAX_NAMES = 128  # names kept per name-list
SSH_MSG_KEXINIT = 20
PARAMIKO_LOG = "fourlayer.paramiko"  # paramiko's transport log; silent unless the user lowers its level

logging.getLogger("paramiko").addHandler(logging.NullHandler())
if logging.getLogger(PARAMIKO_LOG).level == logging.NOTSET:
    logging.getLogger(PARAMIKO_LOG).setLevel(logging.CRITICAL)

# Host key algorithm families: one handshake each (rsa-sha2-* and ssh-rsa share one RSA key).
_HOSTKEY_FAMILIES: dict[str, tuple[str, ...]] = {
    "ssh-ed25519": ("ssh-ed25519",),
    "rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-dss": ("ssh-dss",),
}
_PSEUDO_KEX = ("ext-info-", "kex-strict-")
# KEXINIT name-lists (by position) without which no key exchange can be negotiated. An empty host key list is
# kept as evidence (the lab's identification listeners send one so that no client goes on); the host key checks
# refuse to judge it.
_REQUIRED_LISTS = {0: "kex", 2: "ciphers_c2s", 3: "ciphers_s2c", 4: "macs_c2s", 5: "macs_s2c",
                   6: "compression_c2s", 7: "compression_s2c"}


@dataclass(frozen=True, slots=True)
class HostKey:
    """One host key the server proved it holds: type (e.g. ssh-ed25519), size, SHA256 fingerprint."""
    type: str = ""
    bits: int | None = None
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class TransportEvidence:
    """What an SSH server showed before any login: its identification, the name-lists of its KEXINIT (empty
    when `ssh2` is False: an SSH-1-only server) and the host keys read, with why others could not be."""
    banner: str = ""
    protocol: str = ""
    ssh2: bool = True
    software: str = ""
    software_name: str = ""
    comments: str = ""
    kex: tuple[str, ...] = ()
    kex_pseudo: tuple[str, ...] = ()
    host_key_algorithms: tuple[str, ...] = ()
    ciphers_c2s: tuple[str, ...] = ()
    ciphers_s2c: tuple[str, ...] = ()
    ciphers: tuple[str, ...] = ()
    macs_c2s: tuple[str, ...] = ()
    macs_s2c: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    compression_c2s: tuple[str, ...] = ()
    compression_s2c: tuple[str, ...] = ()
    compression: tuple[str, ...] = ()
    port: int | None = None
    host_keys: tuple[HostKey, ...] = ()
    host_key_errors: tuple[str, ...] = ()

    def offered(self, kind: str) -> tuple[str, ...]:
        """One name-list by its name ("kex", "ciphers", "macs", ...); AttributeError for a name it has not."""
        if kind not in _LISTS:
            raise AttributeError(f"TransportEvidence has no algorithm list {kind!r}")
        return getattr(self, kind)

    def to_dict(self) -> dict[str, Any]:
        return {**record_dict(self), "host_keys": [record_dict(k) for k in self.host_keys]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TransportEvidence:
        return record_from(cls, {**data, "host_keys": tuple(record_from(HostKey, k)
                                                            for k in data.get("host_keys") or ())})


_LISTS = ("kex", "kex_pseudo", "host_key_algorithms", "ciphers_c2s", "ciphers_s2c", "ciphers", "macs_c2s",
          "macs_s2c", "macs", "compression_c2s", "compression_s2c", "compression")


def collect(host: Host, ctx: CollectContext) -> TransportEvidence:
    """Evidence for one host's SSH port; raises CollectorError for anything that is not an SSH server."""
    port = host.ssh.port if host.ssh else 22
    where = host_label(host.address, port)
    first: dict[str, dict[str, Any] | str] = {}
    evidence = read_identification_and_kexinit(host.address, port, ctx.timeout, where,
                                               then=lambda reader, server: first.update(_first_key(reader, server)))
    keys, errors = fetch_host_keys(host.address, port, evidence["host_key_algorithms"], ctx.timeout, ready=first)
    evidence["host_keys"] = keys
    evidence["host_key_errors"] = errors
    return TransportEvidence.from_dict(evidence)


def host_label(address: str, port: int) -> str:
    """`addr` on port 22, `[addr]:port` otherwise (the known_hosts spelling)."""
    return address if port == 22 else f"[{address}]:{port}"


# ---- step 1: banner + KEXINIT ------------------------------------------------------------------------------

class _Reader:
    """Socket reads bounded by one deadline for the whole exchange."""

    def __init__(self, sock: socket.socket, deadline: float, where: str, timeout: float):
        self.sock, self.deadline, self.where, self.timeout = sock, deadline, where, timeout
        self.buf = b""

    def more(self, what: str) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CollectorError(f"{self.where}: no {what} within {self.timeout:g} s (not an SSH server, or too slow)")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise CollectorError(f"{self.where}: no {what} within {self.timeout:g} s "
                                 "(not an SSH server, or too slow)") from None
        except ConnectionResetError:
            raise CollectorError(f"{self.where}: the peer closed the connection (reset) "
                                 f"before sending {what}") from None
        except OSError as exc:
            raise CollectorError(f"{self.where}: connection failed while reading {what}: "
                                 f"{clean_text(str(exc), 120)}") from None
        if not data:
            raise CollectorError(f"{self.where}: the peer closed the connection before sending {what}")
        self.buf += data

    def exactly(self, n: int, what: str) -> bytes:
        while len(self.buf) < n:
            self.more(what)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def read_identification_and_kexinit(address: str, port: int, timeout: float, where: str,
                                    then: Callable[[_Reader, dict[str, Any]], None] | None = None
                                    ) -> dict[str, Any]:
    """Banner and KEXINIT evidence; `then(reader, evidence)` runs on the still-open connection afterwards."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except socket.timeout:
        raise CollectorError(f"{where}: TCP connect timed out after {timeout:g} s") from None
    except OSError as exc:
        raise CollectorError(f"{where}: TCP connect failed: {clean_text(exc.strerror or str(exc), 120)}") from None
    with sock:
        reader = _Reader(sock, time.monotonic() + timeout, where, timeout)
        try:
            sock.sendall(CLIENT_ID)
        except OSError:
            pass  # the peer may already have sent (and closed); reading tells what happened
        evidence = _parse_identification(_read_identification(reader), where)
        if not evidence["ssh2"]:
            evidence.update(parse_kexinit(b"", where, empty=True))
            evidence["port"] = port
            return evidence
        payload = _read_packet(reader)
        evidence.update(parse_kexinit(payload, where))
        evidence["port"] = port
        if then is not None:
            then(reader, evidence)
    return evidence


def _read_identification(reader: _Reader) -> bytes:
    consumed = 0
    while True:
        newline = reader.buf.find(b"\n")
        if newline < 0:
            if len(reader.buf) > MAX_LINE:
                raise CollectorError(_not_ssh(reader.where, reader.buf, f"a line longer than {MAX_LINE} bytes"))
            reader.more("SSH identification")
            continue
        line, reader.buf = reader.buf[:newline + 1], reader.buf[newline + 1:]
        if len(line) > MAX_LINE:
            raise CollectorError(_not_ssh(reader.where, line, f"a line longer than {MAX_LINE} bytes"))
        if line.startswith(b"SSH-"):
            return line.rstrip(b"\r\n")
        if line.startswith((b"HTTP/", b"<")) or b"<html" in line.lower():
            raise CollectorError(_not_ssh(reader.where, line, "an HTTP/HTML answer"))
        consumed += len(line)
        if consumed > MAX_PRE_BANNER:
            raise CollectorError(_not_ssh(reader.where, line,
                                          f"over {MAX_PRE_BANNER} bytes without an SSH identification"))


def _not_ssh(where: str, sample: bytes, what: str) -> str:
    return f"{where}: not an SSH server: sent {what} (starts '{clean_text(sample[:60].rstrip(), 60)}')"


def _parse_identification(line: bytes, where: str) -> dict[str, Any]:
    text = clean_text(line, MAX_LINE)
    parts = text.split("-", 2)
    if len(parts) < 3 or not parts[2]:
        raise CollectorError(f"{where}: malformed SSH identification {text!r}")
    protocol, rest = parts[1], parts[2]
    if protocol not in ("2.0", "1.99") and not re.fullmatch(r"1\.\d{1,2}", protocol):
        raise CollectorError(f"{where}: server speaks SSH protocol {protocol!r}, not 2.0 ({text!r})")
    software, _, comments = rest.partition(" ")
    return {"banner": text, "protocol": protocol, "ssh2": protocol in ("2.0", "1.99"), "software": rest,
            "software_name": software, "comments": comments}


def _read_packet(reader: _Reader) -> bytes:
    header = reader.exactly(5, "SSH key exchange init")
    length, padding = struct.unpack(">IB", header)
    if not 12 <= length <= MAX_PACKET or padding >= length:
        raise CollectorError(f"{reader.where}: invalid SSH packet (length {length}, padding {padding})")
    body = reader.exactly(length - 1, "SSH key exchange init")
    return body[:length - 1 - padding]


def parse_kexinit(payload: bytes, where: str = "peer", empty: bool = False) -> dict[str, Any]:
    """Name-lists of an SSH_MSG_KEXINIT payload (RFC 4253 7.1); `empty`: the same keys, all lists empty."""
    if empty:
        return {k: [] for k in _LISTS}
    if not payload or payload[0] != SSH_MSG_KEXINIT:
        kind = payload[0] if payload else None
        raise CollectorError(f"{where}: expected SSH_MSG_KEXINIT (20), got message type {kind}")
    msg = paramiko.Message(payload)
    msg.get_byte()
    msg.get_bytes(16)  # cookie
    try:
        lists = [[clean_text(n, 64) for n in msg.get_string().decode("ascii").split(",") if n][:MAX_NAMES]
                 for _ in range(10)]
    except (UnicodeDecodeError, ValueError):
        raise CollectorError(f"{where}: SSH_MSG_KEXINIT holds non-ASCII algorithm names") from None
    kex_all, hostkey, c2s, s2c, mac_c2s, mac_s2c, comp_c2s, comp_s2c = lists[:8]
    # RFC 4253 7.1: a server lists at least one algorithm of each kind (compression "none" included). Empty
    # lists (an all-zero or truncated packet) are no evidence: "nothing offered" must not read as "nothing weak".
    empty = [name for i, name in _REQUIRED_LISTS.items() if not lists[i]]
    if empty:
        raise CollectorError(f"{where}: invalid SSH_MSG_KEXINIT: empty name-lists {', '.join(empty)} (a server "
                             "must offer at least one algorithm of each kind)")
    return {
        "kex": [k for k in kex_all if not k.startswith(_PSEUDO_KEX)],
        "kex_pseudo": [k for k in kex_all if k.startswith(_PSEUDO_KEX)],
        "host_key_algorithms": hostkey,
        "ciphers_c2s": c2s, "ciphers_s2c": s2c, "ciphers": _union(s2c, c2s),
        "macs_c2s": mac_c2s, "macs_s2c": mac_s2c, "macs": _union(mac_s2c, mac_c2s),
        "compression_c2s": comp_c2s, "compression_s2c": comp_s2c, "compression": _union(comp_s2c, comp_c2s),
    }


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [x for x in second if x not in first]


# ---- step 2: host keys via paramiko ----------------------------------------------------------------------

class BoundedSocket:
    """A socket for paramiko that reports EOF once `limit` bytes or `deadline` pass while `bounded` is set.

    paramiko reads a peer's identification line without any size cap and restarts its timeout on every
    byte, so a hostile peer could feed it forever; this caps the handshake (and login) phase.
    """

    def __init__(self, sock: socket.socket, limit: int, deadline: float):
        self._sock, self._limit, self._deadline = sock, limit, deadline
        self._received = 0
        self.bounded = True

    def recv(self, n: int) -> bytes:
        if self.bounded and (self._received > self._limit or time.monotonic() > self._deadline):
            return b""
        data = self._sock.recv(n)
        self._received += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


HANDSHAKE_LIMIT = 256 * 1024  # bytes a server may send before paramiko finishes key exchange (and login)


def _offered_families(offered: list[str]) -> list[tuple[str, list[str]]]:
    return [(family, [a for a in algorithms if a in offered]) for family, algorithms in _HOSTKEY_FAMILIES.items()
            if any(a in offered for a in algorithms)]


_RAW_FAILURES = (CollectorError, ValueError, IndexError, struct.error)


def _kex_host_key(reader: _Reader, server: dict[str, Any], algorithms: list[str]) -> dict[str, Any] | None:
    """On a connection that has just read the server's KEXINIT: the host key for `algorithms` from the server's
    key-exchange reply (ssh_kex), or None when it offers no key exchange ssh_kex can start."""
    request = ssh_kex.request(server, algorithms)
    if request is None:
        return None
    reader.deadline = time.monotonic() + reader.timeout  # the key exchange has its own time budget
    try:
        reader.sock.settimeout(reader.timeout)
        reader.sock.sendall(request)
    except OSError as exc:
        raise CollectorError(f"{reader.where}: connection failed while sending the key exchange: "
                             f"{clean_text(str(exc), 120)}") from None
    for _ in range(8):  # a server may send IGNORE/DEBUG messages first
        payload = _read_packet(reader)
        if payload[:1] not in (bytes([ssh_kex.SSH_MSG_IGNORE]), bytes([ssh_kex.SSH_MSG_DEBUG])):
            return ssh_kex.describe_host_key(ssh_kex.host_key_blob(payload))
    raise CollectorError(f"{reader.where}: no key-exchange reply after 8 packets")


def _first_key(reader: _Reader, server: dict[str, Any]) -> dict[str, dict[str, Any] | str]:
    """{family: key, or why it could not be read} for the first offered family, read on the KEXINIT
    connection; {} when ssh_kex cannot start a key exchange with this server."""
    families = _offered_families(server["host_key_algorithms"])
    if not families:
        return {}
    family, algorithms = families[0]
    try:
        key = _kex_host_key(reader, server, algorithms)
    except _RAW_FAILURES as exc:
        return {family: clean_text(str(exc) or type(exc).__name__, 160)}
    return {family: key} if key else {}


def _raw_host_key(address: str, port: int, algorithms: list[str], timeout: float) -> dict[str, Any] | None:
    """One more connection: banner, KEXINIT, then the key-exchange reply for `algorithms`."""
    found: dict[str, Any] = {}
    read_identification_and_kexinit(address, port, timeout, host_label(address, port),
                                    then=lambda reader, server: found.update(
                                        key=_kex_host_key(reader, server, algorithms)))
    return found.get("key")


def fetch_host_keys(address: str, port: int, offered: list[str], timeout: float,
                    ready: dict[str, dict[str, Any] | str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """[{type, bits, fingerprint}] for each offered host key family, plus error notes. `ready`: families
    already tried on the KEXINIT connection (family -> key, or the error text). A failed read is not retried,
    so a stalling server costs at most one timeout per family."""
    keys: list[dict[str, Any]] = []
    errors: list[str] = []
    supported = set(paramiko.Transport._key_info)
    for family, present in _offered_families(offered):
        key = (ready or {}).get(family)
        if key is None:
            try:
                key = _raw_host_key(address, port, present, timeout)
            except _RAW_FAILURES as exc:
                key = clean_text(str(exc) or type(exc).__name__, 160)
        if isinstance(key, str):
            errors.append(f"{family}: {key}")
            continue
        if key is None:  # no key exchange ssh_kex can start (group exchange or post-quantum only): paramiko
            usable = [a for a in present if a in supported]
            if not usable:
                errors.append(f"{family}: offered, but this client cannot verify it")
                continue
            try:
                pkey = _one_host_key(address, port, usable, timeout)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                errors.append(f"{family}: {clean_text(str(exc) or type(exc).__name__, 160)}")
                continue
            key = {"type": pkey.get_name(), "bits": pkey.get_bits(), "fingerprint": pkey.fingerprint}
        keys.append(key)
    offered_other = [a for a in offered if not any(a in algs for algs in _HOSTKEY_FAMILIES.values())]
    for alg in offered_other:
        if not alg.endswith("-cert-v01@openssh.com"):
            errors.append(f"{alg}: offered, but this client cannot verify it")
    return keys, errors


def _one_host_key(address: str, port: int, key_types: list[str], timeout: float) -> paramiko.PKey:
    sock = socket.create_connection((address, port), timeout=timeout)
    transport = paramiko.Transport(BoundedSocket(sock, HANDSHAKE_LIMIT, time.monotonic() + 2 * timeout))
    try:
        transport.set_log_channel(PARAMIKO_LOG)
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        transport.get_security_options().key_types = key_types
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()
        sock.close()
