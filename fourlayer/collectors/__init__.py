"""Collectors: the only code that talks to targets. Looked up by name, imported lazily."""

from __future__ import annotations

import importlib
from typing import Callable

HOST_COLLECTORS = {
    "nmap": "fourlayer.collectors.nmap_scan",
    "ssh_transport": "fourlayer.collectors.ssh_transport",
    "ssh_shell": "fourlayer.collectors.ssh_shell",
    "tls": "fourlayer.collectors.tls",
    "http": "fourlayer.collectors.http",
    "device_config": "fourlayer.collectors.device_config",  # network devices: saved or running configuration
    "reachability": "fourlayer.collectors.reachability",
}


def host_collector(name: str) -> Callable:
    return importlib.import_module(HOST_COLLECTORS[name]).collect
