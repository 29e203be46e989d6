"""A network device's configuration: a saved file (what IT staff already back up), or the running configuration
read with ONE allowlisted read-only command over SSH (`fourlayer.collectors.allowlist.DEVICE_COMMANDS`).

The file is read with a size bound and never executed or passed to a shell; its content never appears in an error
(a configuration is full of secrets). Over SSH the host key is verified exactly as for hosts
(`fourlayer.collectors.ssh_shell.connect`) and the command is sent as it stands to the device's own CLI (a network
device has no POSIX shell, so the host script framing is not used). A truncated or failed read is a
CollectorError: a partial configuration would let a missing line pass.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import paramiko

from fourlayer.collectors import allowlist, ssh_shell
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.ssh_transport import host_label
from fourlayer.config.inventory import Host
from fourlayer.core.errors import CollectorError

# A FortiGate's `show full-configuration` runs to a few MB; this bounds memory for one device, with room to spare.
MAX_CONFIG_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class DeviceConfigEvidence:
    """A network device's configuration as read: from a saved `file` or over `ssh` (`command`), whole."""
    source: str  # "file" or "ssh"
    where: str  # the file's path, or host:port
    text: str
    bytes: int
    sha256: str
    command: str | None = None  # the one read-only show command (ssh), None for a file

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "where": self.where, "command": self.command, "text": self.text,
                "bytes": self.bytes, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceConfigEvidence:
        return cls(str(data["source"]), str(data["where"]), str(data["text"]), int(data["bytes"]),
                   str(data["sha256"]), data.get("command"))


def collect(host: Host, ctx: CollectContext) -> DeviceConfigEvidence:
    """DeviceConfigEvidence (serialised: {"source": "file"|"ssh", "where", "command", "text", "bytes", "sha256"});
    CollectorError when it cannot be read whole."""
    if host.device is None:
        raise CollectorError(f"{host.id} is not a network device (no vendor declared)")
    if host.device.config:
        text, where = read_saved(host.device.config), host.device.config
        source = "file"
    else:
        text, where = read_running(host, ctx), host_label(host.address, host.ssh.port)
        source = "ssh"
    if not text.strip():
        raise CollectorError(f"the configuration read from {where} is empty")
    data = text.encode("utf-8", "replace")
    return DeviceConfigEvidence(source, where, text, len(data), hashlib.sha256(data).hexdigest(),
                                allowlist.DEVICE_COMMANDS.get(host.device.vendor) if source == "ssh" else None)


def _decode(raw: bytes, where: str) -> str:
    """Configuration text; binary content is refused without showing any of it."""
    if b"\x00" in raw:
        raise CollectorError(f"{where} is not a text configuration (it holds NUL bytes); give the saved "
                             "configuration as text (e.g. the output of the show command)")
    return raw.decode("utf-8", errors="replace").replace("\r\n", "\n")


def read_saved(path: str) -> str:
    try:
        size = os.stat(path).st_size
        if size > MAX_CONFIG_BYTES:
            raise CollectorError(f"saved configuration {path} is {size} bytes, over the {MAX_CONFIG_BYTES} byte "
                                 "limit; is it the right file?")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise CollectorError(f"cannot read saved configuration {path}: {clean_text(exc.strerror or '', 80)}"
                             ) from None
    if len(raw) > MAX_CONFIG_BYTES:  # grew while read
        raise CollectorError(f"saved configuration {path} is over the {MAX_CONFIG_BYTES} byte limit")
    return _decode(raw, f"saved configuration {path}")


def read_running(host: Host, ctx: CollectContext) -> str:
    """The output of the vendor's one allowlisted show command, over a host-key-verified SSH session."""
    ssh = host.ssh
    command = allowlist.device_command(host.device.vendor)
    label = host_label(host.address, ssh.port)
    client, _ = ssh_shell.connect(host, ssh, ssh.user or getpass.getuser(), ctx)
    try:
        try:
            channel = client.get_transport().open_session(timeout=ctx.timeout)
            channel.settimeout(ctx.timeout)
            channel.exec_command(command)
            channel.shutdown_write()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise CollectorError(f"{label}: cannot run `{command}`: {clean_text(str(exc), 160)}") from None
        out, err, truncated = ssh_shell._drain(channel, ctx.timeout * ssh_shell.SCRIPT_TIMEOUT_FACTOR, label,
                                               MAX_CONFIG_BYTES)
        rc = channel.recv_exit_status() if channel.exit_status_ready() else None
        channel.close()
    finally:
        client.close()
    if truncated:
        raise CollectorError(f"{label}: `{command}` printed more than {MAX_CONFIG_BYTES} bytes; not judged on a "
                             "partial configuration")
    if rc not in (0, None) or not out.strip():
        detail = clean_text(err.decode("utf-8", "replace").strip().splitlines()[0], 120) if err.strip() else ""
        raise CollectorError(f"{label}: `{command}` failed (exit status {rc})" + (f": {detail}" if detail else "")
                             + "; does this account have read access to the configuration?")
    return _decode(out, f"{label}: the output of `{command}`")
