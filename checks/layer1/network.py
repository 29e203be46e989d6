"""Layer 1 (on-site force): what a host exposes on the network, seen by a TCP connect scan (nmap -sT).

Risky services are grouped by the policy (`network.risky_ports`, `network.risky_udp_ports` and
`network.categories`); each category has its own check and a port belongs to one category only, so one
exposed service is one finding. L1-NET-001 judges the risky ports that are in no category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fourlayer.checks import refs
from fourlayer.checks.util import bi

from fourlayer.core.model import Outcome, failed, not_applicable, passed
from fourlayer.core.registry import check

if TYPE_CHECKING:
    from fourlayer.collectors.nmap_scan import PortInfo

CATEGORY_CHECKS = {  # policy network.categories key -> check id (None: the risky ports in no category)
    "cleartext_login": "L1-NET-003",
    "cleartext_file_transfer": "L1-NET-004",
    "remote_desktop_file_sharing": "L1-NET-005",
    "datastores": "L1-NET-006",
    None: "L1-NET-001",
}


def _open_ports(t) -> dict[int, PortInfo]:
    return t.ev("nmap").open_ports()


def _describe(port: int, info: PortInfo) -> str:
    product = " ".join(x for x in (info.product, info.version) if x)
    return f"{port}/tcp {info.name or '?'}{' (' + product + ')' if product else ''}"


def _ints(mapping: dict) -> dict[int, str]:
    return {int(p): str(name) for p, name in (mapping or {}).items()}


def _risky_maps(t) -> tuple[dict[int, str], dict[int, str], dict[str, str | None]]:
    """(risky TCP port -> service name, port -> its policy category, service name -> category) of the target's
    policy: made once per target, not once per open port and check."""
    cached = t.resources.get("network.risky_maps")
    if cached is None:
        risky = _ints(t.policy.network.risky_ports)
        port_category = {int(p): name for name, ports in t.policy.network.categories.items() for p in ports}
        by_name = {name.lower(): port_category.get(p) for p, name in risky.items()}
        cached = t.resources["network.risky_maps"] = (risky, port_category, by_name)
    return cached


def risky_category(t, port: int, service_name: str) -> tuple[bool, str | None, str]:
    """(risky?, category or None, service name) of an open TCP port: by port number first, then by the
    name nmap gives the service (telnet on 2323 is still telnet)."""
    risky, port_category, by_name = _risky_maps(t)
    if port in risky:
        return True, port_category.get(port), risky[port]
    name = (service_name or "").lower()
    if name in by_name:
        return True, by_name[name], name
    return False, None, name


def _category_ports(t, category: str | None) -> tuple[list[str], list[str]]:
    """The TCP and UDP ports (as 'port/proto name') the policy puts in `category` (None: in no category)."""
    categorised = {int(p) for ports in t.policy.network.categories.values() for p in ports}
    wanted = {int(p) for p in t.policy.network.categories[category]} if category else None

    def pick(mapping: dict[int, str], proto: str) -> list[str]:
        return [f"{p}/{proto} {n}" for p, n in sorted(mapping.items())
                if (p in wanted if wanted is not None else p not in categorised)]

    return (pick(_ints(t.policy.network.risky_ports), "tcp"),
            pick(_ints(t.policy.network.risky_udp_ports), "udp"))


def exposed(t, category: str | None, what: dict[str, str]) -> Outcome:
    """FAIL when an open TCP port belongs to `category`; UDP ports of the category are named as not tested."""
    tcp, udp = _category_ports(t, category)
    found = []
    for port, info in sorted(_open_ports(t).items()):
        risky, cat, name = risky_category(t, port, info.name)
        if risky and cat == category:
            found.append(f"{_describe(port, info)} [{name}]")
    en, vi = what["en"], what["vi"]
    untested = bi(f"; not tested: {', '.join(udp)} (UDP: a TCP connect scan cannot see it; check with nmap -sU "
                  "or the host firewall)",
                  f"; chưa kiểm tra: {', '.join(udp)} (UDP: phép quét kết nối TCP không phát hiện được; kiểm tra "
                  "bằng nmap -sU hoặc tường lửa của máy chủ)") if udp else bi("", "")
    scanned = f"policy ports: {', '.join(tcp) or 'none'}{untested['en']}"
    if found:
        return failed(bi(f"{en} reachable: {', '.join(found)}{untested['en']}",
                         f"có thể truy cập {vi}: {', '.join(found)}{untested['vi']}"), "\n".join(found + [scanned]))
    if not tcp and category is not None:
        return not_applicable(bi(f"the policy lists no TCP port for {en}{untested['en']}",
                                 f"chính sách không liệt kê cổng TCP nào cho {vi}{untested['vi']}"), scanned)
    open_list = ", ".join(map(str, sorted(_open_ports(t)))) or "none"
    return passed(bi(f"no {en} reachable over TCP{untested['en']}",
                     f"không có {vi} nào truy cập được qua TCP{untested['vi']}"), f"open: {open_list}\n{scanned}")


_NET = dict(layer=1, min_level=1, needs=("nmap",))


@check(id="L1-NET-001", severity="high", **_NET,
       title={"en": "No other risky service is exposed",
              "vi": "Không mở ra mạng các dịch vụ rủi ro khác"},
       rationale={"en": "Services the policy lists as risky but outside the categories below (by default RPC "
                        "portmapper, NFS, rsync and the unauthenticated Docker API) give remote file access or "
                        "full control of the host to anyone who reaches them.",
                  "vi": "Các dịch vụ chính sách xếp vào loại rủi ro nhưng không thuộc các nhóm bên dưới (mặc định "
                        "là RPC portmapper, NFS, rsync và Docker API không xác thực) cho phép bất kỳ ai kết nối "
                        "được truy cập tệp từ xa hoặc chiếm toàn quyền máy chủ."},
       remediation={"en": "Stop the service or bind it to localhost; if it must stay, allow it only from the "
                          "hosts that need it with the host firewall (e.g. Docker: use the local socket or TLS "
                          "client certificates on 2376).",
                    "vi": "Tắt dịch vụ hoặc chỉ lắng nghe trên localhost; nếu bắt buộc giữ, dùng tường lửa máy chủ "
                          "chỉ cho phép các máy cần dùng (ví dụ Docker: dùng socket cục bộ hoặc chứng thư máy khách "
                          "TLS trên cổng 2376)."},
       references=(refs.TCVN_NET_ACCESS, refs.TCVN_SRV_INTRUSION, refs.CIRCULAR_12, refs.CIS_CONTROLS_PORTS))
def other_risky_services(t):
    return exposed(t, None, bi("other risky services", "dịch vụ rủi ro khác"))


@check(id="L1-NET-002", severity="medium", **_NET,
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
        return not_applicable(bi("the inventory declares no `services:` for this host, so there is no baseline",
                                 "danh mục tài sản không khai báo `services:` cho máy chủ này nên không có cơ sở "
                                 "đối chiếu"))
    extra = {p: i for p, i in _open_ports(t).items() if p not in declared}
    if extra:
        lines = [_describe(p, i) for p, i in sorted(extra.items())]
        ports = ", ".join(str(p) for p in sorted(extra))
        return failed(bi(f"undeclared open ports: {ports}", f"cổng đang mở nhưng không được khai báo: {ports}"),
                      "\n".join(lines))
    return passed(bi("every open port is declared", "mọi cổng đang mở đều đã được khai báo"),
                  f"declared: {sorted(declared)}")


@check(id="L1-NET-003", severity="high", **_NET,
       title={"en": "No clear-text remote login service (telnet, rlogin, rsh, rexec) is exposed",
              "vi": "Không mở dịch vụ đăng nhập từ xa không mã hóa (telnet, rlogin, rsh, rexec)"},
       rationale={"en": "Telnet and the BSD r-services send passwords and whole sessions in clear text, and "
                        "rsh/rlogin trust the client's address; anyone on the path can take over the account.",
                  "vi": "Telnet và các r-service của BSD truyền mật khẩu và toàn bộ phiên làm việc dưới dạng không "
                        "mã hóa, rsh/rlogin còn tin vào địa chỉ máy khách; bất kỳ ai trên đường truyền đều có thể "
                        "chiếm tài khoản."},
       remediation={"en": "Remove the telnet and rsh/rlogin/rexec servers (e.g. `apt purge telnetd rsh-server`) "
                          "and use SSH with keys for remote administration.",
                    "vi": "Gỡ bỏ máy chủ telnet và rsh/rlogin/rexec (ví dụ `apt purge telnetd rsh-server`) và dùng "
                          "SSH với khóa để quản trị từ xa."},
       references=(refs.TCVN_NET_ACCESS, refs.TCVN_SRV, refs.CIRCULAR_12, refs.CIS_SERVICES))
def cleartext_login(t):
    return exposed(t, "cleartext_login", bi("clear-text remote login services",
                                            "dịch vụ đăng nhập từ xa không mã hóa"))


@check(id="L1-NET-004", severity="high", **_NET,
       title={"en": "No clear-text file transfer service (FTP, TFTP) is exposed",
              "vi": "Không mở dịch vụ truyền tệp không mã hóa (FTP, TFTP)"},
       rationale={"en": "FTP sends credentials and files in clear text and TFTP has no authentication at all; "
                        "both are a common way in and out of a network. TFTP runs over UDP, which a TCP connect "
                        "scan cannot see: the result says so instead of passing it.",
                  "vi": "FTP truyền thông tin đăng nhập và tệp dưới dạng không mã hóa, TFTP hoàn toàn không xác "
                        "thực; cả hai thường bị lợi dụng để xâm nhập và lấy dữ liệu ra. TFTP chạy trên UDP mà quét "
                        "kết nối TCP không thấy được: kết quả ghi rõ điều này chứ không coi là đạt."},
       remediation={"en": "Replace FTP with SFTP (the SSH server already provides it) or FTPS, remove the TFTP "
                          "server, and block 21/tcp and 69/udp on the host firewall.",
                    "vi": "Thay FTP bằng SFTP (máy chủ SSH đã có sẵn) hoặc FTPS, gỡ bỏ máy chủ TFTP, và chặn "
                          "21/tcp và 69/udp trên tường lửa máy chủ."},
       references=(refs.TCVN_NET_ACCESS, refs.TCVN_APP_COMMS, refs.CIRCULAR_12, refs.CIS_SERVICES))
def cleartext_file_transfer(t):
    return exposed(t, "cleartext_file_transfer", bi("clear-text file transfer services",
                                                    "dịch vụ truyền tệp không mã hóa"))


@check(id="L1-NET-005", severity="high", **_NET,
       title={"en": "No Windows file sharing or remote desktop (SMB, RDP, VNC) is exposed",
              "vi": "Không mở chia sẻ tệp Windows hoặc truy cập màn hình từ xa (SMB, RDP, VNC)"},
       rationale={"en": "SMB, RDP and VNC are the favourite entry points of ransomware and worms (EternalBlue, "
                        "BlueKeep) and of password guessing; they belong behind a VPN, not on a reachable network.",
                  "vi": "SMB, RDP và VNC là điểm xâm nhập ưa thích của mã độc tống tiền, sâu mạng (EternalBlue, "
                        "BlueKeep) và tấn công dò mật khẩu; chúng phải đặt sau VPN, không để truy cập trực tiếp."},
       remediation={"en": "Close 139/445, 3389 and 5900+ to the network scanned; reach remote desktops through "
                          "the VPN or a bastion (Circular 12/2022: remote administration over VPN only).",
                    "vi": "Đóng các cổng 139/445, 3389 và 5900+ với mạng được quét; truy cập màn hình từ xa qua VPN "
                          "hoặc máy trung gian (Thông tư 12/2022: chỉ quản trị từ xa qua VPN)."},
       references=(refs.TCVN_NET_ACCESS, refs.CIRCULAR_12, refs.CIS_CONTROLS_PORTS))
def remote_desktop_file_sharing(t):
    return exposed(t, "remote_desktop_file_sharing", bi("file sharing or remote desktop services",
                                                        "dịch vụ chia sẻ tệp hoặc điều khiển máy tính từ xa"))


@check(id="L1-NET-006", severity="high", **_NET,
       title={"en": "No database or cache port is reachable",
              "vi": "Không để truy cập được cổng cơ sở dữ liệu hoặc bộ đệm"},
       rationale={"en": "Database and cache servers (MySQL, PostgreSQL, SQL Server, Oracle, MongoDB, Redis, "
                        "Elasticsearch, Memcached) often run without authentication or with guessable passwords; "
                        "from level 3 they belong in a separate database zone reachable only by the application.",
                  "vi": "Máy chủ cơ sở dữ liệu và bộ đệm (MySQL, PostgreSQL, SQL Server, Oracle, MongoDB, Redis, "
                        "Elasticsearch, Memcached) thường chạy không xác thực hoặc với mật khẩu dễ đoán; từ cấp độ "
                        "3 chúng phải nằm trong vùng cơ sở dữ liệu riêng, chỉ ứng dụng được truy cập."},
       remediation={"en": "Bind the database to localhost or the database zone (e.g. `bind-address`, "
                          "`listen_addresses`, `bind 127.0.0.1`) and allow only the application servers on the "
                          "firewall.",
                    "vi": "Cho cơ sở dữ liệu chỉ lắng nghe trên localhost hoặc trong vùng cơ sở dữ liệu (ví dụ "
                          "`bind-address`, `listen_addresses`, `bind 127.0.0.1`) và trên tường lửa chỉ cho phép "
                          "các máy chủ ứng dụng."},
       references=(refs.TCVN_NET_ACCESS, refs.CIRCULAR_12, refs.CIS_CONTROLS_PORTS))
def datastores(t):
    return exposed(t, "datastores", bi("database or cache services", "dịch vụ cơ sở dữ liệu hoặc bộ nhớ đệm"))
