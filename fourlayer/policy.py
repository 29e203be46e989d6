"""The policy: every threshold and list that checks and scoring use.

Defaults live in `fourlayer/data/policy.yaml`; `load_policy(path)` merges a user file over them key by key,
after checking each key and type (errors name file, line and field). Lists replace; in open maps
(`network.risky_ports`) a null value removes the default entry.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from fourlayer.errors import InputError
from fourlayer.yaml_lines import LineDict, field_path, got, load_yaml

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "data" / "policy.yaml"

Check = Callable[[Any], "str | None"]  # returns what was expected when the value is wrong


def _number(lo: float, hi: float | None, what: str, integer: bool = True) -> Check:
    def check(v: Any) -> str | None:
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type or v < lo or (hi is not None and v > hi):
            return what
        return None
    return check


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "expected a non-empty name"


def _names(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        return "expected a list of algorithm names, e.g. [ssh-rsa, ssh-dss]"
    return None


_SPEC_ITEM = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?\Z")


def port_spec_ports(spec: str) -> set[int] | None:
    """The ports of an nmap-style list like '21-23,80,443', or None if it is not one."""
    ports: set[int] = set()
    for item in spec.split(","):
        m = _SPEC_ITEM.match(item)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= lo <= hi <= 65535:
            return None
        ports.update(range(lo, hi + 1))
    return ports


def _port_spec(v: Any) -> str | None:
    if isinstance(v, str) and port_spec_ports(v) is not None:
        return None
    return "expected an nmap port list like '21-23,80,443' (ports 1–65535, no spaces)"


POS_INT = _number(1, None, "expected a whole number of at least 1")
NONNEG_INT = _number(0, None, "expected a whole number of at least 0")
WEIGHT = _number(0, None, "expected a weight of 0 or more", integer=False)
PERCENT = _number(0, 100, "expected a percentage 0–100", integer=False)
LEVEL = _number(1, 5, "expected a classification level 1–5")
LEVEL_OR_0 = _number(0, 5, "expected a classification level 0–5 (0 = never)")
PORT = _number(1, 65535, "expected a TCP port number 1–65535")


def BOOL(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


@dataclass(frozen=True)
class OpenMap:
    """A mapping whose keys are data (levels, ports), not names."""

    key: Check
    value: Check
    removable: bool  # may a user remove a default entry with `key: null`?


_SHAPE: dict[str, Any] = {
    "scoring": {"weights": {"critical": WEIGHT, "high": WEIGHT, "medium": WEIGHT, "low": WEIGHT, "info": WEIGHT},
                "layer_threshold": PERCENT, "min_coverage": PERCENT},
    "assessment": {"interval_months": OpenMap(LEVEL, POS_INT, removable=False),
                   "organisation_interval_months": POS_INT, "licensed_from_level": LEVEL},
    "tls": {"cert_warning_days": NONNEG_INT, "min_rsa_bits": POS_INT},
    "ssh": {"max_auth_tries": POS_INT, "login_grace_time_max": POS_INT, "client_alive_interval_max": POS_INT,
            "password_auth_allowed_max_level": LEVEL_OR_0, "min_rsa_bits": POS_INT,
            "weak_kex": _names, "weak_ciphers": _names, "weak_macs": _names, "weak_host_key_algorithms": _names},
    "network": {"risky_ports": OpenMap(PORT, _text, removable=True), "scan_ports": _port_spec,
                "nmap_host_timeout": POS_INT, "service_detection": BOOL,
                "service_detection_timeout": POS_INT},
    "accounts": {"pass_min_len": POS_INT, "pass_max_days": POS_INT},
    "logging": {"retention_days": POS_INT},
    "soc": {"contract_warning_days": NONNEG_INT},
}


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _merge(path: str, base: dict, over: Any, shape: Any, field: str | None, line: int) -> dict:
    """`base` with `over` merged in, each key and value checked against `shape`."""
    if not isinstance(over, LineDict):
        raise InputError(path, line, field, f"expected a mapping, got {got(over)}")
    out = dict(base)
    for key, value in over.items():
        where = field_path(field, key)
        key_line, value_line = over.key_line(key), over.value_line(key)
        if isinstance(shape, OpenMap):
            problem = shape.key(key)
            if problem:
                raise InputError(path, key_line, where, f"{problem} as key, got {got(key)}")
            if value is None and shape.removable:
                out.pop(key, None)
                continue
            sub: Any = shape.value
        else:
            if key not in shape:
                names = list(shape)
                close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(names)}"
                raise InputError(path, key_line, where, f"unknown policy key; {hint}")
            sub = shape[key]
        if isinstance(sub, (dict, OpenMap)):
            out[key] = _merge(path, base.get(key, {}), value, sub, where, value_line)
            continue
        problem = sub(value)
        if problem:
            fix = "; remove the line to keep the default" if value is None else ""
            raise InputError(path, value_line, where, f"{problem}, got {got(value)}{fix}")
        out[key] = _plain(value)
    return out


def _missing(shape: dict, data: dict, field: str | None = None) -> str | None:
    for key, sub in shape.items():
        where = field_path(field, key)
        if key not in data:
            return where
        if isinstance(sub, dict):
            found = _missing(sub, data[key], where)
            if found:
                return found
    return None


@functools.lru_cache(maxsize=1)
def _defaults() -> dict:
    path = str(DEFAULT_POLICY_PATH)
    raw = load_yaml(DEFAULT_POLICY_PATH)
    merged = _merge(path, {}, raw, _SHAPE, None, 1)
    gap = _missing(_SHAPE, merged)
    if gap:
        raise InputError(path, None, gap, "missing from the built-in policy; reinstall fourlayer")
    return merged


def default_policy() -> dict:
    """A fresh copy of the built-in policy."""
    return copy.deepcopy(_defaults())


def load_policy(path: str | Path | None) -> dict:
    """The built-in policy, with the user file at `path` (if any) merged over it. Raises InputError."""
    policy = default_policy()
    if path is None:
        return policy
    shown = str(path)
    raw = load_yaml(path)
    if raw is None:
        return policy
    merged = _merge(shown, policy, raw, _SHAPE, None, getattr(raw, "line", 1))
    _check_scan_covers_risky(shown, raw, merged)
    return merged


def _check_scan_covers_risky(path: str, raw: LineDict, merged: dict) -> None:
    network = merged["network"]
    missing = sorted(set(network["risky_ports"]) - (port_spec_ports(network["scan_ports"]) or set()))
    if not missing:
        return
    user_net = raw.get("network") if isinstance(raw.get("network"), LineDict) else LineDict()
    user_risky = user_net.get("risky_ports") if isinstance(user_net.get("risky_ports"), LineDict) else LineDict()
    if missing[0] in user_risky:
        line, where = user_risky.key_line(missing[0]), f"network.risky_ports.{missing[0]}"
    else:
        line, where = user_net.value_line("scan_ports") or None, "network.scan_ports"
    ports = ", ".join(map(str, missing))
    raise InputError(path, line, where, f"risky port(s) {ports} are not in network.scan_ports, so no scan "
                                        f"would see them; add {ports} to scan_ports")

