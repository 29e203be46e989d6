"""Layer 3 checks (independent periodic inspection) on declared facts: real inventory and policy files, scanned by
the real runner."""

from __future__ import annotations

import re

import pytest

from fourlayer.core.model import Status
from tests.scan_harness import agency, scan, write_inventory

ASM = ["L3-ASM-001", "L3-ASM-002", "L3-ASM-003", "L3-ASM-004", "L3-ASM-005", "L3-ASM-006"]

GOOD_ASSESSMENT = {"date": "2026-05-10", "assessor": "Công ty Kiểm định Độc lập", "operator_independent": True,
                   "licence": "GP-ATTT 12/2025", "report": "BC-05/2026/KĐ", "findings_open": 3,
                   "remediation_plan": "KH-06/2026", "remediation_due": "2027-03-31"}
ORG_ASSESSMENT = {"date": "2025-09-15", "assessor": "Công ty Kiểm định Độc lập", "operator_independent": True,
                  "report": "BC-09/2025/KĐ"}


def assess(tmp_path, level=3, assessment=None, policy=None, **facts):
    system = {"last_assessment": assessment} if assessment is not None else None
    return scan(write_inventory(tmp_path, [agency(level=level, system=system, **facts)], policy), ASM)


def test_well_documented_independent_assessments_pass(tmp_path):
    r = assess(tmp_path, assessment=GOOD_ASSESSMENT, organisation_assessment=ORG_ASSESSMENT,
               soc={"provider": "Trung tâm Giám sát ATTT", "contract_until": "2027-06-30"})
    s, a = r["s1"], r["a1"]
    statuses = {**{c: s[c].status for c in ASM if c in s}, **{c: a[c].status for c in ASM if c in a}}
    assert statuses == {c: Status.PASS for c in ASM}, {c: (s.get(c) or a.get(c)).reason for c in ASM}
    assert s["L3-ASM-001"].reason == "s1 (level 3) assessed 2026-05-10, next due 2027-05-10"
    assert "SOC provider: Trung tâm Giám sát ATTT" in s["L3-ASM-002"].evidence
    assert s["L3-ASM-003"].reason.endswith("holds licence GP-ATTT 12/2025")
    assert a["L3-ASM-004"].reason == "the organisation a1 assessed 2025-09-15, next due 2027-09-15"
    assert s["L3-ASM-005"].reason == "3 findings open under plan KH-06/2026, due 2027-03-31"
    assert s["L3-ASM-006"].evidence == "date: 2026-05-10; report: BC-05/2026/KĐ"


def test_missing_assessments_fail_every_check(tmp_path):
    r = assess(tmp_path)
    assert all(r["s1"][c].status is Status.FAIL for c in ASM if c != "L3-ASM-004")
    assert r["a1"]["L3-ASM-004"].status is Status.FAIL
    assert r["s1"]["L3-ASM-001"].reason == "no assessment of s1 (level 3) recorded; one is required every 12 months"
    assert r["a1"]["L3-ASM-004"].reason.endswith("one is required every 24 months")


def test_self_assessment_of_long_ago_fails_with_reasons(tmp_path):
    old = {"date": "2023-04-01", "assessor": "Phòng CNTT", "operator_independent": False}
    r = assess(tmp_path, assessment=old, organisation_assessment={**ORG_ASSESSMENT, "date": "2024-06-30"})["s1"]
    assert r["L3-ASM-001"].status is Status.FAIL and "overdue since 2024-04-01" in r["L3-ASM-001"].reason
    assert r["L3-ASM-002"].reason == "assessor Phòng CNTT is not independent of the operator"
    assert r["L3-ASM-003"].reason.startswith("level 3 needs a licensed assessor; no licence number declared")
    assert "does not declare how many findings remain open" in r["L3-ASM-005"].reason
    assert r["L3-ASM-006"].evidence == "date: 2023-04-01; report: not declared"


def test_organisation_assessment_overdue_and_future_date(tmp_path):
    r = assess(tmp_path, assessment=GOOD_ASSESSMENT, organisation_assessment={**ORG_ASSESSMENT, "date": "2024-06-30"})
    assert r["a1"]["L3-ASM-004"].status is Status.FAIL
    assert "overdue since 2026-06-30 (every 24 months)" in r["a1"]["L3-ASM-004"].reason
    r = assess(tmp_path, assessment={**GOOD_ASSESSMENT, "date": "2027-01-15"},
               organisation_assessment={**ORG_ASSESSMENT, "date": "2026-12-01"})
    assert r["a1"]["L3-ASM-004"].status is Status.FAIL and "in the future" in r["a1"]["L3-ASM-004"].reason
    assert r["s1"]["L3-ASM-001"].status is Status.FAIL and "dated 2027-01-15, in the future" in \
        r["s1"]["L3-ASM-001"].reason


def test_policy_intervals_decide(tmp_path):
    policy = {"assessment": {"interval_months": {3: 3}, "organisation_interval_months": 12}}
    r = assess(tmp_path, assessment=GOOD_ASSESSMENT, organisation_assessment=ORG_ASSESSMENT, policy=policy)
    assert r["s1"]["L3-ASM-001"].status is Status.FAIL and "every 3 months" in r["s1"]["L3-ASM-001"].reason
    assert r["a1"]["L3-ASM-004"].status is Status.FAIL and "overdue since 2026-09-15" in r["a1"]["L3-ASM-004"].reason


def test_assessor_who_is_also_the_soc_is_not_independent(tmp_path):
    same = {**GOOD_ASSESSMENT, "assessor": "trung tâm giám sát  ATTT"}
    r = assess(tmp_path, assessment=same, soc={"provider": "Trung tâm Giám sát ATTT"})["s1"]
    assert r["L3-ASM-002"].status is Status.FAIL
    assert r["L3-ASM-002"].reason.endswith("is also the SOC provider that monitors the system")


@pytest.mark.parametrize("level, licensed_from, expect", [(2, 3, Status.NOT_APPLICABLE), (2, 2, Status.FAIL),
                                                          (3, 3, Status.FAIL)])
def test_licence_required_from_the_policy_level(tmp_path, level, licensed_from, expect):
    unlicensed = {k: v for k, v in GOOD_ASSESSMENT.items() if k != "licence"}
    r = assess(tmp_path, level=level, assessment=unlicensed,
               policy={"assessment": {"licensed_from_level": licensed_from}})["s1"]["L3-ASM-003"]
    assert r.status is expect, r.reason
    if expect is Status.NOT_APPLICABLE:
        assert r.reason == f"a licensed assessor is required from level 3; this system is level {level}"


@pytest.mark.parametrize("changes, expect, needle", [
    ({"findings_open": 0, "remediation_plan": None, "remediation_due": None}, Status.PASS, "is remediated"),
    ({"remediation_plan": None}, Status.FAIL, "3 findings open without a remediation plan and due date"),
    ({"remediation_due": "2026-10-31"}, Status.FAIL, "plan KH-06/2026 was due 2026-10-31"),
])
def test_findings_follow_up(tmp_path, changes, expect, needle):
    assessment = {k: v for k, v in {**GOOD_ASSESSMENT, **changes}.items() if v is not None}
    r = assess(tmp_path, assessment=assessment)["s1"]["L3-ASM-005"]
    assert r.status is expect and needle in r.reason, r.reason


VI_DIACRITICS = re.compile("[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
DECLARED = ASM + ["L1-ORG-001", "L2-SOC-001", "L2-SOC-003", "L4-NAT-001", "L4-IR-001"]


@pytest.mark.parametrize("facts", [
    {},  # nothing declared: every check fails
    {"assessment": {**GOOD_ASSESSMENT, "assessor": "Independent Audit Co"},
     "organisation_assessment": {**ORG_ASSESSMENT, "assessor": "Independent Audit Co"},
     "security_officer": {"name": "Nguyen Van A", "email": "a@example.gov.vn"},
     "soc": {"provider": "SOC Co", "contract_until": "2027-06-30"},
     "national_monitoring": {"connected": True, "since": "2024-01-01"},
     "incident_contact": {"name": "Tran Van B", "phone": "0240000000"}},
])
def test_reasons_are_bilingual(tmp_path, facts):
    facts = dict(facts)
    system = {"last_assessment": facts.pop("assessment")} if "assessment" in facts else None
    r = scan(write_inventory(tmp_path, [agency(system=system, **facts)]), DECLARED)
    results = {c: (r["s1"].get(c) or r["a1"][c]) for c in DECLARED}
    expect = Status.PASS if facts else Status.FAIL
    assert {c: res.status for c, res in results.items()} == {c: expect for c in DECLARED}, \
        {c: res.reason for c, res in results.items()}
    for c, res in results.items():
        assert res.reason_vi and res.reason_vi != res.reason, (c, res.reason, res.reason_vi)
        assert VI_DIACRITICS.search(res.reason_vi), (c, res.reason_vi)
