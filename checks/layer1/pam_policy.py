"""Layer 1 (on-site force): what the PAM stacks enforce beyond length and lockout — password history, the
pam_pwquality options, the password hashing algorithm, empty passwords.

Evidence: the PAM password and auth stacks (common-password/common-auth, system-auth/password-auth),
/etc/security/pwquality.conf(.d), pwhistory.conf and /etc/login.defs. /etc/shadow is never read.
"""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import bi

from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import config_files, shown
from fourlayer.resources.parse import as_int, excerpt
from fourlayer.resources.login_defs import login_defs as host_login_defs
from fourlayer.resources.pam import pam

_PAM = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))
PWHISTORY_DEFAULT_REMEMBER = "10"  # pam_pwhistory(8) without remember=
# pam_pwquality(8) / pwquality.conf(5) when a setting is absent
PWQUALITY_OPTION_DEFAULTS = {"retry": "1", "difok": "1", "dictcheck": "1"}
PAM_UNIX_HASHES = ("md5", "bigcrypt", "sha256", "sha512", "blowfish", "gost_yescrypt", "yescrypt")


def _conf_settings(text: str) -> dict[str, str]:
    """pwquality.conf / pwhistory.conf lines: `key = value`, and bare flags such as `enforce_for_root`."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        found[key.strip().lower()] = value.strip() if sep else ""
    return found


@check(id="L1-ACC-007", severity="medium", min_level=2, **_PAM,
       title={"en": "Recent passwords cannot be reused", "vi": "Không được dùng lại các mật khẩu gần đây"},
       rationale={"en": "Without a history, a user forced to change a leaked password can set it again at once. "
                        "pam_pwhistory (remember=, or pwhistory.conf) or pam_unix remember= in the password stack "
                        "keeps the last passwords.",
                  "vi": "Không có lịch sử mật khẩu, người dùng buộc phải đổi mật khẩu bị lộ có thể đặt lại ngay "
                        "mật khẩu cũ. pam_pwhistory (remember=, hoặc pwhistory.conf) hoặc remember= của pam_unix "
                        "trong ngăn xếp password lưu lại các mật khẩu gần nhất."},
       remediation={"en": "Add `password required pam_pwhistory.so remember=24 enforce_for_root use_authtok` before "
                          "pam_unix in the password stack (or `remember = 24` in /etc/security/pwhistory.conf).",
                    "vi": "Thêm `password required pam_pwhistory.so remember=24 enforce_for_root use_authtok` trước "
                          "pam_unix trong ngăn xếp password (hoặc `remember = 24` trong "
                          "/etc/security/pwhistory.conf)."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS))
def password_history(t):
    need = int(t.policy.accounts.password_history)
    rules = pam(t).require("password")
    found = []
    for rule in rules:
        if rule.module == "pam_pwhistory.so":
            conf = {k: v for f in config_files(t, "pwhistory") for k, v in _conf_settings(f.text).items()}
            found.append((rule, rule.args.get("remember") or conf.get("remember") or PWHISTORY_DEFAULT_REMEMBER))
        elif rule.module == "pam_unix.so" and "remember" in rule.args:
            found.append((rule, rule.args["remember"]))
    evidence = "\n".join(str(r) for r in rules)
    if not found:
        return failed(bi("no password history: neither pam_pwhistory nor pam_unix remember= is in the PAM password "
                         f"stack; at least {need} remembered passwords required",
                         "không có lịch sử mật khẩu: ngăn xếp password của PAM không có pam_pwhistory hay remember= "
                         f"của pam_unix; yêu cầu ghi nhớ tối thiểu {need} mật khẩu"), evidence)
    remember = max(as_int(v) or 0 for _, v in found)
    said = "; ".join(f"{r.module} remember={v}" for r, v in found)
    if remember < need:
        return failed(bi(f"only the last {remember} passwords are remembered ({said}); at least {need} required",
                         f"chỉ {remember} mật khẩu gần nhất được ghi nhớ ({said}); yêu cầu tối thiểu {need}"), evidence)
    return passed(bi(f"the last {remember} passwords cannot be reused ({said})",
                     f"không được dùng lại {remember} mật khẩu gần nhất ({said})"), evidence)


@check(id="L1-ACC-008", severity="low", min_level=2, **_PAM,
       title={"en": "pam_pwquality retries, changed characters, dictionary and root are configured",
              "vi": "Cấu hình pam_pwquality về số lần thử, số ký tự thay đổi, từ điển và tài khoản root"},
       rationale={"en": "pam_pwquality's length rules are only part of it: `retry` bounds the attempts per change, "
                        "`difok` makes a new password differ from the old one, `dictcheck` refuses dictionary "
                        "words and `enforce_for_root` applies the rules to root too (otherwise root only gets a "
                        "warning). Module arguments override pwquality.conf.",
                  "vi": "Quy tắc độ dài của pam_pwquality mới là một phần: `retry` giới hạn số lần thử mỗi lần đổi, "
                        "`difok` buộc mật khẩu mới khác mật khẩu cũ, `dictcheck` từ chối từ có trong từ điển và "
                        "`enforce_for_root` áp dụng quy tắc cho cả root (nếu không root chỉ nhận cảnh báo). Tham số "
                        "của mô-đun được ưu tiên hơn pwquality.conf."},
       remediation={"en": "In /etc/security/pwquality.conf set `retry = 3`, `difok = 2` (or more), `dictcheck = 1` "
                          "and the line `enforce_for_root`; keep pam_pwquality in the password stack.",
                    "vi": "Trong /etc/security/pwquality.conf đặt `retry = 3`, `difok = 2` (hoặc hơn), "
                          "`dictcheck = 1` và dòng `enforce_for_root`; giữ pam_pwquality trong ngăn xếp password."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS))
def pwquality_options(t):
    rules = pam(t).require("password")
    rule = next((r for r in rules if r.module == "pam_pwquality.so"), None)
    if rule is None:
        return failed(bi("pam_pwquality is not in the PAM password stack, so none of retry, difok, dictcheck and "
                         "enforce_for_root applies",
                         "ngăn xếp password của PAM không có pam_pwquality, nên retry, difok, dictcheck và "
                         "enforce_for_root đều không được áp dụng"), "\n".join(str(r) for r in rules))
    files = config_files(t, "pwquality")
    settings = dict(PWQUALITY_OPTION_DEFAULTS)
    for f in files:  # pwquality.conf, then pwquality.conf.d/*.conf; the module's arguments last
        settings.update(_conf_settings(f.text))
    settings.update(rule.args)
    max_retry, min_difok = int(t.policy.accounts.pwquality_max_retry), int(t.policy.accounts.pwquality_min_difok)
    retry, difok, dictcheck = (as_int(settings.get(k)) for k in ("retry", "difok", "dictcheck"))
    problems = []
    if retry is None or not 1 <= retry <= max_retry:
        problems.append(bi(f"retry={settings.get('retry')} (at most {max_retry})",
                           f"retry={settings.get('retry')} (tối đa {max_retry})"))
    if difok is None or difok < min_difok:
        problems.append(bi(f"difok={settings.get('difok')} (at least {min_difok})",
                           f"difok={settings.get('difok')} (tối thiểu {min_difok})"))
    if dictcheck == 0:
        problems.append(bi("dictcheck=0 (dictionary words accepted)", "dictcheck=0 (chấp nhận từ trong từ điển)"))
    if "enforce_for_root" not in settings:
        problems.append(bi("enforce_for_root not set (root may set any password)",
                           "chưa đặt enforce_for_root (root đặt được mật khẩu bất kỳ)"))
    said = f"retry={settings.get('retry')} difok={settings.get('difok')} dictcheck={settings.get('dictcheck')}" + \
        (" enforce_for_root" if "enforce_for_root" in settings else "")
    evidence = "\n".join([str(rule)] + [f"{f.path}: {excerpt(f.text, 8)}" for f in files])
    if problems:
        return failed(bi("pam_pwquality options too weak: " + "; ".join(p["en"] for p in problems),
                         "tùy chọn pam_pwquality chưa đạt: " + "; ".join(p["vi"] for p in problems)), evidence)
    return passed(bi(f"pam_pwquality options meet the policy ({said})",
                     f"tùy chọn pam_pwquality đạt yêu cầu chính sách ({said})"), evidence)


@check(id="L1-ACC-009", severity="high", min_level=1, **_PAM,
       title={"en": "Passwords are hashed with a strong algorithm (yescrypt or SHA-512)",
              "vi": "Mật khẩu được băm bằng thuật toán mạnh (yescrypt hoặc SHA-512)"},
       rationale={"en": "A stolen /etc/shadow is cracked offline at the speed its hash allows: MD5, DES and SHA-256 "
                        "crypt fall far faster than yescrypt or SHA-512 crypt. pam_unix's option (or, without one, "
                        "login.defs ENCRYPT_METHOD) hashes passwords changed through PAM; ENCRYPT_METHOD also hashes "
                        "those set by chpasswd and newusers, and without it shadow-utils falls back to DES.",
                  "vi": "Tệp /etc/shadow bị đánh cắp sẽ bị bẻ khóa ngoại tuyến với tốc độ mà thuật toán băm cho "
                        "phép: MD5, DES và SHA-256 crypt bị phá nhanh hơn nhiều so với yescrypt hay SHA-512 crypt. "
                        "Tùy chọn của pam_unix (hoặc, nếu không có, ENCRYPT_METHOD trong login.defs) quyết định "
                        "thuật toán khi đổi mật khẩu qua PAM; ENCRYPT_METHOD còn áp dụng cho chpasswd và newusers, "
                        "và nếu thiếu nó shadow-utils dùng DES."},
       remediation={"en": "Set `ENCRYPT_METHOD YESCRYPT` (or SHA512) in /etc/login.defs and give pam_unix.so "
                          "`yescrypt` (or `sha512`) in the password stack; users' old hashes change at their next "
                          "password change.",
                    "vi": "Đặt `ENCRYPT_METHOD YESCRYPT` (hoặc SHA512) trong /etc/login.defs và thêm `yescrypt` "
                          "(hoặc `sha512`) cho pam_unix.so trong ngăn xếp password; giá trị băm cũ sẽ đổi ở lần đổi "
                          "mật khẩu tiếp theo."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS))
def password_hashing(t):
    allowed = [h.lower() for h in t.policy.accounts.password_hashes]
    method = host_login_defs(t).get("encrypt_method")
    unix = [r for r in pam(t).require("password") if r.module == "pam_unix.so"]
    if not unix:
        raise Unevaluable("pam_unix is not in the PAM password stack: the hashing module is not one this check knows")
    pam_hash = next((h for h in PAM_UNIX_HASHES[::-1] if h in unix[0].args), None)
    pam_effective = pam_hash or (method.lower() if method else "des")
    login_defs = method.lower() if method else "des"
    problems = []
    if pam_effective not in allowed:
        how = f"pam_unix {pam_hash}" if pam_hash else f"pam_unix without an option, so ENCRYPT_METHOD " \
                                                      f"{method or 'unset (DES)'}"
        problems.append(bi(f"PAM hashes with {pam_effective} ({how})",
                           f"PAM băm bằng {pam_effective} ({how})"))
    if login_defs not in allowed:
        problems.append(bi(f"login.defs ENCRYPT_METHOD {method or 'is not set, so DES'} (chpasswd, newusers)",
                           f"ENCRYPT_METHOD trong login.defs {method or 'chưa đặt, nên dùng DES'} "
                           "(chpasswd, newusers)"))
    evidence = f"{unix[0]}\nENCRYPT_METHOD {method or '(not set)'}"
    if problems:
        return failed(bi("weak password hashing: " + "; ".join(p["en"] for p in problems) +
                         f" (allowed: {', '.join(allowed)})",
                         "thuật toán băm mật khẩu yếu: " + "; ".join(p["vi"] for p in problems) +
                         f" (cho phép: {', '.join(allowed)})"), evidence)
    return passed(bi(f"passwords are hashed with {pam_effective} (PAM) and {login_defs} (login.defs ENCRYPT_METHOD)",
                     f"mật khẩu được băm bằng {pam_effective} (PAM) và {login_defs} (ENCRYPT_METHOD trong "
                     "login.defs)"), evidence)


@check(id="L1-ACC-010", severity="high", min_level=1, **_PAM,
       title={"en": "PAM does not accept empty passwords (no nullok)",
              "vi": "PAM không chấp nhận mật khẩu rỗng (không có nullok)"},
       rationale={"en": "`nullok` (or `nullok_secure`) on pam_unix lets an account whose password field is empty "
                        "log in without any password, on the console and in every service using that stack.",
                  "vi": "`nullok` (hoặc `nullok_secure`) của pam_unix cho phép tài khoản có trường mật khẩu rỗng "
                        "đăng nhập không cần mật khẩu, trên màn hình console và mọi dịch vụ dùng ngăn xếp đó."},
       remediation={"en": "Remove `nullok` and `nullok_secure` from every pam_unix.so line (Debian: "
                          "/etc/pam.d/common-auth, common-password; RHEL: `authselect` without `with-nullok`), then "
                          "give a password to, or lock, any account with an empty one.",
                    "vi": "Xóa `nullok` và `nullok_secure` khỏi mọi dòng pam_unix.so (Debian: /etc/pam.d/common-auth, "
                          "common-password; RHEL: `authselect` không có `with-nullok`), sau đó đặt mật khẩu hoặc khóa "
                          "mọi tài khoản có mật khẩu rỗng."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS, refs.CIRCULAR_12))
def no_nullok(t):
    pam(t).require("auth")
    rules = [r for r in pam(t).rules if r.type in ("auth", "password")]
    bad = [r for r in rules if r.module == "pam_unix.so" and {"nullok", "nullok_secure"} & set(r.args)]
    evidence = "\n".join(str(r) for r in rules if r.module == "pam_unix.so")
    if bad:
        where = shown([f"{r.path} ({r.type}: {' '.join(a for a in r.args if a.startswith('nullok'))})" for r in bad])
        return failed(bi(f"PAM accepts empty passwords: {where}", f"PAM chấp nhận mật khẩu rỗng: {where}"), evidence)
    return passed(bi("no pam_unix line accepts empty passwords (no nullok)",
                     "không có dòng pam_unix nào chấp nhận mật khẩu rỗng (không có nullok)"), evidence)
