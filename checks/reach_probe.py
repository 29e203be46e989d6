"""Turning the agency `reach` evidence (TCP probes of declared endpoints) into check outcomes."""

from __future__ import annotations

from fourlayer.core.model import Outcome, errored, failed, passed
from fourlayer.core.target import Target

Labelled = list[tuple[tuple[str, str], str]]  # ((English label, Vietnamese label), endpoint text)


def _joined(items: Labelled, sep_en: str = "; ", sep_vi: str = "; ") -> tuple[str, str]:
    """The labelled items joined in English and in Vietnamese."""
    return (sep_en.join(f"{en} {text}" for (en, _), text in items),
            sep_vi.join(f"{vi} {text}" for (_, vi), text in items))


def probe_outcomes(t: Target, keys: dict[str, tuple[str, str]], missing: dict[str, str]) -> Outcome:
    """One outcome for the probes `keys` (evidence key -> (English label, Vietnamese label)): FAIL if one is
    unreachable, ERROR if one could not be probed, PASS when all connect; FAIL with the bilingual `missing` when
    none was declared."""
    probes = [(labels, t.ev("reach").probe(key)) for key, labels in keys.items()]
    probes = [(labels, p) for labels, p in probes if p is not None]
    if not probes:
        return failed(missing)
    evidence = "\n".join(f"{en} {p.endpoint}: {p.error or p.detail}" for (en, _), p in probes)
    down = [(labels, f"{p.endpoint} ({p.detail})") for labels, p in probes if p.reachable is False]
    if down:
        en, vi = _joined(down)
        return failed({"en": f"not reachable: {en}", "vi": f"không kết nối được: {vi}"}, evidence)
    refused = [(labels, f"{p.endpoint}: {p.error}") for labels, p in probes if p.reachable is None]
    if refused:
        en, vi = _joined(refused)
        return errored({"en": f"could not probe {en}", "vi": f"không thể thăm dò {vi}"}, evidence)
    en, vi = _joined([(labels, p.endpoint) for labels, p in probes], " and ", " và ")
    return passed({"en": f"{en} accept{'s' if len(probes) == 1 else ''} connections",
                   "vi": f"{vi} chấp nhận kết nối"}, evidence)
