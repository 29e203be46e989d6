"""Layer 3 (independent inspection): network device firmware with known critical vulnerabilities — the version the
configuration states, against the offline, dated table `fourlayer/data/device_firmware_vulns.yaml` (vendor
advisory, URL and fixed releases per entry). The table's age is judged on the scan's clock, as for the service
table (checks/known_vulns.py): older than policy vulns.max_table_age_days, a clean result becomes WARN."""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.device_util import DEVICE, config, evidence
from fourlayer.checks.util import bi

from fourlayer.advisories.banner_table import SEVERITIES, Software, load_table
from fourlayer.core.model import Unevaluable, failed, not_applicable, passed, warned
from fourlayer.core.registry import check
from fourlayer.data import DATA_DIR
from fourlayer.resources.device import DeviceConfig

TABLE = DATA_DIR / "device_firmware_vulns.yaml"
_FIRST_VERSION = re.compile(r"\d+(?:\.\d+)+[\w.()-]*|\d+\.\d+")


def product_version(d: DeviceConfig) -> tuple[str | None, str]:
    """(product id of the table, version in the vendor's numbering), or (None, why) when the table has no product
    for this firmware. Cisco: IOS XE is 16.x and later; classic IOS (12.x, 15.x) and IOS XE 3.x have no entry."""
    m = _FIRST_VERSION.search(d.os_version)
    version = m.group(0).rstrip(",") if m else d.os_version.strip()
    if d.vendor == "cisco_ios":
        major = version.split(".", 1)[0]
        return ("cisco-ios-xe" if major.isdigit() and int(major) >= 16 else None), version
    return {"fortios": "fortios", "routeros": "routeros", "junos": "junos"}.get(d.vendor), version


def exposed(d: DeviceConfig, product: str) -> bool | None:
    """Whether the entry's condition holds as configured, where the model can tell (None: it cannot)."""
    if product == "cisco-ios-xe":
        return any(s.enabled for s in d.services if s.name in ("http", "https"))
    return None


@check(id="L3-DEV-001", layer=3, severity="critical", min_level=1, **DEVICE,
       references=(refs.VENDOR_ADVISORIES, refs.CIS_CONTROLS_VULN, refs.DECREE_85_ART20, refs.DISPATCH_1552,
                   refs.FORTINET_HARDENING),
       title={"en": "Device firmware has no known critical vulnerability",
              "vi": "Phần mềm hệ thống của thiết bị không có lỗ hổng nghiêm trọng đã biết"},
       rationale={"en": "Edge devices are the most exploited systems of recent years: FortiOS SSL-VPN "
                        "(CVE-2018-13379, CVE-2022-42475, CVE-2023-27997, CVE-2024-21762), the Cisco IOS XE web UI "
                        "(CVE-2023-20198), MikroTik Winbox (CVE-2018-14847) and Junos J-Web (CVE-2023-36844) were "
                        "all used to take over devices without a password. A firmware release in the table of "
                        "affected releases must be upgraded.",
                  "vi": "Thiết bị biên là nhóm bị khai thác nhiều nhất những năm gần đây: SSL-VPN của FortiOS "
                        "(CVE-2018-13379, CVE-2022-42475, CVE-2023-27997, CVE-2024-21762), giao diện web Cisco IOS "
                        "XE (CVE-2023-20198), Winbox của MikroTik (CVE-2018-14847) và J-Web của Junos "
                        "(CVE-2023-36844) đều bị dùng để chiếm thiết bị mà không cần mật khẩu. Phiên bản phần mềm "
                        "nằm trong bảng các phiên bản bị ảnh hưởng phải được nâng cấp."},
       remediation={"en": "Upgrade to a fixed release named in the vendor advisory (the evidence lists it); until "
                          "then turn the vulnerable feature off (SSL-VPN, web UI, Winbox, J-Web) or restrict it to "
                          "the management network, and look for signs of compromise.",
                    "vi": "Nâng cấp lên phiên bản đã sửa nêu trong khuyến cáo của hãng (phần bằng chứng liệt kê); "
                          "trong lúc chờ, tắt tính năng bị ảnh hưởng (SSL-VPN, giao diện web, Winbox, J-Web) hoặc "
                          "chỉ cho phép từ mạng quản trị, và kiểm tra dấu hiệu bị xâm nhập."})
def firmware_vulnerabilities(t):
    d = config(t)
    if not d.os_version:
        raise Unevaluable("the configuration does not state the firmware version (IOS `version`, FortiOS "
                          "#config-version, RouterOS export header, Junos `version`); save it with that line")
    table = load_table(TABLE)
    product, version = product_version(d)
    age, max_age = table.age_days(t.clock_day), int(t.policy.vulns.max_table_age_days)
    stale = age > max_age
    rows = [f"firmware: {d.vendor} {version}{' (release train only)' if d.os_version_partial else ''}",
            table.describe() + f", {age} days old on the scan's clock (policy: at most {max_age})"]
    if product is None:
        return not_applicable(bi(f"the table has no entries for {d.vendor} {version}",
                                 f"bảng tra cứu không có mục nào cho {d.vendor} {version}"), evidence(t, rows))
    matches = table.lookup(Software(product, version, "configuration"))
    rows += [m.describe() + f"; condition: {m.entry.condition or 'none'}; {m.entry.source}" for m in matches]
    fail_rank = SEVERITIES.index(t.policy.vulns.fail_severity)
    cves = ", ".join(c for m in matches for c in m.entry.cves)
    if matches and d.os_version_partial:
        return warned(bi(f"the configuration names only the {version} release train, which holds releases "
                         f"affected by {cves}; confirm the exact release with `show version`",
                         f"cấu hình chỉ nêu dòng phiên bản {version}, trong đó có các bản bị ảnh hưởng bởi {cves}; "
                         "xác nhận phiên bản chính xác bằng `show version`"), evidence(t, rows))
    serious = [m for m in matches if SEVERITIES.index(m.entry.severity) <= fail_rank]
    if serious and exposed(d, product) is False:
        return warned(bi(f"{d.vendor} {version} is affected by {cves}, but the vulnerable feature is off as "
                         "configured; upgrade anyway",
                         f"{d.vendor} {version} bị ảnh hưởng bởi {cves}, nhưng tính năng có lỗ hổng đang tắt theo "
                         "cấu hình; vẫn cần nâng cấp"), evidence(t, rows))
    if serious:
        return failed(bi(f"{d.vendor} {version} has known critical vulnerabilities: {cves}",
                         f"{d.vendor} {version} có lỗ hổng nghiêm trọng đã biết: {cves}"), evidence(t, rows))
    if matches or stale:
        why = bi(f"the table is {age} days old (policy: at most {max_age}); update fourlayer",
                 f"bảng tra cứu đã cũ {age} ngày (chính sách: tối đa {max_age} ngày); cần cập nhật fourlayer") \
            if stale else bi(f"lower-severity flaws: {cves}", f"lỗ hổng mức thấp hơn: {cves}")
        return warned(bi(f"no critical flaw known for {d.vendor} {version}, but {why['en']}",
                         f"không có lỗ hổng nghiêm trọng đã biết cho {d.vendor} {version}, nhưng {why['vi']}"),
                      evidence(t, rows))
    return passed(bi(f"{d.vendor} {version}: no known critical vulnerability ({table.describe()})",
                     f"{d.vendor} {version}: không có lỗ hổng nghiêm trọng đã biết (bảng tra cứu ngoại tuyến cập "
                     f"nhật ngày {table.updated.isoformat()}, {len(table.entries)} mục)"), evidence(t, rows))
