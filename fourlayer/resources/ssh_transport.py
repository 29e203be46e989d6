"""What the SSH transport collector saw, as the checks read it: an SSH-2 server's algorithms and host keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fourlayer.core.model import Unevaluable

if TYPE_CHECKING:
    from fourlayer.collectors.ssh_transport import TransportEvidence


def ssh2_transport(t) -> TransportEvidence:
    """The SSH transport evidence, or Unevaluable when the server speaks no SSH-2 (so it offers no SSH-2
    algorithms to judge: an empty list must not read as "nothing weak")."""
    ev = t.ev("ssh_transport")
    if ev.ssh2 is False:
        raise Unevaluable(f"the server speaks SSH-{ev.protocol} only ({ev.banner}): no SSH-2 "
                          "algorithms to judge; see L1-SSH-007")
    return ev



def with_host_keys(t) -> TransportEvidence:
    """ssh2_transport(t), or Unevaluable when the server offers no host key algorithm (no key to judge)."""
    ev = ssh2_transport(t)
    if not ev.host_key_algorithms:
        raise Unevaluable("the server offers no host key algorithm in its key exchange init: no host key to judge")
    return ev



def host_key_lines(ev: TransportEvidence) -> str:
    lines = [f"{k.type} {k.bits} bits {k.fingerprint}".rstrip() for k in ev.host_keys]
    lines += [f"not read: {e}" for e in ev.host_key_errors]
    return "\n".join(lines) or "no host key read"
