"""Agency-level evidence: reachability of the endpoints an agency declares (SOC manager and log collector,
national collector).

A probe the loopback guard refuses (FOURLAYER_LOOPBACK_ONLY=1 and an address outside 127.0.0.0/8) is recorded
as `{"endpoint", "reachable": None, "error"}`, so that the check reading it gives ERROR, not a crash.
"""

from __future__ import annotations

from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.reach import tcp_reachable
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Agency, Endpoint


def _probe(endpoint: Endpoint | None, ctx: CollectContext) -> dict | None:
    if endpoint is None:
        return None
    try:
        ok, detail = tcp_reachable(endpoint.host, endpoint.port, ctx.timeout)
    except CollectorError as exc:
        return {"endpoint": str(endpoint), "reachable": None, "detail": "", "error": str(exc)}
    return {"endpoint": str(endpoint), "reachable": ok, "detail": detail}


def collect_agency(agency: Agency, ctx: CollectContext) -> tuple[dict, dict]:
    """Returns (evidence, failed) in the shape the runner hands to checks: evidence["reach"]."""
    soc = agency.soc
    reach = {
        "soc_manager": _probe(soc.manager if soc else None, ctx),
        "soc_log_collector": _probe(soc.log_collector if soc and soc.log_collector != soc.manager else None, ctx),
        "national_collector": _probe(agency.national_monitoring.collector
                                     if agency.national_monitoring else None, ctx),
    }
    return {"reach": reach}, {}
