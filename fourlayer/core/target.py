"""What a check sees: the declared facts of its target, the collected evidence and the policy in force.

Two clocks judge a target (README, "Which date decides"):
- `as_of` (`--as-of`, default the scan's own day) judges **declared** facts: contracts, assessments, remediation
  dates, connection dates, waivers. An inspector re-judges an agency's self-audit as of the inspection day.
- `clock` (the scan's own clock, when it started) judges **observed** evidence: certificate validity, the age of
  a host's update information, the age of the vulnerability table. What a host showed cannot be re-dated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fourlayer.config.inventory import Agency, Host, System
from fourlayer.config.policy_model import Policy
from fourlayer.core.evidence import typed


@dataclass
class Target:
    agency: Agency
    system: System | None
    host: Host | None
    policy: Policy  # t.policy.ssh.max_auth_tries; a policy dict (load_policy's) given here is typed with Policy.of
    as_of: dt.date
    # collector name -> its typed evidence (fourlayer.core.evidence); a plain dict is typed on first `ev()`
    evidence: dict[str, Any] = field(default_factory=dict)
    clock: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    # typed views parsed from the evidence (fourlayer.resources), once per target and shared by its checks
    resources: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.policy = Policy.of(self.policy)

    @property
    def today(self) -> dt.date:
        """The day declared facts are judged on (alias of `as_of`, kept for plugins written before it)."""
        return self.as_of

    @property
    def clock_day(self) -> dt.date:
        """The scan clock's day (UTC): observed ages (files, tables) are counted to it."""
        return self.clock.astimezone(dt.timezone.utc).date()

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

    def ev(self, collector: str) -> Any:
        """Evidence of a collector this check declared in `needs` (the runner guarantees it is present): its typed
        evidence (e.g. `ShellEvidence`), or the plain dict a collector without a type returned."""
        value = self.evidence[collector]
        result = typed(collector, value)
        if result is not value:
            self.evidence[collector] = result
        return result
