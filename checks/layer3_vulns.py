"""Layer 3 (independent inspection): service versions with known, published vulnerabilities.

Versions come from what services announce (nmap service detection, HTTP Server / X-Powered-By headers) and are
matched against the offline table shipped with fourlayer (`fourlayer/data/vulnerable_versions.yaml`, see
`fourlayer.vulndb`). The SSH banner of the declared SSH port is judged by L1-SSH-006, the ports our own
collectors read are not probed by nmap: one announced version is one finding.
"""

from __future__ import annotations

from pathlib import Path

from fourlayer.checks import refs
from fourlayer.checks.util import Text, bi, both, lang, policy
from fourlayer.collectors.nmap_scan import fingerprinted_elsewhere
from fourlayer.model import Outcome, failed, not_applicable, passed, warned
from fourlayer.registry import check
from fourlayer.vulndb import SEVERITIES, Match, Software, from_http_header, load_table, software

HTTP_VERSION_HEADERS = ("server", "x-powered-by")
# which source decided: the announced version and the banner table (installed packages are L3-PKG-001's)
BY_BANNER = bi("(announced versions vs the banner table)", "(phiên bản tự công bố so với bảng banner)")
DECIDED_BY = ("decided by: announced versions vs the banner table; hosts with a login are also judged on their "
              "installed packages (L3-PKG-001)")


def _short(m: Match) -> str:
    s = m.software
    return f"{s.where}: {s.name} {s.version} {'/'.join(m.entry.cves)} ({m.entry.severity})"


def verdict(t, seen: list[Software], notes: list[str], nothing: Text) -> Outcome:
    """Judge the versions `seen` against the offline table: FAIL at or above policy vulns.fail_severity, WARN
    below it or when the table is older than vulns.max_table_age_days, NOT_APPLICABLE (`nothing`) when no
    version was seen at all. Distribution backports the banner proves are reported, not counted."""
    table = load_table()
    fail_rank = SEVERITIES.index(policy(t, "vulns", "fail_severity", default="high"))
    max_age = int(policy(t, "vulns", "max_table_age_days", default=180))
    age = table.age_days(t.clock_day)  # the table's age on the scan's clock, not --as-of
    stale = bi(f"the vulnerability table is {age} days old (policy: at most {max_age}); update fourlayer",
               f"bảng dữ liệu lỗ hổng đã cũ {age} ngày (chính sách: tối đa {max_age} ngày); cần cập nhật fourlayer") \
        if age > max_age else bi("", "")
    matches = [m for item in seen for m in table.lookup(item)]
    vulnerable = [m for m in matches if m.backport is None]
    bad = [m for m in vulnerable if SEVERITIES.index(m.entry.severity) <= fail_rank]
    minor = [m for m in vulnerable if m not in bad]
    lines = [item.describe() + ("" if table.product_of(item.name) else " (product not in the table)")
             for item in seen]
    lines += [m.describe() + (f"; only if {m.entry.condition}" if m.entry.condition and not m.backport else "")
              for m in matches]
    lines += notes + [table.describe(), DECIDED_BY] + ([f"WARNING: {stale['en']}"] if stale["en"] else [])
    evidence = "\n".join(lines)
    tail = {c: f" ({stale[c]})" if stale[c] else "" for c in ("en", "vi")}
    by = BY_BANNER
    if bad:
        return failed(bi(f"known-vulnerable versions {by['en']}: {'; '.join(map(_short, bad))}{tail['en']}",
                         f"phiên bản có lỗ hổng đã biết {by['vi']}: {'; '.join(map(_short, bad))}{tail['vi']}"),
                      evidence)
    if minor:
        return warned(bi(f"versions with lower-severity known flaws {by['en']}: {'; '.join(map(_short, minor))}"
                         f"{tail['en']}",
                         f"phiên bản có lỗ hổng đã biết ở mức thấp hơn {by['vi']}: {'; '.join(map(_short, minor))}"
                         f"{tail['vi']}"), evidence)
    covered = [item for item in seen if table.product_of(item.name)]
    if not covered:
        names = ", ".join(f"{i.name} {i.version}" for i in seen)
        others = bi(f" ({names} not in the table)", f" ({names} không có trong bảng)") if seen else bi("", "")
        return not_applicable(both(lambda c: f"{lang(nothing, c)}{others[c]}{tail[c]}"), evidence)
    n_fixed, n_out = len(matches), len(seen) - len(covered)
    clean = bi(f"no known-vulnerable version among {len(covered)} announced"
               + (f"; {n_fixed} fixed by distribution backports" if n_fixed else "")
               + (f"; {n_out} not in the table" if n_out else ""),
               f"không có phiên bản nào có lỗ hổng đã biết trong số {len(covered)} phiên bản được công bố"
               + (f"; {n_fixed} đã được khắc phục bằng bản vá backport của bản phân phối" if n_fixed else "")
               + (f"; {n_out} không có trong bảng" if n_out else ""))
    if stale["en"]:
        return warned(bi(f"{clean['en']}, but {stale['en']}", f"{clean['vi']}, nhưng {stale['vi']}"), evidence)
    table_vi = f"bảng tra cứu ngoại tuyến {Path(table.path).name} cập nhật ngày {table.updated.isoformat()} " \
               f"({len(table.entries)} mục)"
    return passed(bi(f"{clean['en']} ({table.describe()})", f"{clean['vi']} ({table_vi})"), evidence)


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
    for port, info in sorted(((int(p), i) for p, i in ev.get("ports", {}).items()), key=lambda x: x[0]):
        if info.get("state") != "open" or port in skip or not info.get("product"):
            continue
        item = software(info["product"], info.get("version", ""), f"{port}/tcp nmap -sV", info.get("extrainfo", ""))
        if item:
            seen.append(item)
    detection = str(ev.get("version_detection", "off"))
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
    for port, info in sorted(t.ev("http")["ports"].items(), key=lambda x: int(x[0])):
        if info.get("error"):
            notes.append(f"{port}/tcp not read: {info['error']}")
            continue
        for header in HTTP_VERSION_HEADERS:
            value = (info.get("headers") or {}).get(header)
            if value:
                seen += from_http_header(value, f"{port}/tcp {header}")
    return verdict(t, seen, notes, bi("no web server announced a product version the table covers",
                                      "không có máy chủ web nào công bố phiên bản sản phẩm có trong bảng tra cứu"))
