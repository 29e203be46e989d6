"""Layer 2 (professional monitoring): a network device sends its logs to the SOC's declared collector and keeps
its clock on NTP (logs the SOC cannot order in time are of little use). Read from the device's configuration."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.device_util import DEVICE, config, evidence
from fourlayer.checks.util import bi

from fourlayer.core.model import failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.forwarding import SYSLOG_PORT, Destination, matches


def destination(text: str) -> Destination:
    """"host", "host:port" or "[v6]:port" as a parser wrote it; syslog's UDP 514 when no port is given (the
    default of IOS `logging host`, FortiOS syslogd, RouterOS remote actions and Junos `syslog host`)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    return Destination(host=host, port=int(port) if port.isdigit() else SYSLOG_PORT, via="device configuration")


@check(id="L2-DEV-001", layer=2, severity="medium", min_level=1, **DEVICE,
       references=(refs.CIRCULAR_12_NET_LOG, refs.CIRCULAR_31, refs.CIS_IOS_LOG_HOST, refs.DISPATCH_1552,
                   refs.FORTINET_HARDENING),
       title={"en": "The device sends its logs to the SOC's declared log collector",
              "vi": "Thiết bị gửi nhật ký tới bộ thu thập nhật ký SOC đã khai báo"},
       rationale={"en": "Routers and firewalls see every connection and every administrator action; the SOC can "
                        "only monitor them when their logs reach its collector. A device that logs locally, or to "
                        "a retired server, is blind to the monitoring provider.",
                  "vi": "Bộ định tuyến và tường lửa thấy mọi kết nối và mọi thao tác quản trị; SOC chỉ giám sát "
                        "được khi nhật ký tới bộ thu thập của mình. Thiết bị chỉ ghi cục bộ, hoặc gửi tới máy chủ "
                        "cũ, nằm ngoài tầm giám sát."},
       remediation={"en": "Send logs to the collector declared in `soc.log_collector` (host and port): Cisco "
                          "`logging host ADDRESS transport udp port PORT`; FortiOS `config log syslogd setting`; "
                          "RouterOS `/system logging action add target=remote remote=ADDRESS remote-port=PORT`.",
                    "vi": "Gửi nhật ký tới bộ thu thập khai báo trong `soc.log_collector` (địa chỉ và cổng): Cisco "
                          "`logging host ĐỊA_CHỈ transport udp port CỔNG`; FortiOS `config log syslogd setting`; "
                          "RouterOS `/system logging action add target=remote remote=ĐỊA_CHỈ remote-port=CỔNG`."})
def logs_to_soc(t):
    dests = [destination(h) for h in config(t).logging_hosts]
    shown = ", ".join(f"{d.host}:{d.port}" for d in dests)
    rows = [f"logging host {d.host}:{d.port}" for d in dests]
    wanted = t.agency.soc.log_destination if t.agency.soc else None
    if not dests:
        return failed(bi("no remote logging host is configured: logs stay on the device",
                         "chưa cấu hình máy chủ nhận nhật ký từ xa: nhật ký chỉ nằm trên thiết bị"),
                      evidence(t, rows + [f"SOC collector: {wanted or 'not declared'}"]))
    if wanted is None:
        return warned(bi(f"logs go to {shown}, but no SOC log collector is declared (soc.log_collector), so the "
                         "destination cannot be confirmed",
                         f"nhật ký được gửi tới {shown}, nhưng chưa khai báo bộ thu thập nhật ký SOC "
                         "(soc.log_collector) nên không xác nhận được đích"), evidence(t, rows))
    if any(matches(d, wanted) for d in dests):
        return passed(bi(f"logs go to the declared SOC collector {wanted}",
                         f"nhật ký được gửi tới bộ thu thập SOC đã khai báo {wanted}"), evidence(t, rows))
    return failed(bi(f"logs go to {shown}, not to the declared SOC collector {wanted}",
                     f"nhật ký được gửi tới {shown}, không phải bộ thu thập SOC đã khai báo {wanted}"),
                  evidence(t, rows + [f"SOC collector: {wanted}"]))


@check(id="L2-DEV-002", layer=2, severity="medium", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_NTP, refs.CIRCULAR_12_NET_LOG, refs.TCVN_NET, refs.FORTINET_HARDENING,
                   refs.MIKROTIK_SECURING),
       title={"en": "The device synchronises its clock with an NTP server",
              "vi": "Thiết bị đồng bộ thời gian với máy chủ NTP"},
       rationale={"en": "Without NTP a device's clock drifts: its log lines cannot be matched with the SOC's other "
                        "sources, and certificate and VPN checks may fail.",
                  "vi": "Không có NTP, đồng hồ thiết bị bị lệch: không thể đối chiếu nhật ký của thiết bị với các "
                        "nguồn khác của SOC, và việc kiểm tra chứng thư số, VPN có thể lỗi."},
       remediation={"en": "Configure at least one (better two) internal NTP servers: Cisco `ntp server ADDRESS`; "
                          "FortiOS `config system ntp`; RouterOS `/system ntp client set enabled=yes servers=...`.",
                    "vi": "Cấu hình ít nhất một (tốt nhất hai) máy chủ NTP nội bộ: Cisco `ntp server ĐỊA_CHỈ`; "
                          "FortiOS `config system ntp`; RouterOS `/system ntp client set enabled=yes servers=...`."})
def ntp_configured(t):
    servers = config(t).ntp_servers
    if servers:
        return passed(bi(f"NTP servers: {', '.join(servers)}", f"máy chủ NTP: {', '.join(servers)}"),
                      evidence(t, [f"ntp server {s}" for s in servers]))
    return failed(bi("no NTP server is configured", "chưa cấu hình máy chủ NTP nào"), evidence(t, ["ntp: none"]))
