"""Small helpers that checks share: reading evidence and building bilingual reasons (the policy is `t.policy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from fourlayer.core.model import Text, bi, in_lang
from fourlayer.core.target import Target
from fourlayer.resources.host_files import command_out
from fourlayer.resources.parse import enabled_units

if TYPE_CHECKING:
    from fourlayer.collectors.tls_evidence import TlsPort

__all__ = ["Text", "bi", "lang", "both", "joined", "command_out", "boot_units", "offered_weak",
           "tls_ports"]

lang = in_lang  # the name the checks use


def both(build: Callable[[str], str]) -> Text:
    """Build a reason once per language (`build("en")`, `build("vi")`); a plain string when they are equal."""
    en, vi = build("en"), build("vi")
    return en if en == vi else bi(en, vi)


def joined(parts: list, code: str, sep: str = "; ") -> str:
    """The `code` versions of reason fragments, joined by `sep`."""
    return sep.join(lang(p, code) for p in parts)


def boot_units(t: Target) -> dict[str, str]:
    """{unit: where it is enabled} of the units a Linux host starts at boot (systemd wants links, SysV links)."""
    return enabled_units(command_out(t, "enabled_units")[1])


def offered_weak(offered: list[str], weak: list[str]) -> list[str]:
    weak_set = {w.lower() for w in weak}
    return [a for a in offered if a.lower() in weak_set]


def tls_ports(t: Target) -> dict[str, TlsPort]:
    """Port ("443") -> what the TLS collector saw there (fourlayer.collectors.tls_evidence.TlsPort)."""
    return dict(t.ev("tls").ports)
