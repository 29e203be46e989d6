"""Layer 1 on a Windows host: firewall, anti-malware, SMBv1, RDP with NLA, LLMNR, NTLMv2, SCHANNEL, WinRM.

Evidence: the read-only PowerShell commands of `fourlayer.collectors.windows_allowlist`, typed by
`fourlayer.resources.windows`. Tested against recorded Windows output over a real sshd (no Windows host here).
"""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.collectors.windows_allowlist import SCHANNEL_PROTOCOLS
from fourlayer.core.model import Unevaluable, failed, passed, warned
from fourlayer.core.registry import check
from fourlayer.resources.windows import CommandFailed, key_ending, ps_bool, ps_int, windows

_WIN = dict(layer=1, needs=("ssh_shell",), applies_to=("windows",))


@check(id="L1-WIN-001", severity="high", min_level=1, **_WIN,
       title={"en": "Windows Defender Firewall is on for the Domain, Private and Public profiles, blocking inbound",
              "vi": "Tường lửa Windows Defender bật cho cả ba hồ sơ Domain, Private, Public và chặn kết nối vào"},
       rationale={"en": "A profile that is off, or allows inbound connections by default, exposes every listening "
                        "service of the host whenever that network profile applies (Circular 12/2022: a firewall "
                        "on servers and workstations at every level).",
                  "vi": "Hồ sơ tường lửa bị tắt, hoặc mặc định cho phép kết nối vào, làm lộ mọi dịch vụ đang lắng nghe "
                        "của máy mỗi khi hồ sơ mạng đó được áp dụng (Thông tư 12/2022: tường lửa trên máy chủ và máy "
                        "trạm ở mọi cấp độ)."},
       remediation={"en": "Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True "
                          "-DefaultInboundAction Block (or the same in Group Policy: Windows Defender Firewall with "
                          "Advanced Security).",
                    "vi": "Chạy Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True "
                          "-DefaultInboundAction Block (hoặc cấu hình tương ứng trong Group Policy: Windows Defender "
                          "Firewall with Advanced Security)."},
       references=(refs.CIS_WIN_FIREWALL, refs.MS_FIREWALL, refs.CIRCULAR_12, refs.CIS_CONTROLS_FIREWALL))
def windows_firewall(t):
    profiles = windows(t).firewall_profiles()
    evidence = "\n".join(map(str, profiles))
    off = [p.name for p in profiles if p.enabled is not True]
    open_in = [p.name for p in profiles if p.inbound == "Allow"]
    if off or open_in:
        en = "; ".join(x for x in (f"off or not configured: {', '.join(off)}" if off else "",
                                  f"inbound allowed by default: {', '.join(open_in)}" if open_in else "") if x)
        vi = "; ".join(x for x in (f"tắt hoặc chưa cấu hình: {', '.join(off)}" if off else "",
                                  f"mặc định cho phép kết nối vào: {', '.join(open_in)}" if open_in else "") if x)
        return failed({"en": f"the firewall does not protect every profile ({en})",
                       "vi": f"tường lửa không bảo vệ mọi hồ sơ mạng ({vi})"}, evidence)
    return passed({"en": "the firewall is on for Domain, Private and Public and blocks inbound by default",
                   "vi": "tường lửa bật cho Domain, Private và Public, mặc định chặn kết nối vào"}, evidence)


@check(id="L1-WIN-002", severity="high", min_level=1, **_WIN,
       title={"en": "Anti-malware runs with real-time protection and recent signatures",
              "vi": "Phần mềm phòng chống mã độc đang chạy, bảo vệ thời gian thực và có mẫu nhận diện mới"},
       rationale={"en": "Circular 12/2022 asks for anti-malware on servers and workstations at every level; an "
                        "engine that is off, scans only on demand, or has signatures older than the policy allows "
                        "misses current malware.",
                  "vi": "Thông tư 12/2022 yêu cầu phòng chống mã độc trên máy chủ và máy trạm ở mọi cấp độ; phần mềm "
                        "bị tắt, chỉ quét khi được yêu cầu, hoặc có mẫu nhận diện cũ hơn mức chính sách cho phép sẽ bỏ "
                        "sót mã độc mới."},
       remediation={"en": "Turn Microsoft Defender Antivirus and real-time protection on (Set-MpPreference "
                          "-DisableRealtimeMonitoring $false), update signatures (Update-MpSignature) and let "
                          "them update automatically; or declare the agency's product in `windows.antimalware_services`.",
                    "vi": "Bật Microsoft Defender Antivirus và bảo vệ thời gian thực (Set-MpPreference "
                          "-DisableRealtimeMonitoring $false), cập nhật mẫu nhận diện (Update-MpSignature) và để chúng "
                          "tự cập nhật; hoặc khai báo sản phẩm của cơ quan trong `windows.antimalware_services`."},
       references=(refs.MS_DEFENDER, refs.CIRCULAR_12, refs.CIS_CONTROLS_MALWARE, refs.TCVN_SRV_MALWARE))
def windows_antimalware(t):
    w = windows(t)
    try:
        d = w.defender()
    except CommandFailed as exc:
        others = [n for n in t.policy.windows.antimalware_services if n.lower() != "windefend"]
        try:
            alt = w.running(others) if others else []
        except Unevaluable:
            alt = []
        if alt:
            return warned({"en": f"{alt[0]} runs; its signature age cannot be read (only Defender reports it): {exc}",
                           "vi": f"{alt[0]} đang chạy; không đọc được tuổi mẫu nhận diện (chỉ Defender cung cấp): "
                                 f"{exc}"}, f"running: {', '.join(alt)}")
        raise
    limit = int(t.policy.windows.max_signature_age_days)
    if d.signatures_updated is None:
        raise Unevaluable("`Get-MpComputerStatus` gave no readable AntivirusSignatureLastUpdated date")
    age = max(0, (t.clock - d.signatures_updated).days)
    evidence = (f"AMServiceEnabled={d.service_enabled} AntivirusEnabled={d.antivirus_enabled} "
                f"RealTimeProtectionEnabled={d.realtime} AntivirusSignatureLastUpdated="
                f"{d.signatures_updated:%Y-%m-%d %H:%M} UTC ({age} days before the scan) version {d.signature_version}")
    off = [name for name, on in (("AMServiceEnabled", d.service_enabled), ("AntivirusEnabled", d.antivirus_enabled),
                                 ("RealTimeProtectionEnabled", d.realtime)) if on is not True]
    if off:
        return failed({"en": f"Microsoft Defender is not fully on ({', '.join(off)} false)",
                       "vi": f"Microsoft Defender chưa bật đầy đủ ({', '.join(off)} là false)"}, evidence)
    if age > limit:
        return failed({"en": f"Defender's signatures are {age} days old (policy: at most {limit})",
                       "vi": f"mẫu nhận diện của Defender đã {age} ngày (chính sách: tối đa {limit} ngày)"}, evidence)
    return passed({"en": f"Defender runs with real-time protection; signatures {age} days old (at most {limit})",
                   "vi": f"Defender đang chạy với bảo vệ thời gian thực; mẫu nhận diện {age} ngày tuổi (tối đa "
                         f"{limit})"}, evidence)


@check(id="L1-WIN-003", severity="high", min_level=1, **_WIN,
       title={"en": "SMB version 1 is disabled on the server side", "vi": "Giao thức SMB phiên bản 1 đã bị tắt"},
       rationale={"en": "SMBv1 has no pre-authentication integrity or encryption and carried WannaCry and NotPetya "
                        "(MS17-010); Microsoft deprecated it and no current client needs it.",
                  "vi": "SMBv1 không có cơ chế toàn vẹn trước xác thực hay mã hóa và là đường lây lan của WannaCry, "
                        "NotPetya (MS17-010); Microsoft đã ngừng khuyến nghị và không máy khách hiện đại nào cần nó."},
       remediation={"en": "Set-SmbServerConfiguration -EnableSMB1Protocol $false, and remove the feature: "
                          "Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol.",
                    "vi": "Chạy Set-SmbServerConfiguration -EnableSMB1Protocol $false và gỡ tính năng: "
                          "Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol."},
       references=(refs.CIS_WIN_SMB1, refs.MS_SMB1, refs.TCVN_SRV_INTRUSION))
def windows_smb1(t):
    w = windows(t)
    try:
        enabled, source = ps_bool(w.smb_server().get("EnableSMB1Protocol")), "Get-SmbServerConfiguration"
    except CommandFailed as exc:
        value = ps_int(w.registry_value("win_smb1_registry", "SMB1"))
        if value is None:
            raise Unevaluable(f"{exc}; and the registry value LanmanServer\\Parameters SMB1 is not set") from None
        enabled, source = value != 0, "registry LanmanServer\\Parameters SMB1"
    if enabled is None:
        raise Unevaluable("`Get-SmbServerConfiguration` gave no readable EnableSMB1Protocol value")
    evidence = f"{source}: EnableSMB1Protocol={enabled}"
    if enabled:
        return failed({"en": f"the SMB server accepts SMBv1 ({source})",
                       "vi": f"máy chủ SMB vẫn chấp nhận SMBv1 ({source})"}, evidence)
    return passed({"en": f"SMBv1 is disabled ({source})", "vi": f"SMBv1 đã bị tắt ({source})"}, evidence)


@check(id="L1-WIN-004", severity="high", min_level=1, **_WIN,
       title={"en": "Remote Desktop requires Network Level Authentication",
              "vi": "Remote Desktop yêu cầu xác thực mức mạng (NLA)"},
       rationale={"en": "Without NLA a Remote Desktop server starts a full session before the user authenticates, "
                        "exposing the logon screen and pre-authentication flaws such as BlueKeep (CVE-2019-0708) to "
                        "anyone who can reach port 3389.",
                  "vi": "Không có NLA, máy chủ Remote Desktop mở phiên làm việc trước khi người dùng xác thực, làm lộ "
                        "màn hình đăng nhập và các lỗ hổng trước xác thực như BlueKeep (CVE-2019-0708) cho bất kỳ ai "
                        "kết nối được tới cổng 3389."},
       remediation={"en": "Group Policy: Remote Desktop Session Host > Security > Require user authentication for "
                          "remote connections by using Network Level Authentication = Enabled (UserAuthentication=1), "
                          "or turn Remote Desktop off.",
                    "vi": "Trong Group Policy: Remote Desktop Session Host > Security > Require user authentication "
                          "for remote connections by using Network Level Authentication = Enabled "
                          "(UserAuthentication=1), hoặc tắt Remote Desktop."},
       references=(refs.CIS_WIN_RDP, refs.TCVN_SRV_AUTH, refs.CIRCULAR_12))
def windows_rdp_nla(t):
    keys = windows(t).registry("win_rdp")
    evidence = "\n".join(f"{k.path}: {k.values}" for k in keys)
    server, rdp_tcp = key_ending(keys, r"\Terminal Server"), key_ending(keys, r"\RDP-Tcp")
    policy = key_ending(keys, r"\Terminal Services")
    if server is None or rdp_tcp is None:
        raise Unevaluable("the Terminal Server registry keys were not in the output of `Get-ItemProperty`")
    if ps_int(server.get("fDenyTSConnections")) == 1:
        return passed({"en": "Remote Desktop is turned off (fDenyTSConnections=1)",
                       "vi": "Remote Desktop đang tắt (fDenyTSConnections=1)"}, evidence)
    by_policy = ps_int(policy.get("UserAuthentication")) if policy else None
    nla = by_policy if by_policy is not None else ps_int(rdp_tcp.get("UserAuthentication"))
    source = "Group Policy" if by_policy is not None else "RDP-Tcp"
    if nla is None:
        raise Unevaluable("UserAuthentication is set neither by Group Policy nor on the RDP-Tcp listener")
    if nla != 1:
        return failed({"en": f"Remote Desktop is on without Network Level Authentication (UserAuthentication={nla}, "
                             f"{source})",
                       "vi": f"Remote Desktop đang bật nhưng không yêu cầu NLA (UserAuthentication={nla}, {source})"},
                      evidence)
    return passed({"en": f"Remote Desktop requires Network Level Authentication ({source})",
                   "vi": f"Remote Desktop yêu cầu xác thực mức mạng NLA ({source})"}, evidence)


@check(id="L1-WIN-010", severity="medium", min_level=1, **_WIN,
       title={"en": "LLMNR (multicast name resolution) is turned off",
              "vi": "Đã tắt phân giải tên đa hướng LLMNR"},
       rationale={"en": "Any host on the segment can answer LLMNR queries: tools such as Responder use it to "
                        "capture NTLM hashes of users who mistype a share name. Windows answers it unless Group "
                        "Policy turns it off.",
                  "vi": "Bất kỳ máy nào trong cùng phân đoạn mạng đều trả lời được truy vấn LLMNR: các công cụ như "
                        "Responder lợi dụng điều này để thu mã băm NTLM của người dùng gõ nhầm tên thư mục chia sẻ. "
                        "Windows vẫn dùng LLMNR nếu Group Policy không tắt nó."},
       remediation={"en": "Group Policy: Network > DNS Client > Turn off multicast name resolution = Enabled "
                          "(HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient EnableMulticast=0).",
                    "vi": "Trong Group Policy: Network > DNS Client > Turn off multicast name resolution = Enabled "
                          "(HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient EnableMulticast=0)."},
       references=(refs.CIS_WIN_LLMNR, refs.TCVN_NET))
def windows_llmnr(t):
    key = key_ending(windows(t).registry("win_llmnr"), r"\DNSClient")
    value = ps_int(key.get("EnableMulticast")) if key else None
    evidence = f"DNSClient EnableMulticast={'not set' if value is None else value}"
    if value == 0:
        return passed({"en": "LLMNR is turned off by policy (EnableMulticast=0)",
                       "vi": "LLMNR đã bị tắt bằng chính sách (EnableMulticast=0)"}, evidence)
    why = "not turned off by policy, so Windows uses it" if value is None else f"EnableMulticast={value}"
    why_vi = "chưa bị tắt bằng chính sách nên Windows vẫn dùng" if value is None else f"EnableMulticast={value}"
    return failed({"en": f"LLMNR is on ({why})", "vi": f"LLMNR đang bật ({why_vi})"}, evidence)


_NTLM_DEFAULT = 3  # Windows Vista / Server 2008 and later: "Send NTLMv2 response only" when the value is not set


@check(id="L1-WIN-011", severity="high", min_level=1, **_WIN,
       title={"en": "Only NTLMv2 is accepted (LAN Manager authentication level 5)",
              "vi": "Chỉ chấp nhận NTLMv2 (mức xác thực LAN Manager bằng 5)"},
       rationale={"en": "Below level 5 the host still accepts LM and NTLMv1 responses, which can be cracked or "
                        "relayed; level 5 sends NTLMv2 only and refuses LM and NTLM.",
                  "vi": "Dưới mức 5, máy vẫn chấp nhận phản hồi LM và NTLMv1, vốn bẻ khóa hoặc chuyển tiếp (relay) "
                        "được; mức 5 chỉ gửi NTLMv2 và từ chối LM, NTLM."},
       remediation={"en": "Security Options: Network security: LAN Manager authentication level = Send NTLMv2 "
                          "response only. Refuse LM & NTLM (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa "
                          "LmCompatibilityLevel=5).",
                    "vi": "Trong Security Options: Network security: LAN Manager authentication level = Send NTLMv2 "
                          "response only. Refuse LM & NTLM (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa "
                          "LmCompatibilityLevel=5)."},
       references=(refs.CIS_WIN_NTLM, refs.MS_NTLM, refs.TCVN_SRV_AUTH))
def windows_ntlm(t):
    level = ps_int(windows(t).registry_value("win_lsa", "LmCompatibilityLevel"))
    shown_level = f"{_NTLM_DEFAULT} (not set: the Windows default)" if level is None else str(level)
    evidence = f"Lsa LmCompatibilityLevel={shown_level}"
    if level == 5:
        return passed({"en": "LAN Manager authentication level is 5: NTLMv2 only, LM and NTLM refused",
                       "vi": "mức xác thực LAN Manager là 5: chỉ NTLMv2, từ chối LM và NTLM"}, evidence)
    return failed({"en": f"LAN Manager authentication level is {shown_level}; LM and NTLMv1 are still accepted "
                         "(needs 5)",
                   "vi": f"mức xác thực LAN Manager là {shown_level}; LM và NTLMv1 vẫn được chấp nhận (cần mức 5)"},
                  evidence)


@check(id="L1-WIN-012", severity="medium", min_level=1, **_WIN,
       title={"en": "SCHANNEL: SSL 3.0, TLS 1.0 and TLS 1.1 are disabled for servers",
              "vi": "SCHANNEL: đã tắt SSL 3.0, TLS 1.0 và TLS 1.1 phía máy chủ"},
       rationale={"en": "SSL 3.0 (RFC 7568) and TLS 1.0/1.1 (RFC 8996) are deprecated; Windows Server 2022 still "
                        "enables TLS 1.0 and 1.1 unless the SCHANNEL registry disables them, for IIS, RDP, SQL Server "
                        "and every other service that uses the system TLS stack.",
                  "vi": "SSL 3.0 (RFC 7568) và TLS 1.0/1.1 (RFC 8996) đã bị loại bỏ; Windows Server 2022 vẫn bật TLS "
                        "1.0 và 1.1 nếu registry SCHANNEL không tắt chúng, cho IIS, RDP, SQL Server và mọi dịch vụ dùng "
                        "ngăn xếp TLS của hệ thống."},
       remediation={"en": "Under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols, "
                          "set Enabled=0 and DisabledByDefault=1 in the `SSL 3.0\\Server`, `TLS 1.0\\Server` and "
                          "`TLS 1.1\\Server` keys, then restart.",
                    "vi": "Trong HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols, đặt "
                          "Enabled=0 và DisabledByDefault=1 tại các khóa `SSL 3.0\\Server`, `TLS 1.0\\Server` và "
                          "`TLS 1.1\\Server`, sau đó khởi động lại."},
       references=(refs.MS_SCHANNEL, refs.RFC_8996, refs.NIST_52, refs.TCVN_APP_COMMS))
def windows_schannel(t):
    keys = windows(t).registry("win_schannel")
    rows, problems = [], []
    for proto in SCHANNEL_PROTOCOLS:
        key = key_ending(keys, f"\\{proto}\\Server")
        enabled = ps_int(key.get("Enabled")) if key else None
        rows.append(f"{proto}\\Server Enabled={'not set' if enabled is None else enabled}")
        if enabled != 0:
            problems.append(proto)
    evidence = "\n".join(rows)
    if problems:
        return failed({"en": f"not disabled for servers: {', '.join(problems)} (no Enabled=0 in the SCHANNEL "
                             "registry; Windows may enable them by default)",
                       "vi": f"chưa tắt phía máy chủ: {', '.join(problems)} (không có Enabled=0 trong registry "
                             "SCHANNEL; Windows có thể bật chúng theo mặc định)"}, evidence)
    return passed({"en": "SSL 3.0, TLS 1.0 and TLS 1.1 are disabled for servers (Enabled=0)",
                   "vi": "SSL 3.0, TLS 1.0 và TLS 1.1 đã bị tắt phía máy chủ (Enabled=0)"}, evidence)


@check(id="L1-WIN-013", severity="medium", min_level=1, **_WIN,
       title={"en": "WinRM allows neither Basic authentication nor unencrypted traffic",
              "vi": "WinRM không cho phép xác thực Basic và lưu lượng không mã hóa"},
       rationale={"en": "A running WinRM service that accepts Basic authentication or unencrypted traffic exposes "
                        "administrator credentials and remote commands on the network.",
                  "vi": "Dịch vụ WinRM đang chạy mà chấp nhận xác thực Basic hoặc lưu lượng không mã hóa sẽ làm lộ "
                        "thông tin đăng nhập quản trị và các lệnh từ xa trên mạng."},
       remediation={"en": "Group Policy: Windows Remote Management > WinRM Service > Allow Basic authentication = "
                          "Disabled and Allow unencrypted traffic = Disabled; or stop WinRM where it is not used.",
                    "vi": "Trong Group Policy: Windows Remote Management > WinRM Service > Allow Basic authentication "
                          "= Disabled và Allow unencrypted traffic = Disabled; hoặc dừng WinRM nếu không dùng."},
       references=(refs.CIS_WIN_WINRM, refs.MS_WINRM, refs.TCVN_SRV_AUTH))
def windows_winrm(t):
    w = windows(t)
    service = w.services().get("winrm")
    if service is None or service.status != "Running":
        return passed({"en": "WinRM is not running", "vi": "WinRM không chạy"},
                      str(service) if service else "no WinRM service")
    key = key_ending(w.registry("win_winrm_policy"), r"\WinRM\Service")
    basic = ps_int(key.get("AllowBasic")) if key else None
    plain = ps_int(key.get("AllowUnencryptedTraffic")) if key else None
    evidence = f"{service}\nWinRM\\Service policy: AllowBasic={basic}, AllowUnencryptedTraffic={plain}"
    bad = [n for n, v in (("AllowBasic", basic), ("AllowUnencryptedTraffic", plain)) if v not in (None, 0)]
    if bad:
        return failed({"en": f"WinRM runs and Group Policy allows {' and '.join(bad)}",
                       "vi": f"WinRM đang chạy và Group Policy cho phép {' và '.join(bad)}"}, evidence)
    if basic is None or plain is None:
        return warned({"en": "WinRM runs; Basic authentication and unencrypted traffic are not forbidden by Group "
                             "Policy (the service's own settings are not read)",
                       "vi": "WinRM đang chạy; Group Policy chưa cấm xác thực Basic và lưu lượng không mã hóa (không "
                             "đọc cấu hình riêng của dịch vụ)"}, evidence)
    return passed({"en": "WinRM runs with Basic authentication and unencrypted traffic forbidden by Group Policy",
                   "vi": "WinRM đang chạy, Group Policy cấm xác thực Basic và lưu lượng không mã hóa"}, evidence)

