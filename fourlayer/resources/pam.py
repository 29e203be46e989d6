"""The host's PAM auth and password stacks (Debian common-*, RHEL system-auth/password-auth), parsed once per
target: `pam(t).stack("password")`, or `pam(t).require("auth")` when a check cannot judge without it."""

from __future__ import annotations

from dataclasses import dataclass

from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target
from fourlayer.resources.host_files import config_files
from fourlayer.resources.parse import PamRule, pam_rules


@dataclass(frozen=True)
class PamStacks:
    rules: tuple[PamRule, ...] = ()  # in file order

    def stack(self, kind: str) -> list[PamRule]:
        """The rules of one type (auth, account, password, session); empty when there are none."""
        return [r for r in self.rules if r.type == kind]

    def require(self, kind: str) -> list[PamRule]:
        """`stack(kind)`, Unevaluable when the host has no such stack."""
        rules = self.stack(kind)
        if not rules:
            raise Unevaluable(f"no PAM {kind} stack found (/etc/pam.d/common-{kind if kind == 'auth' else 'password'}"
                              ", system-auth, password-auth)")
        return rules


def pam(t: Target) -> PamStacks:
    cached = t.resources.get("pam")
    if cached is None:
        cached = t.resources["pam"] = PamStacks(tuple(pam_rules(config_files(t, "pam_password"))))
    return cached
