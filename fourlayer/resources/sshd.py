"""The SSH daemon's configuration as the daemon itself reports it (`sshd -T`), read from the shell collector's
evidence: `sshd(t).permit_root_login`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SshdConfig:
    """The effective settings of a host's sshd: lower-case keywords to values, as `sshd -T` prints them."""

    settings: Mapping[str, str]
    source: str = "sshd -T"

    def get(self, keyword: str, default: str | None = None) -> str | None:
        return self.settings.get(keyword.lower(), default)

    @property
    def permit_root_login(self) -> str | None:
        return self.get("permitrootlogin")

    @property
    def password_authentication(self) -> str | None:
        return self.get("passwordauthentication")

    @property
    def kbd_interactive_authentication(self) -> str | None:
        return self.get("kbdinteractiveauthentication")


def sshd(t: Target) -> SshdConfig:
    """The host's sshd configuration, parsed once per target (Unevaluable when `sshd -T` failed)."""
    if "sshd" not in t.resources:
        t.resources["sshd"] = SshdConfig(sshd_settings(t))
    return t.resources["sshd"]

