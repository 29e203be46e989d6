"""What the SSH transport collector saw, as the checks read it: an SSH-2 server's algorithms and host keys."""

from __future__ import annotations

from fourlayer.core.model import Unevaluable


def ssh2_transport(t) -> dict:
    """The SSH transport evidence, or Unevaluable when the server speaks no SSH-2 (so it offers no SSH-2
    algorithms to judge: an empty list must not read as "nothing weak")."""
    ev = t.ev("ssh_transport")
    if ev.get("ssh2", True) is False:
        raise Unevaluable(f"the server speaks SSH-{ev.get('protocol')} only ({ev.get('banner')}): no SSH-2 "
                          "algorithms to judge; see L1-SSH-007")
    return ev



def with_host_keys(t) -> dict:
    """ssh2_transport(t), or Unevaluable when the server offers no host key algorithm (no key to judge)."""
    ev = ssh2_transport(t)
    if not ev.get("host_key_algorithms"):
        raise Unevaluable("the server offers no host key algorithm in its key exchange init: no host key to judge")
    return ev



def host_key_lines(ev: dict) -> str:
    keys = ev.get("host_keys", [])
    lines = [f"{k['type']} {k.get('bits')} bits {k.get('fingerprint', '')}".rstrip() for k in keys]
    lines += [f"not read: {e}" for e in ev.get("host_key_errors", [])]
    return "\n".join(lines) or "no host key read"
