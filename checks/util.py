"""Small helpers that checks share: reading evidence, policy values and formatting excerpts."""

from __future__ import annotations

from typing import Callable

from fourlayer.collectors.ssh_shell import parse_sshd_T
from fourlayer.model import Text, Unevaluable, bi, in_lang
from fourlayer.target import Target

__all__ = ["Text", "bi", "lang", "both", "joined", "policy", "command_out", "sshd_settings", "offered_weak",
           "tls_ports"]

lang = in_lang  # the name the checks use


def both(build: Callable[[str], str]) -> Text:
    """Build a reason once per language (`build("en")`, `build("vi")`); a plain string when they are equal."""
    en, vi = build("en"), build("vi")
    return en if en == vi else bi(en, vi)


def joined(parts: list, code: str, sep: str = "; ") -> str:
    """The `code` versions of reason fragments, joined by `sep`."""
    return sep.join(lang(p, code) for p in parts)


def policy(t: Target, *path: str, default=None):
    node = t.policy
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def command_out(t: Target, name: str) -> tuple[int, str]:
    cmd = t.ev("ssh_shell")["commands"].get(name, {"rc": 127, "out": ""})
    if cmd.get("rc") is None:  # the collector's output cap was reached before this command finished
        raise Unevaluable(f"output of `{name}` was truncated by the collector's size limit")
    return int(cmd["rc"]), str(cmd.get("out", ""))


def sshd_settings(t: Target) -> dict[str, str]:
    rc, out = command_out(t, "sshd_T")
    if rc != 0 or not out.strip():
        raise Unevaluable(f"`sshd -T` failed on the target (rc={rc}): {out.strip()[:200]}")
    return parse_sshd_T(out)


def offered_weak(offered: list[str], weak: list[str]) -> list[str]:
    weak_set = {w.lower() for w in weak}
    return [a for a in offered if a.lower() in weak_set]


def tls_ports(t: Target) -> dict[str, dict]:
    return {p: v for p, v in t.ev("tls")["ports"].items()}
