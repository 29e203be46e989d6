"""The SSH daemon's configuration as the daemon itself reports it (`sshd -T`), read from the shell collector's
evidence."""

from __future__ import annotations

from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target
from fourlayer.resources.host_files import command_out


def parse_sshd_T(text: str) -> dict[str, str]:
    """`sshd -T` output -> {lowercase keyword: value}; a repeated keyword's values are joined by spaces."""
    config: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if not key or key.startswith("#"):
            continue
        key = key.lower()
        value = value.strip()
        config[key] = f"{config[key]} {value}" if key in config else value
    return config


def sshd_settings(t: Target) -> dict[str, str]:
    """The effective settings of the host's sshd (`sshd -T`); Unevaluable when the command failed."""
    rc, out = command_out(t, "sshd_T")
    if rc != 0 or not out.strip():
        raise Unevaluable(f"`sshd -T` failed on the target (rc={rc}): {out.strip()[:200]}")
    return parse_sshd_T(out)
