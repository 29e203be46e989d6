"""Layer 3 (independent inspection): service versions with known, published vulnerabilities.

Versions come from what services announce (nmap service detection, HTTP Server / X-Powered-By headers) and are
matched against the offline table shipped with fourlayer (`fourlayer/data/vulnerable_versions.yaml`, see
`fourlayer.advisories.banner_table`). The SSH banner of the declared SSH port is judged by L1-SSH-006, the ports our own
collectors read are not probed by nmap: one announced version is one finding.
"""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.known_vulns import verdict
from fourlayer.checks.util import bi

from fourlayer.advisories.banner_table import (
    from_http_header,
    software,
)
from fourlayer.collectors.nmap_scan import fingerprinted_elsewhere
from fourlayer.core.registry import check

HTTP_VERSION_HEADERS = ("server", "x-powered-by")


_VULN = dict(layer=3, severity="critical", min_level=1,
             references=(refs.NVD, refs.CIS_CONTROLS_VULN, refs.TCVN_SRV_INTRUSION, refs.DISPATCH_1552,
                         refs.DECREE_85_ART20))


@check(id="L3-VUL-001", needs=("nmap",), **_VULN,
       title={"en": "No network service announces a known-vulnerable version",
              "vi": "Không dịch vụ mạng nào có phiên bản đã biết là có lỗ hổng"},
       rationale={"en": "Independent inspection looks for published, exploitable flaws. A service whose version "
                        "(from nmap service detection) is in the table of known-vulnerable versions — e.g. the "
                        "vsftpd 2.3.4 backdoor, ProFTPD 1.3.3 Telnet IAC overflow, Exim 4.87-4.91 — can be taken "
                        "over with public exploits.",
                  "vi": "Kiểm tra độc lập tìm các lỗ hổng đã công bố và khai thác được. Dịch vụ có phiên bản (do "
                        "nmap nhận diện) nằm trong bảng phiên bản có lỗ hổng đã biết — ví dụ cửa hậu vsftpd 2.3.4, "
                        "tràn bộ đệm Telnet IAC của ProFTPD 1.3.3, Exim 4.87-4.91 — có thể bị chiếm quyền bằng mã "
                        "khai thác công khai."},
       remediation={"en": "Update the service to a fixed version (or the distribution's patched package), then "
                          "re-scan. If the distribution backported the fix without changing the version, confirm "
                          "it in the package changelog and record a waiver with that evidence.",
                    "vi": "Cập nhật dịch vụ lên phiên bản đã sửa (hoặc gói đã vá của bản phân phối) rồi quét lại. "
                          "Nếu bản phân phối đã vá mà không đổi số phiên bản, xác nhận trong nhật ký thay đổi của "
                          "gói và ghi nhận miễn trừ kèm bằng chứng đó."})
def vulnerable_services(t):
    ev = t.ev("nmap")
    skip = fingerprinted_elsewhere(t.host)
    seen = []
    for port, info in sorted(ev.open_ports().items()):
        if port in skip or not info.product:
            continue
        item = software(info.product, info.version, f"{port}/tcp nmap -sV", info.extrainfo)
        if item:
            seen.append(item)
    detection = ev.version_detection
    notes = [f"nmap version detection: {detection}"]
    return verdict(t, seen, notes, bi("no service announced to nmap a product version the table covers "
                                      f"(version detection: {detection})",
                                      "không có dịch vụ nào công bố cho nmap phiên bản sản phẩm có trong bảng tra cứu "
                                      f"(dò phiên bản: {detection})"))


@check(id="L3-VUL-002", needs=("http",), **_VULN,
       title={"en": "No web server announces a known-vulnerable version",
              "vi": "Không máy chủ web nào có phiên bản đã biết là có lỗ hổng"},
       rationale={"en": "Web servers often announce their software in the Server and X-Powered-By headers "
                        "(e.g. Apache/2.4.49, OpenSSL/1.0.1f). A version in the table of known-vulnerable "
                        "versions means a public exploit probably works (path traversal, Heartbleed...).",
                  "vi": "Máy chủ web thường tự công bố phần mềm trong tiêu đề Server và X-Powered-By (ví dụ "
                        "Apache/2.4.49, OpenSSL/1.0.1f). Phiên bản nằm trong bảng phiên bản có lỗ hổng đã biết "
                        "nghĩa là mã khai thác công khai rất có thể dùng được (duyệt thư mục, Heartbleed...)."},
       remediation={"en": "Update the web server and its libraries to fixed versions, then hide versions "
                          "(`ServerTokens Prod`, `server_tokens off;`, `expose_php = Off`, see L1-HTT-004).",
                    "vi": "Cập nhật máy chủ web và thư viện lên phiên bản đã sửa, sau đó ẩn phiên bản "
                          "(`ServerTokens Prod`, `server_tokens off;`, `expose_php = Off`, xem L1-HTT-004)."})
def vulnerable_web_servers(t):
    seen, notes = [], []
    for port, info in t.ev("http").by_port():
        if info.error:
            notes.append(f"{port}/tcp not read: {info.error}")
            continue
        for header in HTTP_VERSION_HEADERS:
            value = info.header(header)
            if value:
                seen += from_http_header(value, f"{port}/tcp {header}")
    return verdict(t, seen, notes, bi("no web server announced a product version the table covers",
                                      "không có máy chủ web nào công bố phiên bản sản phẩm có trong bảng tra cứu"))
