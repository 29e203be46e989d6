"""Turning the agency `reach` evidence (TCP probes of declared endpoints) into check outcomes."""

from __future__ import annotations

from fourlayer.model import Outcome, errored, failed, passed
from fourlayer.target import Target


def probe_outcomes(t: Target, keys: dict[str, str], missing: str) -> Outcome:
    """One outcome for the probes `keys` (evidence key -> label): FAIL if one is unreachable, ERROR if one could
    not be probed, PASS when all connect; FAIL with `missing` when none was declared."""
    probes = [(label, t.ev("reach").get(key)) for key, label in keys.items()]
    probes = [(label, p) for label, p in probes if p is not None]
    if not probes:
        return failed(missing)
    evidence = "\n".join(f"{label} {p['endpoint']}: {p.get('error') or p['detail']}" for label, p in probes)
    down = [f"{label} {p['endpoint']} ({p['detail']})" for label, p in probes if p["reachable"] is False]
    if down:
        return failed(f"not reachable: {'; '.join(down)}", evidence)
    refused = [f"{label} {p['endpoint']}: {p['error']}" for label, p in probes if p["reachable"] is None]
    if refused:
        return errored(f"could not probe {'; '.join(refused)}", evidence)
    names = " and ".join(f"{label} {p['endpoint']}" for label, p in probes)
    return passed(f"{names} accept{'s' if len(probes) == 1 else ''} connections", evidence)
