"""Layer 1 (on-site force): network segmentation between zones, as every other zone's probe saw it.

Circular 12/2022 asks for separate zones (user, DMZ, server, database, management) and limits what may cross
them: remote administration only from the management zone, databases reached only by the application servers.
These checks judge a destination host from the `reachability` evidence (`fourlayer.collectors.reachability`):
the records of the segmentation probe of each vantage zone, already annotated with the zone policy's verdict.
A vantage zone that did not report is never read as "nothing reachable": the check is ERROR naming it, unless
what was seen already fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fourlayer.checks import refs
from fourlayer.checks.util import bi
from fourlayer.core.model import Outcome, errored, failed, not_applicable, passed
from fourlayer.core.registry import check

if TYPE_CHECKING:
    from fourlayer.collectors.reachability import ReachabilityEvidence, ReachRecord

GUARDED_KINDS = ("server", "database", "management")
UNTRUSTED_KINDS = ("user", "dmz")
DB_CLIENT_KINDS = ("server", "management")
_KIND_VI = {"user": "người dùng", "edge": "biên", "dmz": "DMZ", "server": "máy chủ", "database": "cơ sở dữ liệu",
            "management": "quản trị", "wireless": "không dây"}


def _line(rec: ReachRecord) -> str:
    verdict = "" if rec.allowed else " [not allowed by the zone policy]"
    return f"{rec.src_zone} -> {rec.dst_host} {rec.dst_address}:{rec.port} {rec.state} ({rec.why}){verdict}"


def judge(t, sources: list[str], is_violation, what: dict[str, str], none: dict[str, str]) -> Outcome:
    """FAIL when a record from one of `sources` is a violation; ERROR when one of `sources` did not report or
    left a port unprobed (and nothing failed); NOT_APPLICABLE with `none` when no source zone is concerned."""
    ev = t.ev("reachability")
    if not sources:
        return not_applicable(none)
    recs = [r for r in ev.records if r.src_zone in sources and r.port in _ports(ev, what)]
    bad = [r for r in recs if r.state == "open" and is_violation(r)]
    missing = [z for z in sources if z in ev.missing_zones]
    unprobed = [r for r in recs if r.state == "unprobed"]
    evidence = "\n".join([_line(r) for r in bad] + [_line(r) for r in recs if r not in bad][:50]
                         + ([f"not reported: {', '.join(missing)}"] if missing else []))
    gaps_en = (f"; not reported by zone(s) {', '.join(missing)}" if missing else "") + \
        (f"; {len(unprobed)} port(s) not probed before the deadline" if unprobed else "")
    gaps_vi = (f"; vùng {', '.join(missing)} chưa gửi kết quả" if missing else "") + \
        (f"; {len(unprobed)} cổng chưa được thăm dò trước hạn" if unprobed else "")
    if bad:
        shown = ", ".join(f"{r.dst_address}:{r.port} from {r.src_zone}" for r in bad[:10])
        shown_vi = ", ".join(f"{r.dst_address}:{r.port} từ vùng {r.src_zone}" for r in bad[:10])
        more = f" (+{len(bad) - 10})" if len(bad) > 10 else ""
        return failed(bi(f"{what['en']} reachable: {shown}{more}{gaps_en}",
                         f"có thể truy cập {what['vi']}: {shown_vi}{more}{gaps_vi}"), evidence)
    if missing or unprobed:
        return errored(bi(f"segmentation not fully observed: no {what['en']} seen reachable so far{gaps_en}",
                          f"chưa quan sát đầy đủ việc phân vùng: chưa thấy {what['vi']} nào truy cập được"
                          f"{gaps_vi}"), evidence)
    closed = sum(1 for r in recs if r.state == "closed")
    filtered = sum(1 for r in recs if r.state == "filtered")
    return passed(bi(f"no {what['en']} reachable from zone(s) {', '.join(sources)} ({len(recs)} probes: "
                     f"{filtered} filtered, {closed} closed)",
                     f"không có {what['vi']} nào truy cập được từ vùng {', '.join(sources)} ({len(recs)} lượt thăm "
                     f"dò: {filtered} bị chặn, {closed} đóng)"), evidence)


def _ports(ev: ReachabilityEvidence, what: dict) -> set[int]:
    group = what.get("group")
    return {int(p) for p, g in ev.judged_ports.items() if group is None or g == group}


def _other_zones(ev: ReachabilityEvidence, kinds: tuple[str, ...] | None = None,
                 exclude: tuple[str, ...] = ()) -> list[str]:
    return [z for z, k in ev.zone_kinds.items() if z != ev.zone
            and (kinds is None or k in kinds) and k not in exclude]


_ZON = dict(layer=1, needs=("reachability",))
_REFS = (refs.CIRCULAR_12_ZONES, refs.TCVN_NET_ACCESS, refs.CIS_CONTROLS_SEGMENT)


@check(id="L1-ZON-001", severity="high", min_level=2, **_ZON,
       title={"en": "Administration ports of server, database and management zones are not reachable from the "
                    "user and DMZ zones",
              "vi": "Cổng quản trị của vùng máy chủ, cơ sở dữ liệu và quản trị không truy cập được từ vùng người "
                    "dùng và vùng DMZ"},
       rationale={"en": "Circular 12/2022 separates the zones so that a compromised workstation or a public-facing "
                        "DMZ server cannot log in to the servers: SSH, RDP, WinRM, SNMP and management web "
                        "interfaces must be reachable only from the management zone.",
                  "vi": "Thông tư 12/2022 yêu cầu phân vùng mạng để một máy trạm bị chiếm quyền hoặc một máy chủ DMZ "
                        "công khai không thể đăng nhập vào máy chủ: SSH, RDP, WinRM, SNMP và giao diện web quản trị "
                        "chỉ được truy cập từ vùng quản trị."},
       remediation={"en": "On the firewall between the zones, drop traffic from the user and DMZ networks to the "
                          "administration ports of the server, database and management zones; administer only "
                          "from the management zone (jump host or VPN).",
                    "vi": "Trên tường lửa giữa các vùng, chặn lưu lượng từ mạng người dùng và DMZ tới các cổng quản "
                          "trị của vùng máy chủ, cơ sở dữ liệu và quản trị; chỉ quản trị từ vùng quản trị (máy chủ "
                          "trung gian hoặc VPN)."},
       references=_REFS)
def admin_ports_from_untrusted_zones(t):
    ev = t.ev("reachability")
    if ev.zone_kind not in GUARDED_KINDS:
        kind = ev.zone_kind
        return not_applicable(bi(f"the host is in a {kind} zone; this check judges server, database and "
                                 "management zones",
                                 f"máy chủ thuộc vùng {_KIND_VI.get(kind, kind)}; kiểm tra này chỉ đánh giá vùng máy "
                                 "chủ, cơ sở dữ liệu và quản trị"))
    return judge(t, _other_zones(ev, UNTRUSTED_KINDS), lambda r: True,
                 {"en": "administration ports", "vi": "cổng quản trị", "group": "admin"},
                 bi("the inventory declares no user or DMZ zone", "danh mục tài sản không khai báo vùng người dùng "
                                                                   "hoặc vùng DMZ nào"))


@check(id="L1-ZON-002", severity="high", min_level=2, **_ZON,
       title={"en": "Database ports are reachable only from the server (and management) zone",
              "vi": "Cổng cơ sở dữ liệu chỉ truy cập được từ vùng máy chủ (và vùng quản trị)"},
       rationale={"en": "A database reachable from workstations, the DMZ or the wireless network bypasses the "
                        "application's access control; Circular 12/2022 puts databases in their own zone reached "
                        "by the application servers.",
                  "vi": "Cơ sở dữ liệu truy cập được từ máy trạm, DMZ hoặc mạng không dây sẽ bỏ qua kiểm soát truy "
                        "cập của ứng dụng; Thông tư 12/2022 yêu cầu đặt cơ sở dữ liệu trong vùng riêng, chỉ máy chủ "
                        "ứng dụng được truy cập."},
       remediation={"en": "Allow the database ports on the zone firewall only from the application servers' zone "
                          "(and the management zone for administration); drop them from every other zone.",
                    "vi": "Trên tường lửa giữa các vùng, chỉ cho phép cổng cơ sở dữ liệu từ vùng máy chủ ứng dụng "
                          "(và vùng quản trị để quản trị); chặn từ mọi vùng khác."},
       references=_REFS)
def database_ports_only_from_servers(t):
    ev = t.ev("reachability")
    if "database" not in ev.judged_ports.values():
        return not_applicable(bi("the zone policy judges no database port of this host's zone",
                                 "chính sách phân vùng không đánh giá cổng cơ sở dữ liệu nào của vùng chứa máy chủ này"))
    return judge(t, _other_zones(ev, exclude=DB_CLIENT_KINDS), lambda r: True,
                 {"en": "database ports", "vi": "cổng cơ sở dữ liệu", "group": "database"},
                 bi("every other zone is a server or management zone",
                    "mọi vùng khác đều là vùng máy chủ hoặc vùng quản trị"))


@check(id="L1-ZON-003", severity="medium", min_level=1, **_ZON,
       title={"en": "Observed reachability between zones matches the declared zone policy",
              "vi": "Khả năng truy cập quan sát được giữa các vùng khớp với chính sách phân vùng đã khai báo"},
       rationale={"en": "The zone policy is the agency's statement of what may cross each zone boundary; a port "
                        "reachable where the policy forbids it is a firewall rule that is missing or too wide.",
                  "vi": "Chính sách phân vùng là tuyên bố của đơn vị về những gì được đi qua ranh giới mỗi vùng; một "
                        "cổng truy cập được ở nơi chính sách cấm là dấu hiệu thiếu luật tường lửa hoặc luật quá rộng."},
       remediation={"en": "Tighten the firewall rule between the source zone and this host's zone, or, if the "
                          "access is approved, add it to the zone policy (zone_policy: in the inventory).",
                    "vi": "Thu hẹp luật tường lửa giữa vùng nguồn và vùng chứa máy chủ này, hoặc nếu truy cập đã được "
                          "phê duyệt thì bổ sung vào chính sách phân vùng (zone_policy: trong danh mục tài sản)."},
       references=_REFS)
def reachability_matches_policy(t):
    ev = t.ev("reachability")
    if not ev.judged_ports:
        return not_applicable(bi("the zone policy judges no port of this host's zone",
                                 "chính sách phân vùng không đánh giá cổng nào của vùng chứa máy chủ này"))
    return judge(t, _other_zones(ev), lambda r: not r.allowed,
                 {"en": "ports the zone policy forbids", "vi": "cổng bị chính sách phân vùng cấm"},
                 bi("the inventory declares no other zone", "danh mục tài sản không khai báo vùng nào khác"))
