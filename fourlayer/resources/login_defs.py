"""/etc/login.defs as shadow-utils reads it, parsed once per target (`login_defs(t).get("pass_max_days")`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target
from fourlayer.resources.host_files import command_out


def parse_login_defs(text: str) -> dict[str, str]:
    """/etc/login.defs -> {lowercase key: value}, as shadow-utils reads it: `NAME VALUE` lines whose NAME is written
    exactly as a login.defs key (upper case: the lookup is case-sensitive, so `umask 027` sets nothing), the value's
    quotes removed, the last line of a key winning."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        m = re.match(r"^\s*([A-Z][A-Z0-9_]*)\s+(.*?)\s*$", raw)
        if m and not raw.lstrip().startswith("#"):
            out[m.group(1).lower()] = m.group(2).strip('"')
    return out


@dataclass(frozen=True)
class LoginDefs:
    settings: dict[str, str] = field(default_factory=dict)  # lowercase key -> value

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.settings.get(key, default)


def login_defs(t: Target) -> LoginDefs:
    """The host's login.defs settings; Unevaluable when the file could not be read."""
    cached = t.resources.get("login_defs")
    if cached is None:
        rc, out = command_out(t, "login_defs")
        if rc != 0:
            raise Unevaluable(f"/etc/login.defs could not be read on the target (rc={rc})")
        cached = t.resources["login_defs"] = LoginDefs(parse_login_defs(out))
    return cached
