"""Layer 1 (on-site force): accounts and password policy of Linux hosts.

Evidence: /etc/passwd without its password field (`cut`), /etc/login.defs, the PAM password and auth stacks,
/etc/security/pwquality.conf(.d) and faillock.conf. /etc/shadow is never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from fourlayer.checks import refs
from fourlayer.checks.util import command_out

from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import config_files, shown
from fourlayer.resources.parse import as_int, excerpt
from fourlayer.rules.engine import parse_keyvalue
from fourlayer.resources.login_defs import login_defs
from fourlayer.resources.pam import pam

# Built-in defaults of the modules when a setting is absent (pam_pwquality(8)/pwquality.conf(5), pam_cracklib(8),
# pam_unix(8), pam_faillock(8)).
PWQUALITY_DEFAULTS = {"minlen": "8", "minclass": "0", "dcredit": "0", "ucredit": "0", "lcredit": "0", "ocredit": "0"}
CRACKLIB_DEFAULTS = {"minlen": "9", "minclass": "0", "dcredit": "1", "ucredit": "1", "lcredit": "1", "ocredit": "1"}
PAM_UNIX_MINLEN = "6"
FAILLOCK_DEFAULTS = {"deny": "3", "unlock_time": "600"}
CREDITS = ("dcredit", "ucredit", "lcredit", "ocredit")
LOCKOUT_MODULES = ("pam_faillock.so", "pam_tally2.so", "pam_tally.so")

_ACC = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


@dataclass(frozen=True)
class PasswordQuality:
    module: str  # pam_pwquality.so, pam_cracklib.so or pam_unix.so
    settings: dict[str, str]  # effective settings: module defaults < config files < module arguments
    source: str  # where they came from, for the evidence

    def number(self, key: str) -> int:
        value = as_int(self.settings.get(key))
        if value is None:
            raise Unevaluable(f"{self.module} {key}={self.settings.get(key)!r} is not a number")
        return value

    @property
    def min_length(self) -> int:
        """The shortest password accepted: minlen less the positive character-class credits."""
        return self.number("minlen") - sum(max(0, self.number(c)) for c in CREDITS if c in self.settings)

    @property
    def classes(self) -> int:
        """Character classes a password must contain: minclass, or one per negative credit."""
        if "minclass" not in self.settings:  # pam_unix has no notion of classes
            return 0
        return max(self.number("minclass"), sum(1 for c in CREDITS if self.number(c) < 0))

    def describe(self) -> str:
        keys = ("minlen", "minclass", *CREDITS)
        return " ".join([self.module] + [f"{k}={self.settings[k]}" for k in keys if k in self.settings])

    def verdict(self, have: int, need: int, when_short: dict[str, str], when_met: dict[str, str]):
        """FAIL (`when_short`) if `have` < `need`, else PASS (`when_met`), each {"en", "vi"}; the settings and their
        source as evidence."""
        said = self.describe()
        if have < need:
            return failed({"en": f"{when_short['en']} ({said}); at least {need} required",
                           "vi": f"{when_short['vi']} ({said}); yêu cầu tối thiểu {need}"}, self.source)
        return passed({lang: f"{when_met[lang]} ({said})" for lang in ("en", "vi")}, self.source)


def password_quality(t) -> PasswordQuality:
    """The password-quality rules the PAM password stack enforces."""
    rules = pam(t).stack("password")
    if not rules:
        raise Unevaluable("no PAM password stack found (/etc/pam.d/common-password, system-auth, password-auth)")
    for rule in rules:
        if rule.module == "pam_pwquality.so":
            files = config_files(t, "pwquality")
            conf: dict[str, str] = {}
            for f in files:  # pwquality.conf, then pwquality.conf.d/*.conf: later files win
                conf.update(parse_keyvalue(f.text))
            source = "; ".join([str(rule)] + [f"{f.path}: {excerpt(f.text, 6)}" for f in files])
            return PasswordQuality(rule.module, {**PWQUALITY_DEFAULTS, **conf, **rule.args}, source)
        if rule.module == "pam_cracklib.so":
            return PasswordQuality(rule.module, {**CRACKLIB_DEFAULTS, **rule.args}, str(rule))
    unix = next((r for r in rules if r.module == "pam_unix.so"), None)
    minlen = (unix.args.get("minlen") if unix else None) or PAM_UNIX_MINLEN
    return PasswordQuality("pam_unix.so", {"minlen": minlen}, "\n".join(str(r) for r in rules))


@check(id="L1-ACC-001", severity="critical", min_level=1, **_ACC,
       title={"en": "No account other than root has user id 0",
              "vi": "Không có tài khoản nào ngoài root có định danh người dùng (UID) 0"},
       rationale={"en": "Every account with UID 0 is root under another name: a classic backdoor that bypasses "
                        "root-login restrictions and hides administrative actions in the logs.",
                  "vi": "Mọi tài khoản có UID 0 đều là root dưới tên khác: một cửa hậu kinh điển, vượt qua các giới "
                        "hạn đăng nhập root và che giấu thao tác quản trị trong nhật ký."},
       remediation={"en": "Remove the extra UID 0 accounts (`userdel`, after checking who created them and why) or "
                          "give them an unprivileged UID; administrators use their own accounts and sudo.",
                    "vi": "Xóa các tài khoản UID 0 thừa (`userdel`, sau khi xác minh ai tạo và vì sao) hoặc đổi "
                          "sang UID không đặc quyền; quản trị viên dùng tài khoản riêng và sudo."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_USERS, refs.CIRCULAR_12))
def uid0_accounts(t):
    rc, out = command_out(t, "passwd")
    rows = [line.split(":") for line in out.splitlines() if line.count(":") >= 2]
    if rc != 0 or not rows:
        raise Unevaluable(f"/etc/passwd could not be read on the target (rc={rc})")
    allowed = list(t.policy.accounts.uid0_accounts)
    uid0 = [r[0] for r in rows if r[1].strip() == "0"]
    others = [name for name in uid0 if name not in allowed]
    status = password_status(t)
    locked = [name for name in others if status is not None and status.get(name) in LOCKED]
    extra = [name for name in others if name not in locked]
    evidence = f"UID 0: {', '.join(uid0) or 'none'} ({len(rows)} accounts)" + (
        "; password status (passwd -S): " + ", ".join(f"{n} {status.get(n, '?')}" for n in others)
        if others and status is not None else "")
    if extra:
        unknown = status is None
        return failed({"en": f"accounts besides {', '.join(allowed)} have UID 0: {shown(extra)}"
                             + ("; whether they are locked could not be told (passwd -S needs ssh.sudo: true)"
                                if unknown else ""),
                       "vi": f"ngoài {', '.join(allowed)}, các tài khoản sau có UID 0: {shown(extra, lang='vi')}"
                             + ("; không xác định được các tài khoản này có bị khóa hay không (passwd -S cần "
                                "ssh.sudo: true)" if unknown else "")},
                      evidence)
    if locked:
        return passed({"en": f"only {', '.join(u for u in uid0 if u not in locked)} can log in with UID 0; "
                             f"{shown(locked)} also {'has' if len(locked) == 1 else 'have'} UID 0 but "
                             f"{'is' if len(locked) == 1 else 'are'} locked (passwd -S: L)",
                       "vi": f"chỉ {', '.join(u for u in uid0 if u not in locked)} đăng nhập được với UID 0; "
                             f"{shown(locked, lang='vi')} cũng có UID 0 nhưng đã bị khóa (passwd -S: L)"}, evidence)
    return passed({"en": f"only {', '.join(uid0) or 'no account'} has UID 0",
                   "vi": f"chỉ {', '.join(uid0)} có UID 0" if uid0 else "không có tài khoản nào có UID 0"}, evidence)


LOCKED = ("L", "LK")  # passwd -S: shadow-utils prints L, RHEL's passwd LK; P/PS password set, NP none


def password_status(t) -> dict[str, str] | None:
    """{account: passwd -S status} without any hash, or None when `passwd -S -a` could not run (it needs root)."""
    rc, out = command_out(t, "password_status")
    if rc != 0:
        return None
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("P", "PS", "L", "LK", "NP"):
            found[parts[0]] = parts[1]
    return found or None


@check(id="L1-ACC-002", severity="medium", min_level=1, **_ACC,
       title={"en": "Passwords expire (maximum password age)",
              "vi": "Mật khẩu có thời hạn sử dụng tối đa"},
       rationale={"en": "A password that never expires stays valid forever once leaked. login.defs PASS_MAX_DAYS "
                        "sets the maximum age for accounts created from now on; existing accounts keep the value "
                        "in /etc/shadow, which a scan does not read.",
                  "vi": "Mật khẩu không bao giờ hết hạn sẽ dùng được mãi mãi khi bị lộ. PASS_MAX_DAYS trong "
                        "login.defs đặt thời hạn tối đa cho tài khoản tạo từ nay; tài khoản hiện có giữ giá trị "
                        "trong /etc/shadow, tệp mà quá trình quét không đọc."},
       remediation={"en": "Set `PASS_MAX_DAYS 90` (or the policy value) in /etc/login.defs and apply it to existing "
                          "accounts with `chage --maxdays 90 <user>`.",
                    "vi": "Đặt `PASS_MAX_DAYS 90` (hoặc giá trị theo chính sách) trong /etc/login.defs và áp dụng "
                          "cho tài khoản hiện có bằng `chage --maxdays 90 <tên>`."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS, refs.CIRCULAR_12))
def password_max_age(t):
    limit = int(t.policy.accounts.pass_max_days)
    raw = login_defs(t).get("pass_max_days")
    days = as_int(raw)
    evidence = f"PASS_MAX_DAYS {raw if raw is not None else '(not set)'}"
    if days is None or days < 0 or days > limit:
        shown_days = "never (not set)" if raw is None else raw
        expiry_vi = "không bao giờ hết hạn (chưa đặt)" if raw is None else f"hết hạn sau {raw} ngày"
        return failed({"en": f"passwords expire after {shown_days} days; at most {limit} required",
                       "vi": f"mật khẩu {expiry_vi}; yêu cầu tối đa {limit} ngày"}, evidence)
    return passed({"en": f"passwords expire after {days} days (at most {limit})",
                   "vi": f"mật khẩu hết hạn sau {days} ngày (tối đa {limit})"}, evidence)


@check(id="L1-ACC-003", severity="high", min_level=1, **_ACC,
       title={"en": "Passwords have a minimum length", "vi": "Mật khẩu có độ dài tối thiểu"},
       rationale={"en": "Short passwords fall to guessing and offline cracking. The length that counts is the one "
                        "the PAM password stack enforces (pam_pwquality or pam_cracklib minlen, less any positive "
                        "character-class credits); login.defs PASS_MIN_LEN is ignored on PAM systems.",
                  "vi": "Mật khẩu ngắn dễ bị dò và bẻ khóa ngoại tuyến. Độ dài có hiệu lực là độ dài mà ngăn xếp PAM "
                        "thực thi (minlen của pam_pwquality hoặc pam_cracklib, trừ đi điểm thưởng theo loại ký tự "
                        "nếu có); PASS_MIN_LEN trong login.defs bị bỏ qua trên hệ thống dùng PAM."},
       remediation={"en": "Install libpam-pwquality (Debian/Ubuntu) or use pam_pwquality (RHEL), add it to the "
                          "password stack, and set `minlen = 14` (at least the policy value) with credits ≤ 0 in "
                          "/etc/security/pwquality.conf.",
                    "vi": "Cài libpam-pwquality (Debian/Ubuntu) hoặc dùng pam_pwquality (RHEL), đưa vào ngăn xếp "
                          "password của PAM, và đặt `minlen = 14` (không thấp hơn giá trị chính sách) với các credit "
                          "≤ 0 trong /etc/security/pwquality.conf."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS, refs.CIRCULAR_12))
def password_min_length(t):
    need = int(t.policy.accounts.pass_min_len)
    quality = password_quality(t)
    length = quality.min_length
    return quality.verdict(length, need,
                           {"en": f"passwords of {length} characters are accepted",
                            "vi": f"mật khẩu dài {length} ký tự vẫn được chấp nhận"},
                           {"en": f"passwords need at least {length} characters",
                            "vi": f"mật khẩu phải có ít nhất {length} ký tự"})


@check(id="L1-ACC-004", severity="medium", min_level=2, **_ACC,
       title={"en": "Passwords must mix character classes",
              "vi": "Mật khẩu phải kết hợp nhiều loại ký tự"},
       rationale={"en": "Requiring lower case, upper case, digits and symbols widens the search space of "
                        "guessing attacks; pam_pwquality minclass (or negative credits) enforces it.",
                  "vi": "Yêu cầu kết hợp chữ thường, chữ hoa, chữ số và ký tự đặc biệt làm tăng không gian tìm "
                        "kiếm của tấn công dò mật khẩu; minclass (hoặc credit âm) của pam_pwquality thực thi việc "
                        "này."},
       remediation={"en": "Use pam_pwquality in the PAM password stack and set `minclass = 3` (the policy value) "
                          "in /etc/security/pwquality.conf.",
                    "vi": "Dùng pam_pwquality trong ngăn xếp password của PAM và đặt `minclass = 3` (giá trị theo "
                          "chính sách) trong /etc/security/pwquality.conf."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS))
def password_complexity(t):
    need = int(t.policy.accounts.min_char_classes)
    quality = password_quality(t)
    if quality.module == "pam_unix.so":
        return failed({"en": "no password quality module (pam_pwquality or pam_cracklib) in the PAM password stack, "
                             "so no character classes are required",
                       "vi": "ngăn xếp password của PAM không có mô-đun kiểm tra chất lượng mật khẩu (pam_pwquality "
                             "hoặc pam_cracklib), nên không yêu cầu loại ký tự nào"}, quality.source)
    classes = quality.classes
    said = {"en": f"passwords need {classes} character classes", "vi": f"mật khẩu phải chứa {classes} loại ký tự"}
    return quality.verdict(classes, need, said, said)


@check(id="L1-ACC-005", severity="high", min_level=2, **_ACC,
       title={"en": "Accounts lock after repeated failed logins",
              "vi": "Tài khoản bị khóa sau nhiều lần đăng nhập sai"},
       rationale={"en": "Without a lockout an attacker can try passwords without limit. pam_faillock (or the older "
                        "pam_tally2) must be in the PAM auth stack; faillock.conf alone has no effect.",
                  "vi": "Không có cơ chế khóa, kẻ tấn công có thể thử mật khẩu không giới hạn. pam_faillock (hoặc "
                        "pam_tally2 cũ) phải nằm trong ngăn xếp auth của PAM; riêng faillock.conf không có tác dụng."},
       remediation={"en": "Add pam_faillock (preauth and authfail) to the auth stack (`pam-auth-update` or "
                          "`authselect enable-feature with-faillock`) and set `deny = 5` and `unlock_time = 900` "
                          "in /etc/security/faillock.conf.",
                    "vi": "Thêm pam_faillock (preauth và authfail) vào ngăn xếp auth (`pam-auth-update` hoặc "
                          "`authselect enable-feature with-faillock`) và đặt `deny = 5`, `unlock_time = 900` trong "
                          "/etc/security/faillock.conf."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS, refs.CIRCULAR_12))
def account_lockout(t):
    max_attempts = int(t.policy.accounts.lockout_max_attempts)
    min_unlock = int(t.policy.accounts.lockout_min_unlock_seconds)
    auth = pam(t).stack("auth")
    if not auth:
        raise Unevaluable("no PAM auth stack found (/etc/pam.d/common-auth, system-auth, password-auth)")
    lock = [r for r in auth if r.module in LOCKOUT_MODULES]
    _, conf_text = command_out(t, "faillock")
    if not lock:
        has_conf = bool(conf_text.strip())
        return failed({"en": "no lockout module (pam_faillock) in the PAM auth stack"
                             f"{' (faillock.conf exists but is not used)' if has_conf else ''}",
                       "vi": "ngăn xếp auth của PAM không có mô-đun khóa tài khoản (pam_faillock)"
                             f"{' (có faillock.conf nhưng không được sử dụng)' if has_conf else ''}"},
                      "\n".join(str(r) for r in auth))
    faillock = lock[0].module == "pam_faillock.so"
    if faillock and not any("authfail" in r.args for r in lock):
        return failed({"en": "pam_faillock is in the PAM auth stack without `authfail`, so failed logins are not "
                             "counted",
                       "vi": "pam_faillock nằm trong ngăn xếp auth của PAM nhưng thiếu `authfail`, nên các lần đăng "
                             "nhập sai không được đếm"},
                      "\n".join(str(r) for r in auth))
    settings = {**FAILLOCK_DEFAULTS, **parse_keyvalue(conf_text)} if faillock else {}
    for rule in lock:  # module arguments override the configuration file
        settings.update({k: v for k, v in rule.args.items() if k in ("deny", "unlock_time")})
    deny = as_int(settings.get("deny")) or 0
    unlock_raw = settings.get("unlock_time", "0")
    unlock = 0 if unlock_raw == "never" else as_int(unlock_raw)
    evidence = "\n".join([str(r) for r in lock] + ([f"faillock.conf: {excerpt(conf_text, 6)}"]
                                                   if conf_text.strip() else []))
    what = f"{lock[0].module} deny={deny or 'unset'} unlock_time={unlock_raw}"
    if not 1 <= deny <= max_attempts:
        lock_vi = f"tài khoản bị khóa sau {deny} lần đăng nhập sai" if deny else \
            "tài khoản không bị khóa dù đăng nhập sai bao nhiêu lần"
        return failed({"en": f"accounts lock after {deny or 'no limit of'} failed logins ({what}); at most "
                             f"{max_attempts} required",
                       "vi": f"{lock_vi} ({what}); yêu cầu tối đa {max_attempts} lần"}, evidence)
    if unlock is None or 0 < unlock < min_unlock:
        return failed({"en": f"locked accounts unlock after {unlock_raw} s ({what}); at least {min_unlock} s required",
                       "vi": f"tài khoản bị khóa được tự mở sau {unlock_raw} giây ({what}); yêu cầu tối thiểu "
                             f"{min_unlock} giây"}, evidence)
    until = "until an administrator unlocks them" if unlock == 0 else f"for {unlock} s"
    until_vi = "cho đến khi quản trị viên mở khóa" if unlock == 0 else f"trong {unlock} giây"
    return passed({"en": f"accounts lock after {deny} failed logins, {until} ({what})",
                   "vi": f"tài khoản bị khóa sau {deny} lần đăng nhập sai, {until_vi} ({what})"}, evidence)


@check(id="L1-ACC-006", severity="low", min_level=2, **_ACC,
       title={"en": "Password minimum age and expiry warning are set",
              "vi": "Đặt thời gian tối thiểu giữa hai lần đổi mật khẩu và cảnh báo trước khi hết hạn"},
       rationale={"en": "A minimum age stops users from cycling straight back to their old password; a warning "
                        "period lets them change it before they are locked out (login.defs PASS_MIN_DAYS, "
                        "PASS_WARN_AGE, for accounts created from now on).",
                  "vi": "Thời gian tối thiểu ngăn người dùng quay vòng ngay về mật khẩu cũ; thời gian cảnh báo cho "
                        "phép đổi mật khẩu trước khi bị khóa (PASS_MIN_DAYS, PASS_WARN_AGE trong login.defs, áp dụng "
                        "cho tài khoản tạo từ nay)."},
       remediation={"en": "Set `PASS_MIN_DAYS 1` and `PASS_WARN_AGE 7` (or the policy values) in /etc/login.defs; "
                          "apply to existing accounts with `chage --mindays 1 --warndays 7 <user>`.",
                    "vi": "Đặt `PASS_MIN_DAYS 1` và `PASS_WARN_AGE 7` (hoặc giá trị theo chính sách) trong "
                          "/etc/login.defs; áp dụng cho tài khoản hiện có bằng "
                          "`chage --mindays 1 --warndays 7 <tên>`."},
       references=(refs.TCVN_SRV_AUTH, refs.CIS_PASSWORDS))
def password_min_age_and_warning(t):
    defs = login_defs(t)
    wanted = {"PASS_MIN_DAYS": int(t.policy.accounts.pass_min_days),
              "PASS_WARN_AGE": int(t.policy.accounts.pass_warn_age)}
    values = {key: defs.get(key.lower()) for key in wanted}
    evidence = "\n".join(f"{k} {v if v is not None else '(not set)'}" for k, v in values.items())
    short = [k for k, v in values.items() if (as_int(v) if v is not None else None) is None or as_int(v) < wanted[k]]
    if short:
        def listed(unset: str, least: str) -> str:
            return "; ".join(f"{k} {values[k] if values[k] is not None else unset} ({least} {wanted[k]})"
                             for k in short)
        return failed({"en": "password ageing too weak: " + listed("not set", "at least"),
                       "vi": "thiết lập thời hạn mật khẩu chưa đạt: " + listed("chưa đặt", "tối thiểu")}, evidence)
    settings = ", ".join(f"{k} {v}" for k, v in values.items())
    return passed({"en": "password minimum age and expiry warning meet the policy: " + settings,
                   "vi": "thời gian tối thiểu giữa hai lần đổi mật khẩu và thời gian cảnh báo hết hạn đạt yêu cầu "
                         "của chính sách: " + settings}, evidence)
