"""Discovery: the built-in checks, every `fourlayer.checks` entry point and the built-in YAML rules, into a registry.

Kept apart from `fourlayer.core.registry` so that the registry stays a leaf: the rule engine builds on the registry,
and discovery builds on both.
"""

from __future__ import annotations

import importlib
import weakref
from importlib.metadata import entry_points

from fourlayer.core.registry import DECLARED, REGISTRY, Registry

ENTRY_POINT_GROUP = "fourlayer.checks"

_imported = False  # modules (built-ins, plugins) are imported once per process
_plugin_checks: list = []  # what plugin callables returned
_plugin_errors: list[str] = []
_filled: "weakref.WeakSet[Registry]" = weakref.WeakSet()  # the registries already filled


def _import_everything() -> None:
    global _imported
    if _imported:
        return
    _imported = True
    names = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.add(ep.value)
        try:
            loaded = ep.load()
            if callable(loaded) and not isinstance(loaded, type(importlib)):
                _plugin_checks.extend(loaded() or ())
        except Exception as exc:  # a third-party plugin must not take the tool down
            _plugin_errors.append(f"plugin {ep.name} ({ep.value}): {type(exc).__name__}: {exc}")
    if "fourlayer.checks" not in names:  # running from a source tree without installed metadata
        try:
            importlib.import_module("fourlayer.checks")
        except ImportError as exc:
            _plugin_errors.append(f"built-in checks: {exc}")


def discover(registry: Registry = REGISTRY) -> Registry:
    """`registry` with every declared check (built-in and entry-point plugins) and the built-in YAML rules.

    Idempotent per registry; a fresh registry gets the same checks as the default one. A broken plugin or rule
    file is reported in `registry.load_errors`, not fatal.
    """
    if registry in _filled:
        return registry
    _import_everything()
    for declared in DECLARED + _plugin_checks:
        registry.add(declared)
    registry.load_errors.extend(e for e in _plugin_errors if e not in registry.load_errors)
    from fourlayer.rules.engine import (
        register_builtin_rules,  # checks/rules/*.yaml (declarative rules)
    )

    register_builtin_rules(registry)
    _filled.add(registry)
    return registry
