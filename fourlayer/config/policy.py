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

from fourlayer.config.yaml_lines import (
    LineDict,
    expect_kind,
    field_path,
    got,
    load_yaml,
)
from fourlayer.core.constants import VULN_SEVERITIES
from fourlayer.core.errors import InputError
from fourlayer.data import DATA_DIR

DEFAULT_POLICY_PATH = DATA_DIR / "policy.yaml"

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


_SYSCTL_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_*-]+)+\Z")


def _sysctl_key(v: Any) -> str | None:
    return None if isinstance(v, str) and _SYSCTL_KEY.match(v) else \
        "expected a sysctl key like kernel.randomize_va_space"


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


_PROCESS_NAME = re.compile(r"^[A-Za-z0-9._:+@-]{1,64}\Z")


def _process_names(v: Any, example: str, allow_empty: bool = False) -> str | None:
    """A list of process names as `ps -o comm` shows them (compared on their first 15 characters)."""
    if isinstance(v, list) and (v or allow_empty) and all(isinstance(x, str) and _PROCESS_NAME.match(x) for x in v):
        return None
    return f"expected a{'' if allow_empty else ' non-empty'} list of process names, e.g. [{example}]"


def _rule_items(v: Any) -> str | None:
    """What a group of audit rules must name: watched paths or system calls, one word each."""
    if isinstance(v, list) and v and all(isinstance(x, str) and x.strip() and not any(c.isspace() for c in x)
                                         for x in v):
        return None
    return "expected a non-empty list of watched paths or system calls, e.g. [/etc/passwd, adjtimex]"


_UNIT_NAME = re.compile(r"^[A-Za-z0-9._:@-]{1,120}\.(service|socket|timer|path|target)\Z")
_ACCOUNT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]{0,31}\$?\Z")


def _unit_names(v: Any, example: str) -> str | None:
    """systemd unit names with their suffix (an empty list is allowed)."""
    if isinstance(v, list) and all(isinstance(x, str) and _UNIT_NAME.match(x) for x in v):
        return None
    return f"expected a list of systemd unit names with their suffix, e.g. [{example}]"


def _account_names(v: Any) -> str | None:
    if isinstance(v, list) and v and all(isinstance(x, str) and _ACCOUNT_NAME.match(x) for x in v):
        return None
    return "expected a non-empty list of account names, e.g. [root]"


AUDITD_ACTIONS = ("ignore", "syslog", "rotate", "email", "exec", "suspend", "single", "halt", "keep_logs")
PASSWORD_HASHES = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "md5", "bigcrypt", "des")
CIPHER_CLASSES = ("RC4", "3DES", "DES", "EXPORT", "NULL", "aNULL", "CBC-SHA1")  # as the TLS collector names them
SIGNATURE_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}\Z")


_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@$-]{0,79}\Z")
AUDIT_REQUIREMENTS = ("Success", "Failure", "Success and Failure")


def _service_names(v: Any, allow_empty: bool = False) -> str | None:
    """Windows service names as `Get-Service` shows them (Name, not DisplayName)."""
    if isinstance(v, list) and (v or allow_empty) and all(isinstance(x, str) and _SERVICE_NAME.match(x) for x in v):
        return None
    return f"expected a{'' if allow_empty else ' non-empty'} list of Windows service names, e.g. [WinDefend]"


def _choices(allowed: tuple[str, ...]) -> Check:
    """A list whose items are names from `allowed` (an empty list is allowed)."""
    def check(v: Any) -> str | None:
        if isinstance(v, list) and all(isinstance(x, str) and x in allowed for x in v):
            return None
        hint = " (quote \"NULL\": YAML reads a bare NULL as nothing)" if isinstance(v, list) and None in v else ""
        return f"expected a list of names from: {', '.join(allowed)}{hint}"
    return check


def _header_names(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) and _HEADER_NAME.match(x) for x in v):
        return None
    return "expected a list of HTTP header names, e.g. [x-content-type-options, content-security-policy]"


def _port_list(v: Any) -> str | None:
    if isinstance(v, list) and all(PORT(x) is None for x in v):
        return None
    return "expected a list of port numbers 1–65535, e.g. [23, 513]"


def _implicit(v: Any) -> str | None:
    return None if v in ("pass", "warn") else "expected pass or warn"


def _startups(v: Any) -> str | None:
    """sshd MaxStartups: `start:rate:full` (e.g. "10:30:60") or a single number."""
    if isinstance(v, str) and re.fullmatch(r"[1-9][0-9]*(:[0-9]{1,3}:[1-9][0-9]*)?", v):
        return None
    return 'expected sshd MaxStartups syntax in quotes, e.g. "10:30:60"'


def _severity(v: Any) -> str | None:
    return None if v in VULN_SEVERITIES else f"expected one of {', '.join(VULN_SEVERITIES)}"


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
    "tls": {"cert_warning_days": NONNEG_INT, "cert_critical_days": NONNEG_INT, "min_rsa_bits": POS_INT,
            "min_ec_bits": POS_INT, "min_dh_bits": POS_INT, "weak_signature_hashes": _choices(SIGNATURE_HASHES),
            "weak_cipher_classes": _choices(CIPHER_CLASSES)},
    "ssh": {"max_auth_tries": POS_INT, "login_grace_time_max": POS_INT, "client_alive_interval_max": POS_INT,
            "password_auth_allowed_max_level": LEVEL_OR_0, "min_rsa_bits": POS_INT,
            "implicit_defaults": _implicit, "client_alive_count_max": POS_INT, "max_sessions": POS_INT,
            "max_startups": _startups,
            "weak_kex": _names, "weak_ciphers": _names, "weak_macs": _names, "weak_host_key_algorithms": _names},
    "network": {"risky_ports": OpenMap(PORT, _text, removable=True), "scan_ports": _port_spec,
                "risky_udp_ports": OpenMap(PORT, _text, removable=True),
                "categories": {"cleartext_login": _port_list, "cleartext_file_transfer": _port_list,
                               "remote_desktop_file_sharing": _port_list, "datastores": _port_list},
                "nmap_host_timeout": POS_INT, "service_detection": BOOL,
                "service_detection_timeout": POS_INT},
    # web and known-vulnerable versions (layers 1 and 3)
    "http": {"hsts_min_max_age": NONNEG_INT, "required_headers": _header_names, "version_headers": _header_names},
    "vulns": {"fail_severity": _severity, "max_table_age_days": POS_INT},
    "advisories": {"fail_severity": _severity, "max_age_days": POS_INT},
    # host hygiene (layer 1)
    "accounts": {"pass_min_len": POS_INT, "pass_max_days": POS_INT, "pass_min_days": NONNEG_INT,
                 "pass_warn_age": NONNEG_INT, "min_char_classes": _number(1, 4, "expected 1–4 character classes"),
                 "lockout_max_attempts": POS_INT, "lockout_min_unlock_seconds": NONNEG_INT,
                 "uid0_accounts": _account_names, "password_history": NONNEG_INT, "pwquality_max_retry": POS_INT,
                 "pwquality_min_difok": NONNEG_INT, "password_hashes": _choices(PASSWORD_HASHES)},
    "files": {"host_key_owners": _account_names, "host_key_groups": _account_names},
    "kernel": {"exact": OpenMap(_sysctl_key, NONNEG_INT, removable=True),
               "at_least": OpenMap(_sysctl_key, NONNEG_INT, removable=True),
               "forwarding_roles": _account_names},
    "updates": {"max_pending_security": NONNEG_INT, "notice_max_age_days": POS_INT, "lists_max_age_days": POS_INT},
    "antimalware": {"process_names": lambda v: _process_names(v, "clamd"),
                    "unit_names": lambda v: _unit_names(v, "clamav-daemon.service")},
    "services": {"risky_processes": lambda v: _process_names(v, "vsftpd", allow_empty=True),
                 "risky_units": lambda v: _unit_names(v, "vsftpd.service")},
    "logging": {"retention_days": POS_INT},
    "soc": {"contract_warning_days": NONNEG_INT},
    # monitoring and national connection
    "audit": {"process_names": lambda v: _process_names(v, "auditd"),
              "required_rules": OpenMap(_text, _rule_items, removable=True),
              "space_left_actions": _choices(AUDITD_ACTIONS), "admin_space_left_actions": _choices(AUDITD_ACTIONS),
              "disk_full_actions": _choices(AUDITD_ACTIONS)},
    "time_sync": {"process_names": lambda v: _process_names(v, "chronyd")},
    "edr": {"process_names": lambda v: _process_names(v, "wazuh-agentd")},
    "national": {"agent_from_level": LEVEL_OR_0,
                 "agent_process_names": lambda v: _process_names(v, "wazuh-agentd", allow_empty=True)},
    # Windows hosts (roles: [windows])
    "windows": {"antimalware_services": lambda v: _service_names(v), "max_signature_age_days": POS_INT,
                "max_update_age_days": POS_INT, "password_history": NONNEG_INT, "max_local_admins": POS_INT,
                "audit_subcategories": OpenMap(_text, lambda v: None if v in AUDIT_REQUIREMENTS else
                                               f"expected one of {', '.join(AUDIT_REQUIREMENTS)}", removable=True),
                "soc_agent_services": lambda v: _service_names(v),
                "national_agent_services": lambda v: _service_names(v, allow_empty=True)},
    # scan history (L3-PER-001, report trend)
    "history": {"persistent_runs": POS_INT, "trend_runs": POS_INT},
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


def merge_over(path: str, base: dict, raw: Any, field: str | None = None, line: int = 1) -> dict:
    """`base` with the policy-shaped mapping `raw` merged in, key by key (e.g. a framework's thresholds)."""
    return _merge(path, base, raw, _SHAPE, field, line)


def load_policy(path: str | Path | None, base: dict | None = None) -> dict:
    """`base` (default: the built-in policy), with the user file at `path` (if any) merged over it.

    Raises InputError.
    """
    policy = copy.deepcopy(base) if base is not None else default_policy()
    if path is None:
        return policy
    shown = str(path)
    raw = load_yaml(path)
    if raw is None:
        return policy
    expect_kind(shown, raw, "policy", tuple(_SHAPE))
    merged = _merge(shown, policy, raw, _SHAPE, None, getattr(raw, "line", 1))
    _check_scan_covers_risky(shown, raw, merged)
    _check_port_categories(shown, raw, merged)
    return merged


def port_category_overlap(categories: dict[str, list[int]]) -> tuple[int, str, str] | None:
    """(port, first category, second category) of a port listed in two categories, or None."""
    seen: dict[int, str] = {}
    for name, ports in categories.items():
        for port in ports:
            if port in seen and seen[port] != name:
                return port, seen[port], name
            seen.setdefault(port, name)
    return None


def _check_port_categories(path: str, raw: LineDict, merged: dict) -> None:
    """One exposed service must be one finding: a port may sit in one network category only."""
    overlap = port_category_overlap(merged["network"]["categories"])
    if overlap is None:
        return
    port, first, second = overlap
    user_net = raw.get("network") if isinstance(raw.get("network"), LineDict) else LineDict()
    user_cats = user_net.get("categories") if isinstance(user_net.get("categories"), LineDict) else LineDict()
    name = second if second in user_cats else first
    raise InputError(path, user_cats.value_line(name) or None, f"network.categories.{name}",
                     f"port {port} is in both {first} and {second}; keep it in one category so that one exposed "
                     "service counts once")


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

