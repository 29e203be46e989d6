"""Agency-level evidence: reachability of the endpoints an agency declares (SOC manager, national collector)."""

from __future__ import annotations

from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.reach import tcp_reachable
from fourlayer.inventory import Agency, Endpoint


def _probe(endpoint: Endpoint | None, ctx: CollectContext) -> dict | None:
    if endpoint is None:
        return None
    ok, detail = tcp_reachable(endpoint.host, endpoint.port, ctx.timeout)
    return {"endpoint": str(endpoint), "reachable": ok, "detail": detail}


def collect_agency(agency: Agency, ctx: CollectContext) -> tuple[dict, dict]:
    """Returns (evidence, failed) in the shape the runner hands to checks: evidence["reach"]."""
    reach = {
        "soc_manager": _probe(agency.soc.manager if agency.soc else None, ctx),
        "national_collector": _probe(agency.national_monitoring.collector
                                     if agency.national_monitoring else None, ctx),
    }
    return {"reach": reach}, {}
