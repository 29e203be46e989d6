"""Layer 1 (on-site force): HTTP hygiene seen in one `GET /` per web port — redirect to HTTPS, HSTS, security
headers, software versions in headers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fourlayer.checks import refs
from fourlayer.checks.judge import judge_rows
from fourlayer.checks.util import Text, bi, both, joined

from fourlayer.core.registry import check

if TYPE_CHECKING:
    from fourlayer.collectors.http import HttpResponse

REDIRECTS = (301, 302, 303, 307, 308)
_MAX_AGE = re.compile(r"(?i)(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?")
_FRAME_ANCESTORS = re.compile(r"(?i)(?:^|;)\s*frame-ancestors\s")
_VERSION = re.compile(r"\d")
_HTTP = dict(layer=1, needs=("http",))
_LACKS = bi("lacks", "thiếu")
_REFS = (refs.TCVN_APP, refs.OWASP_HEADERS, refs.OWASP_ASVS_14, refs.CIRCULAR_12)


def _responses(t, scheme: str | None = None) -> tuple[list[tuple[str, HttpResponse]], list[str]]:
    """(port, response) of the web ports that answered (of `scheme`, if given), and notes on those that did not."""
    answered, notes = [], []
    for port, info in t.ev("http").by_port():
        if scheme and info.scheme != scheme:
            continue
        if info.error:
            notes.append(f"{port}/{info.scheme}: not read ({info.error})")
        else:
            answered.append((port, info))
    return answered, notes


def _header(info: HttpResponse, name: str) -> str | None:
    return info.header(name)


@check(id="L1-HTT-001", severity="medium", min_level=1, **_HTTP, references=_REFS + (refs.RFC_6797,),
       title={"en": "Plain HTTP redirects to HTTPS", "vi": "HTTP không mã hóa được chuyển hướng sang HTTPS"},
       rationale={"en": "A plain-HTTP port that serves pages (or redirects to another http:// address) sends "
                        "cookies, credentials and forms in clear text and lets an attacker strip TLS.",
                  "vi": "Cổng HTTP không mã hóa phục vụ nội dung (hoặc chuyển hướng sang địa chỉ http:// khác) "
                        "truyền cookie, thông tin đăng nhập và biểu mẫu dưới dạng không mã hóa, và cho phép kẻ tấn "
                        "công gỡ bỏ TLS."},
       remediation={"en": "Answer every plain-HTTP request with a permanent redirect to the HTTPS address, e.g. "
                          "nginx `return 301 https://$host$request_uri;`.",
                    "vi": "Trả lời mọi yêu cầu HTTP không mã hóa bằng chuyển hướng vĩnh viễn sang địa chỉ HTTPS, ví "
                          "dụ nginx `return 301 https://$host$request_uri;`."})
def redirects_to_https(t):
    answered, notes = _responses(t, "http")
    rows = []
    for port, info in answered:
        status, location = info.status, info.location or ""
        ok = status in REDIRECTS and location.lower().startswith("https://")
        rows.append((f"{port}/http: {status} {info.reason or ''}; Location {location or 'none'}",
                     None if ok else bi(f"{port} answers {status}" + (f" to {location}" if location else ""),
                                        f"{port} trả về {status}" + (f" tới {location}" if location else ""))))
    return judge_rows(rows, bi("plain HTTP not redirected to HTTPS",
                               "HTTP không mã hóa không được chuyển hướng sang HTTPS"),
                      bi("every plain-HTTP port redirects to HTTPS",
                         "mọi cổng HTTP không mã hóa đều chuyển hướng sang HTTPS"),
                      bi("the inventory declares no plain-HTTP port for this host",
                         "danh mục tài sản không khai báo cổng HTTP không mã hóa nào cho máy chủ này"), notes)


@check(id="L1-HTT-002", severity="medium", min_level=2, **_HTTP, references=(refs.RFC_6797,) + _REFS,
       title={"en": "HTTPS sends HSTS with a long enough max-age",
              "vi": "HTTPS gửi HSTS với max-age đủ dài"},
       rationale={"en": "Strict-Transport-Security (RFC 6797) makes browsers refuse plain HTTP to the site for "
                        "max-age seconds, closing the first-request downgrade (SSL stripping); a short max-age "
                        "(policy http.hsts_min_max_age) protects returning users for too little time.",
                  "vi": "Strict-Transport-Security (RFC 6797) buộc trình duyệt không dùng HTTP không mã hóa tới "
                        "trang trong max-age giây, chặn tấn công hạ cấp ở lần truy cập đầu (SSL stripping); "
                        "max-age ngắn (chính sách http.hsts_min_max_age) bảo vệ người dùng quá ngắn."},
       remediation={"en": "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS "
                          "response (nginx `add_header Strict-Transport-Security \"max-age=31536000; "
                          "includeSubDomains\" always;`).",
                    "vi": "Gửi `Strict-Transport-Security: max-age=31536000; includeSubDomains` trong mọi phản hồi "
                          "HTTPS (nginx `add_header Strict-Transport-Security \"max-age=31536000; "
                          "includeSubDomains\" always;`)."})
def hsts(t):
    minimum = int(t.policy.http.hsts_min_max_age)
    answered, notes = _responses(t, "https")
    rows = []
    for port, info in answered:
        value = _header(info, "strict-transport-security")
        match = _MAX_AGE.search(value or "")
        age = int(match.group(1)) if match else None
        problem = bi(f"{port}: no Strict-Transport-Security", f"{port}: không có Strict-Transport-Security") \
            if value is None else \
            bi(f"{port}: no max-age in {value!r}", f"{port}: không có max-age trong {value!r}") if age is None else \
            f"{port}: max-age={age} < {minimum}" if age < minimum else None
        rows.append((f"{port}/https: strict-transport-security: {value or '(none)'}", problem))
    return judge_rows(rows, bi("HSTS missing or too short", "HSTS bị thiếu hoặc thời hạn quá ngắn"),
                      bi(f"every HTTPS port sends HSTS with max-age >= {minimum}",
                         f"mọi cổng HTTPS đều gửi HSTS với max-age >= {minimum}"),
                      bi("the inventory declares no HTTPS port for this host",
                         "danh mục tài sản không khai báo cổng HTTPS nào cho máy chủ này"), notes,
                      [f"policy http.hsts_min_max_age: {minimum}"])


def _missing_headers(info: HttpResponse, required: list[str]) -> list[Text]:
    missing = []
    csp = _header(info, "content-security-policy") or ""
    for name in required:
        value = _header(info, name)
        if name == "x-frame-options":
            if not (value and value.strip().upper() in ("DENY", "SAMEORIGIN")) and not _FRAME_ANCESTORS.search(csp):
                missing.append(bi("x-frame-options (or CSP frame-ancestors)",
                                  "x-frame-options (hoặc CSP frame-ancestors)"))
        elif name == "x-content-type-options":
            if (value or "").strip().lower() != "nosniff":
                missing.append("x-content-type-options: nosniff")
        elif not value:
            missing.append(name)
    return missing


@check(id="L1-HTT-003", severity="medium", min_level=2, **_HTTP, references=_REFS,
       title={"en": "Web pages send the basic security headers",
              "vi": "Trang web gửi các tiêu đề bảo mật cơ bản"},
       rationale={"en": "X-Content-Type-Options: nosniff, framing protection (X-Frame-Options or CSP "
                        "frame-ancestors) and a Content-Security-Policy block MIME confusion, clickjacking and much "
                        "of cross-site scripting at almost no cost (OWASP Secure Headers).",
                  "vi": "X-Content-Type-Options: nosniff, chống nhúng khung (X-Frame-Options hoặc CSP "
                        "frame-ancestors) và Content-Security-Policy ngăn nhầm lẫn kiểu MIME, clickjacking và phần "
                        "lớn tấn công XSS với chi phí gần như bằng không (OWASP Secure Headers)."},
       remediation={"en": "Add the headers in the web server or application, e.g. nginx `add_header "
                          "X-Content-Type-Options nosniff always; add_header Content-Security-Policy "
                          "\"default-src 'self'; frame-ancestors 'self'\" always;`.",
                    "vi": "Bổ sung các tiêu đề trong máy chủ web hoặc ứng dụng, ví dụ nginx `add_header "
                          "X-Content-Type-Options nosniff always; add_header Content-Security-Policy "
                          "\"default-src 'self'; frame-ancestors 'self'\" always;`."})
def security_headers(t):
    required = [h.lower() for h in t.policy.http.required_headers]
    answered, notes = _responses(t)
    rows, redirects = [], []
    for port, info in answered:
        if info.status in REDIRECTS:
            redirects.append(f"{port}/{info.scheme}: {info.status} redirect, no page to protect")
            continue
        missing = _missing_headers(info, required)
        shown = "; ".join(f"{h}: {_header(info, h) or '(none)'}" for h in required)
        rows.append((f"{port}/{info.scheme}: {shown}",
                     both(lambda c: f"{port} {_LACKS[c]} {joined(missing, c, ', ')}") if missing else None))
    return judge_rows(rows, bi("security headers missing", "thiếu tiêu đề bảo mật"),
                      bi("every page sends the required security headers",
                         "mọi trang đều gửi đủ các tiêu đề bảo mật bắt buộc"),
                      bi("no web port serves a page (only redirects)",
                         "không có cổng web nào phục vụ trang nội dung (chỉ chuyển hướng)"), notes, redirects)


@check(id="L1-HTT-004", severity="low", min_level=1, **_HTTP, references=_REFS,
       title={"en": "Web servers do not disclose software versions",
              "vi": "Máy chủ web không để lộ phiên bản phần mềm"},
       rationale={"en": "Server, X-Powered-By and similar headers with version numbers (Apache/2.2.8, PHP/5.2.4) "
                        "tell an attacker exactly which public exploits to try. (Whether that version is known "
                        "to be vulnerable is L3-VUL-002.)",
                  "vi": "Tiêu đề Server, X-Powered-By và tương tự có số phiên bản (Apache/2.2.8, PHP/5.2.4) cho kẻ "
                        "tấn công biết chính xác mã khai thác công khai nào cần thử. (Phiên bản đó có lỗ hổng đã "
                        "biết hay không do L3-VUL-002 kiểm tra.)"},
       remediation={"en": "Hide versions: Apache `ServerTokens Prod` and `ServerSignature Off`, nginx "
                          "`server_tokens off;`, PHP `expose_php = Off`, remove X-AspNet-Version "
                          "(`enableVersionHeader=false`).",
                    "vi": "Ẩn phiên bản: Apache `ServerTokens Prod` và `ServerSignature Off`, nginx "
                          "`server_tokens off;`, PHP `expose_php = Off`, bỏ X-AspNet-Version "
                          "(`enableVersionHeader=false`)."})
def version_disclosure(t):
    names = [h.lower() for h in t.policy.http.version_headers]
    answered, notes = _responses(t)
    rows = []
    for port, info in answered:
        shown = {h: _header(info, h) for h in names if _header(info, h)}
        leaks = [f"{h}: {v}" for h, v in shown.items() if _VERSION.search(v)]
        rows.append((f"{port}/{info.scheme}: " + ("; ".join(f"{h}: {v}" for h, v in shown.items())
                                                         or "no version header"),
                     f"{port} {', '.join(leaks)}" if leaks else None))
    return judge_rows(rows, bi("software versions disclosed", "lộ phiên bản phần mềm"),
                      bi("no header discloses a software version", "không có tiêu đề nào để lộ phiên bản phần mềm"),
                      bi("no web port answered", "không có cổng web nào phản hồi"), notes)
