"""The policy: every threshold and list that checks and scoring use.

Defaults live in `fourlayer/data/policy.yaml`; `load_policy(path)` merges a user file over them key by key and
validates the result with the `Policy` model (`fourlayer.config.policy_model`, the one place the shape is
written); errors name the user file's line and field. Lists replace; in the open maps marked so in the model
(`network.risky_ports`, ...) a null value removes the default entry. The result is a plain dict (what reports,
history and the workers' messages hold); checks read it typed, as `t.policy` (`Policy.of`).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fourlayer.config.policy_model import (
    Policy,
    Section,
    null_removes,
    open_map_key,
    port_spec_ports,
    section_of,
)
from fourlayer.config.typed import check_of, input_error, key_hint
from fourlayer.config.yaml_lines import (
    LineDict,
    expect_kind,
    field_path,
    got,
    load_yaml,
    to_plain,
)
from fourlayer.core.errors import InputError
from fourlayer.data import DATA_DIR

DEFAULT_POLICY_PATH = DATA_DIR / "policy.yaml"
__all__ = ["DEFAULT_POLICY_PATH", "default_policy", "load_policy", "merge_over", "port_category_overlap",
           "port_spec_ports"]


def _merged(path: str, base: dict, over: Any, model: type[Section], where: str | None) -> Any:
    """`base` with the mapping `over` merged in, key by key, as a LineDict carrying `over`'s lines (keys taken
    from `base` point at the mapping's own line). What is not a mapping is left for the model to refuse."""
    if not isinstance(over, LineDict):
        return over
    out = LineDict(base, line=over.line)
    for key, value in over.items():
        at = field_path(where, key)
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            hint = key_hint(key, list(model.model_fields))
            raise InputError(path, over.key_line(key), at, f"unknown policy key; {hint}")
        sub = section_of(field.annotation)
        if sub is not None:
            value = _merged(path, base.get(key, {}), value, sub, at)
        elif open_map_key(field) is not None and isinstance(value, LineDict):
            value = _merged_map(path, base.get(key, {}), value, field, at)
        _put(out, over, key, value)
    return out


def _merged_map(path: str, base: dict, over: LineDict, field: Any, where: str) -> LineDict:
    """An open map (ports, levels, sysctl keys): entries replace the default's; `key: null` removes one where
    the model allows it (its key still judged), elsewhere the model refuses the null."""
    out = LineDict(base, line=over.line)
    removes, key_check = null_removes(field), check_of(open_map_key(field))
    for key, value in over.items():
        if value is None and removes:
            problem = key_check(key) if key_check else None
            if problem:
                raise InputError(path, over.key_line(key), field_path(where, key), f"{problem} as key, got {got(key)}")
            out.pop(key, None)
            continue
        _put(out, over, key, value)
    return out


def _put(out: LineDict, over: LineDict, key: Any, value: Any) -> None:
    out[key] = value
    out.key_lines[key], out.value_lines[key] = over.key_line(key), over.value_line(key)


def _validated(path: str, tree: Any, field: str | None = None) -> dict:
    """The merged `tree` as a plain dict, after the model has judged it (one InputError at the user's line)."""
    try:
        Policy.model_validate(tree)
    except ValidationError as exc:
        err = input_error(Policy, exc, tree, path, getattr(tree, "line", 1) or 1)
        fix = "; remove the line to keep the default" if exc.errors()[0].get("input", ...) is None else ""
        where = f"{field}.{err.field}" if field and err.field else err.field or field
        raise InputError(path, err.line, where, err.message + fix) from None
    return to_plain(tree)


@functools.lru_cache(maxsize=1)
def _defaults() -> dict:
    path = str(DEFAULT_POLICY_PATH)
    return _validated(path, _merged(path, {}, load_yaml(DEFAULT_POLICY_PATH), Policy, None))


def default_policy() -> dict:
    """A fresh copy of the built-in policy."""
    return copy.deepcopy(_defaults())


def merge_over(path: str, base: dict, raw: Any, field: str | None = None, line: int = 1) -> dict:
    """`base` with the policy-shaped mapping `raw` merged in, key by key (e.g. a framework's thresholds)."""
    if not isinstance(raw, LineDict):
        raise InputError(path, line, field, f"expected a mapping, got {got(raw)}")
    return _validated(path, _merged(path, copy.deepcopy(base), raw, Policy, field), field)


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
    expect_kind(shown, raw, "policy", tuple(Policy.model_fields))
    merged = _validated(shown, _merged(shown, policy, raw, Policy, None))
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

