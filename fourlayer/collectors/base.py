"""What every collector gets and gives.

A collector is the only code that does network I/O. Signature:

    def collect(host: Host, ctx: CollectContext) -> dict   # JSON-serialisable evidence

It raises `CollectorError` with a one-line, human message when it cannot gather evidence
(host down, timeout, wrong host key, hostile peer); every check needing it becomes ERROR.
Evidence never contains secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CollectContext:
    policy: dict[str, Any] = field(default_factory=dict)
    timeout: float = 5.0  # seconds for one network operation (connect, read)
    accept_new_host_keys: bool = False  # trust-on-first-use; off unless the user asks
    # host id -> `reachability` evidence assembled from the zones' segmentation probes (collectors.reachability);
    # None = no probe ran (no zones declared, or the scanner sits in no zone)
    reachability: dict[str, Any] | None = None
    # The scan's discovery stage (fourlayer.core.discovery_stage.DiscoveryStage): nmap sweeps already run for
    # batches of hosts, taken by the nmap collector; None = every host sweeps its own ports.
    discovery: Any = None


# what clean_text makes of an ASCII control character (the only unprintable ASCII characters: 0-31 and 127)
_ASCII_ESCAPES = {i: "\\x%02x" % i for i in (*range(32), 127)}


def clean_text(raw: bytes | str, limit: int = 512) -> str:
    """Decode peer-controlled bytes into a bounded, printable one-liner (HTML escaping is the renderer's job):
    an unprintable character below 256 becomes `\\xNN`, any other `?`; past `limit` characters the text is cut
    and marked `…[truncated]`.

    Every result's reasons and evidence pass here: printable text is returned as it is and ASCII controls
    (newlines, tabs) are replaced by `str.translate`; only other unprintable characters take the loop per character
    (which was most of the CPU of judging a host's checks)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = raw[:limit + 1]  # what lies past limit + 1 is cut anyway: an escape only lengthens a character
    if not text.isprintable():
        text = text.translate(_ASCII_ESCAPES)
        if not text.isprintable():
            text = "".join(ch if ch.isprintable() else "\\x%02x" % ord(ch) if ord(ch) < 256 else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "…[truncated]"
