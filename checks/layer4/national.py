"""Layer 4 (connection to the national monitoring system): what the agency declares and whether it is reachable."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.reach_probe import probe_outcomes

from fourlayer.core.model import failed, passed
from fourlayer.core.registry import check


@check(id="L4-NAT-001", layer=4, severity="high", min_level=1, scope="agency",
       title={"en": "Connection to the national monitoring system is declared with its start date",
              "vi": "Đã kết nối với hệ thống giám sát quốc gia và khai báo ngày bắt đầu kết nối"},
       rationale={"en": "Layer 4 requires systems to connect and share information with the national cyber-security "
                        "monitoring centre; the date the connection started is the evidence an inspector asks for.",
                  "vi": "Lớp 4 yêu cầu kết nối, chia sẻ thông tin với hệ thống giám sát an toàn không gian mạng quốc "
                        "gia; ngày bắt đầu kết nối là bằng chứng thanh tra yêu cầu."},
       remediation={"en": "Connect to the national monitoring centre and declare "
                          "`national_monitoring: {connected: true, since: YYYY-MM-DD, collector}`.",
                    "vi": "Kết nối với Trung tâm Giám sát an toàn không gian mạng quốc gia và khai báo "
                          "`national_monitoring: {connected: true, since: YYYY-MM-DD, collector}`."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552, refs.CIRCULAR_31, refs.LAW_116))
def national_declared(t):
    nat = t.agency.national_monitoring
    if nat is None or not nat.connected:
        return failed({"en": "no connection to the national monitoring system declared",
                       "vi": "chưa khai báo kết nối với hệ thống giám sát quốc gia"},
                      "national_monitoring: " + ("connected: false" if nat else "not declared"))
    if nat.since is None:
        return failed({"en": "connection declared without the date it started (since)",
                       "vi": "kết nối được khai báo nhưng không có ngày bắt đầu (since)"},
                      "connected: true; since: missing")
    excerpt = f"connected: true; since: {nat.since.isoformat()}"
    if nat.since > t.as_of:
        return failed({"en": f"connection start date {nat.since.isoformat()} is in the future: declare the date it "
                             "actually started",
                       "vi": f"ngày bắt đầu kết nối {nat.since.isoformat()} nằm trong tương lai: cần khai báo đúng "
                             "ngày thực tế bắt đầu kết nối"}, excerpt)
    return passed({"en": f"connected since {nat.since.isoformat()}",
                   "vi": f"đã kết nối từ ngày {nat.since.isoformat()}"}, excerpt)


@check(id="L4-NAT-002", layer=4, severity="medium", min_level=1, scope="agency", needs=("reach",),
       title={"en": "The national monitoring collector is reachable",
              "vi": "Kết nối được tới bộ thu thập của hệ thống giám sát quốc gia"},
       rationale={"en": "A declared connection that cannot carry traffic shares nothing.",
                  "vi": "Kết nối đã khai báo nhưng không truyền được dữ liệu thì không chia sẻ được thông tin."},
       remediation={"en": "Declare `national_monitoring.collector: host:port` and open the path to it.",
                    "vi": "Khai báo `national_monitoring.collector: host:port` và mở đường kết nối tới đó."},
       references=(refs.DISPATCH_1552, refs.CIRCULAR_31))
def national_reachable(t):
    return probe_outcomes(t, {"national_collector": ("national collector", "bộ thu thập quốc gia")},
                          {"en": "no national collector endpoint declared (national_monitoring.collector)",
                           "vi": "chưa khai báo địa chỉ bộ thu thập quốc gia (national_monitoring.collector)"})


@check(id="L4-IR-001", layer=4, severity="medium", min_level=1, scope="agency",
       title={"en": "An incident-response contact is declared with a phone or e-mail",
              "vi": "Có đầu mối ứng cứu sự cố được khai báo với số điện thoại hoặc thư điện tử"},
       rationale={"en": "The national centre and the SOC must know whom to call when an incident is detected: a "
                        "named person and a channel that reaches them.",
                  "vi": "Trung tâm quốc gia và SOC cần biết liên hệ với ai khi phát hiện sự cố: một người cụ thể và "
                        "một kênh liên lạc tới được người đó."},
       remediation={"en": "Declare `incident_contact: {name, phone, email}` (the agency's member of the national "
                          "incident response network).",
                    "vi": "Khai báo `incident_contact: {name, phone, email}` (thành viên mạng lưới ứng cứu sự cố quốc "
                          "gia của cơ quan)."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552, refs.LAW_116))
def incident_contact(t):
    c = t.agency.incident_contact
    if c is None or not c.name.strip():
        return failed({"en": "no incident-response contact declared",
                       "vi": "chưa khai báo đầu mối ứng cứu sự cố"})
    channels = ([f"phone {c.phone}"] if c.phone else []) + ([f"e-mail {c.email}"] if c.email else [])
    channels_vi = ([f"điện thoại {c.phone}"] if c.phone else []) + ([f"thư điện tử {c.email}"] if c.email else [])
    excerpt = f"name: {c.name}; " + ("; ".join(channels) or "no phone or e-mail")
    if not channels:
        return failed({"en": f"incident contact {c.name} has no phone or e-mail to reach them",
                       "vi": f"đầu mối ứng cứu sự cố {c.name} không có số điện thoại hoặc thư điện tử để liên lạc"},
                      excerpt)
    return passed({"en": f"incident contact {c.name}, reachable by {' and '.join(channels)}",
                   "vi": f"đầu mối ứng cứu sự cố {c.name}, liên lạc qua {' và '.join(channels_vi)}"}, excerpt)
