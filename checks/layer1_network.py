"""Layer 1 (on-site force): what a host exposes on the network."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import policy
from fourlayer.model import failed, not_applicable, passed
from fourlayer.registry import check


def _open_ports(t) -> dict[int, dict]:
    ports = t.ev("nmap")["ports"]
    return {int(p): info for p, info in ports.items() if info["state"] == "open"}


def _describe(port: int, info: dict) -> str:
    product = " ".join(x for x in (info.get("product"), info.get("version")) if x)
    return f"{port}/tcp {info.get('name') or '?'}{' (' + product + ')' if product else ''}"


@check(id="L1-NET-001", layer=1, severity="high", min_level=1, needs=("nmap",),
       title={"en": "No risky cleartext or database services exposed",
              "vi": "Không mở các dịch vụ rủi ro (không mã hóa, cơ sở dữ liệu) ra mạng"},
       rationale={"en": "Telnet, FTP, r-services, SMB, RDP, VNC and database or cache ports are prime targets for "
                        "credential theft and remote exploitation; they must not be reachable from the network scanned.",
                  "vi": "Telnet, FTP, r-services, SMB, RDP, VNC và cổng cơ sở dữ liệu/bộ đệm là mục tiêu hàng đầu để "
                        "đánh cắp thông tin đăng nhập và khai thác từ xa; không được để truy cập được từ mạng quét."},
       remediation={"en": "Stop the service or bind it to localhost; if it must stay, restrict it with the host "
                          "firewall to the management zone and replace cleartext protocols (telnet→SSH, FTP→SFTP).",
                    "vi": "Tắt dịch vụ hoặc chỉ lắng nghe trên localhost; nếu bắt buộc giữ, giới hạn bằng tường lửa "
                          "máy chủ chỉ cho vùng quản trị và thay giao thức không mã hóa (telnet→SSH, FTP→SFTP)."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV, refs.TCVN_NET, "CIS Controls v8 4.8"))
def risky_services(t):
    risky = {int(p): name for p, name in policy(t, "network", "risky_ports", default={}).items()}
    risky_names = {str(n).lower() for n in risky.values()}
    found = [_describe(p, i) + f" [{risky.get(p) or i.get('name')}]" for p, i in sorted(_open_ports(t).items())
             if p in risky or (i.get("name") or "").lower() in risky_names]
    if found:
        return failed(f"risky services exposed: {', '.join(found)}", "\n".join(found))
    return passed("no risky service is exposed", f"open: {', '.join(map(str, sorted(_open_ports(t)))) or 'none'}")


@check(id="L1-NET-002", layer=1, severity="medium", min_level=1, needs=("nmap",),
       title={"en": "Only declared ports are open", "vi": "Chỉ mở các cổng đã khai báo"},
       rationale={"en": "A port the operator does not know about is a service nobody patches or monitors.",
                  "vi": "Cổng mà đơn vị vận hành không biết là dịch vụ không ai vá lỗi hay giám sát."},
       remediation={"en": "Close the undeclared ports, or declare them under `services:` for this host in the "
                          "inventory once their purpose is approved.",
                    "vi": "Đóng các cổng chưa khai báo, hoặc khai báo trong mục `services:` của máy chủ trong tệp "
                          "kiểm kê sau khi mục đích sử dụng được phê duyệt."},
       references=(refs.TCVN_NET, refs.CIRCULAR_12, "CIS Controls v8 4.4"))
def undeclared_ports(t):
    h = t.host
    declared = set(h.services) | set(h.tls) | set(h.http) | ({h.ssh.port} if h.ssh and h.ssh.enabled else set())
    if not h.services:
        return not_applicable("the inventory declares no `services:` for this host, so there is no baseline")
    extra = {p: i for p, i in _open_ports(t).items() if p not in declared}
    if extra:
        lines = [_describe(p, i) for p, i in sorted(extra.items())]
        return failed(f"undeclared open ports: {', '.join(str(p) for p in sorted(extra))}", "\n".join(lines))
    return passed("every open port is declared", f"declared: {sorted(declared)}")
