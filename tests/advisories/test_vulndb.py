"""The offline table of known-vulnerable versions: version ordering, banner parsing, the shipped entries'
boundaries (as their advisories state them) and line-aware validation of a broken table."""

from __future__ import annotations

import datetime as dt

import pytest

from fourlayer.core.errors import InputError
from fourlayer.advisories.banner_table import (DEFAULT_TABLE_PATH, Software, compare_versions, from_http_header, from_ssh_banner, load_table,
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


def _dated_table(tmp_path, days_ago: int):
    """TABLE reviewed `days_ago` days before the clock that judges it."""
    updated = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days_ago)).isoformat()
    path = tmp_path / f"table-{days_ago}.yaml"
    path.write_text(TABLE.replace("2026-11-23", updated), encoding="utf-8")
    return path, updated


def test_vulndb_status_shows_the_table_in_force_and_says_when_it_is_stale(run_cli, tmp_path, monkeypatch):
    fresh, _ = _dated_table(tmp_path, 3)
    monkeypatch.setenv("FOURLAYER_VULN_TABLE", str(fresh))
    out = run_cli("vulndb", "status")
    assert f"{fresh} (from $FOURLAYER_VULN_TABLE)" in out and "3 days ago" in out and "to refresh" in out
    stale, updated = _dated_table(tmp_path, 200)
    monkeypatch.setenv("FOURLAYER_VULN_TABLE", str(stale))
    out = run_cli("vulndb", "status", expect=1)
    assert f"updated:  {updated} — 200 days ago (policy vulns.max_table_age_days: 180)" in out
    assert "STALE: version checks WARN" in out


def test_vulndb_status_of_the_shipped_table(tmp_path):
    """The shipped table is named as such; whether it is stale depends on the day, so both exits are right."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "FOURLAYER_VULN_TABLE"}
    proc = subprocess.run([sys.executable, "-m", "fourlayer", "vulndb", "status"], capture_output=True, text=True,
                          env=env, timeout=60)
    age = (dt.datetime.now(dt.timezone.utc).date() - load_table(DEFAULT_TABLE_PATH).updated).days
    assert "(shipped with fourlayer)" in proc.stdout and f"{age} days ago" in proc.stdout
    assert proc.returncode == (1 if age > 180 else 0), proc.stdout + proc.stderr


def test_vulndb_check_and_a_broken_table_in_force_stop_before_any_traffic(run_cli, tmp_path, monkeypatch):
    good, updated = _dated_table(tmp_path, 0)
    assert f"valid, updated {updated}, 1 entries" in run_cli("vulndb", "check", str(good))
    bad = tmp_path / "bad.yaml"
    bad.write_text(TABLE.replace("severity: high", "severity: urgent"), encoding="utf-8")
    out = run_cli("vulndb", "check", str(bad), expect=2)
    assert f"{bad}:9" in out and "entries[0].severity" in out
    monkeypatch.setenv("FOURLAYER_VULN_TABLE", str(bad))
    inventory = tmp_path / "inv.yaml"
    inventory.write_text("version: 1\nagencies:\n  - id: a1\n    name: A\n    systems:\n      - id: s1\n"
                         "        name: S\n        level: 2\n        hosts: [{address: 127.0.0.199}]\n")
    out = run_cli("scan", str(inventory), "--out", str(tmp_path / "out"), "--no-history", "--quiet", expect=2)
    assert f"{bad}:9" in out and not (tmp_path / "out").exists()
