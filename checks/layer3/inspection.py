"""Layer 3 (independent periodic inspection): assessments on schedule, by someone independent and licensed,
documented, with their findings remediated."""

from __future__ import annotations

import datetime as dt

from fourlayer.checks import refs

from fourlayer.config.inventory import Assessment
from fourlayer.core.model import Outcome, failed, not_applicable, passed
from fourlayer.core.registry import check


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def within_interval(last: Assessment | None, months: int, today: dt.date, what: tuple[str, str]) -> Outcome:
    """PASS if `last` is dated, not in the future, and `months` have not passed since; `what` is the assessed
    object as (English, Vietnamese)."""
    en, vi = what
    if last is None:
        return failed({"en": f"no assessment of {en} recorded; one is required every {months} months",
                       "vi": f"chưa ghi nhận lần kiểm tra, đánh giá nào đối với {vi}; quy định phải đánh giá "
                             f"{months} tháng một lần"})
    date = last.date.isoformat()
    excerpt = f"date: {date}; assessor: {last.assessor}; interval: {months} months"
    if last.date > today:
        return failed({"en": f"the assessment of {en} is dated {date}, in the future: record the date it was done",
                       "vi": f"lần đánh giá {vi} ghi ngày {date}, nằm trong tương lai: cần ghi đúng ngày thực hiện"},
                      excerpt)
    due_day = add_months(last.date, months)
    due = due_day.isoformat()
    excerpt += f"; next due: {due}"
    if today > due_day:
        return failed({"en": f"the last assessment of {en} ({date}) is overdue since {due} (every {months} months)",
                       "vi": f"lần đánh giá gần nhất đối với {vi} ({date}) đã quá hạn từ ngày {due} (chu kỳ "
                             f"{months} tháng)"}, excerpt)
    return passed({"en": f"{en} assessed {date}, next due {due}",
                   "vi": f"{vi} đã được đánh giá ngày {date}, hạn đánh giá tiếp theo {due}"}, excerpt)


@check(id="L3-ASM-001", layer=3, severity="high", min_level=1, scope="system",
       title={"en": "An independent assessment was done within the interval for the system's level",
              "vi": "Đã kiểm tra, đánh giá độc lập trong thời hạn quy định theo cấp độ của hệ thống"},
       rationale={"en": "Decree 85/2016 Art. 20 and Directive 14/CT-TTg: level 3 and 4 systems are assessed every "
                        "year, level 5 every 6 months; lower levels on the policy's interval.",
                  "vi": "Điều 20 Nghị định 85/2016 và Chỉ thị 14/CT-TTg: hệ thống cấp độ 3, 4 được kiểm tra, đánh giá "
                        "hằng năm, cấp độ 5 sáu tháng một lần; cấp độ thấp hơn theo chu kỳ của chính sách."},
       remediation={"en": "Commission an independent assessment and record "
                          "`last_assessment: {date, assessor, operator_independent}` for the system.",
                    "vi": "Thuê đơn vị độc lập kiểm tra, đánh giá và ghi nhận "
                          "`last_assessment: {date, assessor, operator_independent}` cho hệ thống."},
       references=(refs.DECREE_85_ASSESS, refs.DIRECTIVE_14_ASSESS, refs.DISPATCH_1552))
def assessment_interval(t):
    intervals = t.policy.assessment.interval_months
    months = int(intervals.get(t.level, intervals.get(str(t.level), 24)))
    return within_interval(t.system.last_assessment, months, t.as_of,
                           (f"{t.system.id} (level {t.level})", f"hệ thống {t.system.id} (cấp độ {t.level})"))


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@check(id="L3-ASM-002", layer=3, severity="high", min_level=1, scope="system",
       title={"en": "The assessor is independent of the operator and of the SOC provider",
              "vi": "Đơn vị đánh giá độc lập với đơn vị vận hành và với đơn vị giám sát (SOC)"},
       rationale={"en": "Layer 3 requires an independent inspection; Directive 14/CT-TTg asks for an assessor "
                        "independent of the organisation that monitors and protects the system. An operator or a "
                        "SOC assessing its own work is not independent.",
                  "vi": "Lớp 3 yêu cầu kiểm tra độc lập; Chỉ thị 14/CT-TTg yêu cầu đơn vị đánh giá độc lập với tổ "
                        "chức giám sát, bảo vệ hệ thống. Đơn vị vận hành hoặc SOC tự đánh giá công việc của mình "
                        "thì không độc lập."},
       remediation={"en": "Have the next assessment done by an organisation that neither operates nor monitors the "
                          "system, and declare `operator_independent: true`.",
                    "vi": "Giao lần đánh giá tới cho tổ chức không vận hành và không giám sát hệ thống, và khai báo "
                          "`operator_independent: true`."},
       references=(refs.DISPATCH_1552, refs.DIRECTIVE_14_ASSESS, refs.DECREE_85_ART20))
def assessor_independent(t):
    last = t.system.last_assessment
    if last is None:
        return failed({"en": "no assessment recorded, so no independent assessor",
                       "vi": "chưa ghi nhận lần đánh giá nào, nên không có đơn vị đánh giá độc lập"})
    soc = t.agency.soc
    excerpt = f"assessor: {last.assessor}; operator_independent: {str(last.operator_independent).lower()}" + \
        (f"; SOC provider: {soc.provider}" if soc else "")
    if not last.operator_independent:
        return failed({"en": f"assessor {last.assessor} is not independent of the operator",
                       "vi": f"đơn vị đánh giá {last.assessor} không độc lập với đơn vị vận hành"}, excerpt)
    if soc is not None and _same_name(soc.provider, last.assessor):
        return failed({"en": f"assessor {last.assessor} is also the SOC provider that monitors the system",
                       "vi": f"đơn vị đánh giá {last.assessor} đồng thời là đơn vị SOC giám sát hệ thống"}, excerpt)
    return passed({"en": f"independent assessor: {last.assessor}",
                   "vi": f"đơn vị đánh giá độc lập: {last.assessor}"}, excerpt)


@check(id="L3-ASM-003", layer=3, severity="medium", min_level=1, scope="system",
       title={"en": "The assessor's licence is declared (from the policy's level up)",
              "vi": "Giấy phép của đơn vị đánh giá được khai báo (từ cấp độ theo chính sách)"},
       rationale={"en": "Decree 85/2016 Art. 20: from level 3 the assessment is done by a licensed or designated "
                        "organisation; the licence number lets an inspector verify it.",
                  "vi": "Điều 20 Nghị định 85/2016: từ cấp độ 3, việc đánh giá do tổ chức được cấp phép hoặc được chỉ "
                        "định thực hiện; số giấy phép giúp thanh tra xác minh điều đó."},
       remediation={"en": "Record the assessor's licence (or designation) number in `last_assessment.licence`; if it "
                          "has none, commission a licensed assessor.",
                    "vi": "Ghi số giấy phép (hoặc quyết định chỉ định) của đơn vị đánh giá vào "
                          "`last_assessment.licence`; nếu không có, thuê đơn vị đánh giá được cấp phép."},
       references=(refs.DECREE_85_ASSESS, refs.DECREE_85_ART20))
def assessor_licensed(t):
    licensed_from = int(t.policy.assessment.licensed_from_level)
    if t.level < licensed_from:
        return not_applicable({"en": f"a licensed assessor is required from level {licensed_from}; this system "
                                     f"is level {t.level}",
                               "vi": f"đơn vị đánh giá được cấp phép là bắt buộc từ cấp độ {licensed_from}; hệ "
                                     f"thống này ở cấp độ {t.level}"})
    last = t.system.last_assessment
    if last is None:
        return failed({"en": f"no assessment recorded; level {t.level} needs one by a licensed assessor",
                       "vi": f"chưa ghi nhận lần đánh giá nào; cấp độ {t.level} cần được đánh giá bởi đơn vị được "
                             "cấp phép"})
    if not last.licence:
        return failed({"en": f"level {t.level} needs a licensed assessor; no licence number declared for "
                             f"{last.assessor}",
                       "vi": f"cấp độ {t.level} cần đơn vị đánh giá được cấp phép; chưa khai báo số giấy phép của "
                             f"{last.assessor}"},
                      f"assessor: {last.assessor}; licence: not declared")
    return passed({"en": f"assessor {last.assessor} holds licence {last.licence}",
                   "vi": f"đơn vị đánh giá {last.assessor} có giấy phép {last.licence}"},
                  f"assessor: {last.assessor}; licence: {last.licence}")


@check(id="L3-ASM-004", layer=3, severity="medium", min_level=1, scope="agency",
       title={"en": "The whole organisation was assessed within the interval",
              "vi": "Toàn bộ tổ chức đã được kiểm tra, đánh giá trong thời hạn quy định"},
       rationale={"en": "Decree 85/2016 Art. 20: besides each system, the organisation's information security as a "
                        "whole is assessed periodically (every 2 years by default).",
                  "vi": "Điều 20 Nghị định 85/2016: ngoài từng hệ thống, an toàn thông tin của toàn bộ tổ chức được "
                        "kiểm tra, đánh giá định kỳ (mặc định 2 năm một lần)."},
       remediation={"en": "Commission an organisation-wide assessment and record "
                          "`organisation_assessment: {date, assessor, operator_independent}` for the agency.",
                    "vi": "Thuê đánh giá toàn bộ tổ chức và ghi nhận "
                          "`organisation_assessment: {date, assessor, operator_independent}` cho cơ quan."},
       references=(refs.DECREE_85_ASSESS, refs.DECREE_85_ART20, refs.DISPATCH_1552))
def organisation_assessment(t):
    months = int(t.policy.assessment.organisation_interval_months)
    return within_interval(t.agency.organisation_assessment, months, t.as_of,
                           (f"the organisation {t.agency.id}", f"tổ chức {t.agency.id}"))


@check(id="L3-ASM-005", layer=3, severity="high", min_level=1, scope="system",
       title={"en": "Findings of the last assessment are remediated or planned, on time",
              "vi": "Các phát hiện của lần đánh giá gần nhất đã được khắc phục hoặc có kế hoạch, đúng hạn"},
       rationale={"en": "An assessment protects nothing until its findings are fixed: open findings need a "
                        "remediation plan whose due date has not passed.",
                  "vi": "Đánh giá không bảo vệ được gì cho tới khi các phát hiện được khắc phục: phát hiện còn tồn tại "
                        "cần có kế hoạch khắc phục chưa quá hạn."},
       remediation={"en": "Remediate the findings and declare `findings_open: 0`, or adopt a plan and declare "
                          "`remediation_plan` and `remediation_due` in `last_assessment`.",
                    "vi": "Khắc phục các phát hiện và khai báo `findings_open: 0`, hoặc ban hành kế hoạch và khai báo "
                          "`remediation_plan`, `remediation_due` trong `last_assessment`."},
       references=(refs.DECREE_85_ART20, refs.DIRECTIVE_14, refs.TCVN_MGMT))
def findings_remediated(t):
    last = t.system.last_assessment
    if last is None:
        return failed({"en": "no assessment recorded, so no findings to follow up",
                       "vi": "chưa ghi nhận lần đánh giá nào, nên không có phát hiện để theo dõi khắc phục"})
    if last.findings_open is None:
        return failed({"en": f"the assessment of {last.date.isoformat()} does not declare how many findings remain "
                             "open (findings_open)",
                       "vi": f"lần đánh giá ngày {last.date.isoformat()} không khai báo số phát hiện còn tồn tại "
                             "(findings_open)"})
    due = last.remediation_due.isoformat() if last.remediation_due else "not declared"
    excerpt = (f"findings_open: {last.findings_open}; remediation_plan: {last.remediation_plan or 'not declared'}; "
               f"remediation_due: {due}")
    if last.findings_open == 0:
        return passed({"en": f"every finding of the {last.date.isoformat()} assessment is remediated",
                       "vi": f"mọi phát hiện của lần đánh giá ngày {last.date.isoformat()} đã được khắc phục"},
                      excerpt)
    n, plan = last.findings_open, last.remediation_plan
    if not plan or last.remediation_due is None:
        return failed({"en": f"{n} findings open without a remediation plan and due date",
                       "vi": f"còn {n} phát hiện tồn tại mà không có kế hoạch khắc phục và thời hạn"}, excerpt)
    if last.remediation_due < t.as_of:
        return failed({"en": f"{n} findings still open; remediation plan {plan} was due {due}",
                       "vi": f"vẫn còn {n} phát hiện tồn tại; kế hoạch khắc phục {plan} đã đến hạn ngày {due}"},
                      excerpt)
    return passed({"en": f"{n} findings open under plan {plan}, due {due}",
                   "vi": f"còn {n} phát hiện đang được khắc phục theo kế hoạch {plan}, hạn {due}"}, excerpt)


@check(id="L3-ASM-006", layer=3, severity="low", min_level=1, scope="system",
       title={"en": "The assessment report is referenced",
              "vi": "Báo cáo kiểm tra, đánh giá được dẫn chiếu"},
       rationale={"en": "An inspector verifies an assessment from its report; a declared date without a report "
                        "reference cannot be checked.",
                  "vi": "Thanh tra xác minh việc đánh giá qua báo cáo; ngày đánh giá được khai báo mà không dẫn chiếu "
                        "báo cáo thì không kiểm chứng được."},
       remediation={"en": "Record the report's reference (document number) in `last_assessment.report`.",
                    "vi": "Ghi số hiệu báo cáo đánh giá vào `last_assessment.report`."},
       references=(refs.DECREE_85_ART20, refs.TCVN_MGMT))
def assessment_report(t):
    last = t.system.last_assessment
    if last is None:
        return failed({"en": "no assessment recorded, so no report",
                       "vi": "chưa ghi nhận lần đánh giá nào, nên không có báo cáo"})
    if not last.report:
        return failed({"en": f"the assessment of {last.date.isoformat()} by {last.assessor} has no report reference",
                       "vi": f"lần đánh giá ngày {last.date.isoformat()} do {last.assessor} thực hiện không có số "
                             "hiệu báo cáo"},
                      f"date: {last.date.isoformat()}; report: not declared")
    return passed({"en": f"assessment report {last.report}", "vi": f"báo cáo đánh giá {last.report}"},
                  f"date: {last.date.isoformat()}; report: {last.report}")
