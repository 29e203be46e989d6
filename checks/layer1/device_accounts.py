"""Layer 1 (on-site force): who can log in to a network device and how their passwords are kept — central AAA,
password storage, per-administrator source restrictions, the login banner. Read from the device's configuration;
a secret is described by where it is and how it is stored, never by its value."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.device_util import DEVICE, at, config, evidence, listed
from fourlayer.checks.util import bi

from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.device import STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_UNKNOWN, STORAGE_WEAK_HASH

WEAK = {STORAGE_PLAIN: bi("plaintext", "văn bản rõ"), STORAGE_REVERSIBLE: bi("reversible", "giải mã ngược được"),
        STORAGE_WEAK_HASH: bi("weak hash", "băm yếu")}
# Vendors whose administrator accounts can each be limited to source addresses (FortiOS `trusthost1..10`,
# RouterOS `/user ... address=`); on IOS and Junos the source restriction is per line/service (L1-DEV-003).
PER_ADMIN_SOURCES = {"fortios": "trusthost", "routeros": "address="}


@check(id="L1-DEV-005", layer=1, severity="medium", min_level=3, **DEVICE,
       references=(refs.CIS_IOS_AAA, refs.CIRCULAR_12_NET_AUTH, refs.TCVN_NET, refs.FORTINET_HARDENING),
       title={"en": "Administrative login goes through central AAA (TACACS+/RADIUS/LDAP), not local accounts only",
              "vi": "Đăng nhập quản trị qua AAA tập trung (TACACS+/RADIUS/LDAP), không chỉ dùng tài khoản cục bộ"},
       rationale={"en": "With local accounts only, every device keeps its own copy of each administrator's "
                        "password: leavers keep access, passwords are shared and nothing records who did what. "
                        "Central AAA gives one account per person, revocation in one place and accounting. From "
                        "level 3 Circular 12/2022 expects centrally managed authentication and logging of "
                        "administrator actions (fourlayer applies this check from level 3: small level 1-2 systems "
                        "with one or two devices often have no AAA server).",
                  "vi": "Chỉ dùng tài khoản cục bộ thì mỗi thiết bị giữ một bản mật khẩu của từng quản trị viên: "
                        "người nghỉ việc vẫn còn quyền, mật khẩu dùng chung và không ghi nhận ai đã làm gì. AAA tập "
                        "trung cho mỗi người một tài khoản, thu hồi tại một nơi và có nhật ký. Từ cấp độ 3, Thông "
                        "tư 12/2022 yêu cầu quản lý xác thực tập trung và ghi nhật ký thao tác quản trị (fourlayer "
                        "áp dụng từ cấp độ 3: hệ thống cấp độ 1-2 nhỏ thường không có máy chủ AAA)."},
       remediation={"en": "Authenticate administrators against TACACS+ or RADIUS with a local fallback for "
                          "emergencies: Cisco `aaa new-model` + `aaa authentication login default group tacacs+ "
                          "local`; FortiOS `config user tacacs+` and admin `set remote-auth enable`; RouterOS "
                          "`/user aaa set use-radius=yes`.",
                    "vi": "Xác thực quản trị viên qua TACACS+ hoặc RADIUS, giữ tài khoản cục bộ để dự phòng khẩn "
                          "cấp: Cisco `aaa new-model` + `aaa authentication login default group tacacs+ local`; "
                          "FortiOS `config user tacacs+` và `set remote-auth enable` cho quản trị viên; RouterOS "
                          "`/user aaa set use-radius=yes`."})
def central_aaa(t):
    d = config(t)
    aaa = d.aaa
    rows = [f"AAA: {'enabled' if aaa.enabled else 'not enabled'} (line {aaa.line}); servers: "
            f"{', '.join(aaa.servers) or 'none'}; local accounts only: {'yes' if aaa.local_only else 'no'}",
            f"local accounts: {len(d.users)}"]
    if aaa.enabled and not aaa.local_only:
        servers = ", ".join(aaa.servers)
        return passed(bi(f"administrative login uses central AAA ({servers or 'its method list'}){at(aaa.line)['en']}",
                         f"đăng nhập quản trị dùng AAA tập trung ({servers or 'theo danh sách phương thức'})"
                         f"{at(aaa.line)['vi']}"), evidence(t, rows))
    if not aaa.enabled:
        return failed(bi(f"no central AAA: administrative login checks only the {len(d.users)} local account(s) "
                         "or line passwords",
                         f"không có AAA tập trung: đăng nhập quản trị chỉ kiểm tra {len(d.users)} tài khoản cục bộ "
                         "hoặc mật khẩu đường truy cập"), evidence(t, rows))
    return failed(bi(f"AAA is on{at(aaa.line)['en']} but no login method list uses a TACACS+/RADIUS/LDAP server: "
                     "local accounts only",
                     f"AAA đã bật{at(aaa.line)['vi']} nhưng không có danh sách đăng nhập nào dùng máy chủ "
                     "TACACS+/RADIUS/LDAP: chỉ tài khoản cục bộ"), evidence(t, rows))


@check(id="L1-DEV-006", layer=1, severity="high", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_PASSWORDS, refs.CIRCULAR_12_NET_AUTH, refs.TCVN_SRV_AUTH, refs.FORTINET_HARDENING,
                   refs.MIKROTIK_SECURING),
       title={"en": "Administrator passwords are stored as strong hashes, and admins are limited to trusted hosts",
              "vi": "Mật khẩu quản trị được lưu bằng hàm băm mạnh và quản trị viên bị giới hạn máy tin cậy"},
       rationale={"en": "Configuration backups travel: by e-mail, on file shares, to the vendor's support. A "
                        "password kept in plaintext (IOS type 0), reversibly (IOS type 7, which `service "
                        "password-encryption` produces and any tool decodes in a second) or as an MD5 hash (IOS "
                        "type 5) is recovered from a copy of the file. Where the platform can tie an administrator "
                        "to source addresses (FortiOS trusthost, RouterOS address=), an account without them "
                        "accepts its password from anywhere.",
                  "vi": "Bản sao lưu cấu hình đi khắp nơi: qua thư điện tử, thư mục chia sẻ, tới bộ phận hỗ trợ của "
                        "hãng. Mật khẩu lưu dạng rõ (IOS type 0), dạng giải mã ngược được (IOS type 7, là kết quả "
                        "của `service password-encryption` và bị công cụ giải mã trong một giây) hoặc băm MD5 (IOS "
                        "type 5) đều bị lấy lại từ một bản sao tệp. Khi nền tảng cho phép gắn quản trị viên với địa "
                        "chỉ nguồn (FortiOS trusthost, RouterOS address=), tài khoản không có giới hạn đó nhận mật "
                        "khẩu từ bất kỳ đâu."},
       remediation={"en": "Cisco: `enable algorithm-type scrypt secret ...` and `username NAME algorithm-type "
                          "scrypt secret ...` (type 9), remove `enable password` and `username ... password`, and "
                          "use `line vty` login through AAA instead of line passwords; FortiOS: set `trusthost1` "
                          "on every admin; RouterOS: `/user set NAME address=10.0.99.0/24`.",
                    "vi": "Cisco: `enable algorithm-type scrypt secret ...` và `username TÊN algorithm-type scrypt "
                          "secret ...` (type 9), xóa `enable password` và `username ... password`, đăng nhập "
                          "`line vty` qua AAA thay cho mật khẩu đường truy cập; FortiOS: đặt `trusthost1` cho mọi "
                          "quản trị viên; RouterOS: `/user set TÊN address=10.0.99.0/24`."})
def password_storage(t):
    d = config(t)
    logins = [(bi(f"user {u.name}", f"tài khoản {u.name}"), u.secret) for u in d.users if u.secret is not None]
    logins += [(bi(s.context, s.context), s) for s in d.secrets if s.admin_login]
    rows = [f"{what['en']}: {ref.storage} ({ref.scheme or 'scheme not named'}) (line {ref.line})"
            for what, ref in logins]
    problems = [bi(f"{what['en']} {WEAK[ref.storage]['en']} ({ref.scheme}){at(ref.line)['en']}",
                   f"{what['vi']} {WEAK[ref.storage]['vi']} ({ref.scheme}){at(ref.line)['vi']}")
                for what, ref in logins if ref.storage in WEAK]
    for v in d.vty_lines:
        if v.login == "none" and v.transport_input != ("none",):
            rows.append(f"{v.name}: no login (line {v.line})")
            problems.append(bi(f"{v.name} asks no password (no login){at(v.line)['en']}",
                               f"{v.name} không hỏi mật khẩu (no login){at(v.line)['vi']}"))
    if d.password_encryption:
        rows.append("service password-encryption: on (type 7 is reversible, not a protection)")
    restrict = PER_ADMIN_SOURCES.get(d.vendor)
    if restrict:
        for u in d.users:
            rows.append(f"user {u.name}: trusted hosts {', '.join(u.trusted_hosts) or 'none'} (line {u.line})")
            if not u.trusted_hosts:
                problems.append(bi(f"admin {u.name} without {restrict}{at(u.line)['en']}",
                                   f"quản trị viên {u.name} không có {restrict}{at(u.line)['vi']}"))
    if problems:
        return failed(bi(f"weak administrator credentials: {listed(problems, 'en')}",
                         f"thông tin đăng nhập quản trị yếu: {listed(problems, 'vi')}"), evidence(t, rows))
    unknown = [f"{what['en']}{at(ref.line)['en']}" for what, ref in logins if ref.storage == STORAGE_UNKNOWN]
    if unknown:
        raise Unevaluable(f"how these credentials are stored is not recognised: {'; '.join(unknown[:6])}")
    if not d.accounts_listed:  # e.g. a RouterOS /export without /user: the accounts are unknown, not absent
        raise Unevaluable("the configuration does not list the local accounts (the export has no user section), so "
                          "how their passwords are kept and where they may log in from cannot be judged; export "
                          "the configuration with its user section")
    if not logins:
        return passed(bi("no local password is stored in the configuration",
                         "cấu hình không lưu mật khẩu cục bộ nào"), evidence(t, rows))
    return passed(bi(f"{len(logins)} administrator credential(s), all strong hashes"
                     + (f", every admin limited by {restrict}" if restrict else ""),
                     f"{len(logins)} thông tin đăng nhập quản trị, đều băm mạnh"
                     + (f", mọi quản trị viên đều giới hạn bằng {restrict}" if restrict else "")), evidence(t, rows))


@check(id="L1-DEV-007", layer=1, severity="low", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_BANNER, refs.CIRCULAR_12_NET_ADMIN, refs.FORTINET_HARDENING),
       title={"en": "A login banner warns that access is restricted and monitored",
              "vi": "Có thông báo đăng nhập cảnh báo truy cập bị giới hạn và giám sát"},
       rationale={"en": "A banner shown before login states that only authorised use is permitted and is "
                        "monitored; without it, prosecuting unauthorised access is harder and the device may "
                        "reveal nothing about who owns it.",
                  "vi": "Thông báo hiển thị trước khi đăng nhập nêu rõ chỉ người được phép mới được sử dụng và "
                        "mọi truy cập đều bị giám sát; thiếu thông báo, việc xử lý truy cập trái phép khó hơn."},
       remediation={"en": "Cisco `banner login ^C Authorised access only ... ^C`; FortiOS `config system global` "
                          "`set pre-login-banner enable`; RouterOS `/system note set show-at-login=yes note=...`.",
                    "vi": "Cisco `banner login ^C Chỉ người được phép ... ^C`; FortiOS `config system global` "
                          "`set pre-login-banner enable`; RouterOS `/system note set show-at-login=yes note=...`."})
def login_banner(t):
    d = config(t)
    if d.banner.strip():
        first = d.banner.strip().splitlines()[0][:80]
        return passed(bi(f"a login banner is set: “{first}”", f"đã đặt thông báo đăng nhập: “{first}”"),
                      evidence(t, [f"banner: {len(d.banner)} characters"]))
    return failed(bi("no login banner is configured", "chưa cấu hình thông báo đăng nhập"),
                  evidence(t, ["banner: none"]))
