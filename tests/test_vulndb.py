"""The offline table of known-vulnerable versions: version ordering, banner parsing, the shipped entries'
boundaries (as their advisories state them) and line-aware validation of a broken table."""

from __future__ import annotations

import datetime as dt

import pytest

from fourlayer.errors import InputError
from fourlayer.vulndb import (DEFAULT_TABLE_PATH, Software, compare_versions, from_http_header, from_ssh_banner, load_table,
                              parse_table, software)


@pytest.mark.parametrize("older, newer", [
    ("9.2p1", "9.8p1"), ("8.9p1", "9.2p1"), ("9.8", "9.8p1"), ("1.3.3", "1.3.3c"), ("1.3.3rc1", "1.3.3"),
    ("1.3.2rc3", "1.3.2"), ("1.3.3b", "1.3.3c"), ("2.4.5", "2.4.49"), ("2.4.49", "2.4.50"), ("4.92", "4.92.2"),
    ("4.9", "4.87"), ("1.0.1", "1.0.1g"), ("1.0.1f", "1.0.1g"), ("2+deb12u3", "2+deb12u10"),
    ("3ubuntu0.9", "3ubuntu0.10"), ("1.0-beta2", "1.0"), ("1.0-alpha", "1.0-beta"),
])
def test_version_order(older, newer):
    assert compare_versions(older, newer) == -1 and compare_versions(newer, older) == 1
    assert compare_versions(older, older) == 0


def test_banners_become_products_versions_and_distribution_revisions():
    assert from_ssh_banner("OpenSSH_9.2p1", "Debian-2+deb12u3", "22/tcp") == \
        Software("OpenSSH", "9.2p1", "22/tcp", "debian", "2+deb12u3")
    assert from_ssh_banner("OpenSSH_8.9p1", "Ubuntu-3ubuntu0.10", "x").revision == "3ubuntu0.10"
    assert from_ssh_banner("OpenSSH_for_Windows_8.1", "", "x").name == "OpenSSH_for_Windows"
    assert from_ssh_banner("dropbear_2022.83", "", "x").version == "2022.83"
    assert from_ssh_banner("Go", "", "x") is None
    assert software("OpenSSH", "9.2p1 Debian 2+deb12u10", "nmap") == \
        Software("OpenSSH", "9.2p1", "nmap", "debian", "2+deb12u10")
    assert software("Samba smbd", "3.X - 4.X", "nmap") is None  # a range is not a version
    found = from_http_header("Apache/2.4.7 (Ubuntu) PHP/5.5.9-1ubuntu4 OpenSSL/1.0.1f", "80")
    assert [(s.name, s.version, s.distro) for s in found] == [
        ("Apache", "2.4.7", "ubuntu"), ("PHP", "5.5.9", "ubuntu"), ("OpenSSL", "1.0.1f", "ubuntu")]
    assert from_http_header("nginx", "80") == []


def affected(product: str, version: str) -> set[str]:
    return {cve for m in load_table().lookup(Software(product, version, "test")) for cve in m.entry.cves}


@pytest.mark.parametrize("product, version, cves", [
    ("OpenSSH", "8.4p1", set()), ("OpenSSH", "8.5p1", {"CVE-2024-6387"}), ("OpenSSH", "9.7p1", {"CVE-2024-6387"}),
    ("OpenSSH", "9.8p1", set()),
    ("vsftpd", "2.3.4", {"CVE-2011-2523"}), ("vsftpd", "2.3.5", set()),
    ("ProFTPD", "1.3.2rc2", set()), ("ProFTPD", "1.3.2rc3", {"CVE-2010-4221"}), ("ProFTPD", "1.3.3", {"CVE-2010-4221"}),
    ("ProFTPD", "1.3.3b", {"CVE-2010-4221"}), ("ProFTPD", "1.3.3c", {"CVE-2010-20103"}), ("ProFTPD", "1.3.3d", set()),
    ("ProFTPD", "1.3.5", {"CVE-2015-3306"}), ("ProFTPD", "1.3.5a", set()),
    ("Apache", "2.4.48", set()), ("Apache httpd", "2.4.49", {"CVE-2021-41773", "CVE-2021-42013"}),
    ("Apache", "2.4.50", {"CVE-2021-42013"}), ("Apache", "2.4.51", set()),
    ("Apache", "2.2.19", {"CVE-2011-3192"}), ("Apache", "2.2.20", set()), ("Apache", "1.3.42", set()),
    ("OpenSSL", "1.0.0t", set()), ("OpenSSL", "1.0.1", {"CVE-2014-0160"}), ("OpenSSL", "1.0.1f", {"CVE-2014-0160"}),
    ("OpenSSL", "1.0.1g", set()),
    ("Exim smtpd", "4.86", {"CVE-2019-15846", "CVE-2020-28018", "CVE-2020-28019"}),
    ("Exim", "4.91", {"CVE-2019-10149", "CVE-2019-15846", "CVE-2020-28018", "CVE-2020-28019"}),
    ("Exim", "4.92.2", {"CVE-2020-28018", "CVE-2020-28019"}), ("Exim", "4.94.2", set()),
    ("Samba", "3.4.17", set()), ("Samba", "4.4.13", {"CVE-2017-7494"}), ("Samba", "4.5.10", set()),
    ("Samba", "4.6.3", {"CVE-2017-7494"}), ("Samba", "4.6.4", set()),
    ("nginx", "1.0.0", set()),  # not in the table
])
def test_shipped_entries_have_the_advisories_boundaries(product, version, cves):
    assert affected(product, version) == cves


def test_distribution_backports_count_as_fixed():
    table = load_table()
    for banner, fixed in (("Debian-2+deb12u2", False), ("Debian-2+deb12u3", True), ("Debian-2+deb12u10", True)):
        [match] = table.lookup(from_ssh_banner("OpenSSH_9.2p1", banner, "x"))
        assert (match.backport is not None) is fixed, banner
    [match] = table.lookup(from_ssh_banner("OpenSSH_9.6p1", "Ubuntu-3ubuntu13.3", "x"))
    assert match.backport == "ubuntu 3ubuntu13.3"
    [match] = table.lookup(from_ssh_banner("OpenSSH_9.3p1", "Debian-2+deb12u9", "x"))  # no record for 9.3p1
    assert match.backport is None


def test_every_entry_is_sourced_and_dated():
    table = load_table(DEFAULT_TABLE_PATH)  # the shipped one, not the re-dated copy the suite scans with
    assert len(table.entries) >= 12 and table.updated <= dt.date.today()
    for entry in table.entries:
        assert entry.source and entry.verified <= table.updated and entry.summary
        assert all(c.startswith("CVE-") for c in entry.cves)


TABLE = """\
updated: 2026-11-23
products:
  openssh: [OpenSSH]
entries:
  - id: one
    product: openssh
    affected: [{introduced: "8.5p1", fixed: "9.8p1"}]
    cves: [CVE-2024-6387]
    severity: high
    summary: s
    source: s
    verified: 2026-11-23
"""


@pytest.mark.parametrize("old, new, line, field, message", [
    ('fixed: "9.8p1"', "fixed: 9.8", 7, "entries[0].affected[0].fixed", "quote the version"),
    ("product: openssh", "product: dropbear", 6, "entries[0].product", "declare it under `products:`"),
    ("cves: [CVE-2024-6387]", "cves: [2024-6387]", 8, "entries[0].cves", "CVE-2024-6387"),
    ("severity: high", "severity: urgent", 9, "entries[0].severity", "critical, high, medium, low"),
    ("updated: 2026-11-23", "updated: soon", 1, "updated", "expected the date"),
    ('fixed: "9.8p1"', 'fixed: "9.8p1", last_affected: "9.7p1"', 7, "entries[0].affected[0]", "not both"),
    ("    verified: 2026-11-23\n", "    verified: 2026-11-23\n    url: x\n", 13, "entries[0].url", "unknown key"),
])
def test_broken_table_names_file_line_and_field(tmp_path, old, new, line, field, message):
    path = tmp_path / "table.yaml"
    path.write_text(TABLE.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_table(path)
    assert (info.value.line, info.value.field) == (line, field), str(info.value)
    assert message in info.value.message


def test_duplicate_entry_ids_are_refused(tmp_path):
    path = tmp_path / "table.yaml"
    entry = TABLE.split("entries:\n", 1)[1]
    path.write_text(TABLE + entry, encoding="utf-8")
    with pytest.raises(InputError, match="'one' is used twice"):
        parse_table(path)
