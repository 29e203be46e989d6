"""Layer 1 (on-site force): how a network device can be administered — clear-text management protocols, SSH
version 1, management reachable from anywhere, SNMP v1/v2c communities. Read from the device's configuration."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.device_util import DEVICE, at, config, evidence, listed
from fourlayer.checks.util import bi

from fourlayer.core.model import Unevaluable, failed, not_applicable, passed
from fourlayer.core.registry import check

CLEAR_TEXT = ("telnet", "http", "ftp")  # management protocols that send the administrator's password in clear
# remote management services judged by L1-DEV-003 (SNMP is L1-DEV-004's)
REMOTE_MGMT = ("telnet", "ssh", "http", "https", "ftp", "winbox", "api", "api-ssl", "netconf", "fgfm")
OPEN_VI = {"not defined (IOS then permits every source)": "ACL chưa được định nghĩa, khi đó IOS cho phép mọi nguồn",
           "its first entry for any source is a permit": "mục đầu tiên áp dụng cho mọi nguồn là permit"}
_ADMIN_REFS = (refs.CIRCULAR_12_NET_ADMIN, refs.TCVN_NET_ACCESS, refs.FORTINET_HARDENING, refs.MIKROTIK_SECURING)


@check(id="L1-DEV-001", layer=1, severity="high", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_VTY_SSH,) + _ADMIN_REFS,
       title={"en": "No clear-text management (telnet, plain HTTP) on the network device",
              "vi": "Thiết bị mạng không cho quản trị qua giao thức không mã hóa (telnet, HTTP)"},
       rationale={"en": "Telnet and plain-HTTP management send the administrator's password and every command in "
                        "clear text: anyone on the path captures the keys to the router or firewall.",
                  "vi": "Quản trị qua telnet và HTTP không mã hóa truyền mật khẩu quản trị và mọi lệnh dưới dạng "
                        "rõ: bất kỳ ai trên đường truyền đều lấy được quyền điều khiển bộ định tuyến hoặc tường lửa."},
       remediation={"en": "Allow only SSH (and HTTPS where a web UI is needed): Cisco `line vty 0 15` + "
                          "`transport input ssh`, `no ip http server`; FortiOS `set allowaccess ssh https` without "
                          "telnet/http; RouterOS `/ip service disable telnet,www,ftp`.",
                    "vi": "Chỉ cho phép SSH (và HTTPS nếu cần giao diện web): Cisco `line vty 0 15` + "
                          "`transport input ssh`, `no ip http server`; FortiOS `set allowaccess ssh https`, bỏ "
                          "telnet/http; RouterOS `/ip service disable telnet,www,ftp`."})
def clear_text_management(t):
    d = config(t)
    bad = [s for s in d.services if s.enabled and s.name in CLEAR_TEXT]
    bad_if = [i for i in d.interfaces if i.enabled and set(i.management_access) & set(CLEAR_TEXT)]
    rows = [f"{s.name}: enabled{' by default' if s.defaulted else ''} (line {s.line})" for s in bad]
    rows += [f"interface {i.name}: accepts {', '.join(sorted(set(i.management_access) & set(CLEAR_TEXT)))} "
             f"(line {i.line})" for i in bad_if]
    if not bad and not bad_if:
        seen = ", ".join(s.name for s in d.services if s.enabled) or "none"
        return passed(bi(f"no clear-text management protocol is enabled (enabled: {seen})",
                         f"không có giao thức quản trị không mã hóa nào được bật (đang bật: {seen})"),
                      evidence(t, rows))
    parts = [bi(f"{s.name}{' by default' if s.defaulted else ''}{at(s.line)['en']}",
                f"{s.name}{' theo mặc định' if s.defaulted else ''}{at(s.line)['vi']}") for s in bad]
    parts += [bi(f"{'/'.join(sorted(set(i.management_access) & set(CLEAR_TEXT)))} on interface {i.name}"
                 f"{at(i.line)['en']}",
                 f"{'/'.join(sorted(set(i.management_access) & set(CLEAR_TEXT)))} trên cổng {i.name}"
                 f"{at(i.line)['vi']}") for i in bad_if]
    return failed(bi(f"clear-text management enabled: {listed(parts, 'en')}",
                     f"đang bật quản trị không mã hóa: {listed(parts, 'vi')}"), evidence(t, rows))


@check(id="L1-DEV-002", layer=1, severity="high", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_SSH2, refs.RFC_4253) + _ADMIN_REFS,
       title={"en": "SSH version 1 is not accepted by the network device",
              "vi": "Thiết bị mạng không chấp nhận SSH phiên bản 1"},
       rationale={"en": "SSHv1 has known design flaws (CRC-32 compensation attack, session hijacking, weak "
                        "integrity): an attacker in the path can decrypt or take over an administrator's session. "
                        "Accepting both versions (IOS compatibility mode 1.99) lets a client be downgraded.",
                  "vi": "SSHv1 có lỗi thiết kế đã biết (tấn công bù CRC-32, chiếm phiên, toàn vẹn yếu): kẻ tấn công "
                        "trên đường truyền có thể giải mã hoặc chiếm phiên quản trị. Chấp nhận cả hai phiên bản "
                        "(chế độ tương thích 1.99 của IOS) cho phép hạ cấp kết nối."},
       remediation={"en": "Accept SSH version 2 only: Cisco `ip ssh version 2`; FortiOS `config system global` "
                          "`set admin-ssh-v1 disable`.",
                    "vi": "Chỉ chấp nhận SSH phiên bản 2: Cisco `ip ssh version 2`; FortiOS `config system global` "
                          "`set admin-ssh-v1 disable`."})
def ssh_version_1(t):
    ssh = config(t).service("ssh")
    if ssh is None or not ssh.enabled:
        return not_applicable(bi("SSH management is not enabled on this device",
                                 "thiết bị không bật quản trị qua SSH"), evidence(t, ["ssh: not enabled"]))
    row = [f"ssh: version {ssh.version or 'unknown'}{' (default)' if ssh.defaulted else ''} (line {ssh.line})"]
    if not ssh.version:
        raise Unevaluable("SSH is enabled but the configuration's parser did not say which protocol versions it "
                          "accepts")
    if ssh.version.startswith("1"):
        how = bi(" by default" if ssh.defaulted else "", " theo mặc định" if ssh.defaulted else "")
        return failed(bi(f"SSH accepts version 1 (version {ssh.version}{how['en']}){at(ssh.line)['en']}",
                         f"SSH chấp nhận phiên bản 1 (phiên bản {ssh.version}{how['vi']}){at(ssh.line)['vi']}"),
                      evidence(t, row))
    return passed(bi(f"SSH accepts version {ssh.version} only", f"SSH chỉ chấp nhận phiên bản {ssh.version}"),
                  evidence(t, row))


@check(id="L1-DEV-003", layer=1, severity="high", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_VTY_ACL,) + _ADMIN_REFS,
       title={"en": "Device management is not reachable from the WAN or from any source",
              "vi": "Giao diện quản trị thiết bị không truy cập được từ WAN hoặc từ bất kỳ nguồn nào"},
       rationale={"en": "A management plane that answers on WAN interfaces, or on remote lines without a source "
                        "restriction (IOS vty without access-class), lets the whole Internet guess passwords and "
                        "exploit the next management-interface flaw. Circular 12/2022 requires remote "
                        "administration from the management zone (or over VPN) only.",
                  "vi": "Giao diện quản trị trả lời trên cổng WAN, hoặc trên đường quản trị từ xa không giới hạn "
                        "nguồn (vty của IOS không có access-class), cho phép cả Internet dò mật khẩu và khai thác lỗ "
                        "hổng giao diện quản trị. Thông tư 12/2022 yêu cầu quản trị từ xa chỉ từ vùng quản trị "
                        "(hoặc qua VPN)."},
       remediation={"en": "Restrict every management service to the management network: Cisco `access-list` + "
                          "`access-class NAME in` on every `line vty`, `ip http access-class`; FortiOS remove "
                          "`allowaccess` from WAN ports and set `trusthost` on admins; RouterOS `/ip service set "
                          "ssh address=10.0.99.0/24`.",
                    "vi": "Giới hạn mọi dịch vụ quản trị trong mạng quản trị: Cisco `access-list` + `access-class "
                          "TÊN in` trên mọi `line vty`, `ip http access-class`; FortiOS bỏ `allowaccess` trên cổng "
                          "WAN và đặt `trusthost` cho quản trị viên; RouterOS `/ip service set ssh "
                          "address=10.0.99.0/24`."})
def management_reachable(t):
    d = config(t)
    problems, rows = [], []
    for v in d.vty_lines:
        open_line = v.transport_input and v.transport_input != ("none",)
        rows.append(f"{v.name}: transport {' '.join(v.transport_input)}, access-class {v.access_class or 'none'} "
                    f"(line {v.line})")
        if open_line and not v.access_class:
            problems.append(bi(f"{v.name} without access-class{at(v.line)['en']}",
                               f"{v.name} không có access-class{at(v.line)['vi']}"))
        elif open_line and v.access_class_open:
            rows[-1] += f"; ACL {v.access_class} {v.access_class_open}"
            problems.append(bi(f"{v.name}: access-class {v.access_class} restricts nothing ({v.access_class_open})"
                               f"{at(v.line)['en']}",
                               f"{v.name}: access-class {v.access_class} không giới hạn nguồn nào "
                               f"({OPEN_VI.get(v.access_class_open, v.access_class_open)}){at(v.line)['vi']}"))
    for i in d.interfaces:
        if i.enabled and i.role == "wan" and i.management_access:
            rows.append(f"interface {i.name} (WAN): accepts {', '.join(i.management_access)} (line {i.line})")
            problems.append(bi(f"WAN interface {i.name} accepts {', '.join(i.management_access)}{at(i.line)['en']}",
                               f"cổng WAN {i.name} nhận {', '.join(i.management_access)}{at(i.line)['vi']}"))
    vty_protocols = {"telnet", "ssh"} if d.vty_lines else set()
    for s in d.services:
        if not s.enabled or s.name not in REMOTE_MGMT or s.name in vty_protocols:
            continue  # vty protocols are judged per line above
        rows.append(f"{s.name}: from {', '.join(s.allowed_from) or 'any source'}"
                    f"{', interfaces ' + ', '.join(s.interfaces) if s.interfaces else ''} (line {s.line})")
        if not s.allowed_from and not s.interfaces:
            problems.append(bi(f"{s.name} from any source{at(s.line)['en']}",
                               f"{s.name} từ bất kỳ nguồn nào{at(s.line)['vi']}"))
    if problems:
        return failed(bi(f"management reachable without a source restriction: {listed(problems, 'en')}",
                         f"giao diện quản trị truy cập được mà không giới hạn nguồn: {listed(problems, 'vi')}"),
                      evidence(t, rows))
    if not rows:
        return passed(bi("no remote management service is enabled", "không bật dịch vụ quản trị từ xa nào"),
                      evidence(t, rows))
    return passed(bi("every remote management path is restricted to declared sources",
                     "mọi đường quản trị từ xa đều được giới hạn nguồn truy cập"), evidence(t, rows))


@check(id="L1-DEV-004", layer=1, severity="high", min_level=1, **DEVICE,
       references=(refs.CIS_IOS_SNMP, refs.CIRCULAR_12_NET_ADMIN, refs.FORTINET_HARDENING, refs.MIKROTIK_SECURING),
       title={"en": "No SNMP v1/v2c community that is well known or open to any source",
              "vi": "Không có community SNMP v1/v2c phổ biến hoặc mở cho mọi nguồn"},
       rationale={"en": "SNMP v1/v2c communities travel in clear text and act as passwords: `public`/`private` "
                        "are the first guesses of every scanner, and a community without an ACL answers anyone. "
                        "A read community leaks the routing table and interfaces; a write community hands over the "
                        "device.",
                  "vi": "Community SNMP v1/v2c truyền dưới dạng rõ và đóng vai trò mật khẩu: `public`/`private` "
                        "là những giá trị mọi công cụ dò quét thử đầu tiên, và community không có ACL trả lời bất "
                        "kỳ ai. Community đọc làm lộ bảng định tuyến và cấu hình cổng; community ghi trao quyền điều "
                        "khiển thiết bị."},
       remediation={"en": "Use SNMPv3 with authPriv; if v2c must stay, use a long random community, read-only, "
                          "with an ACL of the monitoring hosts (`snmp-server community NAME RO SNMP-ACL`; FortiOS "
                          "`set hosts`; RouterOS `addresses=`).",
                    "vi": "Dùng SNMPv3 với authPriv; nếu buộc phải giữ v2c, dùng community dài ngẫu nhiên, chỉ đọc, "
                          "kèm ACL các máy giám sát (`snmp-server community TÊN RO SNMP-ACL`; FortiOS `set hosts`; "
                          "RouterOS `addresses=`)."})
def snmp_communities(t):
    d = config(t)
    rows, problems = [], []
    communities = [c for c in d.snmp_communities if c.versions]  # a community with v1 and v2c both off answers none
    for n, c in enumerate(communities, 1):  # numbered, never named: not even a fingerprint leaves the device
        rows.append(f"community {n} ({'well-known name' if c.well_known else 'name not shown'}), "
                    f"{c.access}, {'/'.join(c.versions)}, ACL {c.acl or 'none'} (line {c.line})")
        why = [w for w, bad in ((bi("a well-known name", "tên phổ biến"), c.well_known),
                                (bi("no ACL", "không có ACL"), not c.acl)) if bad]
        if why:
            problems.append(bi(f"community {n} ({', '.join(w['en'] for w in why)}){at(c.line)['en']}",
                               f"community {n} ({', '.join(w['vi'] for w in why)}){at(c.line)['vi']}"))
    if problems:
        return failed(bi(f"SNMP v1/v2c communities at risk: {listed(problems, 'en')}",
                         f"community SNMP v1/v2c có rủi ro: {listed(problems, 'vi')}"), evidence(t, rows))
    if communities:
        return passed(bi(f"{len(communities)} SNMP community(ies), each with an ACL and a name that is not "
                         "well known", f"{len(communities)} community SNMP, đều có ACL và tên không phổ biến"),
                      evidence(t, rows))
    how = bi("only SNMPv3 is configured", "chỉ cấu hình SNMPv3") if d.snmp_v3 else \
        bi("no SNMP v1/v2c community is configured", "không cấu hình community SNMP v1/v2c nào")
    return passed(how, evidence(t, rows + [f"SNMPv3: {'yes' if d.snmp_v3 else 'no'}"]))
