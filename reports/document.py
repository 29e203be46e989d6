"""The report document: one versioned, JSON-serialisable dict that every renderer reads."""

from __future__ import annotations

from typing import Any

from fourlayer.config.inventory import Inventory
from fourlayer.core.model import Status
from fourlayer.core.runner import ScanRun
from fourlayer.core.scoring import score_tree
from fourlayer.core.spool import ResultSpool

# 1.1: system last_assessment.licence; optional framework, history and per-result clauses (see
# reports/schema/report.schema.json, the published contract; a minor version only adds optional fields).
# 1.2: hosts may carry "os" (windows, linux); network devices listed under a system's devices: carry kind
# ("device"), vendor and role.
SCHEMA_VERSION = "1.2"

SCORING_METHOD = {
    "en": ("Each evaluated check carries its severity weight (critical 10, high 5, medium 3, low 1, info 0 unless "
           "the policy says otherwise). Score = 100 × Σ(weight × credit) ÷ Σ(weight) over PASS (credit 1), WARN "
           "(0.5) and FAIL (0). Coverage = evaluated weight ÷ (evaluated + ERROR weight). NOT_APPLICABLE and WAIVED "
           "results count in neither. A layer is met when its score and coverage reach the policy thresholds and no "
           "critical check failed. Host results roll up into their system, systems into their agency."),
    "vi": ("Mỗi kiểm tra được đánh giá mang trọng số theo mức độ nghiêm trọng (nghiêm trọng 10, cao 5, trung bình 3, "
           "thấp 1, thông tin 0 trừ khi chính sách quy định khác). Điểm = 100 × Σ(trọng số × mức đạt) ÷ Σ(trọng số) "
           "trên các kết quả ĐẠT (1), CẢNH BÁO (0,5) và KHÔNG ĐẠT (0). Độ bao phủ = trọng số đã đánh giá ÷ (đã đánh giá "
           "+ LỖI). KHÔNG ÁP DỤNG và MIỄN TRỪ không được tính. Một lớp đạt khi điểm và độ bao phủ đạt ngưỡng chính "
           "sách và không có kiểm tra mức nghiêm trọng nào không đạt. Kết quả máy chủ được cộng dồn lên hệ thống, "
           "hệ thống lên cơ quan."),
}



def _host_os(roles: tuple[str, ...]) -> str | None:
    """The operating system a host was audited as: its roles decide which allowlist the shell collector used."""
    return "windows" if "windows" in roles else "linux" if "linux" in roles else None

def _contact(c) -> dict | None:
    return None if c is None else {"name": c.name, "email": c.email, "phone": c.phone}


def _declared(agency) -> dict[str, Any]:
    soc, nat = agency.soc, agency.national_monitoring
    return {
        "security_officer": _contact(agency.security_officer),
        "incident_contact": _contact(agency.incident_contact),
        "soc": None if soc is None else {
            "provider": soc.provider,
            "contract_until": soc.contract_until.isoformat() if soc.contract_until else None,
            "manager": str(soc.manager) if soc.manager else None},
        "national_monitoring": None if nat is None else {
            "connected": nat.connected, "since": nat.since.isoformat() if nat.since else None,
            "collector": str(nat.collector) if nat.collector else None},
    }


def _segmentation(run: ScanRun, inventory: Inventory) -> dict[str, Any]:
    """The optional `segmentation` field: the zone × zone reachability matrix (reports/zone_matrix.py)."""
    if getattr(run, "segmentation", None) is None or not inventory.zones:
        return {}
    from fourlayer.reports.zone_matrix import zone_matrix

    return {"segmentation": zone_matrix(inventory, run.segmentation)}


def _device(host) -> dict[str, Any]:
    """A network device's optional fields (schema 1.2): kind "device", its vendor and role; nothing for a host."""
    if host.device is None:
        return {}
    return {"kind": "device", "vendor": host.device.vendor, "role": host.device.role}


def build_document(run: ScanRun, inventory: Inventory, framework: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report document; `framework` is `Framework.evidence(results)` of the framework in force (or None)."""
    tree = score_tree(run.results, inventory, run.policy)
    host_runs = {(h.agency, h.system, h.host): h for h in run.hosts}
    agencies = []
    for agency in inventory.agencies:
        if agency.id not in tree:
            continue
        node = tree[agency.id]
        systems = []
        for system in agency.systems:
            snode = node["systems"][system.id]
            hosts = []
            for host in system.hosts:
                hr = host_runs.get((agency.id, system.id, host.id))
                hosts.append({
                    "id": host.id, "address": host.address, "roles": list(host.roles),
                    **({"os": _host_os(host.roles)} if _host_os(host.roles) else {}),
                    **_device(host),
                    "summary": snode["hosts"][host.id],
                    "collectors": hr.collectors if hr else {}, "seconds": hr.seconds if hr else None})
            la = system.last_assessment
            systems.append({
                "id": system.id, "name": system.name, "level": system.level, "summary": snode["summary"],
                "last_assessment": None if la is None else {
                    "date": la.date.isoformat(), "assessor": la.assessor,
                    "operator_independent": la.operator_independent, "licence": la.licence},
                "hosts": hosts})
        agencies.append({"id": agency.id, "name": agency.name, "summary": node["summary"],
                         "declared": _declared(agency), "systems": systems})
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fourlayer", "version": run.tool_version},
        "run": {"id": run.id, "started": run.started.isoformat(),
                "finished": run.finished.isoformat() if run.finished else None,
                "complete": run.complete, "inventory": run.inventory_path, "options": run.options,
                "stage_seconds": run.stage_seconds},
        "policy": run.policy,
        "scoring_method": SCORING_METHOD,
        "statuses": [s.value for s in Status],
        "checks": run.checks,
        "agencies": agencies,
        **({"framework": framework} if framework is not None else {}),  # optional in the schema
        **_segmentation(run, inventory),  # optional: only when zones are declared
        "results": _results(run),
    }


def _results(run: ScanRun) -> Any:
    """The `results` list: a scan's spool, read while each writer writes (from disk past its memory budget)."""
    if isinstance(run.results, ResultSpool):
        return run.results.documents()
    return [r.to_dict() for r in run.results]
