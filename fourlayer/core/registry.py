"""Check registration: the `@check` decorator, metadata validation and the registry (discovery:
`fourlayer.core.discovery`)."""

from __future__ import annotations

import re
from typing import Callable, Iterable

from fourlayer.core.model import LANGS, SCOPES, Check, CheckMeta, Severity

ID_PATTERN = re.compile(r"^L[1-4]-[A-Z0-9]+-\d{3}$")
KNOWN_COLLECTORS = ("nmap", "ssh_transport", "ssh_shell", "tls", "http", "reach", "reachability",
                    "device_config")


class RegistryError(Exception):
    """A check was declared with incomplete or contradictory metadata."""


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self.load_errors: list[str] = []

    def add(self, check: Check) -> None:
        existing = self._checks.get(check.meta.id)
        if existing is not None and existing.func is not check.func:
            raise RegistryError(f"check id {check.meta.id} registered twice "
                                f"({existing.meta.source} and {check.meta.source})")
        self._checks[check.meta.id] = check

    def get(self, check_id: str) -> Check:
        return self._checks[check_id]

    def __contains__(self, check_id: str) -> bool:
        return check_id in self._checks

    def all(self) -> list[Check]:
        return sorted(self._checks.values(), key=lambda c: (c.meta.layer, c.meta.id))

    def __len__(self) -> int:
        return len(self._checks)


REGISTRY = Registry()
# Every check declared with @check, in import order: `discover(registry)` gives a fresh registry all of them, not
# only the ones imported after it was made (modules are imported once per process).
DECLARED: list[Check] = []


def _bilingual(name: str, check_id: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or any(not str(value.get(lang, "")).strip() for lang in LANGS):
        raise RegistryError(f"{check_id}: {name} needs non-empty 'vi' and 'en' texts")
    return {lang: str(value[lang]).strip() for lang in LANGS}


def make_meta(*, id: str, layer: int, severity: str, min_level: int, title: dict, rationale: dict,
              remediation: dict, references: Iterable[str], needs: Iterable[str] = (),
              applies_to: Iterable[str] = (), scope: str = "host", source: str = "builtin") -> CheckMeta:
    """Validate and build check metadata; every check must be complete in both languages."""
    if not ID_PATTERN.match(id):
        raise RegistryError(f"check id {id!r} must look like L1-SSH-001 (layer, area, three digits)")
    if layer not in (1, 2, 3, 4) or not id.startswith(f"L{layer}-"):
        raise RegistryError(f"{id}: layer must be 1-4 and match the id prefix")
    if not isinstance(min_level, int) or not 1 <= min_level <= 5:
        raise RegistryError(f"{id}: min_level must be 1-5")
    if scope not in SCOPES:
        raise RegistryError(f"{id}: scope must be one of {SCOPES}")
    refs = tuple(references)
    if not refs:
        raise RegistryError(f"{id}: at least one reference is required")
    unknown = [n for n in needs if n not in KNOWN_COLLECTORS]
    if unknown:
        raise RegistryError(f"{id}: unknown collectors {unknown}; known: {KNOWN_COLLECTORS}")
    return CheckMeta(
        id=id, layer=layer, severity=Severity(severity), min_level=min_level,
        title=_bilingual("title", id, title), rationale=_bilingual("rationale", id, rationale),
        remediation=_bilingual("remediation", id, remediation), references=refs,
        needs=tuple(needs), applies_to=tuple(applies_to), scope=scope, source=source)


def check(**meta) -> Callable:
    """Decorator: register a check function `f(target) -> Outcome` with its metadata."""

    def wrap(func: Callable) -> Callable:
        source = meta.pop("source", None) or func.__module__
        declared = Check(make_meta(source=source, **meta), func)
        DECLARED.append(declared)
        REGISTRY.add(declared)
        return func

    return wrap
