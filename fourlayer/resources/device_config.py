"""A network device's configuration as the typed `DeviceConfig` the device checks read: `device(t)`, parsed once
per target from the `device_config` collector's evidence by the vendor's parser (`fourlayer.resources.devices`).

A parser that cannot read the text, or a vendor whose parser is not installed, makes every device check ERROR
(never a pass) with a reason that names the vendor and what went wrong, never the configuration's content.
"""

from __future__ import annotations

import importlib

from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target
from fourlayer.resources import devices
from fourlayer.resources.device import DeviceConfig


def device(t: Target) -> DeviceConfig:
    """The target device's parsed configuration, shared by its checks (Unevaluable when it cannot be parsed)."""
    if "device" not in t.resources:
        t.resources["device"] = _parse(t)
    found = t.resources["device"]
    if isinstance(found, Unevaluable):  # parse once, fail alike for every check
        raise found
    return found


def source(t: Target) -> str:
    """Where the configuration came from, for evidence: the saved file, or host:port and the command."""
    ev = t.ev("device_config")
    return ev.where if ev.source == "file" else f"{ev.where} `{ev.command}`"


def _parse(t: Target) -> DeviceConfig | Unevaluable:
    vendor = t.host.device.vendor
    text = t.ev("device_config").text
    try:
        parser = importlib.import_module(devices.VENDORS[vendor]).parse
    except (KeyError, ModuleNotFoundError):
        return Unevaluable(f"no configuration parser for vendor {vendor} in this fourlayer")
    try:
        found = parser(text)
    except devices.ConfigTextError as exc:  # the parser's own words, no text quoted
        return Unevaluable(f"not a usable {vendor} configuration: {exc}")
    except Exception as exc:  # noqa: BLE001 — any message may quote the text (a secret): only the type is shown
        return Unevaluable(f"the {vendor} configuration could not be parsed ({type(exc).__name__}); "
                           "check that the file is a complete configuration of that vendor")
    if not (found.hostname or found.os_version or found.interfaces or found.vty_lines):
        # a wrong file (another vendor's, a log, /etc/passwd) parses to nothing, and nothing would pass every check
        return Unevaluable(f"this does not look like a {vendor} configuration: no hostname, version, interface or "
                           "remote-access line was found in it; check the file and the vendor")
    return found
