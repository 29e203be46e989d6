"""Layer 2: what must run on a monitored host — auditd with its rules, time synchronisation, the SOC's agent."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.collectors.allowlist import FILES_MARK

from fourlayer.core.model import Unevaluable, failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources import audit_rules, forwarding
from fourlayer.resources.forwarding import agent_managers, endpoints
from fourlayer.resources.host_files import ConfigFile, command_out, config_files, running, shown
from fourlayer.resources.time_sync import time_sync as time_sync_conf
from fourlayer.resources.updates import tool_sections
from fourlayer.rules.engine import parse_keyvalue

# ---- auditd ---------------------------------------------------------------------------------------------

@check(id="L2-AUD-001", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "auditd is running with rules for every required event family",
              "vi": "auditd đang chạy với quy tắc cho mọi nhóm sự kiện bắt buộc"},
       rationale={"en": "The kernel audit trail records who changed accounts, privileges, the clock, kernel modules "
                        "and the network configuration, who logged in and who deleted files — the events a SOC "
                        "needs to detect and investigate an intrusion. A rule counts only if it records the event: "
                        "a watch needs its permission flags (`-p wa`, not `-p w`), a system call an always,exit "
                        "rule for 64-bit calls. Each family of the policy is judged and reported apart.",
                  "vi": "Nhật ký kiểm toán của nhân hệ điều hành ghi lại ai đã thay đổi tài khoản, quyền, đồng hồ, "
                        "mô-đun nhân và cấu hình mạng, ai đăng nhập và ai xóa tệp — những sự kiện SOC cần để phát "
                        "hiện và điều tra xâm nhập. Một quy tắc chỉ được tính khi nó thực sự ghi sự kiện: quy tắc "
                        "theo dõi tệp cần đủ cờ quyền (`-p wa`, không phải `-p w`), lời gọi hệ thống cần quy tắc "
                        "always,exit cho lời gọi 64 bit. Mỗi nhóm sự kiện trong chính sách được đánh giá và báo cáo "
                        "riêng."},
       remediation={"en": "Install and enable auditd (`apt install auditd`, `systemctl enable --now auditd`) and "
                          "add rules in /etc/audit/rules.d/ for each family reported, e.g. `-w /etc/passwd -p wa -k "
                          "identity`, `-w /etc/sudoers -p wa -k scope`, `-w /var/log/lastlog -p wa -k logins`, "
                          "`-a always,exit -F path=/usr/bin/sudo -F perm=x -k privileged`, `-a always,exit -F "
                          "arch=b64 -S init_module,finit_module,delete_module -k modules`, `-a always,exit -F "
                          "arch=b64 -S unlink,unlinkat,rename,renameat -k delete`; then `augenrules --load`.",
                    "vi": "Cài đặt và bật auditd (`apt install auditd`, `systemctl enable --now auditd`) và thêm quy "
                          "tắc trong /etc/audit/rules.d/ cho từng nhóm được báo cáo, ví dụ `-w /etc/passwd -p wa -k "
                          "identity`, `-w /etc/sudoers -p wa -k scope`, `-w /var/log/lastlog -p wa -k logins`, "
                          "`-a always,exit -F path=/usr/bin/sudo -F perm=x -k privileged`, `-a always,exit -F "
                          "arch=b64 -S init_module,finit_module,delete_module -k modules`, `-a always,exit -F "
                          "arch=b64 -S unlink,unlinkat,rename,renameat -k delete`; sau đó chạy `augenrules --load`."},
       references=(refs.TCVN_SRV, refs.CIRCULAR_12, refs.CIS_AUDIT))
def auditd_running_with_rules(t):
    names = list(t.policy.audit.process_names)
    up, _ = running(t, names)
    rules, source = _audit_rules(t)
    verdicts = [audit_rules.judge_family(rules, family, list(items))
                for family, items in dict(t.policy.audit.required_rules).items()]
    per_family = "\n".join(f"{v.family}: {'recorded' if v.covered else audit_rules.describe(v)}" for v in verdicts)
    evidence = (f"running: {', '.join(up) or 'none of ' + ', '.join(names)}\nsource: {source}\n{per_family}\n"
                + ("\n".join(rules.lines[-20:]) or "no active -w/-a rules in /etc/audit"))
    if not up:
        return failed({"en": f"the audit daemon is not running (looked for {', '.join(names)})",
                       "vi": f"tiến trình kiểm toán (audit) không chạy (đã tìm {', '.join(names)})"}, evidence)
    if source is None:
        raise Unevaluable(f"{up[0]} runs, but its rules could not be read: /etc/audit/rules.d is not readable by the "
                          "audit account (0750 root on Debian) and `auditctl -l` did not run; set ssh.sudo: true "
                          "(fourlayer audit-account) so that the loaded rules are read")
    gaps = [v for v in verdicts if not v.covered]
    if gaps:
        return failed({"en": f"{up[0]} runs, but {len(gaps)} of {len(verdicts)} audit rule families are not "
                             f"recorded as required: " + "; ".join(audit_rules.describe(v) for v in gaps),
                       "vi": f"{up[0]} đang chạy, nhưng {len(gaps)}/{len(verdicts)} nhóm quy tắc kiểm toán chưa "
                             "được ghi đúng yêu cầu: " + "; ".join(audit_rules.describe(v, "vi") for v in gaps)},
                      evidence)
    covered = ", ".join(v.family for v in verdicts)
    return passed({"en": f"{up[0]} runs with {len(rules.lines)} active rules recording every family: {covered}",
                   "vi": f"{up[0]} đang chạy với {len(rules.lines)} quy tắc hiệu lực ghi nhận mọi nhóm: {covered}"},
                  evidence)


def _audit_rules(t) -> tuple[audit_rules.AuditRules, str | None]:
    """(the rules, where they come from): the kernel's loaded rules (`auditctl -l`, under sudo) when they could be
    read, else the rule files; source None when the files are hidden by an unreadable directory."""
    rc, out = command_out(t, "audit_rules_loaded")
    loaded = tool_sections(out).get("auditctl")
    if rc == 0 and loaded is not None:
        return audit_rules.parse_rules([ConfigFile("auditctl -l.rules", loaded)]), "loaded rules (auditctl -l)"
    rules = audit_rules.parse_rules(config_files(t, "auditd_conf"))
    if _audit_dir_hidden(t):
        return rules, None
    return rules, "rule files (/etc/audit/audit.rules, /etc/audit/rules.d/*.rules)"


def _audit_dir_hidden(t) -> bool:
    """auditd_conf marked /etc/audit or its rules.d unreadable: a line `@@unreadable <dir>` in the `@@files`
    framing (where no line of a file's text can start so), anywhere in the `### <path>` one (recorded evidence)."""
    out = command_out(t, "auditd_conf")[1]
    if out.startswith(FILES_MARK):
        return any(line.startswith("@@unreadable ") for line in out.split("\n"))
    return "@@unreadable " in out


# auditd.conf(5) when a setting is absent
AUDITD_DEFAULTS = {"space_left_action": "syslog", "admin_space_left_action": "suspend", "disk_full_action": "suspend"}


@check(id="L2-AUD-002", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "auditd acts when its disk fills up",
              "vi": "auditd có biện pháp xử lý khi đĩa lưu nhật ký kiểm toán đầy"},
       rationale={"en": "An attacker who fills the audit partition stops the trail: auditd's default is to "
                        "suspend logging (disk_full_action, admin_space_left_action SUSPEND) and only syslog a "
                        "warning. Space running low must alert someone, and a full disk must stop the host or "
                        "bring it to single-user mode rather than run unaudited.",
                  "vi": "Kẻ tấn công làm đầy phân vùng kiểm toán sẽ làm dừng việc ghi nhật ký: mặc định auditd tạm "
                        "ngừng ghi (disk_full_action, admin_space_left_action SUSPEND) và chỉ ghi cảnh báo vào "
                        "syslog. Khi sắp hết dung lượng phải báo cho người phụ trách, và khi đĩa đầy phải dừng máy "
                        "hoặc chuyển về chế độ một người dùng thay vì chạy mà không được kiểm toán."},
       remediation={"en": "In /etc/audit/auditd.conf set `space_left_action = email` (with `action_mail_acct = "
                          "root`), `admin_space_left_action = single` and `disk_full_action = halt` (or single), "
                          "then restart auditd.",
                    "vi": "Trong /etc/audit/auditd.conf đặt `space_left_action = email` (kèm `action_mail_acct = "
                          "root`), `admin_space_left_action = single` và `disk_full_action = halt` (hoặc single), "
                          "sau đó khởi động lại auditd."},
       references=(refs.TCVN_SRV, refs.CIS_AUDIT))
def auditd_disk_full(t):
    path = "/etc/audit/auditd.conf"
    rc, text = command_out(t, "auditd_settings")
    if rc != 0:
        listed = any(f.path == path for f in config_files(t, "auditd_conf"))
        if listed or _audit_dir_hidden(t):
            raise Unevaluable(f"{path} is not readable by the audit account (0640 root, in a 0750 directory on "
                              "some systems): set ssh.sudo: true (fourlayer audit-account)")
        raise Unevaluable(f"{path} was not found: auditd is not installed (L2-AUD-001 judges the daemon)")
    settings = {k: v.lower() for k, v in parse_keyvalue(text).items()}
    wanted = {"space_left_action": list(t.policy.audit.space_left_actions),
              "admin_space_left_action": list(t.policy.audit.admin_space_left_actions),
              "disk_full_action": list(t.policy.audit.disk_full_actions)}
    values = {k: settings.get(k, AUDITD_DEFAULTS[k]) for k in wanted}
    said = ", ".join(f"{k}={v}{'' if k in settings else ' (default)'}" for k, v in values.items())
    bad = [k for k, allowed in wanted.items() if values[k] not in allowed]
    evidence = f"{path}: {said}"
    if bad:
        listed = "; ".join(f"{k} {values[k]}{'' if k in settings else ' by default'} (allowed: "
                           f"{', '.join(wanted[k])})" for k in bad)
        listed_vi = "; ".join(f"{k} {values[k]}{'' if k in settings else ' theo mặc định'} (cho phép: "
                              f"{', '.join(wanted[k])})" for k in bad)
        return failed({"en": f"auditd does not act on a full or filling disk: {listed}",
                       "vi": f"auditd không xử lý khi đĩa đầy hoặc sắp đầy: {listed_vi}"}, evidence)
    return passed({"en": f"auditd acts on a filling and a full disk ({said})",
                   "vi": f"auditd có xử lý khi đĩa sắp đầy và đã đầy ({said})"}, evidence)


# ---- time synchronisation -------------------------------------------------------------------------------

@check(id="L2-NTP-001", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Time synchronisation runs with a configured time server",
              "vi": "Đồng bộ thời gian đang chạy với máy chủ thời gian được cấu hình"},
       rationale={"en": "Logs from different hosts can only be correlated, and used as evidence, when their clocks "
                        "agree: a time daemon must run and follow a known time server.",
                  "vi": "Nhật ký của các máy chủ chỉ đối chiếu được với nhau, và dùng làm chứng cứ được, khi đồng hồ "
                        "của chúng khớp nhau: phải có dịch vụ đồng bộ thời gian chạy theo một máy chủ thời gian xác "
                        "định."},
       remediation={"en": "Run chrony (or ntpd / systemd-timesyncd) and name the agency's time servers, e.g. "
                          "`server ntp.example.gov.vn iburst` in /etc/chrony/chrony.conf or `NTP=` in "
                          "/etc/systemd/timesyncd.conf.",
                    "vi": "Chạy chrony (hoặc ntpd / systemd-timesyncd) và chỉ định máy chủ thời gian của cơ quan, ví dụ "
                          "`server ntp.example.gov.vn iburst` trong /etc/chrony/chrony.conf hoặc `NTP=` trong "
                          "/etc/systemd/timesyncd.conf."},
       references=(refs.TCVN_SRV, refs.CIRCULAR_12, refs.CIS_TIME))
def time_sync(t):
    names = list(t.policy.time_sync.process_names)
    up, _ = running(t, names)
    configured = time_sync_conf(t)
    files, servers = configured.files, configured.servers
    evidence = (f"running: {', '.join(up) or 'none of ' + ', '.join(names)}\n"
                + ("\n".join(servers) or "files read: " + (", ".join(f.path for f in files) or "none")))
    if not up:
        return failed({"en": f"no time synchronisation daemon is running (looked for {', '.join(names)})",
                       "vi": f"không có dịch vụ đồng bộ thời gian nào đang chạy (đã tìm {', '.join(names)})"},
                      evidence)
    if not servers:
        return failed({"en": f"{up[0]} runs, but no time server is configured",
                       "vi": f"{up[0]} đang chạy, nhưng chưa cấu hình máy chủ thời gian"}, evidence)
    hosts = shown([s.split(" (")[0] for s in servers])
    return passed({"en": f"{up[0]} runs; time servers: {hosts}",
                   "vi": f"{up[0]} đang chạy; máy chủ thời gian: {hosts}"}, evidence)


# ---- the SOC's monitoring / EDR agent --------------------------------------------------------------------


@check(id="L2-EDR-001", layer=2, severity="high", min_level=3, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "A monitoring/EDR agent runs and reports to the declared SOC manager",
              "vi": "Tác tử giám sát/EDR đang chạy và gửi dữ liệu về máy chủ quản lý SOC đã khai báo"},
       rationale={"en": "From level 3 the SOC watches hosts through a centrally managed agent (Circular 12/2022); "
                        "an agent that is stopped, or reports to a retired manager, leaves the host unwatched. "
                        "L2-SOC-002 checks that the declared manager is reachable.",
                  "vi": "Từ cấp độ 3, SOC giám sát máy chủ qua tác tử được quản lý tập trung (Thông tư 12/2022); tác "
                        "tử bị dừng, hoặc gửi về máy chủ quản lý cũ, khiến máy chủ không được giám sát. L2-SOC-002 "
                        "kiểm tra máy chủ quản lý đã khai báo có kết nối được."},
       remediation={"en": "Install the SOC's agent, start it, and set its manager to the declared `soc.manager` "
                          "(Wazuh: `<client><server><address>` and `<port>` in /var/ossec/etc/ossec.conf).",
                    "vi": "Cài đặt tác tử của SOC, khởi động nó và đặt máy chủ quản lý đúng `soc.manager` đã khai báo "
                          "(Wazuh: `<client><server><address>` và `<port>` trong /var/ossec/etc/ossec.conf)."},
       references=(refs.CIRCULAR_12, refs.DISPATCH_1552, refs.CIRCULAR_31))
def edr_agent(t):
    names = list(t.policy.edr.process_names)
    up, _ = running(t, names)
    if not up:
        return failed({"en": f"no monitoring/EDR agent is running (looked for {shown(names)})",
                       "vi": f"không có tác tử giám sát/EDR nào đang chạy (đã tìm {shown(names)})"})
    declared = t.agency.soc.manager if t.agency.soc else None
    managers, unread = agent_managers(t)
    evidence = f"running: {', '.join(up)}\n" + ("\n".join(str(m) for m in managers) or (unread or {}).get("en", ""))
    if declared is None:
        return failed({"en": f"{up[0]} runs, but no SOC manager is declared (soc.manager) to check where it reports",
                       "vi": f"{up[0]} đang chạy, nhưng chưa khai báo máy chủ quản lý SOC (soc.manager) để kiểm tra "
                             "nơi tác tử gửi dữ liệu"}, evidence)
    if unread:
        return warned({"en": f"{up[0]} runs; where it reports could not be read: {unread['en']}",
                       "vi": f"{up[0]} đang chạy; không xác định được nơi tác tử gửi dữ liệu: {unread['vi']}"},
                      evidence)
    if not managers:
        return failed({"en": f"{up[0]} runs, but its configuration names no manager",
                       "vi": f"{up[0]} đang chạy, nhưng cấu hình không chỉ định máy chủ quản lý nào"}, evidence)
    if any(forwarding.matches(m, declared) for m in managers):
        return passed({"en": f"{up[0]} runs and reports to the declared SOC manager {declared}",
                       "vi": f"{up[0]} đang chạy và gửi dữ liệu về máy chủ quản lý SOC đã khai báo {declared}"},
                      evidence)
    return failed({"en": f"{up[0]} reports to {endpoints(managers)}, not to the declared SOC manager {declared}",
                   "vi": f"{up[0]} gửi dữ liệu về {endpoints(managers)}, không phải máy chủ quản lý SOC đã khai báo "
                         f"{declared}"}, evidence)
