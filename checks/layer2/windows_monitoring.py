"""Layer 2 on a Windows host: the advanced audit policy, and events forwarded to the SOC (WEF or the SOC's agent)."""

from __future__ import annotations

import re

from fourlayer.checks import refs

from fourlayer.core.model import failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.host_files import shown
from fourlayer.resources.windows import key_ending, windows
from fourlayer.resources.windows_audit import covers, find


@check(id="L2-WIN-001", layer=2, severity="medium", min_level=2, needs=("ssh_shell",), applies_to=("windows",),
       title={"en": "The advanced audit policy records logons, account and policy changes, privilege use",
              "vi": "Chính sách kiểm toán nâng cao ghi lại đăng nhập, thay đổi tài khoản, chính sách và việc dùng "
                    "đặc quyền"},
       rationale={"en": "The Security event log only holds what the audit policy asks for; without logon, account "
                        "management, policy change and privilege use events a SOC cannot detect or investigate an "
                        "intrusion on the host.",
                  "vi": "Nhật ký Security chỉ chứa những gì chính sách kiểm toán yêu cầu; thiếu sự kiện đăng nhập, "
                        "quản lý tài khoản, thay đổi chính sách và dùng đặc quyền thì SOC không thể phát hiện hay "
                        "điều tra xâm nhập trên máy."},
       remediation={"en": "Advanced Audit Policy Configuration (Group Policy), or `auditpol /set /subcategory:<GUID> "
                          "/success:enable /failure:enable`, for each subcategory of windows.audit_subcategories.",
                    "vi": "Cấu hình Advanced Audit Policy Configuration (Group Policy), hoặc chạy `auditpol /set "
                          "/subcategory:<GUID> /success:enable /failure:enable`, cho từng mục trong "
                          "windows.audit_subcategories."},
       references=(refs.CIS_WIN_AUDIT, refs.MS_AUDITPOL, refs.TCVN_SRV, refs.CIRCULAR_12))
def windows_audit_policy(t):
    settings = windows(t).audit_policy()
    required = dict(t.policy.windows.audit_subcategories)
    rows, gaps = [], []
    for name, need in required.items():
        found = find(settings, name)
        have = found.setting if found else "not listed"
        rows.append(f"{name}: {have} (needs {need})")
        if found is None or not covers(found.setting, need):
            gaps.append(f"{name} ({have})")
    evidence = "\n".join(rows)
    if gaps:
        return failed({"en": f"{len(gaps)} of {len(required)} required audit subcategories fall short: {shown(gaps)}",
                       "vi": f"{len(gaps)}/{len(required)} mục kiểm toán bắt buộc chưa đạt: {shown(gaps, lang='vi')}"},
                      evidence)
    return passed({"en": f"all {len(required)} required audit subcategories are audited",
                   "vi": f"cả {len(required)} mục kiểm toán bắt buộc đều được ghi nhận"}, evidence)


_WEF_SERVER = re.compile(r"Server=(?:https?://)?\[?([A-Za-z0-9.\-:]+?)\]?(?::(\d{1,5}))?(?:/|,|$)", re.I)


def subscription_managers(keys) -> list[tuple[str, str]]:
    """(host, the whole value) of each WEF subscription manager Group Policy gives the host."""
    key = key_ending(keys, r"\SubscriptionManager")
    found = []
    for name in ("1", "2", "3"):
        value = key.get(name) if key else None
        m = _WEF_SERVER.search(value) if isinstance(value, str) else None
        if m:
            found.append((m.group(1).lower(), value))
    return found


@check(id="L2-WIN-002", layer=2, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("windows",),
       title={"en": "Windows events are forwarded to the declared SOC collector",
              "vi": "Sự kiện Windows được chuyển tới bộ thu thập của SOC đã khai báo"},
       rationale={"en": "Professional monitoring (layer 2) sees a Windows host only through events that leave it: "
                        "Windows Event Forwarding to the SOC's collector, or the SOC's agent running on the host.",
                  "vi": "Giám sát chuyên nghiệp (lớp 2) chỉ thấy máy Windows qua các sự kiện được gửi ra ngoài: "
                        "Windows Event Forwarding tới bộ thu thập của SOC, hoặc tác tử của SOC chạy trên máy."},
       remediation={"en": "Group Policy: Windows Components > Event Forwarding > Configure target Subscription "
                          "Manager = Server=http://<soc.log_collector host>:5985/wsman/SubscriptionManager/WEC; or "
                          "install and start the SOC's agent (its service in windows.soc_agent_services).",
                    "vi": "Trong Group Policy: Windows Components > Event Forwarding > Configure target Subscription "
                          "Manager = Server=http://<máy soc.log_collector>:5985/wsman/SubscriptionManager/WEC; hoặc "
                          "cài đặt và chạy tác tử của SOC (tên dịch vụ trong windows.soc_agent_services)."},
       references=(refs.MS_WEF, refs.CIRCULAR_12, refs.DISPATCH_1552, refs.CIRCULAR_31))
def windows_event_forwarding(t):
    w = windows(t)
    declared = t.agency.soc.log_destination if t.agency.soc else None
    managers = subscription_managers(w.registry("win_event_forwarding"))
    agents = w.running(list(t.policy.windows.soc_agent_services))
    evidence = "\n".join([f"subscription manager: {v}" for _, v in managers]
                         + [f"running: {', '.join(agents) or 'none of ' + shown(list(t.policy.windows.soc_agent_services))}"])
    if declared is None:
        return failed({"en": "no SOC collector is declared (soc.log_collector or soc.manager) to compare with",
                       "vi": "chưa khai báo bộ thu thập của SOC (soc.log_collector hoặc soc.manager) để đối chiếu"},
                      evidence)
    if any(host == declared.host.lower() for host, _ in managers):
        return passed({"en": f"events are forwarded (WEF) to the SOC's collector {declared.host}",
                       "vi": f"sự kiện được chuyển (WEF) tới bộ thu thập của SOC {declared.host}"}, evidence)
    if managers:
        hosts = ", ".join(h for h, _ in managers)
        return failed({"en": f"events are forwarded to {hosts}, not to the SOC's collector {declared.host}",
                       "vi": f"sự kiện được chuyển tới {hosts}, không phải bộ thu thập của SOC {declared.host}"},
                      evidence)
    if agents:
        return warned({"en": f"the SOC agent {agents[0]} runs; where it sends is not read on Windows",
                       "vi": f"tác tử SOC {agents[0]} đang chạy; chưa đọc được nơi nó gửi dữ liệu trên Windows"},
                      evidence)
    return failed({"en": "no event forwarding is configured and no SOC agent runs",
                   "vi": "chưa cấu hình chuyển tiếp sự kiện và không có tác tử SOC nào đang chạy"}, evidence)
