"""Layer 1 (on-site force): what an SSH server shows on the wire before any login — protocol version, software
version and host keys (key-exchange, cipher and MAC offers are in layer1_ssh)."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.known_vulns import verdict
from fourlayer.checks.util import bi

from fourlayer.advisories.banner_table import from_ssh_banner
from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.ssh_transport import (
    host_key_lines,
    with_host_keys,
)

_WIRE = dict(layer=1, min_level=1, needs=("ssh_transport",))


@check(id="L1-SSH-005", severity="medium", **_WIRE,
       title={"en": "SSH RSA host keys are long enough",
              "vi": "Khóa máy chủ SSH loại RSA đủ độ dài"},
       rationale={"en": "An RSA host key shorter than the policy minimum (2048 bits by default; 1024-bit RSA is "
                        "within reach of well-funded attackers) lets an attacker forge the server's identity.",
                  "vi": "Khóa máy chủ RSA ngắn hơn mức tối thiểu theo chính sách (mặc định 2048 bit; RSA 1024 bit "
                        "nằm trong tầm phá của kẻ tấn công có nguồn lực) cho phép giả mạo danh tính máy chủ."},
       remediation={"en": "Generate a new RSA host key of 3072 bits (`ssh-keygen -t rsa -b 3072 -f "
                          "/etc/ssh/ssh_host_rsa_key`) or rely on Ed25519, update `HostKey`, reload sshd and "
                          "publish the new fingerprints to administrators.",
                    "vi": "Tạo khóa máy chủ RSA mới 3072 bit (`ssh-keygen -t rsa -b 3072 -f "
                          "/etc/ssh/ssh_host_rsa_key`) hoặc dùng Ed25519, cập nhật `HostKey`, nạp lại sshd và thông "
                          "báo dấu vân tay mới cho quản trị viên."},
       references=(refs.TCVN_SRV, refs.NIST_57, refs.CIS_SSH, refs.CIRCULAR_12))
def rsa_host_key_size(t):
    ev = with_host_keys(t)
    min_bits = int(t.policy.ssh.min_rsa_bits)
    rsa = [k for k in ev.host_keys if k.type in ("ssh-rsa", "rsa")]
    excerpt = host_key_lines(ev) + f"\npolicy ssh.min_rsa_bits: {min_bits}"
    if not rsa:
        if any(e.startswith("rsa:") for e in ev.host_key_errors):
            raise Unevaluable("the server offers an RSA host key that could not be read: "
                              + "; ".join(e for e in ev.host_key_errors if e.startswith("rsa:")))
        return passed(bi("the server has no RSA host key", "máy chủ không có khóa máy chủ RSA"), excerpt)
    short = [(k.type, k.bits) for k in rsa if int(k.bits or 0) < min_bits]
    if short:
        return failed(bi(f"RSA host key shorter than {min_bits} bits: {', '.join(f'{k} {b} bits' for k, b in short)}",
                         f"khóa máy chủ RSA ngắn hơn {min_bits} bit: {', '.join(f'{k} {b} bit' for k, b in short)}"),
                      excerpt)
    return passed(bi(f"RSA host keys have at least {min_bits} bits",
                     f"khóa máy chủ RSA có độ dài tối thiểu {min_bits} bit"), excerpt)


@check(id="L1-SSH-006", severity="critical", **_WIRE,
       title={"en": "The SSH server version has no known critical vulnerability",
              "vi": "Phiên bản máy chủ SSH không có lỗ hổng nghiêm trọng đã biết"},
       rationale={"en": "The identification banner names the SSH software and version (e.g. OpenSSH_9.2p1 "
                        "Debian-2+deb12u2); versions with published remote flaws such as regreSSHion "
                        "(CVE-2024-6387, unauthenticated code execution as root) must be patched. The banner is "
                        "matched offline; a Debian/Ubuntu package revision that carries the fix counts as fixed.",
                  "vi": "Chuỗi định danh cho biết phần mềm và phiên bản SSH (ví dụ OpenSSH_9.2p1 "
                        "Debian-2+deb12u2); phiên bản có lỗ hổng từ xa đã công bố như regreSSHion "
                        "(CVE-2024-6387, thực thi mã với quyền root không cần xác thực) phải được vá. Việc đối "
                        "chiếu thực hiện ngoại tuyến; bản gói Debian/Ubuntu đã có bản vá được coi là đã sửa."},
       remediation={"en": "Update the SSH server package (`apt install --only-upgrade openssh-server`, "
                          "`dnf upgrade openssh-server`) and restart sshd. If the vendor patched it without a "
                          "visible revision (e.g. RHEL), confirm in the package changelog and record a waiver.",
                    "vi": "Cập nhật gói máy chủ SSH (`apt install --only-upgrade openssh-server`, "
                          "`dnf upgrade openssh-server`) và khởi động lại sshd. Nếu nhà cung cấp đã vá mà không "
                          "hiện số bản gói (ví dụ RHEL), xác nhận trong nhật ký thay đổi của gói và ghi nhận "
                          "miễn trừ."},
       references=(refs.NVD, refs.TCVN_SRV_INTRUSION, refs.CIS_CONTROLS_VULN, refs.CIRCULAR_12))
def ssh_version_vulnerable(t):
    ev = t.ev("ssh_transport")
    where = f"{ev.port if ev.port is not None else '?'}/tcp SSH banner"
    item = from_ssh_banner(ev.software_name, ev.comments, where)
    return verdict(t, [item] if item else [], [f"banner: {ev.banner}"],
                   bi(f"the SSH banner names no product version the table covers ({ev.banner})",
                      f"chuỗi định danh SSH không nêu phiên bản sản phẩm nào có trong bảng tra cứu "
                      f"({ev.banner})"))


@check(id="L1-SSH-007", severity="high", **_WIRE,
       title={"en": "The SSH server speaks protocol version 2 only",
              "vi": "Máy chủ SSH chỉ dùng giao thức phiên bản 2"},
       rationale={"en": "SSH protocol 1 is broken (session hijacking, CRC-32 compensation attack, weak "
                        "integrity). A banner SSH-1.99 means the server still accepts SSH-1 besides SSH-2; "
                        "SSH-1.5 or lower means SSH-1 only.",
                  "vi": "Giao thức SSH phiên bản 1 đã bị phá (chiếm phiên, tấn công bù CRC-32, toàn vẹn yếu). "
                        "Chuỗi định danh SSH-1.99 nghĩa là máy chủ vẫn chấp nhận SSH-1 bên cạnh SSH-2; SSH-1.5 "
                        "hoặc thấp hơn nghĩa là chỉ có SSH-1."},
       remediation={"en": "Set `Protocol 2` (older OpenSSH) or upgrade to an OpenSSH release without SSH-1 "
                          "support (7.4 or later), and replace devices that only speak SSH-1.",
                    "vi": "Đặt `Protocol 2` (OpenSSH cũ) hoặc nâng cấp lên bản OpenSSH không còn hỗ trợ SSH-1 "
                          "(7.4 trở lên), và thay thế thiết bị chỉ hỗ trợ SSH-1."},
       references=(refs.RFC_4253, refs.TCVN_SRV, refs.CIS_SSH, refs.CIRCULAR_12))
def protocol_2_only(t):
    ev = t.ev("ssh_transport")
    protocol, banner = ev.protocol, ev.banner
    excerpt = f"banner: {banner}"
    if protocol == "2.0":
        return passed(bi("the server announces SSH protocol 2.0 only", "máy chủ chỉ công bố giao thức SSH 2.0"),
                      excerpt)
    if protocol == "1.99":
        return failed(bi("the server still accepts SSH protocol 1 (banner SSH-1.99)",
                         "máy chủ vẫn chấp nhận giao thức SSH 1 (chuỗi định danh SSH-1.99)"), excerpt)
    return failed(bi(f"the server speaks SSH protocol {protocol} only, no SSH-2",
                     f"máy chủ chỉ hỗ trợ giao thức SSH {protocol}, không hỗ trợ SSH-2"), excerpt)
