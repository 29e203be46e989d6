"""Layer 4 (connection to the national monitoring system)."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.model import failed, passed
from fourlayer.registry import check


@check(id="L4-NAT-001", layer=4, severity="high", min_level=1, scope="agency",
       title={"en": "Connection to the national monitoring system is declared",
              "vi": "Đã kết nối với hệ thống giám sát quốc gia"},
       rationale={"en": "Layer 4 requires systems to connect and share information with the national cyber-security "
                        "monitoring centre.",
                  "vi": "Lớp 4 yêu cầu kết nối, chia sẻ thông tin với hệ thống giám sát an toàn không gian mạng quốc gia."},
       remediation={"en": "Connect to the national monitoring centre and declare "
                          "`national_monitoring: {connected: true, since, collector}`.",
                    "vi": "Kết nối với Trung tâm Giám sát an toàn không gian mạng quốc gia và khai báo "
                          "`national_monitoring: {connected: true, since, collector}`."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552, refs.CIRCULAR_31))
def national_declared(t):
    nat = t.agency.national_monitoring
    if nat is None or not nat.connected:
        return failed("no connection to the national monitoring system declared")
    if nat.since is None:
        return failed("connection declared without the date it started (since)")
    return passed(f"connected since {nat.since.isoformat()}", f"connected: true; since: {nat.since.isoformat()}")


@check(id="L4-NAT-002", layer=4, severity="medium", min_level=1, scope="agency", needs=("reach",),
       title={"en": "The national monitoring collector is reachable",
              "vi": "Kết nối được tới bộ thu thập của hệ thống giám sát quốc gia"},
       rationale={"en": "A declared connection that cannot carry traffic shares nothing.",
                  "vi": "Kết nối đã khai báo nhưng không truyền được dữ liệu thì không chia sẻ được thông tin."},
       remediation={"en": "Declare `national_monitoring.collector: host:port` and open the path to it.",
                    "vi": "Khai báo `national_monitoring.collector: host:port` và mở đường kết nối tới đó."},
       references=(refs.DISPATCH_1552, refs.CIRCULAR_31))
def national_reachable(t):
    probe = t.ev("reach").get("national_collector")
    if probe is None:
        return failed("no national collector endpoint declared (national_monitoring.collector)")
    if probe["reachable"]:
        return passed(f"national collector {probe['endpoint']} accepts connections", probe["detail"])
    return failed(f"national collector {probe['endpoint']} is not reachable", probe["detail"])


@check(id="L4-IR-001", layer=4, severity="medium", min_level=1, scope="agency",
       title={"en": "An incident-response contact is declared", "vi": "Có đầu mối ứng cứu sự cố được khai báo"},
       rationale={"en": "The national centre and the SOC must know whom to call when an incident is detected.",
                  "vi": "Trung tâm quốc gia và SOC cần biết liên hệ với ai khi phát hiện sự cố."},
       remediation={"en": "Declare `incident_contact: {name, phone}` (the agency's member of the national incident "
                          "response network).",
                    "vi": "Khai báo `incident_contact: {name, phone}` (thành viên mạng lưới ứng cứu sự cố quốc gia)."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552))
def incident_contact(t):
    c = t.agency.incident_contact
    if c and c.name.strip() and (c.phone or c.email):
        return passed(f"incident contact: {c.name}", f"name: {c.name}")
    return failed("no incident-response contact with a phone or email declared")
