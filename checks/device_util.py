"""What the network device checks share: the parsed configuration, where it came from, and bilingual "line N"
fragments. Device checks read only `fourlayer.resources.device.DeviceConfig`, so one check judges every vendor."""

from __future__ import annotations

from fourlayer.checks.util import Text, bi

from fourlayer.resources.device import DeviceConfig
from fourlayer.resources.device_config import device, source

__all__ = ["DEVICE", "config", "at", "listed", "evidence", "DeviceConfig"]

DEVICE = dict(needs=("device_config",))  # device checks plan only for `devices:` entries (planner.for_kind)


def config(t) -> DeviceConfig:
    return device(t)


def at(line: int) -> Text:
    """" (line N)" in both languages, or nothing when the parser has no line (a vendor default)."""
    return bi(f" (line {line})", f" (dòng {line})") if line else bi(" (by default)", " (theo mặc định)")


def listed(items: list[Text], code: str, limit: int = 6) -> str:
    """Up to `limit` fragments in language `code`, "…+N" for the rest."""
    shown = [i[code] if isinstance(i, dict) else str(i) for i in items[:limit]]
    more = len(items) - limit
    return "; ".join(shown) + (f"; …+{more}" if more > 0 else "")


def evidence(t, rows: list[str]) -> str:
    """The source of the configuration, then one row per item judged (never a secret's value)."""
    return "\n".join([f"configuration: {source(t)} (vendor {t.host.device.vendor})"] + rows)
