"""Layer 1 (on-site force): what a network device lets through — any-any permit rules and permit rules that leave
no log. Read from the firewall policies / extended ACLs of the device's configuration."""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.device_util import DEVICE, config, evidence, listed
from fourlayer.checks.util import bi

from fourlayer.core.model import failed, not_applicable, passed
from fourlayer.core.registry import check

_REFS = (refs.CIRCULAR_12_NET_FILTER, refs.CIS_IOS_ACL, refs.TCVN_NET_ACCESS, refs.FORTINET_HARDENING,
         refs.MIKROTIK_SECURING)
NO_RULES = bi("the configuration holds no firewall policy or extended ACL entry",
              "cấu hình không có chính sách tường lửa hay mục ACL mở rộng nào")


def _where(rule) -> str:
    return f"{rule.id} (line {rule.line})" if rule.line else rule.id


def _where_vi(rule) -> str:
    return f"{rule.id} (dòng {rule.line})" if rule.line else rule.id


def _row(rule) -> str:
    return (f"{_where(rule)}: {rule.action} {','.join(rule.sources)} -> {','.join(rule.destinations)} "
            f"service {','.join(rule.services)}{' log' if rule.logged else ''}{'' if rule.enabled else ' (disabled)'}")


@check(id="L1-DEV-008", layer=1, severity="high", min_level=1, **DEVICE, references=_REFS,
       title={"en": "No firewall policy or ACL entry permits any source to any destination on any service",
              "vi": "Không có chính sách tường lửa hay mục ACL cho phép mọi nguồn tới mọi đích với mọi dịch vụ"},
       rationale={"en": "An any-any permit turns the filter off: every zone reaches every other on every port, "
                        "which defeats the zone separation Circular 12/2022 requires and lets one compromised "
                        "host reach the whole network.",
                  "vi": "Quy tắc cho phép any-any vô hiệu hóa bộ lọc: mọi vùng tới được mọi vùng khác trên mọi "
                        "cổng, phá vỡ việc phân vùng mà Thông tư 12/2022 yêu cầu và cho một máy bị chiếm quyền "
                        "tiếp cận toàn mạng."},
       remediation={"en": "Replace each any-any permit by rules naming the sources, destinations and services "
                          "that are needed, and end with an explicit deny that logs.",
                    "vi": "Thay mỗi quy tắc cho phép any-any bằng các quy tắc nêu rõ nguồn, đích và dịch vụ cần "
                          "thiết, kết thúc bằng quy tắc chặn tường minh có ghi nhật ký."})
def any_any_permit(t):
    rules = [r for r in config(t).firewall_rules if r.enabled]
    if not rules:
        return not_applicable(NO_RULES, evidence(t, []))
    wide = [r for r in rules if r.any_any]
    if wide:
        return failed(bi(f"{len(wide)} any-any permit rule(s): {listed([_where(r) for r in wide], 'en')}",
                         f"{len(wide)} quy tắc cho phép any-any: {listed([_where_vi(r) for r in wide], 'vi')}"),
                      evidence(t, [_row(r) for r in wide]))
    return passed(bi(f"none of {len(rules)} enabled rule(s) permits any to any on any service",
                     f"không quy tắc nào trong {len(rules)} quy tắc đang bật cho phép any-any"),
                  evidence(t, [_row(r) for r in rules[:50]]))


@check(id="L1-DEV-009", layer=1, severity="medium", min_level=1, **DEVICE, references=_REFS + (refs.CIRCULAR_12_NET_LOG,),
       title={"en": "Every firewall policy or ACL entry that permits traffic logs it",
              "vi": "Mọi chính sách tường lửa hay mục ACL cho phép lưu lượng đều ghi nhật ký"},
       rationale={"en": "Without logs on permitted traffic, an intrusion that used an allowed path leaves no trace "
                        "on the device, and the SOC cannot reconstruct who reached what.",
                  "vi": "Không ghi nhật ký lưu lượng được cho phép thì xâm nhập qua đường được phép không để lại "
                        "dấu vết trên thiết bị, và SOC không thể dựng lại ai đã truy cập gì."},
       remediation={"en": "Enable logging on permit rules: Cisco append `log` to the ACL entry; FortiOS `set "
                          "logtraffic all` on the policy; RouterOS `log=yes` on accept rules.",
                    "vi": "Bật ghi nhật ký cho quy tắc cho phép: Cisco thêm `log` vào mục ACL; FortiOS `set "
                          "logtraffic all` cho chính sách; RouterOS `log=yes` cho quy tắc accept."})
def permit_without_log(t):
    # a rule that only matches connections an earlier rule accepted (RouterOS established,related) needs no log
    permits = [r for r in config(t).firewall_rules if r.enabled and r.action == "permit" and r.opens_new_connections]
    if not permits:
        return not_applicable(bi("the configuration holds no enabled permit rule",
                                 "cấu hình không có quy tắc cho phép nào đang bật"), evidence(t, []))
    silent = [r for r in permits if not r.logged]
    if silent:
        return failed(bi(f"{len(silent)} of {len(permits)} permit rule(s) do not log: "
                         f"{listed([_where(r) for r in silent], 'en')}",
                         f"{len(silent)}/{len(permits)} quy tắc cho phép không ghi nhật ký: "
                         f"{listed([_where_vi(r) for r in silent], 'vi')}"), evidence(t, [_row(r) for r in silent]))
    return passed(bi(f"all {len(permits)} permit rule(s) log", f"cả {len(permits)} quy tắc cho phép đều ghi nhật ký"),
                  evidence(t, [_row(r) for r in permits[:50]]))
