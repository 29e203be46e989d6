"""Layer 1 (on-site force): what runs on Linux hosts — host firewall, anti-malware agent, risky legacy services.

Read with allowlisted read-only commands over SSH: the configuration loaded at boot below `ssh.sysroot`, the units
enabled at boot and the live `ps -eo comm=`.
"""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import boot_units
from fourlayer.core.model import bi_join, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources import firewall as firewall_conf
from fourlayer.resources.host_files import running, shown

_HOST = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


@check(id="L1-FW-001", severity="high", min_level=1, **_HOST,
       title={"en": "A host firewall denies inbound traffic by default",
              "vi": "Tường lửa trên máy chủ mặc định chặn lưu lượng vào"},
       rationale={"en": "A default-deny input policy limits exposure to the services deliberately allowed, even when "
                        "a new daemon starts listening. The check reads the configuration the host loads at boot "
                        "(nftables, ufw, firewalld, saved iptables rules) and whether its service is enabled — not "
                        "the live ruleset, which needs root.",
                  "vi": "Chính sách mặc định chặn lưu lượng vào giới hạn bề mặt tấn công ở các dịch vụ được cho phép "
                        "có chủ đích, kể cả khi có tiến trình mới mở cổng. Kiểm tra đọc cấu hình được nạp khi khởi "
                        "động (nftables, ufw, firewalld, quy tắc iptables đã lưu) và dịch vụ tương ứng có được kích "
                        "hoạt không — không đọc bộ quy tắc đang chạy vì cần quyền root."},
       remediation={"en": "Enable a host firewall with an input policy of drop and explicit allow rules: e.g. "
                          "`ufw default deny incoming && ufw allow 22/tcp && ufw enable`, or `policy drop;` in the "
                          "input chain of /etc/nftables.conf and `systemctl enable nftables`.",
                    "vi": "Bật tường lửa máy chủ với chính sách input là drop và các quy tắc cho phép cụ thể: ví dụ "
                          "`ufw default deny incoming && ufw allow 22/tcp && ufw enable`, hoặc `policy drop;` trong "
                          "chain input của /etc/nftables.conf và `systemctl enable nftables`."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV_INTRUSION, refs.CIS_FIREWALL, refs.CIS_CONTROLS_FIREWALL))
def host_firewall(t):
    found = firewall_conf.firewall_backends(t)
    units = boot_units(t)
    if not found:
        return failed({"en": "no host firewall configuration found (nftables, ufw, firewalld, saved iptables rules)",
                       "vi": "không tìm thấy cấu hình tường lửa máy chủ (nftables, ufw, firewalld, quy tắc iptables "
                             "đã lưu)"},
                      f"{len(units)} units enabled at boot")
    lines, active = [], []
    for backend in found:
        boot = [u for u in firewall_conf.BOOT_UNITS[backend.name] if u in units]
        loaded = bool(boot) or not units  # without unit information (no systemd, no SysV links) assume loaded
        state = f"enabled: {', '.join(boot)}" if boot else "not enabled at boot" if units else "boot state unknown"
        state_vi = (f"đã kích hoạt: {', '.join(boot)}" if boot else "không được kích hoạt khi khởi động" if units
                    else "không rõ trạng thái khi khởi động")
        lines.append({"en": f"{backend.name}: {backend.detail} ({state})",
                      "vi": f"{backend.name}: {backend.detail_vi or backend.detail} ({state_vi})"})
        if backend.deny and loaded:
            active.append(backend.name)
    evidence = "\n".join(line["en"] for line in lines)
    if active:
        return passed({"en": f"default-deny inbound firewall: {', '.join(active)}",
                       "vi": f"tường lửa mặc định chặn lưu lượng vào: {', '.join(active)}"}, evidence)
    return failed(bi_join(lines, head=("no firewall denies inbound traffic by default: ",
                                       "không có tường lửa nào mặc định chặn lưu lượng vào: ")), evidence)


@check(id="L1-AV-001", severity="high", min_level=1, **_HOST,
       title={"en": "An anti-malware agent runs and starts at boot",
              "vi": "Tác tử phòng chống mã độc đang chạy và tự khởi động cùng hệ thống"},
       rationale={"en": "Circular 12/2022 requires anti-malware on servers at every level. One of the configured "
                        "agents must run (live process list), and on a systemd host its service must be enabled so "
                        "that protection comes back after the next reboot.",
                  "vi": "Thông tư 12/2022 yêu cầu phòng chống mã độc trên máy chủ ở mọi cấp độ. Một trong các tác tử "
                        "đã cấu hình phải đang chạy (danh sách tiến trình thực tế), và trên máy dùng systemd, dịch vụ "
                        "của nó phải được kích hoạt để bảo vệ tiếp tục sau lần khởi động lại."},
       remediation={"en": "Install the agency's anti-malware agent (e.g. ClamAV `clamav-daemon`, or the centrally "
                          "managed product), `systemctl enable --now` its service, and list its process and unit "
                          "names under `antimalware:` in the policy if they are not there.",
                    "vi": "Cài tác tử phòng chống mã độc của đơn vị (ví dụ ClamAV `clamav-daemon`, hoặc sản phẩm quản "
                          "lý tập trung), chạy `systemctl enable --now` cho dịch vụ của nó, và khai báo tên tiến "
                          "trình, tên unit trong mục `antimalware:` của chính sách nếu chưa có."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV_MALWARE, refs.CIS_CONTROLS_MALWARE))
def antimalware_agent(t):
    names = list(t.policy.antimalware.process_names)
    unit_names = list(t.policy.antimalware.unit_names)
    found, procs = running(t, names)
    if not found:
        return failed({"en": f"no anti-malware agent is running (looked for {shown(names)})",
                       "vi": f"không có tác tử phòng chống mã độc nào đang chạy (đã tìm: {shown(names, lang='vi')})"},
                      f"{len(procs)} processes, none named {shown(names)}")
    units = boot_units(t)
    enabled = [u for u in unit_names if u in units]
    evidence = f"running: {', '.join(found)}\nenabled at boot: {', '.join(enabled) or 'none of ' + shown(unit_names)}"
    if units and unit_names and not enabled:
        return failed({"en": f"{', '.join(found)} runs, but no anti-malware service is enabled at boot "
                             f"(looked for {shown(unit_names)})",
                       "vi": f"{', '.join(found)} đang chạy nhưng không có dịch vụ phòng chống mã độc nào được kích "
                             f"hoạt khi khởi động (đã tìm: {shown(unit_names, lang='vi')})"}, evidence)
    return passed({"en": f"anti-malware agent running: {', '.join(found)}"
                         f"{'; enabled at boot: ' + ', '.join(enabled) if enabled else ''}",
                   "vi": f"tác tử phòng chống mã độc đang chạy: {', '.join(found)}"
                         f"{'; được kích hoạt khi khởi động: ' + ', '.join(enabled) if enabled else ''}"}, evidence)


@check(id="L1-SVC-001", severity="high", min_level=1, **_HOST,
       title={"en": "No risky legacy services run or start at boot",
              "vi": "Không chạy hoặc tự khởi động các dịch vụ cũ rủi ro"},
       rationale={"en": "Telnet, r-services, TFTP and FTP send credentials in clear; inetd/xinetd start them on "
                        "demand; Avahi and CUPS add discovery and printing attack surface a server does not need. "
                        "Seen from the host itself, even when a firewall hides them from the network scan.",
                  "vi": "Telnet, r-services, TFTP và FTP truyền thông tin đăng nhập không mã hóa; inetd/xinetd khởi "
                        "chạy chúng theo yêu cầu; Avahi và CUPS thêm bề mặt tấn công (khám phá dịch vụ, in ấn) mà máy "
                        "chủ không cần. Kiểm tra từ bên trong máy chủ, kể cả khi tường lửa che chúng khỏi quét mạng."},
       remediation={"en": "Stop and disable the services (`systemctl disable --now <unit>`), then remove their "
                          "packages (e.g. `apt-get purge telnetd vsftpd avahi-daemon cups`); use SSH/SFTP instead.",
                    "vi": "Dừng và vô hiệu hóa dịch vụ (`systemctl disable --now <unit>`), rồi gỡ gói (ví dụ "
                          "`apt-get purge telnetd vsftpd avahi-daemon cups`); dùng SSH/SFTP thay thế."},
       references=(refs.TCVN_SRV_INTRUSION, refs.CIS_SERVICES, refs.CIRCULAR_12, "CIS Controls v8 4.8"))
def risky_services(t):
    risky_procs = list(t.policy.services.risky_processes)
    risky_units = list(t.policy.services.risky_units)
    found, procs = running(t, risky_procs)
    units = boot_units(t)
    enabled = [f"{u} ({units[u]})" for u in risky_units if u in units]
    problems = ([{"en": f"running: {', '.join(found)}", "vi": f"đang chạy: {', '.join(found)}"}] if found else []) + \
               ([{"en": f"enabled at boot: {shown(enabled)}",
                  "vi": f"được kích hoạt khi khởi động: {shown(enabled, lang='vi')}"}] if enabled else [])
    evidence = "\n".join(p["en"] for p in problems) or f"{len(procs)} processes and {len(units)} enabled units checked"
    if problems:
        return failed(bi_join(problems, head=("risky services ", "phát hiện dịch vụ rủi ro — ")), evidence)
    return passed({"en": "no risky service runs or is enabled at boot",
                   "vi": "không có dịch vụ rủi ro nào đang chạy hoặc được kích hoạt khi khởi động"}, evidence)
