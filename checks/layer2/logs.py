"""Layer 2: logs leave the host for the SOC, and the host keeps them long enough."""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import failed, passed
from fourlayer.core.registry import check
from fourlayer.resources import forwarding, retention
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
