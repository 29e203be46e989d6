"""Layer 1 (on-site force): sshd settings that need more than a comparison of one value.

Whether sshd accepts its own configuration, whether the configured banner really reaches a client, the
MaxStartups triple and the access lists. Values come from `sshd(t)` (`sshd -T`, else the files with the
defaults of the announced release); every reason names that source.
"""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.util import bi

from fourlayer.core.model import Unevaluable, failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.sshd import by_default, sshd, sshd_T_run

_CONF = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",),
             references=(refs.TCVN_SRV, refs.CIS_DEBIAN_SSH, refs.CIS_RHEL_SSH, refs.SSHD_CONFIG_5, refs.CIRCULAR_12))


@check(id="L1-SSH-023", severity="high", min_level=1, **_CONF,
       title={"en": "sshd accepts its own configuration", "vi": "sshd chấp nhận tệp cấu hình của chính nó"},
       rationale={"en": "A configuration sshd refuses (an unknown keyword, a bad value) goes unnoticed while the "
                        "running daemon keeps its old settings; the next restart or reload fails and remote "
                        "administration is lost, or the intended hardening never takes effect.",
                  "vi": "Cấu hình bị sshd từ chối (từ khóa không hợp lệ, giá trị sai) không bị phát hiện khi tiến trình "
                        "đang chạy vẫn giữ thiết lập cũ; lần khởi động lại hoặc nạp lại tiếp theo sẽ thất bại, mất kênh "
                        "quản trị từ xa, hoặc các thiết lập tăng cường không bao giờ có hiệu lực."},
       remediation={"en": "Run `sshd -t` as root, fix or remove each line it names, and reload sshd only when "
                          "`sshd -t` prints nothing.",
                    "vi": "Chạy `sshd -t` với quyền root, sửa hoặc xóa từng dòng được báo lỗi, và chỉ nạp lại sshd khi "
                          "`sshd -t` không in ra gì."})
def config_accepted(t):
    run = sshd_T_run(t)
    if run.ok:
        return passed(bi("sshd accepts its configuration (`sshd -T` ran)",
                         "sshd chấp nhận cấu hình của nó (`sshd -T` chạy thành công)"), "sshd -T: rc=0")
    refused = run.refused
    if refused:
        lines = "; ".join(refused[:4])
        return failed(bi(f"sshd refuses its configuration, so the next restart or reload fails: {lines}",
                         f"sshd từ chối cấu hình của nó, lần khởi động lại hoặc nạp lại tiếp theo sẽ thất bại: "
                         f"{lines}"), "\n".join(refused))
    if run.parsed:
        # sshd reads and checks the whole configuration before it loads the host keys
        return passed(bi("sshd parsed its configuration without error, then stopped at the host keys the audit "
                         "account cannot read",
                         "sshd đọc cấu hình không có lỗi, sau đó dừng ở bước nạp khóa máy chủ mà tài khoản kiểm tra "
                         "không đọc được"), run.problem())
    raise Unevaluable(f"{run.problem()}; {run.remedy()}")


@check(id="L1-SSH-017", severity="low", min_level=1, **_CONF,
       title={"en": "SSH shows a warning banner before login",
              "vi": "SSH hiển thị thông báo cảnh báo trước khi đăng nhập"},
       rationale={"en": "A banner states that access is restricted and monitored, which supports acting against "
                        "misuse. `Banner` naming a file that is missing or empty shows nothing.",
                  "vi": "Thông báo cho biết truy cập bị hạn chế và được giám sát, làm căn cứ xử lý hành vi truy cập trái "
                        "phép. `Banner` trỏ tới tệp không tồn tại hoặc rỗng thì không hiển thị gì."},
       remediation={"en": "Write the notice to /etc/issue.net and set `Banner /etc/issue.net` in sshd_config.",
                    "vi": "Ghi nội dung thông báo vào /etc/issue.net và đặt `Banner /etc/issue.net` trong sshd_config."})
def login_banner(t):
    config = sshd(t)
    value = config.require("banner") or "none"
    said = config.describe("banner", value)
    src = config.label
    if value.lower() == "none":
        return failed(bi(f"no login banner is configured ({src}: {said['en']})",
                         f"chưa cấu hình thông điệp cảnh báo khi đăng nhập ({src}: {said['vi']})"), f"banner {value}")
    shell = t.ev("ssh_shell")
    if not shell.banner_recorded:
        raise Unevaluable("the scan did not record the banner sshd sends before login (evidence from an older "
                          "collector); scan again")
    sent = (shell.auth_banner or "").strip()
    if not sent:
        return failed(bi(f"`Banner {value}` is set but sshd sent no banner before login: the file is missing, "
                         f"unreadable or empty ({src}: {said['en']})",
                         f"đã đặt `Banner {value}` nhưng sshd không gửi thông điệp nào trước khi đăng nhập: tệp không "
                         f"tồn tại, không đọc được hoặc rỗng ({src}: {said['vi']})"), f"banner {value}\nsent: none")
    return passed(bi(f"a login banner is configured and sent before login ({src}: {said['en']})",
                     f"đã cấu hình thông điệp cảnh báo và thông điệp được gửi trước khi đăng nhập ({src}: "
                     f"{said['vi']})"), f"banner {value}\nsent: {len(sent)} characters")


_STARTUPS = re.compile(r"^(\d+)(?::(\d+):(\d+))?$")


def _startups(text: str, what: str) -> tuple[int, int, int]:
    """MaxStartups as (start, rate %, full); a single number N refuses everything beyond N: (N, 100, N)."""
    m = _STARTUPS.match(text.strip())
    if not m:
        raise Unevaluable(f"{what} {text[:40]!r} is not MaxStartups syntax (start:rate:full)")
    start = int(m.group(1))
    return (start, 100, start) if m.group(2) is None else (start, int(m.group(2)), int(m.group(3)))


@check(id="L1-SSH-024", severity="medium", min_level=1, **_CONF,
       title={"en": "SSH limits concurrent unauthenticated connections",
              "vi": "SSH giới hạn số kết nối đồng thời chưa xác thực"},
       rationale={"en": "MaxStartups start:rate:full drops new unauthenticated connections at random from `start` "
                        "and all of them from `full`; a high limit lets a flood of half-open logins exhaust sshd.",
                  "vi": "MaxStartups start:rate:full bắt đầu loại ngẫu nhiên các kết nối chưa xác thực mới từ mức "
                        "`start` và loại toàn bộ từ mức `full`; giới hạn cao cho phép làm cạn sshd bằng hàng loạt phiên "
                        "đăng nhập dở dang."},
       remediation={"en": "Set `MaxStartups 10:30:60` (or the policy value ssh.max_startups) in sshd_config.",
                    "vi": "Đặt `MaxStartups 10:30:60` (hoặc giá trị ssh.max_startups của chính sách) trong sshd_config."})
def max_startups(t):
    config = sshd(t)
    value = config.require("maxstartups")
    if value is None:
        raise Unevaluable("maxstartups has no value in the configuration source")
    start, rate, full = _startups(value, "maxstartups")
    limit = str(t.policy.ssh.max_startups)
    p_start, p_rate, p_full = _startups(limit, "policy ssh.max_startups")
    said, src = config.describe("maxstartups", value), config.label
    wanted = f"at most {limit} (policy ssh.max_startups)"
    wanted_vi = f"không vượt quá {limit} (chính sách ssh.max_startups)"
    if start <= p_start and full <= p_full and rate >= p_rate:
        return by_default(t, config, ["maxstartups"], passed(
            bi(f"unauthenticated connections are limited ({src}: {said['en']}, {wanted})",
               f"số kết nối chưa xác thực được giới hạn ({src}: {said['vi']}, {wanted_vi})"), f"maxstartups {value}"))
    return failed(bi(f"too many unauthenticated connections are allowed ({src}: {said['en']}, required {wanted})",
                     f"cho phép quá nhiều kết nối chưa xác thực ({src}: {said['vi']}, yêu cầu {wanted_vi})"),
                  f"maxstartups {value}")


_LISTS = ("allowusers", "allowgroups", "denyusers", "denygroups")


@check(id="L1-SSH-025", severity="medium", min_level=1, **_CONF,
       title={"en": "SSH logins are limited to named users or groups",
              "vi": "Đăng nhập SSH chỉ dành cho người dùng hoặc nhóm được chỉ định"},
       rationale={"en": "Without AllowUsers or AllowGroups every local account with a password or key may log in, "
                        "including service accounts nobody watches.",
                  "vi": "Khi không có AllowUsers hoặc AllowGroups, mọi tài khoản cục bộ có mật khẩu hoặc khóa đều đăng "
                        "nhập được, kể cả tài khoản dịch vụ không ai theo dõi."},
       remediation={"en": "Set `AllowGroups sshusers` (or `AllowUsers` with the administrators) in sshd_config and "
                          "add the administrators to that group.",
                    "vi": "Đặt `AllowGroups sshusers` (hoặc `AllowUsers` với các quản trị viên) trong sshd_config và "
                          "đưa các quản trị viên vào nhóm đó."})
def access_lists(t):
    config = sshd(t)
    present = {k: v for k in _LISTS if (v := config.require(k))}
    src = config.label
    said = "; ".join(config.describe(k)["en"] for k in present)
    said_vi = "; ".join(config.describe(k)["vi"] for k in present)
    evidence = "\n".join(f"{k} {v}" for k, v in present.items()) or "no allow/deny lists"
    if "allowusers" in present or "allowgroups" in present:
        return passed(bi(f"only listed users or groups may log in ({src}: {said})",
                         f"chỉ người dùng hoặc nhóm được liệt kê mới đăng nhập được ({src}: {said_vi})"), evidence)
    if present:
        return warned(bi(f"only a deny list limits SSH logins; new accounts may log in ({src}: {said})",
                         f"chỉ có danh sách chặn giới hạn đăng nhập SSH; tài khoản mới vẫn đăng nhập được ({src}: "
                         f"{said_vi})"), evidence)
    return failed(bi(f"every account may log in over SSH ({src}: no AllowUsers, AllowGroups, DenyUsers or "
                     "DenyGroups)",
                     f"mọi tài khoản đều đăng nhập SSH được ({src}: không có AllowUsers, AllowGroups, DenyUsers hay "
                     "DenyGroups)"), evidence)
