"""The offline firmware table (fourlayer/data/device_firmware_vulns.yaml) and each vendor's version scheme:
releases just below and at each advisory's fixed release, as the vendors number them."""

from __future__ import annotations

import pytest

from fourlayer.advisories.banner_table import Software, load_table
from fourlayer.checks.layer3.device_firmware import TABLE, product_version
from fourlayer.resources.device import DeviceConfig

CASES = [  # (vendor, version as the configuration states it, CVEs expected)
    ("cisco_ios", "17.09.04", {"CVE-2023-20198", "CVE-2023-20273"}),
    ("cisco_ios", "17.9.4a", set()),
    ("cisco_ios", "17.6.5", {"CVE-2023-20198", "CVE-2023-20273"}),
    ("cisco_ios", "16.12.10a", set()),
    ("cisco_ios", "15.2(7)E4", None),  # classic IOS: no product in the table
    ("fortios", "7.2.4", {"CVE-2023-27997", "CVE-2024-21762"}),
    ("fortios", "7.2.7", set()),
    ("fortios", "7.0.8", {"CVE-2022-42475", "CVE-2023-27997", "CVE-2024-21762"}),
    ("fortios", "6.0.4", {"CVE-2018-13379", "CVE-2022-42475", "CVE-2023-27997", "CVE-2024-21762"}),
    ("fortios", "7.4.3", set()),
    ("fortios", "7.6.0", set()),
    ("routeros", "6.42", {"CVE-2018-14847"}),
    ("routeros", "6.42.1", set()),
    ("routeros", "6.40.7", {"CVE-2018-14847"}),
    ("routeros", "6.40.8", set()),
    ("routeros", "7.11.2", set()),
    ("junos", "21.4R3-S4", {"CVE-2023-36844", "CVE-2023-36845", "CVE-2023-36846", "CVE-2023-36847"}),
    ("junos", "21.4R3-S5", set()),
    ("junos", "21.4R3-S5.4", set()),
    ("junos", "22.3R3", set()),
    ("junos", "21.1R3-S4", {"CVE-2023-36844", "CVE-2023-36845", "CVE-2023-36846", "CVE-2023-36847"}),
    ("junos", "23.2R1", set()),
]


@pytest.mark.parametrize("vendor,version,cves", CASES)
def test_versions_against_the_table(vendor, version, cves):
    table = load_table(TABLE)
    product, normalised = product_version(DeviceConfig(vendor=vendor, os_version=version))
    if cves is None:
        assert product is None
        return
    found = {c for m in table.lookup(Software(product, normalised, "test")) for c in m.entry.cves}
    assert found == cves


def test_every_entry_names_its_advisory_url_and_fixed_releases():
    table = load_table(TABLE)
    assert {e.product for e in table.entries} == {"cisco-ios-xe", "fortios", "routeros", "junos"}
    for e in table.entries:
        assert "https://" in e.source and "fixed" in e.source and e.severity == "critical", e.id
    cves = {c for e in table.entries for c in e.cves}
    assert {"CVE-2018-13379", "CVE-2022-42475", "CVE-2023-27997", "CVE-2024-21762", "CVE-2023-20198",
            "CVE-2018-14847", "CVE-2023-36844"} <= cves


def test_fortios_header_forms():
    for raw in ("7.2.4", "v7.2.4", "7.2.4,build1396", "v7.2.4 build1396 (GA)"):
        assert product_version(DeviceConfig(vendor="fortios", os_version=raw)) == ("fortios", "7.2.4"), raw
