"""Agency-level evidence: reachability of the endpoints an agency declares (SOC manager and log collector,
national collector).

A probe the loopback guard refuses (FOURLAYER_LOOPBACK_ONLY=1 and an address outside 127.0.0.0/8) is recorded
as `{"endpoint", "reachable": None, "error"}`, so that the check reading it gives ERROR, not a crash.

Evidence `reach`: ReachEvidence (below), serialised as {"soc_manager": probe | None, "soc_log_collector": ...,
"national_collector": ...}, each probe {"endpoint", "reachable", "detail"} (+ "error" when it could not be sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.reach import tcp_reachable
from fourlayer.core.errors import CollectorError
from fourlayer.core.evidence import record_dict, record_from
from fourlayer.config.inventory import Agency, Endpoint


@dataclass(frozen=True, slots=True)
class EndpointProbe:
    """One TCP connect to a declared endpoint: reachable True/False (`detail` why not), None when it could not be
    attempted (`error`: the loopback guard refused it)."""
    endpoint: str = ""
    reachable: bool | None = None
    detail: str = ""
    error: str | None = None  # serialised only when set

    def to_dict(self) -> dict[str, Any]:
        out = record_dict(self)
        if self.error is None:
            del out["error"]
        return out


@dataclass(frozen=True, slots=True)
class ReachEvidence:
    """The agency's declared endpoints as probed from the scanner; None: the inventory declares no such endpoint
    (the SOC log collector also when it is the SOC manager)."""
    soc_manager: EndpointProbe | None = None
    soc_log_collector: EndpointProbe | None = None
    national_collector: EndpointProbe | None = None

    def probe(self, name: str) -> EndpointProbe | None:
        """The probe of endpoint `name` ("soc_manager", ...); AttributeError for a name that is not one."""
        if name not in ReachEvidence.__slots__:
            raise AttributeError(f"ReachEvidence has no endpoint {name!r}")
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        return {name: p.to_dict() if (p := getattr(self, name)) else None for name in ReachEvidence.__slots__}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReachEvidence:
        return cls(**{name: record_from(EndpointProbe, data[name]) for name in cls.__slots__ if data.get(name)})


def _probe(endpoint: Endpoint | None, ctx: CollectContext) -> EndpointProbe | None:
    if endpoint is None:
        return None
    try:
        ok, detail = tcp_reachable(endpoint.host, endpoint.port, ctx.timeout)
    except CollectorError as exc:
        return EndpointProbe(str(endpoint), None, "", str(exc))
    return EndpointProbe(str(endpoint), ok, detail)


def collect_agency(agency: Agency, ctx: CollectContext) -> tuple[dict, dict]:
    """Returns (evidence, failed) in the shape the runner hands to checks: evidence["reach"], a ReachEvidence."""
    soc = agency.soc
    reach = ReachEvidence(
        soc_manager=_probe(soc.manager if soc else None, ctx),
        soc_log_collector=_probe(soc.log_collector if soc and soc.log_collector != soc.manager else None, ctx),
        national_collector=_probe(agency.national_monitoring.collector if agency.national_monitoring else None, ctx),
    )
    return {"reach": reach}, {}
