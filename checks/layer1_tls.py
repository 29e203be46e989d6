"""Layer 1 (on-site force): TLS protocol versions and certificates of the declared TLS ports."""

from __future__ import annotations

import datetime as dt

from fourlayer.checks import refs
from fourlayer.checks.util import tls_ports
from fourlayer.model import Unevaluable, failed, passed, warned
from fourlayer.registry import check

LEGACY = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
_TLS = dict(layer=1, min_level=1, needs=("tls",), references=(refs.TCVN_APP, refs.NIST_52, refs.RFC_8996,
                                                              refs.CIRCULAR_12))


def _answered(t) -> dict[str, dict]:
    ports = {p: v for p, v in tls_ports(t).items() if not v.get("error")}
    if not ports:
        raise Unevaluable("no declared TLS port completed a handshake")
    return ports


@check(id="L1-TLS-001", severity="high", **_TLS,
       title={"en": "No legacy TLS/SSL protocol versions accepted",
              "vi": "Không chấp nhận các phiên bản giao thức SSL/TLS cũ"},
       rationale={"en": "SSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996) and exposed to downgrade and "
                        "padding-oracle attacks.",
                  "vi": "SSLv3, TLS 1.0 và TLS 1.1 đã bị loại bỏ (RFC 8996) và dễ bị tấn công hạ cấp, padding-oracle."},
       remediation={"en": "Allow only TLS 1.2 and 1.3, e.g. nginx `ssl_protocols TLSv1.2 TLSv1.3;` or Apache "
                          "`SSLProtocol -all +TLSv1.2 +TLSv1.3`.",
                    "vi": "Chỉ cho phép TLS 1.2 và 1.3, ví dụ nginx `ssl_protocols TLSv1.2 TLSv1.3;` hoặc Apache "
                          "`SSLProtocol -all +TLSv1.2 +TLSv1.3`."})
def legacy_protocols(t):
    bad, lines = [], []
    for port, info in sorted(_answered(t).items()):
        accepted = [v for v, ok in info.get("protocols", {}).items() if ok]
        lines.append(f"{port}: {', '.join(accepted) or 'none'}")
        bad += [f"{port}/{v}" for v in accepted if v in LEGACY]
    if bad:
        return failed(f"legacy protocol versions accepted: {', '.join(bad)}", "\n".join(lines))
    return passed("only TLS 1.2 or newer is accepted", "\n".join(lines))


def _not_after(cert: dict) -> dt.datetime:
    value = dt.datetime.fromisoformat(cert["not_after"].replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@check(id="L1-TLS-002", severity="critical", **_TLS,
       title={"en": "TLS certificates are within their validity period",
              "vi": "Chứng thư TLS còn hiệu lực"},
       rationale={"en": "An expired certificate trains users to click through warnings, which is how "
                        "man-in-the-middle attacks succeed.",
                  "vi": "Chứng thư hết hạn khiến người dùng quen bỏ qua cảnh báo, tạo điều kiện cho tấn công xen giữa."},
       remediation={"en": "Renew the certificate (automate renewal, e.g. ACME) and reload the service; "
                          "monitor expiry ahead of the policy warning window.",
                    "vi": "Gia hạn chứng thư (tự động hóa, ví dụ ACME) và nạp lại dịch vụ; theo dõi hạn trước "
                          "khoảng cảnh báo theo chính sách."})
def cert_validity(t):
    now = dt.datetime.combine(t.today, dt.time(12, tzinfo=dt.timezone.utc))
    window = int(t.policy.get("tls", {}).get("cert_warning_days", 30))
    expired, soon, lines = [], [], []
    for port, info in sorted(_answered(t).items()):
        cert = info.get("cert") or {}
        if not cert.get("not_after"):
            continue
        not_after = _not_after(cert)
        days = (not_after - now).days
        lines.append(f"{port}: not_after {cert['not_after']} ({days} days), subject {cert.get('subject', '')}")
        if not_after < now:
            expired.append(f"{port} expired {-days} days ago")
        elif days <= window:
            soon.append(f"{port} expires in {days} days")
    if expired:
        return failed("; ".join(expired), "\n".join(lines))
    if soon:
        return warned("; ".join(soon) + f" (policy window {window} days)", "\n".join(lines))
    return passed("all certificates are valid beyond the warning window", "\n".join(lines))


@check(id="L1-TLS-003", severity="high", **_TLS,
       title={"en": "TLS certificates are trusted and match the host name",
              "vi": "Chứng thư TLS được tin cậy và khớp tên máy chủ"},
       rationale={"en": "A self-signed, untrusted or mismatched certificate cannot prove the server's identity.",
                  "vi": "Chứng thư tự ký, không được tin cậy hoặc sai tên không chứng minh được danh tính máy chủ."},
       remediation={"en": "Install a certificate issued by a trusted CA (or the agency's CA distributed to "
                          "clients) whose subjectAltName covers the service name, with its full chain.",
                    "vi": "Cài chứng thư do CA tin cậy cấp (hoặc CA của cơ quan đã phân phối cho máy khách) có "
                          "subjectAltName chứa tên dịch vụ, kèm đầy đủ chuỗi chứng thư."})
def cert_trust(t):
    bad, lines = [], []
    for port, info in sorted(_answered(t).items()):
        cert = info.get("cert") or {}
        lines.append(f"{port}: issuer {cert.get('issuer', '')}; verified {cert.get('verified')}"
                     f" {cert.get('verify_error') or ''}; hostname_match {cert.get('hostname_match')}")
        if not cert.get("verified"):
            bad.append(f"{port} untrusted ({'self-signed' if cert.get('self_signed') else cert.get('verify_error')})")
        elif cert.get("hostname_match") is False:
            bad.append(f"{port} name mismatch")
    if bad:
        return failed("; ".join(bad), "\n".join(lines))
    return passed("certificates chain to a trusted CA and match the host name", "\n".join(lines))
