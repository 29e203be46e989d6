"""Run one check on evidence gathered by the real collectors from real loopback listeners."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from fourlayer.collectors import host_collector
from fourlayer.collectors.base import CollectContext
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Agency, Host, System
from fourlayer.core.model import Result
from fourlayer.config.policy import default_policy
from fourlayer.core.registry import REGISTRY
from fourlayer.core.discovery import discover
from fourlayer.core.runner import evaluate
from fourlayer.core.target import Target

TODAY = dt.date.today()


def policy_with(**sections: dict[str, Any]) -> dict:
    """The default policy with some keys of some sections replaced, e.g. policy_with(tls={"min_ec_bits": 384})."""
    policy = default_policy()
    for section, values in sections.items():
        policy[section] = {**policy[section], **copy.deepcopy(values)}
    return policy


def collect(host: Host, *collectors: str, policy: dict | None = None, timeout: float = 3.0) -> tuple[dict, dict]:
    """(evidence, failures) of the named collectors for `host`, as the runner gathers them."""
    ctx = CollectContext(policy=policy or default_policy(), timeout=timeout)
    evidence, failures = {}, {}
    for name in collectors:
        try:
            evidence[name] = host_collector(name)(host, ctx)
        except CollectorError as exc:
            failures[name] = str(exc)
    return evidence, failures


def judge(check_id: str, host: Host, evidence: tuple[dict, dict], policy: dict | None = None,
          today: dt.date = TODAY, level: int = 3, clock: dt.datetime | None = None) -> Result:
    """The Result of check `check_id` on `host` with that evidence (through the runner's evaluate); `today`
    judges declared facts (--as-of), `clock` (default now) observed evidence."""
    discover()
    check = REGISTRY.get(check_id)
    system = System(id="sys", name="lab system", level=level, hosts=(host,))
    agency = Agency(id="agency", name="lab agency", systems=(system,))
    target = Target(agency, system, host, policy or default_policy(), today, dict(evidence[0]),
                    clock=clock or dt.datetime.now(dt.timezone.utc))
    return evaluate(check, target, dict(evidence[1]))


def text(result: Result) -> str:
    return f"{result.reason}\n{result.evidence}"
