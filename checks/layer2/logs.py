"""Layer 2: logs leave the host for the SOC, and the host keeps them long enough."""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import Unevaluable, failed, not_applicable, passed
from fourlayer.core.registry import check
from fourlayer.resources import forwarding, log_tls, retention
from fourlayer.resources.host_files import command_out
from fourlayer.resources.parse import excerpt, file_modes
from fourlayer.resources.forwarding import endpoints, listed, log_destinations
from fourlayer.resources.host_files import config_files


@check(id="L2-LOG-001", layer=2, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Logs are forwarded off the host",
              "vi": "Nhật ký được chuyển tiếp ra ngoài máy chủ"},
       rationale={"en": "Logs kept only on the host are lost or altered when it is compromised; the SOC can only "
                        "watch what it receives.",
                  "vi": "Nhật ký chỉ lưu trên máy chủ sẽ mất hoặc bị sửa khi máy bị xâm nhập; SOC chỉ giám sát được "
                        "những gì nhận được."},
       remediation={"en": "Forward the system log: an rsyslog rule such as `*.* @@<collector>:<port>` or an "
                          "`omfwd` action in /etc/rsyslog.d/, a syslog-ng network() destination used in a `log` statement, "
                          "or systemd-journal-upload with `URL=` in /etc/systemd/journal-upload.conf.",
                    "vi": "Chuyển tiếp nhật ký hệ thống: quy tắc rsyslog như `*.* @@<bộ-thu-thập>:<cổng>` hoặc action "
                          "`omfwd` trong /etc/rsyslog.d/, đích network() của syslog-ng được dùng trong một khối `log`, "
                          "hoặc systemd-journal-upload với `URL=` trong /etc/systemd/journal-upload.conf."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV, refs.CIRCULAR_31, refs.CIS_LOGGING))
def log_forwarding(t):
    dests = log_destinations(t)
    if not dests:
        files = [f.path for name in ("rsyslog_conf", "syslog_ng_conf", "journal_upload_conf")
                 for f in config_files(t, name)]
        return failed({"en": "no log forwarding to a remote collector is configured (rsyslog, syslog-ng, "
                             "journal-upload)",
                       "vi": "chưa cấu hình chuyển tiếp nhật ký tới bộ thu thập từ xa (rsyslog, syslog-ng, "
                             "journal-upload)"}, "files read: " + (", ".join(files) or "none"))
    return passed({"en": f"logs are forwarded to {endpoints(dests)}",
                   "vi": f"nhật ký được chuyển tiếp tới {endpoints(dests)}"}, listed(dests))


@check(id="L2-LOG-002", layer=2, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Logs are forwarded to the declared SOC log collector",
              "vi": "Nhật ký được chuyển tiếp tới bộ thu thập nhật ký SOC đã khai báo"},
       rationale={"en": "Forwarding to a retired or unknown server looks configured but feeds no one: the "
                        "destination must be the collector of the contracted SOC.",
                  "vi": "Chuyển tiếp tới máy chủ cũ hoặc không rõ trông như đã cấu hình nhưng không ai nhận: đích "
                        "phải là bộ thu thập của đơn vị SOC đã ký hợp đồng."},
       remediation={"en": "Point the forwarding rule at the SOC's collector exactly as declared in "
                          "`soc.log_collector` (or `soc.manager`), host and port.",
                    "vi": "Đặt đích của quy tắc chuyển tiếp đúng bộ thu thập của SOC như khai báo trong "
                          "`soc.log_collector` (hoặc `soc.manager`), cả địa chỉ và cổng."},
       references=(refs.CIRCULAR_31, refs.DISPATCH_1552, refs.TCVN_SRV))
def log_forwarding_to_soc(t):
    wanted = t.agency.soc.log_destination if t.agency.soc else None
    if wanted is None:
        return failed({"en": "no SOC log collector is declared (soc.log_collector or soc.manager), so the "
                             "forwarding destination cannot be confirmed",
                       "vi": "chưa khai báo bộ thu thập nhật ký SOC (soc.log_collector hoặc soc.manager), nên không "
                             "xác nhận được đích chuyển tiếp nhật ký"})
    dests = log_destinations(t)
    hits = [d for d in dests if forwarding.matches(d, wanted)]
    if hits:
        return passed({"en": f"logs are forwarded to the declared SOC collector {wanted}",
                       "vi": f"nhật ký được chuyển tiếp tới bộ thu thập SOC đã khai báo {wanted}"}, listed(hits))
    if not dests:
        return failed({"en": f"logs are not forwarded at all; the declared SOC collector is {wanted}",
                       "vi": f"nhật ký hoàn toàn không được chuyển tiếp; bộ thu thập SOC đã khai báo là {wanted}"})
    return failed({"en": f"logs are forwarded to {endpoints(dests)}, not to the declared SOC collector {wanted}",
                   "vi": f"nhật ký được chuyển tiếp tới {endpoints(dests)}, không phải tới bộ thu thập SOC đã khai "
                         f"báo {wanted}"}, listed(dests))


@check(id="L2-LOG-003", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Logs are kept at least the policy's retention period",
              "vi": "Nhật ký được lưu giữ tối thiểu theo thời hạn quy định"},
       rationale={"en": "Circular 31/2017 Art. 5 requires monitoring data to be kept at least 30 days; an "
                        "investigation needs the host's own logs from before the incident. Debian's default "
                        "`weekly, rotate 4` keeps 28 days.",
                  "vi": "Điều 5 Thông tư 31/2017 yêu cầu lưu dữ liệu giám sát tối thiểu 30 ngày; điều tra sự cố cần "
                        "nhật ký của chính máy chủ từ trước sự cố. Mặc định `weekly, rotate 4` của Debian chỉ giữ "
                        "28 ngày."},
       remediation={"en": "Keep the system log long enough: e.g. `daily` + `rotate 90` (or `weekly` + `rotate 13`) "
                          "in /etc/logrotate.d/rsyslog, and/or `MaxRetentionSec=3month` with `Storage=persistent` "
                          "in /etc/systemd/journald.conf.",
                    "vi": "Lưu nhật ký hệ thống đủ lâu: ví dụ `daily` + `rotate 90` (hoặc `weekly` + `rotate 13`) "
                          "trong /etc/logrotate.d/rsyslog, và/hoặc `MaxRetentionSec=3month` với `Storage=persistent` "
                          "trong /etc/systemd/journald.conf."},
       references=(refs.CIRCULAR_31, refs.TCVN_SRV, refs.CIS_LOGROTATE))
def log_retention(t):
    days = int(t.policy.logging.retention_days)
    rotated = retention.logrotate(config_files(t, "logrotate_conf"))
    journal = retention.journald(config_files(t, "journald_conf"))
    lines = [f"{r.path}: {r.days:g} days ({r.detail})" for r in rotated]
    if journal.seconds:
        lines.append(f"journald: MaxRetentionSec = {journal.seconds / 86400:g} days, Storage={journal.storage} "
                     f"({journal.where})")
    evidence = "\n".join(lines)
    short = [(r.path, r.days) for r in rotated if r.days < days]
    journal_short = bool(journal.seconds and journal.seconds < days * 86400)
    if short or (journal_short and not rotated):
        short += [("journald", journal.seconds / 86400)] if journal_short else []
        return failed({"en": f"logs are deleted before {days} days: "
                             f"{', '.join(f'{what} {n:g} days' for what, n in short)}",
                       "vi": f"nhật ký bị xóa trước {days} ngày: "
                             f"{', '.join(f'{what} {n:g} ngày' for what, n in short)}"}, evidence)
    if rotated:  # the system log files are what is kept; a shorter journal loses nothing they hold
        kept = min(r.days for r in rotated)
        return passed({"en": f"system logs are kept {kept:g} days or more (policy: {days})",
                       "vi": f"nhật ký hệ thống được lưu giữ từ {kept:g} ngày trở lên (chính sách: {days})"},
                      evidence)
    if journal.seconds and journal.storage in ("persistent", "auto"):
        kept = journal.seconds / 86400
        return passed({"en": f"journald keeps logs {kept:g} days (policy: {days})",
                       "vi": f"journald lưu giữ nhật ký {kept:g} ngày (chính sách: {days})"}, evidence)
    volatile = journal.storage in ("volatile", "none")
    files = " or ".join(retention.SYSLOG_FILES)
    return failed({"en": f"no configuration shows logs kept {days} days: no logrotate rule for {files} and no "
                         "persistent journald MaxRetentionSec"
                         + (f"; journald Storage={journal.storage} keeps nothing on disk" if volatile else ""),
                   "vi": f"không có cấu hình nào cho thấy nhật ký được lưu giữ {days} ngày: không có quy tắc "
                         f"logrotate cho {files.replace(' or ', ' hoặc ')} và không có MaxRetentionSec của journald "
                         "lưu trữ bền vững"
                         + (f"; journald Storage={journal.storage} không lưu gì trên đĩa" if volatile else "")},
                  evidence or "logrotate and journald configuration read; no retention setting found")


@check(id="L2-LOG-004", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Logs leave the host encrypted (TLS)", "vi": "Nhật ký được mã hóa (TLS) khi gửi ra ngoài máy chủ"},
       rationale={"en": "Logs in clear text on the network can be read (they carry user names, addresses, "
                        "sometimes secrets typed by mistake) and altered or dropped on the way to the SOC. rsyslog "
                        "must use a TLS stream driver (gtls/ossl, mode 1) that authenticates the collector, RELP "
                        "tls=\"on\", syslog-ng transport(\"tls\"), journal-upload https.",
                  "vi": "Nhật ký không mã hóa trên mạng có thể bị đọc (chứa tên người dùng, địa chỉ, đôi khi cả bí "
                        "mật gõ nhầm) và bị sửa hoặc chặn trên đường tới SOC. rsyslog phải dùng trình điều khiển "
                        "luồng TLS (gtls/ossl, mode 1) có xác thực bộ thu thập, RELP tls=\"on\", syslog-ng "
                        "transport(\"tls\"), journal-upload qua https."},
       remediation={"en": "rsyslog: `action(type=\"omfwd\" target=\"<collector>\" port=\"6514\" protocol=\"tcp\" "
                          "StreamDriver=\"gtls\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\" "
                          "StreamDriverPermittedPeers=\"<collector>\")` with `global(DefaultNetstreamDriverCAFile=...)`"
                          "; syslog-ng: `network(\"<collector>\" port(6514) transport(\"tls\") tls(...))`.",
                    "vi": "rsyslog: `action(type=\"omfwd\" target=\"<bộ-thu-thập>\" port=\"6514\" protocol=\"tcp\" "
                          "StreamDriver=\"gtls\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\" "
                          "StreamDriverPermittedPeers=\"<bộ-thu-thập>\")` kèm `global(DefaultNetstreamDriverCAFile="
                          "...)`; syslog-ng: `network(\"<bộ-thu-thập>\" port(6514) transport(\"tls\") tls(...))`."},
       references=(refs.TCVN_SRV, refs.CIRCULAR_12, refs.CIS_LOGGING))
def log_forwarding_encrypted(t):
    paths = (log_tls.rsyslog_paths(config_files(t, "rsyslog_conf"))
             + log_tls.syslog_ng_paths(config_files(t, "syslog_ng_conf"))
             + log_tls.journal_upload_paths(config_files(t, "journal_upload_conf")))
    evidence = "\n".join(map(str, paths))
    if not paths:
        return not_applicable({"en": "logs are not forwarded off the host (L2-LOG-001), so there is nothing to "
                                     "encrypt",
                               "vi": "nhật ký không được chuyển tiếp ra ngoài máy chủ (L2-LOG-001), nên không có gì "
                                     "cần mã hóa"})
    clear = [p for p in paths if not p.encrypted]
    if clear:
        listed = "; ".join(map(str, clear))
        return failed({"en": f"{len(clear)} of {len(paths)} log forwarding paths are not encrypted: {listed}",
                       "vi": f"{len(clear)}/{len(paths)} đường chuyển tiếp nhật ký không được mã hóa: {listed}"},
                      evidence)
    return passed({"en": f"every log forwarding path is encrypted: {'; '.join(map(str, paths))}",
                   "vi": f"mọi đường chuyển tiếp nhật ký đều được mã hóa: {'; '.join(map(str, paths))}"}, evidence)


LOG_OWNERS = ("root", "syslog")  # rsyslog on Ubuntu writes as syslog
LOG_MAX_MODE = 0o640


@check(id="L2-LOG-005", layer=2, severity="medium", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "System log files are not readable or writable by other users",
              "vi": "Tệp nhật ký hệ thống không để người dùng khác đọc hoặc ghi"},
       rationale={"en": "Logs record who logged in from where, commands and errors; readable by every user they "
                        "help an intruder map the host, writable they can be erased. Each system log must be owned "
                        "by root (or syslog), mode 640 at most.",
                  "vi": "Nhật ký ghi lại ai đăng nhập từ đâu, các lệnh và lỗi; nếu mọi người dùng đọc được, chúng "
                        "giúp kẻ xâm nhập tìm hiểu máy chủ, nếu ghi được thì có thể bị xóa. Mỗi tệp nhật ký hệ thống "
                        "phải thuộc root (hoặc syslog), quyền tối đa 640."},
       remediation={"en": "`chmod 640 /var/log/syslog /var/log/auth.log ...` (`chmod o-rwx,g-w`), set "
                          "`$FileCreateMode 0640` in /etc/rsyslog.conf and `create 0640 root adm` in logrotate.",
                    "vi": "`chmod 640 /var/log/syslog /var/log/auth.log ...` (`chmod o-rwx,g-w`), đặt "
                          "`$FileCreateMode 0640` trong /etc/rsyslog.conf và `create 0640 root adm` trong logrotate."},
       references=(refs.TCVN_SRV, refs.CIS_LOGGING))
def log_file_permissions(t):
    rc, out = command_out(t, "log_file_perms")
    files = [f for f in file_modes(out, _root(t)) if not f.path.endswith("/journal")]
    if rc != 0:
        raise Unevaluable(f"the system log files could not be examined (rc={rc})")
    if not files:
        return not_applicable({"en": "no system log file in /var/log (syslog, messages, auth.log, secure, ...): "
                                     "the host keeps its logs in the journal (L2-LOG-006)",
                               "vi": "không có tệp nhật ký hệ thống trong /var/log (syslog, messages, auth.log, "
                                     "secure, ...): máy chủ lưu nhật ký trong journal (L2-LOG-006)"})
    loose = [f for f in files if f.mode & ~LOG_MAX_MODE or f.owner not in LOG_OWNERS]
    evidence = "\n".join(map(str, files))
    if loose:
        listed = ", ".join(f"{f.path} {f.mode:o} {f.owner}:{f.group}" for f in loose)
        return failed({"en": f"log files readable or writable beyond their owner and group: {listed} (allowed: "
                             f"owner {'/'.join(LOG_OWNERS)}, mode 640)",
                       "vi": f"tệp nhật ký để người khác ngoài chủ sở hữu và nhóm đọc hoặc ghi được: {listed} (cho "
                             f"phép: chủ sở hữu {'/'.join(LOG_OWNERS)}, quyền 640)"}, evidence)
    return passed({"en": f"{len(files)} system log files are 640 or stricter, owned by {'/'.join(LOG_OWNERS)}",
                   "vi": f"{len(files)} tệp nhật ký hệ thống có quyền 640 hoặc chặt hơn, thuộc "
                         f"{'/'.join(LOG_OWNERS)}"}, evidence)


@check(id="L2-LOG-006", layer=2, severity="medium", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "journald keeps logs across reboots or hands them to syslog",
              "vi": "journald lưu nhật ký qua các lần khởi động lại hoặc chuyển cho syslog"},
       rationale={"en": "With Storage=volatile (or auto without /var/log/journal) the journal lives in /run and is "
                        "lost at every reboot — often exactly the one an intruder caused. Logs survive when "
                        "journald stores them persistently or forwards them to a syslog daemon that writes files "
                        "(ForwardToSyslog=yes with rsyslog).",
                  "vi": "Với Storage=volatile (hoặc auto khi không có /var/log/journal), journal nằm trong /run và "
                        "bị mất ở mỗi lần khởi động lại — thường chính là lần do kẻ xâm nhập gây ra. Nhật ký được giữ "
                        "lại khi journald lưu bền vững hoặc chuyển tiếp cho dịch vụ syslog ghi ra tệp "
                        "(ForwardToSyslog=yes với rsyslog)."},
       remediation={"en": "Set `Storage=persistent` in /etc/systemd/journald.conf (or a drop-in) and restart "
                          "systemd-journald; with rsyslog, keep `ForwardToSyslog=yes`.",
                    "vi": "Đặt `Storage=persistent` trong /etc/systemd/journald.conf (hoặc tệp drop-in) và khởi động "
                          "lại systemd-journald; nếu dùng rsyslog, giữ `ForwardToSyslog=yes`."},
       references=(refs.TCVN_SRV, refs.CIRCULAR_31, refs.CIS_LOGGING))
def journald_persistent(t):
    files = config_files(t, "journald_conf")
    settings = retention.journald_settings(files)
    storage = settings.get("Storage", "auto").lower() or "auto"
    forward = settings.get("ForwardToSyslog", "").lower()
    _, out = command_out(t, "log_file_perms")
    journal_dir = any(f.path == "/var/log/journal" for f in file_modes(out, _root(t)))
    rsyslog = bool(config_files(t, "rsyslog_conf"))
    said = f"Storage={storage}{' (default)' if 'Storage' not in settings else ''}, " \
           f"ForwardToSyslog={forward or 'unset'}, /var/log/journal {'exists' if journal_dir else 'absent'}, " \
           f"rsyslog {'configured' if rsyslog else 'absent'}"
    evidence = said + ("\n" + "\n".join(f"{f.path}: {excerpt(f.text, 6)}" for f in files) if files else "")
    if storage == "persistent" or (storage == "auto" and journal_dir):
        return passed({"en": f"journald keeps logs on disk ({said})",
                       "vi": f"journald lưu nhật ký trên đĩa ({said})"}, evidence)
    if storage != "none" and rsyslog and forward in ("yes", "true", "1", "on"):
        return passed({"en": f"journald forwards to rsyslog, which writes the log files ({said})",
                       "vi": f"journald chuyển tiếp cho rsyslog, dịch vụ ghi nhật ký ra tệp ({said})"}, evidence)
    return failed({"en": f"journald loses its logs at reboot and does not hand them to a syslog daemon ({said})",
                   "vi": f"journald mất nhật ký khi khởi động lại và không chuyển cho dịch vụ syslog ({said})"},
                  evidence)


def _root(t) -> str:
    return (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"
