"""Layer 4 on the host: the national monitoring agent, the sharing endpoint and the anti-malware connection."""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import Outcome, failed, not_applicable, passed
from fourlayer.core.registry import check
from fourlayer.core.target import Target
from fourlayer.resources import forwarding
from fourlayer.resources.forwarding import agent_managers, log_destinations
from fourlayer.resources.host_files import running, shown
from fourlayer.resources.windows import windows


def below_agent_level(t: Target) -> Outcome | None:
    """NOT_APPLICABLE below `national.agent_from_level`, else None."""
    from_level = int(t.policy.national.agent_from_level)
    if t.level < from_level:
        return not_applicable({"en": f"the policy requires the national connection on hosts from level "
                                     f"{from_level}; this system is level {t.level}",
                               "vi": f"chính sách yêu cầu kết nối quốc gia trên máy chủ từ cấp độ {from_level}; hệ "
                                     f"thống này ở cấp độ {t.level}"})
    return None


@check(id="L4-NAT-003", layer=4, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "The national monitoring agent runs on the host",
              "vi": "Tác tử giám sát quốc gia đang chạy trên máy chủ"},
       rationale={"en": "Circular 31/2017 Art. 5: from level 3, monitoring data flows to the national monitoring "
                        "system; on the host that is the agent's job, and a stopped agent shares nothing.",
                  "vi": "Điều 5 Thông tư 31/2017: từ cấp độ 3, dữ liệu giám sát được chuyển tới hệ thống giám sát "
                        "quốc gia; trên máy chủ, đó là việc của tác tử, và tác tử bị dừng thì không chia sẻ được gì."},
       remediation={"en": "Install and start the agent the national monitoring centre supplies (its process names "
                          "go in the policy's `national.agent_process_names`), and declare the agency's "
                          "`national_monitoring` connection.",
                    "vi": "Cài đặt và khởi động tác tử do Trung tâm giám sát quốc gia cung cấp (tên tiến trình khai báo "
                          "trong `national.agent_process_names` của chính sách), và khai báo kết nối "
                          "`national_monitoring` của cơ quan."},
       references=(refs.CIRCULAR_31, refs.DISPATCH_1552, refs.DIRECTIVE_14))
def national_agent(t):
    skip = below_agent_level(t)
    if skip:
        return skip
    names = list(t.policy.national.agent_process_names) or \
        list(t.policy.edr.process_names)
    up, _ = running(t, names)
    return judge_national_agent(t, up, names)


def judge_national_agent(t: Target, up: list[str], names: list[str]) -> Outcome:
    """The verdict on the national agent, from what runs of `names` (Linux processes or Windows services)."""
    nat = t.agency.national_monitoring
    connected = bool(nat and nat.connected)
    evidence = f"running: {', '.join(up) or 'none of ' + shown(names)}; national_monitoring.connected: " \
               f"{str(connected).lower()}"
    if not up:
        return failed({"en": f"no national monitoring agent is running (looked for {shown(names)})",
                       "vi": f"không có tác tử giám sát quốc gia nào đang chạy (đã tìm {shown(names)})"}, evidence)
    if not connected:
        return failed({"en": f"{up[0]} runs, but the agency declares no connection to the national monitoring system",
                       "vi": f"{up[0]} đang chạy, nhưng cơ quan chưa khai báo kết nối với hệ thống giám sát quốc "
                             "gia"}, evidence)
    return passed({"en": f"{up[0]} runs and the agency is connected to the national monitoring system",
                   "vi": f"{up[0]} đang chạy và cơ quan đã kết nối với hệ thống giám sát quốc gia"}, evidence)


@check(id="L4-NAT-004", layer=4, severity="medium", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "The host sends to the declared national collector",
              "vi": "Máy chủ gửi dữ liệu tới bộ thu thập quốc gia đã khai báo"},
       rationale={"en": "A national connection declared on paper shares nothing unless the host's log forwarder or "
                        "agent names the national collector; L4-NAT-002 checks the collector is reachable.",
                  "vi": "Kết nối quốc gia chỉ khai báo trên giấy thì không chia sẻ được gì nếu bộ chuyển tiếp nhật ký "
                        "hoặc tác tử của máy chủ không trỏ tới bộ thu thập quốc gia; L4-NAT-002 kiểm tra bộ thu thập "
                        "có kết nối được."},
       remediation={"en": "Add the declared `national_monitoring.collector` as a destination of the host's log "
                          "forwarding (rsyslog, syslog-ng, journal-upload) or of its agent.",
                    "vi": "Thêm `national_monitoring.collector` đã khai báo làm đích chuyển tiếp nhật ký của máy chủ "
                          "(rsyslog, syslog-ng, journal-upload) hoặc của tác tử."},
       references=(refs.CIRCULAR_31, refs.DISPATCH_1552))
def national_endpoint_on_host(t):
    skip = below_agent_level(t)
    if skip:
        return skip
    nat = t.agency.national_monitoring
    if nat is None or nat.collector is None:
        return failed({"en": "no national collector is declared (national_monitoring.collector) to look for on the "
                             "host",
                       "vi": "chưa khai báo bộ thu thập quốc gia (national_monitoring.collector) để đối chiếu trên "
                             "máy chủ"})
    dests = log_destinations(t) + agent_managers(t)[0]
    hits = [d for d in dests if forwarding.matches(d, nat.collector)]
    if hits:
        return passed({"en": f"the host sends to the national collector {nat.collector}",
                       "vi": f"máy chủ gửi dữ liệu tới bộ thu thập quốc gia {nat.collector}"},
                      "\n".join(map(str, hits)))
    return failed({"en": f"no forwarding rule or agent on the host names the national collector {nat.collector}",
                   "vi": f"không có quy tắc chuyển tiếp hoặc tác tử nào trên máy chủ trỏ tới bộ thu thập quốc gia "
                         f"{nat.collector}"},
                  "\n".join(map(str, dests)) or "no remote destination configured")


@check(id="L4-AMW-001", layer=4, severity="medium", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Anti-malware runs and is connected to the national anti-malware platform",
              "vi": "Phần mềm phòng chống mã độc đang chạy và đã kết nối với nền tảng phòng chống mã độc quốc gia"},
       rationale={"en": "Directive 14/CT-TTg of 25 May 2018 asks agencies for centrally managed anti-malware that "
                        "shares malware data with the national technical system, so that outbreaks are seen and "
                        "handled nationally; the agency declares the connection and the engine must run on the host.",
                  "vi": "Chỉ thị 14/CT-TTg ngày 25/5/2018 yêu cầu các cơ quan dùng giải pháp phòng, chống mã độc được "
                        "quản lý tập trung và chia sẻ dữ liệu mã độc với hệ thống kỹ thuật quốc gia, để phát hiện và "
                        "xử lý mã độc trên phạm vi cả nước; cơ quan khai báo việc kết nối và phần mềm phải chạy trên "
                        "máy chủ."},
       remediation={"en": "Connect the anti-malware management to the national platform, declare "
                          "`national_monitoring.antimalware_connected: true`, and run the engine on the host "
                          "(its process names go in the policy's `antimalware.process_names`).",
                    "vi": "Kết nối hệ thống quản lý phòng chống mã độc với nền tảng quốc gia, khai báo "
                          "`national_monitoring.antimalware_connected: true`, và chạy phần mềm trên máy chủ (tên tiến "
                          "trình khai báo trong `antimalware.process_names` của chính sách)."},
       references=(refs.DIRECTIVE_14_2018, refs.DISPATCH_1552, refs.CIRCULAR_12))
def antimalware_connected(t):
    names = list(t.policy.antimalware.process_names)
    up, _ = running(t, names)
    nat = t.agency.national_monitoring
    flag = nat.antimalware_connected if nat else None
    evidence = f"running: {', '.join(up) or 'none of ' + shown(names)}; antimalware_connected: " \
               f"{'not declared' if flag is None else str(flag).lower()}"
    if not flag:
        return failed({"en": "the agency does not declare its anti-malware connected to the national platform "
                             "(national_monitoring.antimalware_connected)",
                       "vi": "cơ quan chưa khai báo phần mềm phòng chống mã độc đã kết nối với nền tảng quốc gia "
                             "(national_monitoring.antimalware_connected)"}, evidence)
    if not up:
        return failed({"en": f"no anti-malware engine is running on the host (looked for {shown(names)})",
                       "vi": f"không có phần mềm phòng chống mã độc nào đang chạy trên máy chủ (đã tìm "
                             f"{shown(names)})"}, evidence)
    return passed({"en": f"{up[0]} runs and anti-malware is connected to the national platform",
                   "vi": f"{up[0]} đang chạy và phần mềm phòng chống mã độc đã kết nối với nền tảng quốc gia"},
                  evidence)


@check(id="L4-WIN-001", layer=4, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("windows",),
       title={"en": "The national monitoring agent's service runs on the Windows host",
              "vi": "Dịch vụ của tác tử giám sát quốc gia đang chạy trên máy Windows"},
       rationale={"en": "As L4-NAT-003 on Linux: from level 3 monitoring data flows to the national monitoring "
                        "system (Circular 31/2017 Art. 5), and on a Windows host that is the job of the agent's "
                        "service; a stopped service shares nothing.",
                  "vi": "Như L4-NAT-003 trên Linux: từ cấp độ 3, dữ liệu giám sát được chuyển tới hệ thống giám sát "
                        "quốc gia (Điều 5 Thông tư 31/2017), và trên máy Windows đó là việc của dịch vụ tác tử; dịch "
                        "vụ bị dừng thì không chia sẻ được gì."},
       remediation={"en": "Install and start the agent the national monitoring centre supplies (its service name "
                          "goes in the policy's `windows.national_agent_services`), and declare the agency's "
                          "`national_monitoring` connection.",
                    "vi": "Cài đặt và khởi động tác tử do Trung tâm giám sát quốc gia cung cấp (tên dịch vụ khai báo "
                          "trong `windows.national_agent_services` của chính sách), và khai báo kết nối "
                          "`national_monitoring` của cơ quan."},
       references=(refs.CIRCULAR_31, refs.DISPATCH_1552, refs.DIRECTIVE_14))
def windows_national_agent(t):
    skip = below_agent_level(t)
    if skip:
        return skip
    names = list(t.policy.windows.national_agent_services) or list(t.policy.windows.soc_agent_services)
    return judge_national_agent(t, windows(t).running(names), names)
