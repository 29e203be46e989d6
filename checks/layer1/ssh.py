"""Layer 1 (on-site force): SSH server hardening, seen on the wire and in `sshd -T` (else sshd_config read as sshd
reads it: fourlayer.resources.sshd)."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import bi, offered_weak

from fourlayer.core.model import failed, not_applicable, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.ssh_transport import (
    host_key_lines,
    ssh2_transport,
    with_host_keys,
)
from fourlayer.resources.sshd import by_default, sshd


def _algorithms_check(t, key: str, policy_key: str, what: dict[str, str]):
    ev = ssh2_transport(t)
    offered = list(ev.offered(key))
    weak = offered_weak(offered, t.policy.ssh[policy_key])
    excerpt = f"{key}: {','.join(offered)}"
    if weak:
        return failed(bi(f"weak {what['en']} offered: {', '.join(weak)}",
                         f"{what['vi']} yếu được cung cấp: {', '.join(weak)}"), excerpt)
    return passed(bi(f"no weak {what['en']} offered", f"không có {what['vi']} yếu nào được cung cấp"), excerpt)


_WIRE = dict(layer=1, min_level=1, needs=("ssh_transport",),
             references=(refs.TCVN_SRV, refs.RFC_9142, refs.CIS_SSH, refs.CIRCULAR_12))


@check(id="L1-SSH-001", severity="high", **_WIRE,
       title={"en": "SSH offers no weak key-exchange algorithms",
              "vi": "SSH không cung cấp thuật toán trao đổi khóa yếu"},
       rationale={"en": "SHA-1 and 1024-bit Diffie-Hellman key exchanges can be broken or downgraded.",
                  "vi": "Trao đổi khóa dùng SHA-1 và Diffie-Hellman 1024 bit có thể bị phá hoặc hạ cấp."},
       remediation={"en": "Set `KexAlgorithms` in sshd_config to modern ones only, e.g. "
                          "sntrup761x25519-sha512@openssh.com,curve25519-sha256,diffie-hellman-group16-sha512.",
                    "vi": "Đặt `KexAlgorithms` trong sshd_config chỉ gồm thuật toán hiện đại, ví dụ "
                          "sntrup761x25519-sha512@openssh.com,curve25519-sha256,diffie-hellman-group16-sha512."})
def weak_kex(t):
    return _algorithms_check(t, "kex", "weak_kex", bi("key-exchange algorithms", "thuật toán trao đổi khóa"))


@check(id="L1-SSH-002", severity="high", **_WIRE,
       title={"en": "SSH offers no weak ciphers", "vi": "SSH không cung cấp thuật toán mã hóa yếu"},
       rationale={"en": "CBC-mode, 3DES, RC4 and Blowfish ciphers allow plaintext recovery attacks.",
                  "vi": "Các thuật toán mã hóa chế độ CBC, 3DES, RC4, Blowfish cho phép tấn công khôi phục bản rõ."},
       remediation={"en": "Set `Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
                          "aes256-ctr,aes192-ctr,aes128-ctr` in sshd_config and reload sshd.",
                    "vi": "Đặt `Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
                          "aes256-ctr,aes192-ctr,aes128-ctr` trong sshd_config và nạp lại sshd."})
def weak_ciphers(t):
    return _algorithms_check(t, "ciphers", "weak_ciphers", bi("ciphers", "thuật toán mã hóa"))


@check(id="L1-SSH-003", severity="medium", **_WIRE,
       title={"en": "SSH offers no weak MAC algorithms", "vi": "SSH không cung cấp thuật toán MAC yếu"},
       rationale={"en": "MD5, SHA-1 and 64-bit MACs weaken message integrity.",
                  "vi": "MAC dùng MD5, SHA-1 và MAC 64 bit làm yếu tính toàn vẹn thông điệp."},
       remediation={"en": "Set `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
                          "umac-128-etm@openssh.com` in sshd_config.",
                    "vi": "Đặt `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
                          "umac-128-etm@openssh.com` trong sshd_config."})
def weak_macs(t):
    return _algorithms_check(t, "macs", "weak_macs", bi("MAC algorithms", "thuật toán MAC"))


@check(id="L1-SSH-004", severity="medium", **_WIRE,
       title={"en": "SSH host key types and signatures are strong",
              "vi": "Loại khóa máy chủ SSH và thuật toán chữ ký đủ mạnh"},
       rationale={"en": "DSA host keys and SHA-1 RSA signatures (ssh-rsa) no longer protect against "
                        "impersonation of the server. (RSA key size is L1-SSH-005.)",
                  "vi": "Khóa máy chủ DSA và chữ ký RSA dùng SHA-1 (ssh-rsa) không còn chống được việc giả mạo "
                        "máy chủ. (Độ dài khóa RSA do L1-SSH-005 kiểm tra.)"},
       remediation={"en": "Use an Ed25519 host key (and RSA with rsa-sha2-256/512), remove DSA keys from "
                          "`HostKey`, and drop ssh-rsa/ssh-dss from `HostKeyAlgorithms`.",
                    "vi": "Dùng khóa máy chủ Ed25519 (và RSA với rsa-sha2-256/512), gỡ khóa DSA khỏi `HostKey`, và "
                          "bỏ ssh-rsa/ssh-dss khỏi `HostKeyAlgorithms`."})
def weak_host_keys(t):
    ev = with_host_keys(t)
    problems = [bi(f"{k.type} key", f"khóa {k.type}") for k in ev.host_keys if k.type == "ssh-dss"]
    problems += [bi(f"algorithm {a}", f"thuật toán {a}")
                 for a in offered_weak(list(ev.host_key_algorithms),
                                       t.policy.ssh.weak_host_key_algorithms)]
    excerpt = host_key_lines(ev)
    if problems:
        return failed(bi(f"weak host key types or signatures: {', '.join(p['en'] for p in problems)}",
                         f"loại khóa máy chủ hoặc thuật toán chữ ký yếu: {', '.join(p['vi'] for p in problems)}"),
                      excerpt)
    return passed(bi("host key types and signature algorithms are strong",
                     "các loại khóa máy chủ và thuật toán chữ ký đều đủ mạnh"), excerpt)


_CONF = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",),
             references=(refs.TCVN_SRV, refs.CIS_SSH, refs.CIRCULAR_12))


@check(id="L1-SSH-010", severity="high", min_level=1, **_CONF,
       title={"en": "SSH root login is disabled", "vi": "Không cho phép đăng nhập SSH bằng tài khoản root"},
       rationale={"en": "Direct root login removes accountability and gives attackers a known account name.",
                  "vi": "Đăng nhập trực tiếp bằng root làm mất khả năng truy vết và cho kẻ tấn công biết sẵn tên tài khoản."},
       remediation={"en": "Set `PermitRootLogin no` in sshd_config, log in as a named user and elevate with sudo.",
                    "vi": "Đặt `PermitRootLogin no` trong sshd_config, đăng nhập bằng tài khoản định danh và dùng sudo."})
def root_login(t):
    config = sshd(t)
    value = config.permit_root_login or ""
    excerpt = f"permitrootlogin {value}"
    said, src = config.describe("permitrootlogin"), config.label
    if value == "no":
        return by_default(t, config, ["permitrootlogin"], passed(
            bi(f"root login over SSH is disabled ({src}: {said['en']})",
               f"đăng nhập root qua SSH đã bị vô hiệu hóa ({src}: {said['vi']})"), excerpt))
    if value in ("prohibit-password", "without-password", "forced-commands-only"):
        return warned(bi(f"root may log in with a key ({src}: {said['en']})",
                         f"root có thể đăng nhập bằng khóa ({src}: {said['vi']})"), excerpt)
    return failed(bi(f"root may log in over SSH (PermitRootLogin {value or 'unset'}; {src}: {said['en']})",
                     f"root có thể đăng nhập qua SSH (PermitRootLogin {value or 'chưa đặt'}; {src}: {said['vi']})"),
                  excerpt)


@check(id="L1-SSH-011", severity="high", min_level=1, **_CONF,
       title={"en": "SSH password authentication is disabled",
              "vi": "Tắt xác thực SSH bằng mật khẩu"},
       rationale={"en": "Passwords can be guessed or phished; from level 2, remote administration should use keys "
                        "or certificates (multi-factor where required).",
                  "vi": "Mật khẩu có thể bị dò hoặc đánh cắp; từ cấp độ 2, quản trị từ xa nên dùng khóa hoặc chứng thư "
                        "số (đa yếu tố khi được yêu cầu)."},
       remediation={"en": "Set `PasswordAuthentication no` and `KbdInteractiveAuthentication no` in sshd_config "
                          "after every administrator has a key.",
                    "vi": "Đặt `PasswordAuthentication no` và `KbdInteractiveAuthentication no` trong sshd_config "
                          "sau khi mọi quản trị viên đã có khóa."})
def password_auth(t):
    allowed = t.policy.ssh.password_auth_allowed_max_level
    if t.level <= allowed:
        return not_applicable(bi(f"policy ssh.password_auth_allowed_max_level tolerates passwords up to level "
                                 f"{allowed}; this target is level {t.level}",
                                 f"chính sách ssh.password_auth_allowed_max_level chấp nhận mật khẩu đến cấp độ "
                                 f"{allowed}; đối tượng kiểm tra này thuộc cấp độ {t.level}"))
    config = sshd(t)
    pw, kbd = config.password_authentication or "", config.kbd_interactive_authentication or "no"
    excerpt = f"passwordauthentication {pw}\nkbdinteractiveauthentication {kbd}"
    keys = ["passwordauthentication", "kbdinteractiveauthentication"]
    said = {code: "; ".join(config.describe(k)[code] for k in keys) for code in ("en", "vi")}
    src = config.label
    if pw == "no" and kbd == "no":
        return by_default(t, config, keys, passed(
            bi(f"password logins are disabled ({src}: {said['en']})",
               f"đăng nhập bằng mật khẩu đã bị vô hiệu hóa ({src}: {said['vi']})"), excerpt))
    return failed(bi(f"SSH accepts passwords ({src}: {said['en']})",
                     f"SSH chấp nhận đăng nhập bằng mật khẩu ({src}: {said['vi']})"), excerpt)
