"""Layer 3 (independent periodic inspection): assessments on schedule, by someone independent."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import policy
from fourlayer.model import failed, passed
from fourlayer.registry import check


def add_months(day, months: int):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day.replace(year=year, month=month, day=min(day.day, last))


@check(id="L3-ASM-001", layer=3, severity="high", min_level=1, scope="system",
       title={"en": "An independent assessment was done within the interval for the system's level",
              "vi": "Đã kiểm tra, đánh giá độc lập trong thời hạn quy định theo cấp độ của hệ thống"},
       rationale={"en": "Decree 85/2016 Art. 20.2.c: level 3 and 4 systems are assessed every year, level 5 every "
                        "6 months, and the whole organisation every 2 years.",
                  "vi": "Điều 20.2.c Nghị định 85/2016: hệ thống cấp độ 3, 4 được kiểm tra, đánh giá hằng năm, cấp độ 5 "
                        "6 tháng một lần, toàn bộ tổ chức 2 năm một lần."},
       remediation={"en": "Commission an independent assessment and record "
                          "`last_assessment: {date, assessor, operator_independent}` for the system.",
                    "vi": "Thuê đơn vị độc lập kiểm tra, đánh giá và ghi nhận "
                          "`last_assessment: {date, assessor, operator_independent}` cho hệ thống."},
       references=(refs.DECREE_85_ASSESS, refs.DIRECTIVE_14, refs.DISPATCH_1552))
def assessment_interval(t):
    intervals = policy(t, "assessment", "interval_months", default={})
    months = int(intervals.get(t.level, intervals.get(str(t.level), 24)))
    last = t.system.last_assessment
    if last is None:
        return failed(f"no assessment recorded; level {t.level} requires one every {months} months")
    due = add_months(last.date, months)
    excerpt = f"last_assessment: {last.date.isoformat()} by {last.assessor}; interval {months} months; due {due}"
    if t.today > due:
        return failed(f"last assessment {last.date.isoformat()} is overdue since {due.isoformat()} "
                      f"(level {t.level}: every {months} months)", excerpt)
    return passed(f"assessed {last.date.isoformat()}, next due {due.isoformat()}", excerpt)


@check(id="L3-ASM-002", layer=3, severity="high", min_level=1, scope="system",
       title={"en": "The assessor is independent of the operator",
              "vi": "Đơn vị đánh giá độc lập với đơn vị vận hành"},
       rationale={"en": "Layer 3 of the 4-layer model requires an independent organisation to inspect; an "
                        "operator assessing itself is not an independent inspection.",
                  "vi": "Lớp 3 của mô hình 4 lớp yêu cầu tổ chức độc lập kiểm tra, đánh giá; đơn vị vận hành tự đánh "
                        "giá không phải là kiểm tra độc lập."},
       remediation={"en": "Have the next assessment done by an organisation independent of the operator "
                          "(licensed from level 3) and declare `operator_independent: true`.",
                    "vi": "Giao lần đánh giá tới cho tổ chức độc lập với đơn vị vận hành (có giấy phép từ cấp độ 3) và "
                          "khai báo `operator_independent: true`."},
       references=(refs.DISPATCH_1552, refs.DECREE_85_ASSESS))
def assessor_independent(t):
    last = t.system.last_assessment
    if last is None:
        return failed("no assessment recorded, so no independent assessor")
    excerpt = f"assessor: {last.assessor}; operator_independent: {last.operator_independent}"
    if not last.operator_independent:
        return failed(f"assessor {last.assessor} is not independent of the operator", excerpt)
    licensed_from = int(policy(t, "assessment", "licensed_from_level", default=3))
    if t.level >= licensed_from and not last.licence:
        return failed(f"level {t.level} needs a licensed assessor; no licence number declared for {last.assessor}",
                      excerpt)
    return passed(f"independent assessor: {last.assessor}", excerpt)
