"""Vendor parsers of network device configurations, each `parse(text: str) -> DeviceConfig`.

A parser reads text only (never a shell), records secrets by reference (`fourlayer.resources.device.SecretRef`),
and fills the vendor's documented defaults where a line is absent.
"""

from __future__ import annotations

import importlib

from fourlayer.resources.device import DeviceConfig
# the parsers' one refusal whose message never quotes the text: shown in the ERROR reason of every device check
from fourlayer.resources.devices.text import ConfigTextError  # noqa: F401 (re-exported)

VENDORS = {
    "cisco_ios": "fourlayer.resources.devices.cisco_ios",  # Cisco IOS / IOS-XE
    "fortios": "fourlayer.resources.devices.fortios",  # Fortinet FortiOS
    "routeros": "fourlayer.resources.devices.routeros",  # MikroTik RouterOS
    "junos": "fourlayer.resources.devices.junos",  # Juniper Junos
}


def parse(vendor: str, text: str) -> DeviceConfig:
    """Parse `text` as `vendor`'s configuration (KeyError for a vendor not in VENDORS)."""
    return importlib.import_module(VENDORS[vendor]).parse(text)
