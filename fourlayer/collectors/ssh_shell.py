"""Read-only evidence from a shell login: every allowlisted command in ONE session and ONE exec channel.

The host key is verified against `ssh.known_hosts` (unknown keys refused unless
`ctx.accept_new_host_keys`, which appends them; a changed key is always refused). Authentication
uses `ssh.key_file`, else ssh-agent, and/or a password read from the environment variable named by
`ssh.password_env` (never logged). The commands run as one `/bin/sh -s` script whose output is framed by
per-run random markers; stdout and stderr are capped together at `MAX_OUTPUT` bytes.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import select
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from fourlayer.collectors import allowlist, ssh_windows, windows_allowlist
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.ssh_transport import HANDSHAKE_LIMIT, PARAMIKO_LOG, BoundedSocket, host_label
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host, SSHSettings

MAX_OUTPUT = 1 << 20  # bytes of stdout + stderr kept per host
MAX_ERR = 4096  # bytes of stderr kept per command
SCRIPT_TIMEOUT_FACTOR = 6  # the whole script may take this many ctx.timeout
# Package managers parse all their metadata to simulate an upgrade (apt-get -s: 2-8 s on a stock Debian 12 with the
# full archive's lists; dnf/zypper alike): each such command present adds this many ctx.timeout to the script's
# budget, so that a host with a package manager is not cut short (--host-timeout still bounds the host).
SLOW_COMMAND_FACTORS = {"updates_apt": 4, "updates_rpm": 4, "updates_zypper": 4,
                        "world_writable": 2}  # its find stops after allowlist.WORLD_WRITABLE_SECONDS
POLL = 0.02  # seconds a running script's output may gather before it is pulled (its end is seen this much later)
LOGIN_TIMEOUT_FACTOR = 4  # banner + key exchange + authentication may take this many ctx.timeout
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
_known_hosts_lock = threading.Lock()


# ---- evidence ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CommandOutput:
    """One allowlisted command's result: exit status (None: cut short by the output cap or the time budget),
    stdout, and stderr (at most MAX_ERR bytes)."""
    rc: int | None
    out: str = ""
    err: str = ""


NOT_RUN = CommandOutput(127, "", "")  # what a command the collector did not run reads as (sh: command not found)


@dataclass(frozen=True, slots=True)
class ShellEvidence:
    """What `collect` brought back from one login. `auth_banner` is None when sshd sent no pre-login banner;
    `banner_recorded` is False only for evidence recorded before the banner was collected."""
    commands: Mapping[str, CommandOutput]
    user: str = ""
    host_key: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False
    platform: str = "posix"  # "posix" (one framed /bin/sh script) or "windows" (one exec channel a command)
    server_version: str = ""
    auth_banner: str | None = None
    banner_recorded: bool = True

    def command(self, name: str) -> CommandOutput:
        """The result of command `name`; NOT_RUN (rc 127) when the collector did not run it."""
        return self.commands.get(name, NOT_RUN)

    def to_dict(self) -> dict[str, Any]:
        out = {"user": self.user, "host_key": dict(self.host_key),
               "commands": {n: {"rc": c.rc, "out": c.out, "err": c.err} for n, c in self.commands.items()},
               "truncated": self.truncated, "platform": self.platform, "server_version": self.server_version}
        if self.banner_recorded:
            out["auth_banner"] = self.auth_banner
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShellEvidence:
        commands = {str(n): CommandOutput(None if c.get("rc") is None else int(c["rc"]), str(c.get("out", "")),
                                          str(c.get("err", ""))) for n, c in dict(data.get("commands", {})).items()}
        return cls(commands, str(data.get("user", "")), dict(data.get("host_key") or {}),
                   bool(data.get("truncated", False)), str(data.get("platform", "posix")),
                   str(data.get("server_version") or ""), data.get("auth_banner"), "auth_banner" in data)


def is_windows(host: Host) -> bool:
    """A host declared `roles: [windows]` gets the Windows allowlist, never the POSIX one (and the reverse)."""
    return "windows" in host.roles


def collect(host: Host, ctx: CollectContext) -> ShellEvidence:
    """ShellEvidence (serialised: {"user", "host_key", "commands": {name: {"rc", "out", "err"}}, "truncated",
    "platform", "server_version", "auth_banner"}); CollectorError on failure. `platform` is "windows" (fourlayer.collectors.ssh_windows: one exec channel per command of the
    Windows allowlist) or "posix" (one framed `/bin/sh -s` script of the POSIX allowlist)."""
    ssh = host.ssh or SSHSettings()
    windows = is_windows(host)
    commands = windows_allowlist.build_windows_commands() if windows else allowlist.build_commands(ssh)
    user = ssh.user or getpass.getuser()
    client, host_key = connect(host, ssh, user, ctx)
    label = host_label(host.address, ssh.port)
    server = server_said(client)
    try:
        if windows:
            results, truncated = ssh_windows.run_commands(client, commands, ctx.timeout, label)
        else:
            results, truncated = run_script(client, commands, ctx.timeout, label)
    finally:
        client.close()
    return ShellEvidence.from_dict({"user": user, "host_key": host_key, "commands": results, "truncated": truncated,
                                    "platform": "windows" if windows else "posix", **server})


# ---- parsing helpers for checks -------------------------------------------------------------------------

# ---- connection and host key policy ----------------------------------------------------------------------

class _UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey):
        super().__init__("unknown host key")
        self.key = key


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _UnknownHostKey(key)


class _AcceptNew(paramiko.MissingHostKeyPolicy):
    """Trust on first use: append the new key to known_hosts (changed keys never reach this policy)."""

    def __init__(self, path: Path):
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
        with _known_hosts_lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


class _KnownHosts:
    """A parsed known_hosts file indexed by host name: a lookup costs O(keys of that host), not O(file)."""

    def __init__(self, path: Path):
        self._file = paramiko.HostKeys(str(path))
        Entry = tuple[int, paramiko.hostkeys.HostKeyEntry]  # (line order, entry)
        self._plain: dict[str, list[Entry]] = {}
        self._hashed: list[Entry] = []  # `|1|salt|hash` names need an HMAC per entry
        for position, entry in enumerate(self._file._entries):
            if entry.key is None:
                continue
            if any(name.startswith("|1|") for name in entry.hostnames):
                self._hashed.append((position, entry))
            for name in set(entry.hostnames):
                if not name.startswith("|1|"):
                    self._plain.setdefault(name, []).append((position, entry))

    def keys_for(self, label: str) -> dict[str, paramiko.PKey]:
        """key type -> key for `label`; like paramiko's HostKeys.lookup, the first entry of a type wins."""
        found: dict[str, paramiko.PKey] = {}
        hashed = [(p, e) for p, e in self._hashed if self._file._hostname_matches(label, e)]
        for _, entry in sorted(dict(self._plain.get(label, []) + hashed).items()):
            found.setdefault(entry.key.get_name(), entry.key)
        return found


_parsed_known_hosts: dict[str, tuple[tuple[int, int], _KnownHosts]] = {}


def _known_host_keys(path: Path) -> _KnownHosts:
    """The parsed known_hosts file, shared by every host of a scan and parsed again only when it changes.

    Parsing the whole file for each host made a scan quadratic in its size (a 1,000-host file has ~1,500 keys)."""
    with _known_hosts_lock:  # parsed by one thread while the others wait: 16 parallel parses took 30 s
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        cached = _parsed_known_hosts.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = _parsed_known_hosts[str(path)] = (stamp, _KnownHosts(path))
        return cached[1]


def connect(host: Host, ssh: SSHSettings, user: str, ctx: CollectContext
             ) -> tuple[paramiko.SSHClient, dict[str, str]]:
    label = host_label(host.address, ssh.port)
    known_hosts = Path(os.path.expanduser(ssh.known_hosts or DEFAULT_KNOWN_HOSTS))
    client = paramiko.SSHClient()
    client.set_log_channel(PARAMIKO_LOG)
    if known_hosts.exists():
        try:
            for key_type, key in _known_host_keys(known_hosts).keys_for(label).items():
                client.get_host_keys().add(label, key_type, key)
        except (OSError, UnicodeDecodeError, paramiko.SSHException, paramiko.hostkeys.InvalidHostKey) as exc:
            raise CollectorError(f"cannot read known_hosts {known_hosts}: {type(exc).__name__} "
                                 f"{clean_text(str(exc), 160)}; fix or remove the broken line") from None
    elif not ctx.accept_new_host_keys:
        raise CollectorError(f"known_hosts file {known_hosts} does not exist; create it with the host key of {label}, "
                             "or run with --accept-new-host-keys")
    client.set_missing_host_key_policy(_AcceptNew(known_hosts) if ctx.accept_new_host_keys else _RefuseUnknown())

    password = None
    if ssh.password_env:
        password = os.environ.get(ssh.password_env)
        if password is None:
            raise CollectorError(f"environment variable {ssh.password_env} (ssh.password_env) is not set")
    key_file = os.path.expanduser(ssh.key_file) if ssh.key_file else None
    if key_file and not os.access(key_file, os.R_OK):
        raise CollectorError(f"SSH key file {key_file} does not exist or is not readable")
    try:
        raw = socket.create_connection((host.address, ssh.port), timeout=ctx.timeout)
    except socket.timeout:
        raise CollectorError(f"{label}: TCP connect timed out after {ctx.timeout:g} s") from None
    except OSError as exc:
        raise CollectorError(f"{label}: cannot connect ({clean_text(exc.strerror or str(exc), 120)}); "
                             "is sshd running on that port?") from None
    sock = BoundedSocket(raw, HANDSHAKE_LIMIT, time.monotonic() + LOGIN_TIMEOUT_FACTOR * ctx.timeout)
    try:
        client.connect(host.address, port=ssh.port, username=user, key_filename=key_file, password=password,
                       allow_agent=key_file is None, look_for_keys=False, timeout=ctx.timeout, sock=sock,
                       banner_timeout=ctx.timeout, auth_timeout=ctx.timeout, channel_timeout=ctx.timeout,
                       transport_factory=aead_first_transport)
    except (paramiko.SSHException, _UnknownHostKey, OSError, EOFError) as exc:
        client.close()
        raw.close()
        raise _login_error(exc, label, known_hosts, user, key_file, ssh.password_env if password else None,
                           ctx.timeout) from None
    sock.bounded = False  # logged in: the command phase has its own deadline and output cap
    server_key = client.get_transport().get_remote_server_key()
    return client, {"type": server_key.get_name(), "fingerprint": server_key.fingerprint}


def aead_first_transport(sock: Any, **kwargs: Any) -> paramiko.Transport:
    """A paramiko Transport that prefers AES-GCM when the server offers it: one C call per packet instead of
    paramiko's HMAC plus its byte-by-byte MAC comparison in Python (a shell login reads hundreds of packets).
    Only this session's own cipher changes; what the server offers is read by ssh_transport, not from here."""
    transport = paramiko.Transport(sock, **kwargs)
    options = transport.get_security_options()
    options.ciphers = tuple(sorted(options.ciphers, key=lambda name: "-gcm@" not in name))
    return transport


def _login_error(exc: Exception, label: str, known_hosts: Path, user: str, key_file: str | None,
                 password_env: str | None, timeout: float) -> CollectorError:
    """A one-line CollectorError that says what to do."""
    if isinstance(exc, _UnknownHostKey):
        return CollectorError(f"host key for {label} ({exc.key.get_name()} {exc.key.fingerprint}) is not in "
                              f"{known_hosts}; verify it and add it, or run with --accept-new-host-keys")
    if isinstance(exc, paramiko.BadHostKeyException):
        return CollectorError(
            f"host key for {label} has CHANGED: {known_hosts} has {exc.expected_key.get_name()} "
            f"{exc.expected_key.fingerprint}, the server offered {exc.key.get_name()} {exc.key.fingerprint}; "
            f"this may be an attack or a reinstalled host: verify the new key out of band, then remove the old "
            f"one with `ssh-keygen -R '{label}' -f {known_hosts}`")
    if isinstance(exc, paramiko.PasswordRequiredException):
        return CollectorError(f"SSH key file {key_file} is encrypted; load it into ssh-agent instead")
    if isinstance(exc, paramiko.AuthenticationException):
        how = f"key {key_file}" if key_file else "ssh-agent keys"
        if password_env:
            how += f" and the password from ${password_env}"
        return CollectorError(f"authentication as {user!r} on {label} failed (tried {how}); check that the "
                              "account exists and the public key is in its authorized_keys")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return CollectorError(f"{label}: SSH connection timed out after {timeout:g} s")
    detail = clean_text(str(exc) or type(exc).__name__, 200)
    if isinstance(exc, (paramiko.SSHException, EOFError)):
        return CollectorError(f"{label}: SSH handshake failed ({detail}); is it an SSH server, and does it answer "
                              f"within {timeout:g} s?")
    return CollectorError(f"{label}: SSH connection failed: {detail}")


def server_said(client: paramiko.SSHClient) -> dict[str, str | None]:
    """What the daemon itself said at login (evidence keys of `collect`): `server_version`, its identification
    (the OpenSSH release whose defaults apply when sshd -T cannot run), and `auth_banner`, the pre-login banner
    it sent (None when `Banner` names a missing or empty file), cut to 2 KiB (shown to every client, no secret)."""
    transport = client.get_transport()
    raw = transport.get_banner()
    banner = None if raw is None else (raw.decode("utf-8", errors="replace") if isinstance(raw, bytes)
                                       else str(raw))[:2048]
    return {"server_version": clean_text(str(transport.remote_version or ""), 200), "auth_banner": banner}

# ---- the one exec channel ----------------------------------------------------------------------------------

# Each stream of the script goes through its own `dd`, which gathers it into blocks of REBLOCK bytes: the script's
# hundreds of small writes (markers, short outputs) reach sshd, and so this client, as a few full-size packets
# instead of one packet each (paramiko decrypts, verifies and parses every packet in Python). dd only copies its
# input to its output (POSIX, in every base system); without it the script runs unbuffered.
REBLOCK = 65536
_REBLOCKED = ("if command -v dd >/dev/null 2>&1; then\n"
              f"{{ fl_script 2>&1 >&3 3>&- | dd ibs=4096 obs={REBLOCK} >&2 2>/dev/null 3>&-; }} 3>&1 "
              f"| dd ibs=4096 obs={REBLOCK} 2>/dev/null\n"
              "else fl_script; fi")


def build_script(commands: dict[str, str], token: str) -> str:
    """A POSIX sh script running each command in a subshell, framed by markers carrying its exit status.

    A command's end marker and the next one's begin marker go out in one `printf` per stream: the same bytes
    as one printf each, in half the writes. The commands run in the function `fl_script`, whose stdout and
    stderr are reblocked (REBLOCK) on their way out: fewer SSH packets for the client to decrypt and verify."""
    if not commands:
        return "LC_ALL=C; export LC_ALL\nexit 0\n"
    lines = ["LC_ALL=C; export LC_ALL", "fl_script() {"]
    end = None
    for name, command in commands.items():
        begin = f"@@FL:{token}:begin:{name}"
        if end is None:
            lines.append(f"printf '%s\\n' '{begin}'; printf '%s\\n' '{begin}' >&2")
        else:
            lines.append(f"printf '\\n%s:%s\\n%s\\n' '{end}' \"$fl_rc\" '{begin}'; "
                         f"printf '\\n%s\\n%s\\n' '{end}' '{begin}' >&2")
        lines += [f"( {command} ) </dev/null", "fl_rc=$?"]
        end = f"@@FL:{token}:end:{name}"
    lines.append(f"printf '\\n%s:%s\\n' '{end}' \"$fl_rc\"; printf '\\n%s\\n' '{end}' >&2")
    lines += ["}", _REBLOCKED, "exit 0"]
    return "\n".join(lines) + "\n"


def run_script(client: paramiko.SSHClient, commands: dict[str, str], timeout: float, label: str
               ) -> tuple[dict[str, dict[str, Any]], bool]:
    token = secrets.token_hex(8)
    script = build_script(commands, token)
    try:
        channel = client.get_transport().open_session(timeout=timeout)
        channel.settimeout(timeout)
        channel.exec_command("/bin/sh -s")
        channel.sendall(script.encode())
        channel.shutdown_write()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise CollectorError(f"{label}: cannot start the audit commands: {clean_text(str(exc), 160)}") from None
    factor = SCRIPT_TIMEOUT_FACTOR + sum(SLOW_COMMAND_FACTORS.get(name, 0) for name in commands)
    out, err, truncated = _drain(channel, timeout * factor, label)
    channel.close()
    return _split(out, err, token, list(commands)), truncated


def _drain(channel: paramiko.Channel, limit: float, label: str, cap: int | None = None
           ) -> tuple[bytes, bytes, bool]:
    """Read stdout + stderr until the script exits; stop at `cap` (default MAX_OUTPUT) bytes (truncated) or raise
    after `limit` s."""
    cap = MAX_OUTPUT if cap is None else cap
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + limit

    def pull() -> bool:  # False once the cap is reached
        while channel.recv_ready() or channel.recv_stderr_ready():
            if len(out) + len(err) >= cap:
                return False
            room = cap - len(out) - len(err)
            if channel.recv_ready():
                out.extend(channel.recv(min(65536, room)))
            if channel.recv_stderr_ready():
                err.extend(channel.recv_stderr(min(65536, room)))
        return True

    while True:
        if not pull():
            return bytes(out), bytes(err), True
        finished = channel.closed or (channel.exit_status_ready() and channel.eof_received)
        if finished and not (channel.recv_ready() or channel.recv_stderr_ready()):
            return bytes(out), bytes(err), False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CollectorError(f"{label}: the audit commands did not finish within {limit:g} s")
        # Woken by the first packet, then let the next POLL seconds of packets gather in the channel's own buffer
        # (bounded by its window) before pulling them in a few large reads: paramiko writes its wake-up byte into
        # the channel's pipe once per empty-to-filled buffer, i.e. once per packet when each is pulled at once
        # (hundreds per login, each a wake-up of this thread). A silent command costs no wake-up at all. Not a
        # timed wait on the channel's events: under libfaketime (the suite's shifted-clock pass) such a wait
        # never times out (tests/conftest.py); select's and sleep's relative timeouts do.
        if select.select([channel], [], [], min(remaining, 0.5))[0]:
            time.sleep(max(0.0, min(deadline - time.monotonic(), POLL)))


_NAME_LINE = re.compile(rb"(\w+)\n")
_RC_LINE = re.compile(rb"(-?\d+)\n")


def _frames(data: bytes, token: bytes, with_rc: bool) -> Iterator[tuple[str, bytes, int | None]]:
    """(name, body, exit status or None) of each complete frame of this run's `token` in one stream, in order.

    Found with literal searches, not a regular expression: one naming the run's token had to be compiled again
    for each host (a third of this thread's CPU), and one matching any token would try every forged begin marker
    against the rest of the output. Reads like `@@FL:<token>:begin:(\\w+)\\n(.*?)\\n@@FL:<token>:end:\\1[:rc]\\n`
    (re.S), matched left to right without overlap."""
    begin = b"@@FL:" + token + b":begin:"
    pos = 0
    while (start := data.find(begin, pos)) >= 0:
        named = _NAME_LINE.match(data, start + len(begin))
        if named is None:
            pos = start + 1
            continue
        name, body_at = named.group(1), named.end()
        end = b"\n@@FL:" + token + b":end:" + name + (b":" if with_rc else b"\n")
        stop, rc, after = data.find(end, body_at), None, -1
        while stop >= 0:
            if not with_rc:
                after = stop + len(end)
                break
            status = _RC_LINE.match(data, stop + len(end))
            if status is not None:
                rc, after = int(status.group(1)), status.end()
                break
            stop = data.find(end, stop + 1)
        if after < 0:
            pos = start + 1
            continue
        yield name.decode(), data[body_at:stop], rc
        pos = after


def _split(out: bytes, err: bytes, token: str, names: list[str]) -> dict[str, dict[str, Any]]:
    tok = token.encode()
    results: dict[str, dict[str, Any]] = {n: {"rc": None, "out": "", "err": ""} for n in names}
    for name, body, rc in _frames(out, tok, with_rc=True):
        if name in results:
            results[name]["out"] = body.decode("utf-8", errors="replace")
            results[name]["rc"] = rc
    begin = b"@@FL:" + tok + b":begin:"
    last, named = len(out), None
    while named is None and (last := out.rfind(begin, 0, last)) >= 0:
        named = _NAME_LINE.match(out, last + len(begin))
    if named is not None and named.group(1).decode() in results:  # the command cut short by the cap or a hang
        partial = results[named.group(1).decode()]
        if partial["rc"] is None:
            partial["out"] = out[named.end():].decode("utf-8", errors="replace")
    for name, body, _ in _frames(err, tok, with_rc=False):
        if name in results:
            results[name]["err"] = body[:MAX_ERR].decode("utf-8", errors="replace")
    return results
