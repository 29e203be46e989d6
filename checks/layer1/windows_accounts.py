"""Layer 1 on a Windows host: password and lockout policy, security updates, the Guest account, administrators.

Thresholds are the Linux ones where they mean the same (`accounts.*`) and `windows.*` otherwise.
"""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import Unevaluable, failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.host_files import shown
from fourlayer.resources.windows import windows

_WIN = dict(layer=1, needs=("ssh_shell",), applies_to=("windows",))


@check(id="L1-WIN-005", severity="medium", min_level=1, **_WIN,
       title={"en": "Password policy: length, maximum and minimum age, history",
              "vi": "Chính sách mật khẩu: độ dài, thời hạn tối đa và tối thiểu, lịch sử"},
       rationale={"en": "Short passwords are guessed, passwords that never expire outlive a leak, and without a "
                        "minimum age and a history users cycle straight back to the old password (TCVN 11930:2017 "
                        "server authentication).",
                  "vi": "Mật khẩu ngắn dễ bị dò, mật khẩu không bao giờ hết hạn vẫn dùng được sau khi bị lộ, và không "
                        "có thời hạn tối thiểu cùng lịch sử thì người dùng quay lại ngay mật khẩu cũ (TCVN 11930:2017, "
                        "xác thực trên máy chủ)."},
       remediation={"en": "Account Policies > Password Policy (local or domain Group Policy): minimum length, maximum "
                          "and minimum age and history as the policy's accounts.pass_min_len, pass_max_days, "
                          "pass_min_days and windows.password_history require.",
                    "vi": "Trong Account Policies > Password Policy (Group Policy cục bộ hoặc của miền): đặt độ dài tối "
                          "thiểu, thời hạn tối đa, tối thiểu và lịch sử mật khẩu theo accounts.pass_min_len, "
                          "pass_max_days, pass_min_days và windows.password_history của chính sách."},
       references=(refs.CIS_WIN_PASSWORD, refs.TCVN_SRV_AUTH, refs.CIRCULAR_12))
def windows_password_policy(t):
    p = windows(t).account_policy()
    acc, win = t.policy.accounts, t.policy.windows
    max_age = "Unlimited" if p.max_age_days is None else str(p.max_age_days)
    evidence = (f"Minimum password length: {p.min_length}\nMaximum password age (days): {max_age}\n"
                f"Minimum password age (days): {p.min_age_days}\nLength of password history maintained: {p.history}")
    problems = []
    if p.min_length < int(acc.pass_min_len):
        problems.append((f"minimum length {p.min_length} (needs {acc.pass_min_len})",
                         f"độ dài tối thiểu {p.min_length} (cần {acc.pass_min_len})"))
    if p.max_age_days is None or p.max_age_days == 0 or p.max_age_days > int(acc.pass_max_days):
        problems.append((f"maximum age {max_age} days (at most {acc.pass_max_days})",
                         f"thời hạn tối đa {max_age} ngày (tối đa {acc.pass_max_days})"))
    if p.min_age_days < int(acc.pass_min_days):
        problems.append((f"minimum age {p.min_age_days} days (at least {acc.pass_min_days})",
                         f"thời hạn tối thiểu {p.min_age_days} ngày (tối thiểu {acc.pass_min_days})"))
    if p.history < int(win.password_history):
        problems.append((f"history {p.history} passwords (at least {win.password_history})",
                         f"lịch sử {p.history} mật khẩu (tối thiểu {win.password_history})"))
    if problems:
        return failed({"en": "the password policy is weaker than required: " + "; ".join(e for e, _ in problems),
                       "vi": "chính sách mật khẩu yếu hơn yêu cầu: " + "; ".join(v for _, v in problems)}, evidence)
    return passed({"en": f"passwords of at least {p.min_length} characters, changed within {max_age} days, "
                         f"{p.history} remembered",
                   "vi": f"mật khẩu dài ít nhất {p.min_length} ký tự, đổi trong vòng {max_age} ngày, ghi nhớ "
                         f"{p.history} mật khẩu cũ"}, evidence)


@check(id="L1-WIN-006", severity="medium", min_level=1, **_WIN,
       title={"en": "Account lockout after a few failed logons", "vi": "Khóa tài khoản sau vài lần đăng nhập sai"},
       rationale={"en": "Without a lockout threshold a password can be guessed online without limit; an automatic "
                        "unlock that comes too soon lets the guessing resume almost at once.",
                  "vi": "Không có ngưỡng khóa thì mật khẩu có thể bị dò trực tuyến không giới hạn; tự mở khóa quá sớm "
                        "cho phép việc dò tiếp tục gần như ngay lập tức."},
       remediation={"en": "Account Policies > Account Lockout Policy: threshold at most accounts.lockout_max_attempts "
                          "(not 0), duration at least accounts.lockout_min_unlock_seconds.",
                    "vi": "Trong Account Policies > Account Lockout Policy: ngưỡng khóa không quá "
                          "accounts.lockout_max_attempts (khác 0), thời gian khóa ít nhất "
                          "accounts.lockout_min_unlock_seconds."},
       references=(refs.CIS_WIN_LOCKOUT, refs.TCVN_SRV_AUTH))
def windows_lockout(t):
    p = windows(t).account_policy()
    most, unlock = int(t.policy.accounts.lockout_max_attempts), int(t.policy.accounts.lockout_min_unlock_seconds)
    evidence = (f"Lockout threshold: {p.lockout_threshold or 'Never'}\nLockout duration (minutes): "
                f"{p.lockout_minutes}\nLockout observation window (minutes): {p.window_minutes}")
    if p.lockout_threshold == 0:
        return failed({"en": "accounts never lock, however many logons fail (Lockout threshold: Never)",
                       "vi": "tài khoản không bao giờ bị khóa dù đăng nhập sai bao nhiêu lần (Lockout threshold: "
                             "Never)"}, evidence)
    if p.lockout_threshold > most:
        return failed({"en": f"accounts lock after {p.lockout_threshold} failed logons (at most {most})",
                       "vi": f"tài khoản chỉ bị khóa sau {p.lockout_threshold} lần đăng nhập sai (tối đa {most})"},
                      evidence)
    if p.lockout_minutes is None:
        raise Unevaluable("`net accounts` printed no lockout duration")
    if p.lockout_minutes and p.lockout_minutes * 60 < unlock:
        return failed({"en": f"a locked account unlocks after {p.lockout_minutes} minutes (at least "
                             f"{unlock // 60})",
                       "vi": f"tài khoản bị khóa tự mở sau {p.lockout_minutes} phút (tối thiểu {unlock // 60})"},
                      evidence)
    return passed({"en": f"accounts lock after {p.lockout_threshold} failed logons",
                   "vi": f"tài khoản bị khóa sau {p.lockout_threshold} lần đăng nhập sai"}, evidence)


@check(id="L1-WIN-007", severity="high", min_level=1, **_WIN,
       title={"en": "A security update was installed within the policy's window",
              "vi": "Bản cập nhật bảo mật được cài trong khoảng thời gian chính sách cho phép"},
       rationale={"en": "Microsoft publishes security updates monthly; a host whose newest installed update is older "
                        "than the window misses fixes for vulnerabilities already being exploited.",
                  "vi": "Microsoft phát hành bản cập nhật bảo mật hằng tháng; máy có bản cập nhật mới nhất cũ hơn "
                        "khoảng thời gian cho phép đang thiếu bản vá cho các lỗ hổng đã bị khai thác."},
       remediation={"en": "Install the latest cumulative update (Windows Update, WSUS or the agency's patch "
                          "management) and keep automatic updates on.",
                    "vi": "Cài bản cập nhật tích lũy mới nhất (Windows Update, WSUS hoặc hệ thống quản lý bản vá của "
                          "cơ quan) và giữ chế độ cập nhật tự động."},
       references=(refs.MS_HOTFIX, refs.CIS_CONTROLS_PATCH, refs.TCVN_SRV_INTRUSION, refs.CIRCULAR_12))
def windows_updates(t):
    fixes = [h for h in windows(t).hotfixes() if h.installed_on is not None]
    limit = int(t.policy.windows.max_update_age_days)
    security = [h for h in fixes if "security" in h.description.lower()]
    pool = security or fixes
    if not pool:
        return failed({"en": "Get-HotFix lists no installed update with a date",
                       "vi": "Get-HotFix không liệt kê bản cập nhật nào có ngày cài đặt"})
    newest = max(pool, key=lambda h: h.installed_on)
    age = max(0, (t.clock - newest.installed_on).days)
    kind = ("security update", "bản cập nhật bảo mật") if security else ("update (none is labelled Security Update)",
                                                                           "bản cập nhật (không có bản nào ghi "
                                                                           "Security Update)")
    evidence = "\n".join(f"{h.id} {h.description} {h.installed_on:%Y-%m-%d}"
                         for h in sorted(pool, key=lambda h: h.installed_on, reverse=True)[:5])
    if age > limit:
        return failed({"en": f"the newest {kind[0]}, {newest.id}, was installed {age} days before the scan (at most "
                             f"{limit})",
                       "vi": f"{kind[1]} mới nhất, {newest.id}, được cài {age} ngày trước lần quét (tối đa {limit})"},
                      evidence)
    return passed({"en": f"the newest {kind[0]}, {newest.id}, was installed {age} days before the scan",
                   "vi": f"{kind[1]} mới nhất, {newest.id}, được cài {age} ngày trước lần quét"}, evidence)


@check(id="L1-WIN-008", severity="medium", min_level=1, **_WIN,
       title={"en": "The built-in Guest account is disabled", "vi": "Tài khoản Guest tích hợp sẵn đã bị vô hiệu hóa"},
       rationale={"en": "The Guest account lets anyone log on without a password of their own; it must stay "
                        "disabled (found by its well-known RID 501, even when renamed).",
                  "vi": "Tài khoản Guest cho phép bất kỳ ai đăng nhập mà không cần mật khẩu riêng; nó phải luôn bị vô "
                        "hiệu hóa (nhận diện theo RID 501, kể cả khi đã đổi tên)."},
       remediation={"en": "Disable-LocalUser -SID (the S-1-5-21-…-501 account), or Security Options: Accounts: "
                          "Guest account status = Disabled.",
                    "vi": "Chạy Disable-LocalUser với SID của tài khoản S-1-5-21-…-501, hoặc đặt Security Options: "
                          "Accounts: Guest account status = Disabled."},
       references=(refs.CIS_WIN_GUEST, refs.MS_LOCALUSER, refs.TCVN_SRV_ACCESS))
def windows_guest(t):
    guests = [u for u in windows(t).local_users() if u.is_guest]
    evidence = "\n".join(f"{u.name} ({u.sid or 'no SID'}): enabled={u.enabled}" for u in guests) or \
        "no account with RID 501"
    enabled = [u.name for u in guests if u.enabled is not False]
    if enabled:
        return failed({"en": f"the Guest account ({', '.join(enabled)}) is enabled",
                       "vi": f"tài khoản Guest ({', '.join(enabled)}) đang được kích hoạt"}, evidence)
    return passed({"en": "the Guest account is disabled" if guests else "there is no Guest account",
                   "vi": "tài khoản Guest đã bị vô hiệu hóa" if guests else "không có tài khoản Guest"}, evidence)


@check(id="L1-WIN-009", severity="low", min_level=1, **_WIN,
       title={"en": "Local administrators are few and listed", "vi": "Quản trị viên cục bộ ít và được liệt kê"},
       rationale={"en": "Every member of the local Administrators group controls the host; the list belongs in the "
                        "audit record, and more members than the policy expects deserve a review.",
                  "vi": "Mỗi thành viên của nhóm Administrators cục bộ đều toàn quyền trên máy; danh sách cần có trong "
                        "hồ sơ đánh giá, và số thành viên vượt mức chính sách cần được rà soát."},
       remediation={"en": "Review the members (Get-LocalGroupMember -SID S-1-5-32-544) and remove those who do not "
                          "need administrative rights; raise windows.max_local_admins only for a documented reason.",
                    "vi": "Rà soát các thành viên (Get-LocalGroupMember -SID S-1-5-32-544) và loại bỏ những ai không "
                          "cần quyền quản trị; chỉ tăng windows.max_local_admins khi có lý do được ghi nhận."},
       references=(refs.CIS_WIN, refs.TCVN_SRV_ACCESS, refs.CIRCULAR_12))
def windows_admins(t):
    members = windows(t).administrators()
    if not members:
        raise Unevaluable("`Get-LocalGroupMember` listed no member of Administrators (it holds at least one)")
    most = int(t.policy.windows.max_local_admins)
    names = [m.name for m in members]
    evidence = "\n".join(map(str, members))
    if len(members) > most:
        return warned({"en": f"{len(members)} local administrators (policy: at most {most}): {shown(names)}",
                       "vi": f"{len(members)} quản trị viên cục bộ (chính sách: tối đa {most}): "
                             f"{shown(names, lang='vi')}"}, evidence)
    return passed({"en": f"{len(members)} local administrator(s): {shown(names)}",
                   "vi": f"{len(members)} quản trị viên cục bộ: {shown(names, lang='vi')}"}, evidence)
