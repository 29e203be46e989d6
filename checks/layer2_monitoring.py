"""Layer 2 (professional monitoring and protection): the SOC provider and what feeds it."""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.util import command_out, policy
from fourlayer.model import failed, not_applicable, passed, warned
from fourlayer.registry import check


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
        return failed("no SOC provider declared")
    if soc.contract_until is None:
        return failed(f"SOC provider {soc.provider} declared without a contract end date")
    days = (soc.contract_until - t.today).days
    excerpt = f"provider: {soc.provider}; contract_until: {soc.contract_until.isoformat()}"
    if days < 0:
        return failed(f"SOC contract with {soc.provider} ended {-days} days ago", excerpt)
    if days <= int(policy(t, "soc", "contract_warning_days", default=30)):
        return warned(f"SOC contract with {soc.provider} ends in {days} days", excerpt)
    return passed(f"SOC contract with {soc.provider} runs until {soc.contract_until.isoformat()}", excerpt)


@check(id="L2-SOC-002", layer=2, severity="medium", min_level=1, scope="agency", needs=("reach",),
       title={"en": "The SOC manager endpoint is reachable", "vi": "Kết nối được tới máy chủ quản lý của SOC"},
       rationale={"en": "Agents and log forwarders are useless if their manager/collector cannot be reached.",
                  "vi": "Tác tử và bộ chuyển tiếp nhật ký vô ích nếu không kết nối được tới máy chủ quản lý/thu thập."},
       remediation={"en": "Declare `soc.manager: host:port` and open the path from the scanned zone to it.",
                    "vi": "Khai báo `soc.manager: host:port` và mở đường kết nối từ vùng được quét tới đó."},
       references=(refs.DISPATCH_1552, refs.CIRCULAR_31))
def soc_manager_reachable(t):
    probe = t.ev("reach").get("soc_manager")
    if probe is None:
        return failed("no SOC manager endpoint declared (soc.manager)")
    if probe["reachable"]:
        return passed(f"SOC manager {probe['endpoint']} accepts connections", probe["detail"])
    return failed(f"SOC manager {probe['endpoint']} is not reachable", probe["detail"])


FORWARD_RULES = (
    re.compile(r"^\s*[^#\s][^#]*\s@@?\(?[^)\s]*\)?\[?([A-Za-z0-9_.:-]+?)\]?(?::(\d+))?\s*$", re.M),  # *.* @@host:port
    re.compile(r"""action\s*\([^)]*type\s*=\s*"omfwd"[^)]*target\s*=\s*"([^"]+)"(?:[^)]*port\s*=\s*"(\d+)")?""",
               re.S | re.I),
)


def forward_targets(conf: str) -> list[str]:
    """Remote destinations configured in rsyslog (legacy @/@@ syntax and omfwd actions)."""
    conf = "\n".join(line for line in conf.splitlines() if not line.lstrip().startswith("#"))
    found = []
    for rule in FORWARD_RULES:
        for m in rule.finditer(conf):
            found.append(f"{m.group(1)}:{m.group(2)}" if m.group(2) else m.group(1))
    return found


@check(id="L2-LOG-001", layer=2, severity="high", min_level=1, needs=("ssh_shell",), applies_to=("linux",),
       title={"en": "Logs are forwarded off-host to the SOC collector",
              "vi": "Nhật ký được chuyển tiếp ra ngoài máy chủ tới bộ thu thập của SOC"},
       rationale={"en": "Logs kept only on the host are lost or altered when it is compromised; the SOC can only "
                        "watch what it receives.",
                  "vi": "Nhật ký chỉ lưu trên máy chủ sẽ mất hoặc bị sửa khi máy bị xâm nhập; SOC chỉ giám sát được "
                        "những gì nhận được."},
       remediation={"en": "Add an rsyslog forwarding rule, e.g. `*.* @@<soc-manager-host>:<port>` or an `omfwd` "
                          "action, in /etc/rsyslog.d/ and restart rsyslog.",
                    "vi": "Thêm quy tắc chuyển tiếp rsyslog, ví dụ `*.* @@<máy-chủ-soc>:<cổng>` hoặc action `omfwd`, "
                          "vào /etc/rsyslog.d/ rồi khởi động lại rsyslog."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV, refs.CIRCULAR_31))
def log_forwarding(t):
    rc, conf = command_out(t, "rsyslog_conf")
    targets = forward_targets(conf)
    if not conf.strip():
        return failed("no rsyslog configuration found on the host (no forwarding)", f"rc={rc}")
    if not targets:
        return failed("rsyslog does not forward logs to any remote collector", conf[-600:])
    manager = t.agency.soc.manager if t.agency.soc else None
    if manager is None:
        return passed(f"logs are forwarded to {', '.join(targets)}", "\n".join(targets))
    wanted = {f"{manager.host}:{manager.port}", manager.host}
    if any(x in wanted for x in targets):
        return passed(f"logs are forwarded to the SOC manager {manager}", "\n".join(targets))
    return failed(f"logs are forwarded to {', '.join(targets)}, not to the declared SOC manager {manager}",
                  "\n".join(targets))
