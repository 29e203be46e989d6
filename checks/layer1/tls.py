"""Layer 1 (on-site force): TLS protocol versions, cipher suites and certificates of the declared TLS ports.

Each property of a certificate has its own check (validity dates, trust chain, host name, expiry window, key
strength, signature hash), so one flaw is one finding.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Callable

from fourlayer.checks import refs
from fourlayer.checks.judge import judge_rows, pass_only_if_complete
from fourlayer.checks.util import Text, bi, both, joined, lang, tls_ports

from fourlayer.collectors.tls import WEAK_SUITES
from fourlayer.core.model import (
    Outcome,
    Status,
    Unevaluable,
    failed,
    not_applicable,
    passed,
    warned,
)
from fourlayer.core.registry import check

if TYPE_CHECKING:
    from fourlayer.collectors.tls_evidence import ChainCertificate, DhGroup, TlsCertificate, TlsPort

    Cert = TlsCertificate | ChainCertificate

LEGACY = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
MODERN = ("TLSv1.2", "TLSv1.3")
# OpenSSL reports trust problems before date problems: these errors mean the chain itself is trusted.
DATE_ERRORS = ("certificate has expired", "certificate is not yet valid")
SUITE_CLASS = {name: cls for name, cls in WEAK_SUITES.values()}  # OpenSSL suite name -> weak class
_TLS = dict(layer=1, min_level=1, needs=("tls",))
_PROTO_REFS = (refs.TCVN_APP_COMMS, refs.NIST_52, refs.RFC_8996, refs.MOZILLA_TLS, refs.CIRCULAR_12)
_CERT_REFS = (refs.TCVN_APP_COMMS, refs.NIST_52, refs.CAB_BR, refs.CIRCULAR_12)
_UNTRUSTED = bi("untrusted", "không được tin cậy")


def _answered(t) -> dict[str, TlsPort]:
    ports = {p: v for p, v in tls_ports(t).items() if not v.error}
    if not ports:
        raise Unevaluable("no declared TLS port completed a handshake")
    return ports


def _certs(t) -> list[tuple[str, TlsPort, TlsCertificate]]:
    """(port, port evidence, leaf certificate) of every answering port that showed a certificate."""
    out = [(p, info, info.cert) for p, info in sorted(_answered(t).items()) if info.cert]
    if not out:
        raise Unevaluable("no TLS port showed a certificate")
    return out


def _unread(t) -> list[str]:
    """'port: not read (why)' for every declared TLS port that completed no handshake."""
    return [f"{p}: not read ({v.error})" for p, v in sorted(tls_ports(t).items(), key=lambda x: int(x[0]))
            if v.error]


def judge_ports(t, rows: list[tuple[str, Text | None]], bad: Text, ok: Text, notes: list[str] = ()) -> Outcome:
    """judge_rows over the TLS ports that were read, the declared ones that were not given as notes."""
    return judge_rows(rows, bad, ok, notes=_unread(t) + list(notes))


@check(id="L1-TLS-001", severity="high", **_TLS, references=_PROTO_REFS,
       title={"en": "No legacy TLS/SSL protocol versions accepted",
              "vi": "Không chấp nhận các phiên bản giao thức SSL/TLS cũ"},
       rationale={"en": "SSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996) and exposed to downgrade and "
                        "padding-oracle attacks. (SSLv3 is probed with a raw handshake; an OpenSSL 3 server "
                        "cannot speak it, so the lab shows the TLS 1.0/1.1 case.)",
                  "vi": "SSLv3, TLS 1.0 và TLS 1.1 đã bị loại bỏ (RFC 8996) và dễ bị tấn công hạ cấp, "
                        "padding-oracle. (SSLv3 được dò bằng bản tin bắt tay tự dựng; máy chủ OpenSSL 3 không còn "
                        "hỗ trợ nên phòng thử nghiệm minh họa bằng TLS 1.0/1.1.)"},
       remediation={"en": "Allow only TLS 1.2 and 1.3, e.g. nginx `ssl_protocols TLSv1.2 TLSv1.3;` or Apache "
                          "`SSLProtocol -all +TLSv1.2 +TLSv1.3`.",
                    "vi": "Chỉ cho phép TLS 1.2 và 1.3, ví dụ nginx `ssl_protocols TLSv1.2 TLSv1.3;` hoặc Apache "
                          "`SSLProtocol -all +TLSv1.2 +TLSv1.3`."})
def legacy_protocols(t):
    rows, untested_notes = [], []
    for port, info in sorted(_answered(t).items()):
        protocols = info.protocols
        accepted = [v for v, ok in protocols.items() if ok]
        untested = [v for v in LEGACY if v in protocols and protocols[v] is None]
        if untested:
            untested_notes.append(f"{port}: {', '.join(untested)} not tested")
        bad = [v for v in accepted if v in LEGACY]
        rows.append((f"{port}: {', '.join(accepted) or 'none'}", ", ".join(f"{port}/{v}" for v in bad) or None))
    return judge_ports(t, rows, bi("legacy protocol versions accepted", "chấp nhận phiên bản giao thức cũ"),
                       bi("only TLS 1.2 or newer is accepted", "chỉ chấp nhận TLS 1.2 trở lên"), untested_notes)


@check(id="L1-TLS-002", severity="critical", **_TLS, references=_CERT_REFS,
       title={"en": "TLS certificates are within their validity period",
              "vi": "Chứng thư TLS còn hiệu lực"},
       rationale={"en": "An expired (or not yet valid) certificate trains users to click through warnings, which "
                        "is how man-in-the-middle attacks succeed.",
                  "vi": "Chứng thư hết hạn (hoặc chưa có hiệu lực) khiến người dùng quen bỏ qua cảnh báo, tạo điều "
                        "kiện cho tấn công xen giữa."},
       remediation={"en": "Renew the certificate (automate renewal, e.g. ACME) and reload the service; "
                          "monitor expiry ahead of the policy warning window (L1-TLS-006).",
                    "vi": "Gia hạn chứng thư (tự động hóa, ví dụ ACME) và nạp lại dịch vụ; theo dõi hạn trước "
                          "khoảng cảnh báo theo chính sách (L1-TLS-006)."})
def cert_validity(t):
    now = t.clock  # observed evidence: judged on the scan's own clock, never on --as-of
    rows = []
    for port, _, cert in _certs(t):
        not_after = _when(cert.not_after)
        days = (not_after - now).days
        # expiry on the scan's clock; "not yet valid" on the clock when the certificate was collected
        problem = bi(f"{port} expired {-days} days ago", f"{port} đã hết hạn {-days} ngày trước") \
            if not_after < now else \
            bi(f"{port} not valid before {cert.not_before}", f"{port} chưa có hiệu lực trước {cert.not_before}") \
            if cert.not_yet_valid else None
        rows.append((f"{port}: valid {cert.not_before} to {cert.not_after} ({days} days left), "
                     f"subject {cert.subject}", problem))
    return judge_ports(t, rows,
                       bi("certificate outside its validity period", "chứng thư nằm ngoài thời hạn hiệu lực"),
                       bi("every certificate is within its validity period",
                          "mọi chứng thư đều còn trong thời hạn hiệu lực"))


def _when(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@check(id="L1-TLS-003", severity="high", **_TLS, references=_CERT_REFS,
       title={"en": "TLS certificates chain to a trusted CA",
              "vi": "Chuỗi chứng thư TLS dẫn tới CA tin cậy"},
       rationale={"en": "A self-signed certificate, or one whose chain does not reach a CA the clients trust, "
                        "cannot prove the server's identity. (Host name: L1-TLS-009; dates: L1-TLS-002.)",
                  "vi": "Chứng thư tự ký, hoặc có chuỗi không dẫn tới CA mà máy khách tin cậy, không chứng minh "
                        "được danh tính máy chủ. (Tên máy chủ: L1-TLS-009; thời hạn: L1-TLS-002.)"},
       remediation={"en": "Install a certificate issued by a trusted CA (or the agency's CA distributed to "
                          "clients, declared as `tls_ca_file`), with its full intermediate chain.",
                    "vi": "Cài chứng thư do CA tin cậy cấp (hoặc CA của cơ quan đã phân phối cho máy khách, khai "
                          "báo trong `tls_ca_file`), kèm đầy đủ chuỗi chứng thư trung gian."})
def cert_trust(t):
    rows, unknown = [], []
    for port, _, cert in _certs(t):
        verified, error = cert.verified, cert.verify_error or ""
        line = f"{port}: issuer {cert.issuer}; verified {verified} {error}".rstrip()
        if verified is None:
            unknown.append(f"{port}: {error or 'not verified'}")
            rows.append((line, None))
        elif verified is False and error not in DATE_ERRORS:
            kind = bi("self-signed", "tự ký") if cert.self_signed else error
            rows.append((line, both(lambda c: f"{port} {lang(_UNTRUSTED, c)} ({lang(kind, c)})")))
        else:
            note = " (chain trusted; dates are L1-TLS-002)" if error in DATE_ERRORS else ""
            rows.append((line + note, None))
    outcome = judge_ports(t, rows, bi("certificate not trusted", "chứng thư không được tin cậy"),
                          bi("certificates chain to a trusted CA", "chuỗi chứng thư dẫn tới CA tin cậy"))
    if outcome.status is Status.PASS and unknown:
        raise Unevaluable(f"trust could not be checked: {'; '.join(unknown)}")
    return outcome


@check(id="L1-TLS-004", severity="high", **_TLS, references=_PROTO_REFS,
       title={"en": "TLS 1.2 or TLS 1.3 is supported", "vi": "Hỗ trợ TLS 1.2 hoặc TLS 1.3"},
       rationale={"en": "A server that offers neither TLS 1.2 nor 1.3 forces every client onto deprecated "
                        "protocols (or makes modern clients fail); NIST SP 800-52 Rev. 2 requires TLS 1.2 and "
                        "support for TLS 1.3.",
                  "vi": "Máy chủ không hỗ trợ TLS 1.2 lẫn 1.3 buộc mọi máy khách dùng giao thức đã bị loại bỏ "
                        "(hoặc khiến máy khách hiện đại không kết nối được); NIST SP 800-52 Rev. 2 yêu cầu TLS 1.2 "
                        "và hỗ trợ TLS 1.3."},
       remediation={"en": "Upgrade the TLS library or appliance firmware and enable TLS 1.2 and 1.3 "
                          "(nginx `ssl_protocols TLSv1.2 TLSv1.3;`).",
                    "vi": "Nâng cấp thư viện TLS hoặc phần mềm thiết bị và bật TLS 1.2 và 1.3 "
                          "(nginx `ssl_protocols TLSv1.2 TLSv1.3;`)."})
def modern_protocol(t):
    rows = []
    for port, info in sorted(_answered(t).items()):
        protocols = info.protocols
        modern = [v for v in MODERN if protocols.get(v)]
        if not modern and any(protocols.get(v) is None for v in MODERN):
            raise Unevaluable(f"{port}: TLS 1.2/1.3 support could not be tested")
        rows.append((f"{port}: {', '.join(v for v, ok in protocols.items() if ok) or 'none'}",
                     None if modern else bi(f"{port} speaks neither TLS 1.2 nor TLS 1.3",
                                            f"{port} không hỗ trợ cả TLS 1.2 lẫn TLS 1.3")))
    return judge_ports(t, rows, bi("no modern TLS version", "không có phiên bản TLS hiện đại"),
                       bi("every TLS port speaks TLS 1.2 or 1.3", "mọi cổng TLS đều hỗ trợ TLS 1.2 hoặc 1.3"))


@check(id="L1-TLS-005", severity="high", **_TLS, references=_PROTO_REFS,
       title={"en": "No weak cipher suites are accepted", "vi": "Không chấp nhận bộ mã hóa yếu"},
       rationale={"en": "RC4, DES/3DES, EXPORT, NULL (no encryption) and anonymous (no authentication) suites "
                        "give away confidentiality or the server's identity; the policy may add CBC suites with "
                        "SHA-1 MACs (Mozilla intermediate profile).",
                  "vi": "Các bộ mã hóa RC4, DES/3DES, EXPORT, NULL (không mã hóa) và ẩn danh (không xác thực) làm "
                        "mất tính bí mật hoặc danh tính máy chủ; chính sách có thể bổ sung các bộ CBC dùng MAC "
                        "SHA-1 (hồ sơ intermediate của Mozilla)."},
       remediation={"en": "Restrict the cipher list to AEAD suites with forward secrecy, e.g. nginx "
                          "`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` (Mozilla intermediate).",
                    "vi": "Giới hạn danh sách bộ mã hóa ở các bộ AEAD có bí mật chuyển tiếp, ví dụ nginx "
                          "`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` (Mozilla intermediate)."})
def weak_ciphers(t):
    wanted = list(t.policy.tls.weak_cipher_classes)
    rows, incomplete = [], []
    for port, info in sorted(_answered(t).items()):
        probed = info.weak_classes_probed
        missing = [c for c in wanted if probed and c not in probed]
        if missing:
            raise Unevaluable(f"{port}: classes {', '.join(missing)} were not probed (collector policy differs)")
        bad = [c for c in info.weak_ciphers if SUITE_CLASS.get(c) in wanted]
        if not info.weak_ciphers_complete:
            incomplete.append(port)
        rows.append((f"{port}: accepted {', '.join(info.weak_ciphers) or 'no weak suite'} "
                     f"(probed {', '.join(probed) or 'nothing'})", f"{port}: {', '.join(bad)}" if bad else None))
    outcome = judge_ports(t, rows, bi("weak cipher suites accepted", "chấp nhận bộ mã hóa yếu"),
                          bi(f"no suite of {', '.join(wanted)} is accepted",
                             f"không chấp nhận bộ mã hóa nào thuộc nhóm {', '.join(wanted)}"))
    return pass_only_if_complete(outcome, incomplete, "the cipher enumeration did not finish on")


@check(id="L1-TLS-006", severity="medium", **_TLS, references=_CERT_REFS,
       title={"en": "TLS certificates are not about to expire",
              "vi": "Chứng thư TLS chưa sắp hết hạn"},
       rationale={"en": "A certificate that expires within the policy window (tls.cert_warning_days, warn; "
                        "tls.cert_critical_days, fail) will soon break the service or push users to ignore "
                        "warnings; renewal needs lead time. (Already expired: L1-TLS-002.)",
                  "vi": "Chứng thư hết hạn trong khoảng thời gian theo chính sách (tls.cert_warning_days: cảnh "
                        "báo; tls.cert_critical_days: không đạt) sẽ sớm làm gián đoạn dịch vụ hoặc khiến người dùng "
                        "bỏ qua cảnh báo; việc gia hạn cần thời gian. (Đã hết hạn: L1-TLS-002.)"},
       remediation={"en": "Renew the certificate now and automate renewal (ACME, or a calendar reminder tied "
                          "to the certificate inventory).",
                    "vi": "Gia hạn chứng thư ngay và tự động hóa việc gia hạn (ACME, hoặc lịch nhắc gắn với danh "
                          "mục chứng thư)."})
def cert_expiring(t):
    now = t.clock
    warn_days = int(t.policy.tls.cert_warning_days)
    fail_days = int(t.policy.tls.cert_critical_days)
    lines, soon, urgent = [], [], []
    for port, _, cert in _certs(t):
        not_after = _when(cert.not_after)
        days = (not_after - now).days
        if not_after < now:
            lines.append(f"{port}: expired {cert.not_after} (judged by L1-TLS-002)")
            continue
        lines.append(f"{port}: not_after {cert.not_after} ({days} days left)")
        expiry = bi(f"{port} expires in {days} days", f"{port} hết hạn sau {days} ngày")
        if days <= fail_days:
            urgent.append(expiry)
        elif days <= warn_days:
            soon.append(expiry)
    window = bi(f"(policy: warn within {warn_days} days, fail within {fail_days})",
                f"(chính sách: cảnh báo khi còn dưới {warn_days} ngày, không đạt khi còn dưới {fail_days} ngày)")
    evidence = "\n".join(lines + [window["en"]])
    if urgent or soon:
        verdict = failed if urgent else warned
        return verdict(both(lambda c: f"{joined(urgent + soon, c)} {lang(window, c)}"), evidence)
    if _unread(t):
        raise Unevaluable(f"not everything declared could be read: {'; '.join(_unread(t))}")
    if not any("days left" in line for line in lines):
        return not_applicable(bi("every certificate has already expired (L1-TLS-002)",
                                 "mọi chứng thư đều đã hết hạn (L1-TLS-002)"), evidence)
    return passed(bi(f"no certificate expires within {warn_days} days",
                     f"không có chứng thư nào hết hạn trong vòng {warn_days} ngày"), evidence)


def _chain_certs(info: TlsPort, cert: TlsCertificate) -> list[tuple[dict[str, str], Cert]]:
    """(label, facts) of the leaf and the intermediates the server sent (self-signed roots are not judged)."""
    out: list[tuple[dict[str, str], Cert]] = [(bi("leaf", "chứng thư lá"), cert)]
    out += [(bi(f"intermediate {c.subject}", f"chứng thư trung gian {c.subject}"), c)
            for c in info.chain or () if not c.self_signed]
    return out


def _chain_rows(t, problem: Callable[[Cert], Text | None], describe: Callable[[Cert], str]) -> list:
    rows = []
    for port, info, cert in _certs(t):
        for label, facts in _chain_certs(info, cert):
            issue = problem(facts)
            rows.append((f"{port} {label['en']}: {describe(facts)}",
                         both(lambda c: f"{port} {lang(label, c)}: {lang(issue, c)}") if issue else None))
        if info.chain is None:
            rows.append((f"{port}: intermediates not visible to this Python; leaf only", None))
    return rows


@check(id="L1-TLS-007", severity="high", **_TLS, references=_CERT_REFS + (refs.NIST_57,),
       title={"en": "TLS certificate keys are strong enough", "vi": "Khóa của chứng thư TLS đủ mạnh"},
       rationale={"en": "RSA keys under 2048 bits and elliptic-curve keys under 256 bits (policy "
                        "tls.min_rsa_bits, tls.min_ec_bits) can be broken by a determined attacker, who can then "
                        "impersonate the server; DSA certificates are obsolete.",
                  "vi": "Khóa RSA dưới 2048 bit và khóa đường cong elliptic dưới 256 bit (chính sách "
                        "tls.min_rsa_bits, tls.min_ec_bits) có thể bị kẻ tấn công quyết tâm phá, rồi giả mạo máy "
                        "chủ; chứng thư DSA đã lỗi thời."},
       remediation={"en": "Issue a new certificate with an RSA 3072-bit or ECDSA P-256 key "
                          "(`openssl req -newkey rsa:3072` or `-newkey ec -pkeyopt ec_paramgen_curve:P-256`).",
                    "vi": "Cấp chứng thư mới với khóa RSA 3072 bit hoặc ECDSA P-256 "
                          "(`openssl req -newkey rsa:3072` hoặc `-newkey ec -pkeyopt ec_paramgen_curve:P-256`)."})
def cert_key_strength(t):
    rsa_min = int(t.policy.tls.min_rsa_bits)
    ec_min = int(t.policy.tls.min_ec_bits)

    def problem(c: Cert) -> Text | None:
        kind, bits = c.key_type, int(c.key_bits or 0)
        if kind in ("RSA", "EC") and bits < (rsa_min if kind == "RSA" else ec_min):
            least = rsa_min if kind == "RSA" else ec_min
            return bi(f"{kind} {bits} bits < {least}", f"{kind} {bits} bit < {least}")
        return bi("DSA key", "khóa DSA") if kind == "DSA" else None

    rows = _chain_rows(t, problem, lambda c: f"{c.key_type} {c.key_bits} bits")
    return judge_ports(t, rows, bi("weak certificate keys", "khóa chứng thư yếu"),
                       bi(f"certificate keys meet RSA >= {rsa_min}, EC >= {ec_min} bits",
                          f"khóa chứng thư đạt RSA >= {rsa_min}, EC >= {ec_min} bit"))


@check(id="L1-TLS-008", severity="medium", **_TLS, references=_CERT_REFS + (refs.NIST_131A,),
       title={"en": "TLS certificates are not signed with SHA-1 or MD5",
              "vi": "Chứng thư TLS không được ký bằng SHA-1 hoặc MD5"},
       rationale={"en": "MD5 and SHA-1 signatures can be forged with collision attacks (SHAttered, chosen-prefix "
                        "collisions); browsers reject them. The leaf and every intermediate the server sends are "
                        "judged; roots are trusted by installation, not by their self-signature.",
                  "vi": "Chữ ký MD5 và SHA-1 có thể bị giả mạo bằng tấn công va chạm (SHAttered, va chạm tiền tố "
                        "chọn trước); trình duyệt đã từ chối. Chứng thư lá và mọi chứng thư trung gian máy chủ gửi "
                        "đều được xét; chứng thư gốc được tin do cài đặt, không do chữ ký tự ký."},
       remediation={"en": "Re-issue the certificate (and ask the CA for an intermediate) signed with SHA-256 or "
                          "stronger, and install the new chain.",
                    "vi": "Cấp lại chứng thư (và yêu cầu CA cung cấp chứng thư trung gian) ký bằng SHA-256 hoặc "
                          "mạnh hơn, rồi cài chuỗi chứng thư mới."})
def cert_signature_hash(t):
    weak = [h.lower() for h in t.policy.tls.weak_signature_hashes]

    def problem(c: Cert) -> Text | None:
        digest = (c.signature_hash or "").lower()
        return bi(f"signed with {digest.upper()}", f"ký bằng {digest.upper()}") if digest in weak else None

    rows = _chain_rows(t, problem, lambda c: f"signature hash {c.signature_hash}, issuer {c.issuer}")
    return judge_ports(t, rows, bi("weak certificate signatures", "chữ ký chứng thư yếu"),
                       bi(f"no certificate is signed with {', '.join(weak).upper()}",
                          f"không có chứng thư nào được ký bằng {', '.join(weak).upper()}"))


@check(id="L1-TLS-009", severity="high", **_TLS, references=_CERT_REFS + (refs.RFC_6125,),
       title={"en": "TLS certificates match the service name",
              "vi": "Chứng thư TLS khớp với tên dịch vụ"},
       rationale={"en": "A certificate for another name (subjectAltName) makes every client warn or fail, and "
                        "clients that ignore the warning cannot tell the real server from an impostor.",
                  "vi": "Chứng thư cấp cho tên khác (subjectAltName) khiến mọi máy khách cảnh báo hoặc lỗi, và máy "
                        "khách bỏ qua cảnh báo thì không phân biệt được máy chủ thật với kẻ giả mạo."},
       remediation={"en": "Issue the certificate with the service name (or IP) in subjectAltName, and declare "
                          "that name as `tls_server_name` in the inventory.",
                    "vi": "Cấp chứng thư có tên dịch vụ (hoặc địa chỉ IP) trong subjectAltName, và khai báo tên đó "
                          "trong `tls_server_name` của tệp kiểm kê."})
def cert_hostname(t):
    rows = []
    for port, _, cert in _certs(t):
        match = cert.hostname_match
        line = f"{port}: expected {cert.expected_name}; SAN {', '.join(cert.san) or 'none'}"
        rows.append((f"{line}; match {match}",
                     bi(f"{port}: not valid for {cert.expected_name}",
                        f"{port}: không hợp lệ cho tên {cert.expected_name}") if match is False else None))
    return judge_ports(t, rows, bi("certificate name mismatch", "tên trên chứng thư không khớp"),
                       bi("certificates match the service name", "chứng thư khớp với tên dịch vụ"))


@check(id="L1-TLS-010", severity="high", **_TLS,
       references=(refs.TCVN_APP_COMMS, refs.NIST_52, refs.RFC_7919, refs.LOGJAM, refs.MOZILLA_TLS, refs.CIRCULAR_12),
       title={"en": "TLS servers use strong Diffie-Hellman groups",
              "vi": "Máy chủ TLS dùng nhóm Diffie-Hellman đủ mạnh"},
       rationale={"en": "A DHE key exchange is only as strong as its group. Groups under the policy's minimum "
                        "(tls.min_dh_bits, 2048) can be broken by precomputation, and one precomputation breaks "
                        "every server sharing a 1024-bit group (Logjam); a composite modulus or a prime that is not "
                        "a safe prime lets an attacker push the exchange into a small subgroup.",
                  "vi": "Trao đổi khóa DHE chỉ mạnh bằng nhóm Diffie-Hellman của nó. Nhóm nhỏ hơn mức tối thiểu "
                        "của chính sách (tls.min_dh_bits, 2048) có thể bị phá bằng tính toán trước, và một lần tính "
                        "toán trước phá được mọi máy chủ dùng chung một nhóm 1024 bit (Logjam); mô-đun là hợp số "
                        "hoặc số nguyên tố không an toàn cho phép kẻ tấn công đẩy trao đổi khóa vào nhóm con nhỏ."},
       remediation={"en": "Prefer ECDHE; where DHE must stay, use an RFC 7919 group of 2048 bits or more (nginx "
                          "`ssl_dhparam` with the ffdhe2048 file from RFC 7919, Apache `SSLOpenSSLConfCmd "
                          "Groups`), or remove the DHE suites from the cipher list.",
                    "vi": "Ưu tiên ECDHE; nếu vẫn cần DHE, dùng nhóm RFC 7919 từ 2048 bit trở lên (nginx "
                          "`ssl_dhparam` với tệp ffdhe2048 của RFC 7919, Apache `SSLOpenSSLConfCmd Groups`), hoặc "
                          "bỏ các bộ mã hóa DHE khỏi danh sách."})
def dh_group_strength(t):
    least = int(t.policy.tls.min_dh_bits)
    rows, unknown = [], []
    for port, info in sorted(_answered(t).items()):
        group = info.dh_group
        if not group:
            if not info.weak_ciphers_complete:
                unknown.append(port)
            rows.append((f"{port}: no DHE suite accepted", None))
            continue
        name = group.well_known or "not a well-known group"
        rows.append((f"{port}: DHE group {group.bits} bits ({name}); prime {group.prime}, "
                     f"safe prime {group.safe_prime}", _dh_problem(port, group, least)))
        if group.prime is None:
            unknown.append(f"{port} (primality not tested above 8192 bits)")
    outcome = judge_ports(t, rows, bi("weak Diffie-Hellman group", "nhóm Diffie-Hellman yếu"),
                          bi(f"DHE groups are safe primes of at least {least} bits (or no DHE suite is accepted)",
                             f"nhóm DHE là số nguyên tố an toàn từ {least} bit (hoặc không chấp nhận bộ DHE nào)"))
    return pass_only_if_complete(outcome, unknown, "the DHE group could not be judged on")


def _dh_problem(port: str, group: DhGroup, least: int) -> Text | None:
    bits, problems = int(group.bits or 0), []
    if bits < least:
        shared = f", {group.well_known}" if group.well_known else ""
        problems.append(bi(f"{bits} bits < {least}{shared}", f"{bits} bit < {least}{shared}"))
    if group.prime is False:
        problems.append(bi("the modulus is not prime", "mô-đun không phải số nguyên tố"))
    elif group.safe_prime is False:
        problems.append(bi("not a safe prime ((p-1)/2 is not prime)",
                           "không phải số nguyên tố an toàn ((p-1)/2 không là số nguyên tố)"))
    if not problems:
        return None
    return both(lambda c: f"{port}: {joined(problems, c)}")
