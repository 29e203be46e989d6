"""The province overview of `--split agency`: agencies ranked, the four layers per agency, the worst checks across
the province and the trend from history — a small, self-contained HTML file (and its JSON) for the department.

It names agencies and checks, never a host, an address or a finding's evidence: those are in each agency's own
report. Its size grows with the number of agencies, not hosts (2,000 hosts in 100 agencies: tens of KB), so a
browser opens it at once. No script: the page is static HTML and inline SVG under a CSP that allows only its
own style.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

from fourlayer.reports.html_report import _environment, _static
from fourlayer.reports.i18n import LABELS
from fourlayer.reports.view import SEVERITY_ORDER, fmt_number, fmt_time, localized

LAYERS = ("1", "2", "3", "4")
OVERVIEW_VERSION = "1.0"
WORST_CHECKS = 20

TEXT = {
    "en": {"title": "Province overview — 4-layer security posture", "rank": "Rank", "agencies_ranked":
           "Agencies ranked by score", "hosts": "Hosts", "systems": "Systems", "failed": "Failed",
           "errors": "Not evaluated (ERROR)", "change": "Change since the last scan", "new": "New",
           "fixed": "Fixed", "report": "Agency report", "worst": "Worst checks across the province",
           "worst_note": "Failed checks, the most severe first, then the ones failing in the most agencies. "
           "Which hosts failed is in each agency's own report.", "failed_targets": "Failed targets",
           "agencies_failing": "Agencies", "layers": "The four layers across the province",
           "agencies_met": "Agencies that meet it", "mean_score": "Mean score", "trend": "Trend",
           "trend_note": "Mean agency score of each scan (history database).", "no_trend":
           "No earlier scan of these agencies in the history database: the trend starts with this scan.",
           "private": "Each agency's report holds that agency's data only and can be sent to it as it is.",
           "no_score": "no score"},
    "vi": {"title": "Tổng quan toàn tỉnh — an toàn thông tin theo mô hình 4 lớp", "rank": "Hạng",
           "agencies_ranked": "Xếp hạng các cơ quan theo điểm", "hosts": "Máy chủ", "systems": "Hệ thống",
           "failed": "Không đạt", "errors": "Chưa đánh giá được (LỖI)",
           "change": "Thay đổi so với lượt quét trước", "new": "Mới", "fixed": "Đã khắc phục",
           "report": "Báo cáo của cơ quan", "worst": "Các kiểm tra không đạt nghiêm trọng nhất trên toàn tỉnh",
           "worst_note": "Các kiểm tra không đạt, mức nghiêm trọng cao nhất trước, rồi đến kiểm tra không đạt "
           "ở nhiều cơ quan nhất. Máy chủ nào không đạt có trong báo cáo riêng của từng cơ quan.",
           "failed_targets": "Số đối tượng không đạt", "agencies_failing": "Số cơ quan",
           "layers": "Bốn lớp trên toàn tỉnh", "agencies_met": "Số cơ quan đạt",
           "mean_score": "Điểm trung bình", "trend": "Xu hướng",
           "trend_note": "Điểm trung bình của các cơ quan qua từng lượt quét (cơ sở dữ liệu lịch sử).",
           "no_trend": "Chưa có lượt quét trước của các cơ quan này trong cơ sở dữ liệu lịch sử: xu hướng bắt "
           "đầu từ lượt quét này.",
           "private": "Báo cáo của mỗi cơ quan chỉ chứa dữ liệu của chính cơ quan đó và có thể gửi nguyên vẹn "
           "cho cơ quan đó.", "no_score": "chưa có điểm"},
}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def _trend(history: dict[str, Any] | None, doc: dict[str, Any]) -> list[dict[str, Any]]:
    runs = list((history or {}).get("trend") or [])
    if not runs:
        return []
    points = []
    for run in runs:
        scores = [(node or {}).get("score") for node in (run.get("agencies") or {}).values()]
        points.append({"run_id": run.get("run_id"), "started": run.get("started"), "mean_score": _mean(scores),
                       "agencies": len(scores)})
    return points


def overview_document(doc: dict[str, Any], grouped: dict[str, list[dict[str, Any]]],
                      links: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The overview's data: small (per agency and per check, never per host)."""
    history = doc.get("history") or {}
    previous = {}
    trend_runs = history.get("trend") or []
    if len(trend_runs) >= 2:
        previous = trend_runs[-2].get("agencies") or {}
    new = Counter(r["agency"] for r in history.get("new") or [])
    fixed = Counter(r["agency"] for r in history.get("fixed") or [])
    rows = []
    for a in doc["agencies"]:
        s = a["summary"]
        statuses = Counter(r["status"] for r in grouped.get(a["id"], []))
        before = (previous.get(a["id"]) or {}).get("score")
        rows.append({
            "id": a["id"], "name": a["name"], "score": s["score"], "coverage": s["coverage"],
            "layers_met": s.get("layers_met", sum(1 for n in LAYERS if s["layers"][n].get("met"))),
            "layers": {n: {k: s["layers"][n].get(k) for k in ("score", "coverage", "met")} for n in LAYERS},
            "systems": len(a["systems"]), "hosts": sum(len(sys_["hosts"]) for sys_ in a["systems"]),
            "statuses": dict(statuses),
            "delta": None if before is None or s["score"] is None else round(s["score"] - before, 1),
            "new": new.get(a["id"], 0) if history else None, "fixed": fixed.get(a["id"], 0) if history else None,
            "reports": links.get(a["id"], {})})
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["id"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    failing: dict[str, dict[str, Any]] = defaultdict(lambda: {"targets": 0, "agencies": set()})
    for agency_id, results in grouped.items():
        for r in results:
            if r["status"] == "FAIL":
                node = failing[r["check_id"]]
                node["targets"] += 1
                node["agencies"].add(agency_id)
                node.setdefault("severity", r["severity"])
                node.setdefault("layer", r["layer"])
    checks = doc.get("checks") or {}
    worst = sorted(failing.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[1]["severity"], 9),
                                                    -len(kv[1]["agencies"]), -kv[1]["targets"], kv[0]))
    statuses = Counter(r["status"] for results in grouped.values() for r in results)
    return {
        "kind": "fourlayer-province-overview", "schema_version": OVERVIEW_VERSION, "tool": doc["tool"],
        "run": {k: doc["run"].get(k) for k in ("id", "started", "finished", "complete")},
        "threshold": float(((doc.get("policy") or {}).get("scoring") or {}).get("layer_threshold", 80)),
        "totals": {"agencies": len(rows), "systems": sum(r["systems"] for r in rows),
                   "hosts": sum(r["hosts"] for r in rows), "results": sum(statuses.values()),
                   "statuses": dict(statuses)},
        "layers": {n: {"agencies_met": sum(1 for r in rows if r["layers"][n]["met"]),
                       "mean_score": _mean([r["layers"][n]["score"] for r in rows])} for n in LAYERS},
        "agencies": rows,
        "worst_checks": [{"check_id": cid, "title": (checks.get(cid) or {}).get("title") or {"en": cid, "vi": cid},
                          "severity": node["severity"], "layer": node["layer"], "failed_targets": node["targets"],
                          "agencies": len(node["agencies"])} for cid, node in worst[:WORST_CHECKS]],
        "trend": _trend(history, doc),
    }


def trend_points(trend: list[dict[str, Any]], width: float = 480, height: float = 160, pad: float = 24
                 ) -> list[tuple[float, float, float, str]]:
    """(x, y, score, date) of each scan's mean score, for an inline SVG polyline (scores 0-100)."""
    scored = [p for p in trend if p.get("mean_score") is not None]
    if len(scored) < 2:
        return []
    step = (width - 2 * pad) / (len(scored) - 1)
    return [(round(pad + i * step, 1), round(pad + (height - 2 * pad) * (1 - p["mean_score"] / 100), 1),
             p["mean_score"], str(p.get("started") or "")[:10]) for i, p in enumerate(scored)]


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_overview(overview: dict[str, Any], lang: str) -> str:
    css = _static("province.css")
    csp = (f"default-src 'none'; style-src {_hash(css)}; img-src data:; base-uri 'none'; form-action 'none'")
    template = _environment().get_template("province.html.j2")
    return template.render(o=overview, L=LABELS[lang], T=TEXT[lang], lang=lang, css=css, csp=csp, layers=LAYERS,
                           n=functools.partial(fmt_number, lang=lang), text=functools.partial(localized, lang=lang),
                           fmt_time=fmt_time, points=trend_points(overview["trend"]))


def write_overview(overview: dict[str, Any], out: Path, stem: str, langs: list[str],
                   atomic_text: Callable[..., Any]) -> list[Path]:
    """`<stem>.overview.<lang>.html` per language and `<stem>.overview.json`, each complete or absent."""
    from fourlayer.reports.writers import ReportWriteError

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(out, exc.strerror or str(exc)) from None
    written: list[Path] = []
    for lang in langs:
        path = out / f"{stem}.overview.{lang}.html"
        with atomic_text(path) as fh:
            fh.write(render_overview(overview, lang))
        written.append(path)
    path = out / f"{stem}.overview.json"
    with atomic_text(path, newline="") as fh:
        json.dump(overview, fh, ensure_ascii=False, indent=1)
    return [*written, path]
