"""What a check sees: the declared facts of its target, the collected evidence and the policy in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fourlayer.inventory import Agency, Host, System


@dataclass
class Target:
    agency: Agency
    system: System | None
    host: Host | None
    policy: dict[str, Any]
    today: dt.date
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return "host" if self.host else "system" if self.system else "agency"

    @property
    def level(self) -> int:
        """The classification level that decides applicability: the system's, or an agency's highest."""
        if self.system is not None:
            return self.system.level
        return max((s.level for s in self.agency.systems), default=1)

    @property
    def name(self) -> str:
        if self.host:
            return self.host.id
        return self.system.id if self.system else self.agency.id

    def ev(self, collector: str) -> dict[str, Any]:
        """Evidence of a collector this check declared in `needs` (the runner guarantees it is present)."""
        return self.evidence[collector]
