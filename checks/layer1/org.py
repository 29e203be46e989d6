"""Layer 1 (on-site force): the organisation behind the hosts."""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import failed, passed
from fourlayer.core.registry import check


@check(id="L1-ORG-001", layer=1, severity="medium", min_level=1, scope="agency",
       title={"en": "A named security officer is declared", "vi": "Có cán bộ phụ trách an toàn thông tin được chỉ định"},
       rationale={"en": "The on-site force starts with a person who is accountable for information security.",
                  "vi": "Lực lượng tại chỗ bắt đầu từ một người chịu trách nhiệm về an toàn thông tin."},
       remediation={"en": "Appoint a security officer and declare `security_officer: {name, email}` for the agency.",
                    "vi": "Phân công cán bộ phụ trách và khai báo `security_officer: {name, email}` cho cơ quan."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552, refs.DECREE_85, refs.TCVN_MGMT))
def security_officer(t):
    officer = t.agency.security_officer
    if officer and officer.name.strip() and (officer.email or officer.phone):
        return passed({"en": f"security officer: {officer.name}",
                       "vi": f"cán bộ phụ trách an toàn thông tin: {officer.name}"}, f"name: {officer.name}")
    if officer and officer.name.strip():
        return failed({"en": "security officer declared without a way to reach them (email or phone)",
                       "vi": "cán bộ phụ trách đã được khai báo nhưng không có thông tin liên lạc "
                             "(email hoặc điện thoại)"})
    return failed({"en": "no security officer declared for the agency",
                   "vi": "cơ quan chưa khai báo cán bộ phụ trách an toàn thông tin"})
