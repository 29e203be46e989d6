"""Layer 2 (professional monitoring and protection): the SOC provider, its contract, its reach and its coverage."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.reach_probe import probe_outcomes

from fourlayer.core.model import failed, passed, warned
from fourlayer.core.registry import check


@check(id="L2-SOC-001", layer=2, severity="high", min_level=1, scope="agency",
       title={"en": "A SOC provider is contracted and the contract is current",
              "vi": "Có hợp đồng giám sát, bảo vệ chuyên nghiệp (SOC) còn hiệu lực"},
       rationale={"en": "Layer 2 of the 4-layer model requires an organisation or contracted enterprise to "
                        "monitor and protect the systems professionally.",
                  "vi": "Lớp 2 của mô hình 4 lớp yêu cầu tổ chức hoặc thuê doanh nghiệp giám sát, bảo vệ chuyên nghiệp."},
       remediation={"en": "Contract a SOC provider (or designate the in-house SOC) and declare "
                          "`soc: {provider, contract_until, manager}`; renew before the contract ends.",
                    "vi": "Ký hợp đồng với đơn vị SOC (hoặc chỉ định SOC nội bộ) và khai báo "
                          "`soc: {provider, contract_until, manager}`; gia hạn trước khi hợp đồng hết hạn."},
       references=(refs.DIRECTIVE_14, refs.DISPATCH_1552, refs.CIRCULAR_31))
def soc_contract(t):
    soc = t.agency.soc
    if soc is None:
        return failed({"en": "no SOC provider declared", "vi": "chưa khai báo đơn vị cung cấp dịch vụ SOC"})
    if soc.contract_until is None:
        return failed({"en": f"SOC provider {soc.provider} declared without a contract end date",
                       "vi": f"đơn vị SOC {soc.provider} được khai báo nhưng không có ngày hết hạn hợp đồng"})
    days = (soc.contract_until - t.as_of).days
    excerpt = f"provider: {soc.provider}; contract_until: {soc.contract_until.isoformat()}"
    if days < 0:
        return failed({"en": f"SOC contract with {soc.provider} ended {-days} days ago",
                       "vi": f"hợp đồng SOC với {soc.provider} đã hết hạn {-days} ngày trước"}, excerpt)
    if days <= int(t.policy.soc.contract_warning_days):
        return warned({"en": f"SOC contract with {soc.provider} ends in {days} days",
                       "vi": f"hợp đồng SOC với {soc.provider} sẽ hết hạn sau {days} ngày"}, excerpt)
    return passed({"en": f"SOC contract with {soc.provider} runs until {soc.contract_until.isoformat()}",
                   "vi": f"hợp đồng SOC với {soc.provider} còn hiệu lực đến {soc.contract_until.isoformat()}"},
                  excerpt)


@check(id="L2-SOC-002", layer=2, severity="medium", min_level=1, scope="agency", needs=("reach",),
       title={"en": "The SOC manager and log collector are reachable",
              "vi": "Kết nối được tới máy chủ quản lý và bộ thu thập nhật ký của SOC"},
       rationale={"en": "Agents and log forwarders are useless if their manager/collector cannot be reached.",
                  "vi": "Tác tử và bộ chuyển tiếp nhật ký vô ích nếu không kết nối được tới máy chủ quản lý/thu thập."},
       remediation={"en": "Declare `soc.manager: host:port` (and `soc.log_collector` if logs go elsewhere) and open "
                          "the path from the scanned zone to them.",
                    "vi": "Khai báo `soc.manager: host:port` (và `soc.log_collector` nếu nhật ký gửi tới nơi khác) và "
                          "mở đường kết nối từ vùng được quét tới đó."},
       references=(refs.DISPATCH_1552, refs.CIRCULAR_31))
def soc_manager_reachable(t):
    return probe_outcomes(t, {"soc_manager": ("SOC manager", "máy chủ quản lý SOC"),
                              "soc_log_collector": ("SOC log collector", "bộ thu thập nhật ký SOC")},
                          {"en": "no SOC manager endpoint declared (soc.manager)",
                           "vi": "chưa khai báo địa chỉ máy chủ quản lý SOC (soc.manager)"})


@check(id="L2-SOC-003", layer=2, severity="high", min_level=3, scope="system",
       title={"en": "The system is covered by a current SOC contract",
              "vi": "Hệ thống nằm trong phạm vi hợp đồng giám sát (SOC) còn hiệu lực"},
       rationale={"en": "From level 3 every information system must be monitored continuously (Circular 31/2017 "
                        "Art. 5); an agency-wide SOC contract that leaves this system out, or has ended, does not "
                        "monitor it.",
                  "vi": "Từ cấp độ 3, mọi hệ thống thông tin phải được giám sát liên tục (Điều 5 Thông tư 31/2017); "
                        "nếu hợp đồng SOC không bao gồm hệ thống này, hoặc đã hết hạn, thì hệ thống không được giám sát."},
       remediation={"en": "Extend the SOC contract to this system and list it in `soc.systems` (or leave "
                          "`soc.systems` out when the contract covers every system); keep the contract current.",
                    "vi": "Mở rộng hợp đồng SOC cho hệ thống này và liệt kê nó trong `soc.systems` (hoặc bỏ "
                          "`soc.systems` khi hợp đồng bao gồm mọi hệ thống); duy trì hợp đồng còn hiệu lực."},
       references=(refs.CIRCULAR_31, refs.DIRECTIVE_14, refs.DISPATCH_1552))
def soc_covers_system(t):
    soc = t.agency.soc
    if soc is None:
        return failed({"en": f"level {t.level} system {t.system.id} has no SOC provider: the agency declares none",
                       "vi": f"hệ thống cấp độ {t.level} {t.system.id} không có đơn vị SOC: cơ quan chưa khai báo "
                             "đơn vị nào"})
    scope = "every system" if soc.systems is None else ", ".join(soc.systems) or "no system"
    scope_vi = {"every system": "mọi hệ thống", "no system": "không hệ thống nào"}.get(scope, scope)
    until = soc.contract_until.isoformat() if soc.contract_until else "not declared"
    excerpt = f"provider: {soc.provider}; systems: {scope}; contract_until: {until}"
    if not soc.covers(t.system.id):
        return failed({"en": f"the SOC contract with {soc.provider} does not cover {t.system.id} (covers {scope})",
                       "vi": f"hợp đồng SOC với {soc.provider} không bao gồm hệ thống {t.system.id} "
                             f"(phạm vi: {scope_vi})"},
                      excerpt)
    if soc.contract_until is None or soc.contract_until < t.as_of:
        no_date = soc.contract_until is None
        return failed({"en": f"{t.system.id} is covered by {soc.provider}, but the contract "
                             f"{'end date is not declared' if no_date else 'ended on ' + until}",
                       "vi": f"hệ thống {t.system.id} thuộc phạm vi của {soc.provider}, nhưng hợp đồng "
                             f"{'chưa khai báo ngày hết hạn' if no_date else 'đã hết hạn ngày ' + until}"}, excerpt)
    return passed({"en": f"{t.system.id} is monitored by {soc.provider} until {until}",
                   "vi": f"hệ thống {t.system.id} được {soc.provider} giám sát đến {until}"}, excerpt)
