"""Advisory data: version order as dpkg and rpm define it, and `fourlayer vulndb import` of files written in the
published formats (Debian Security Tracker JSON, OSV JSON and zip) with records made here."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from fourlayer.resources.packages import parse_dpkg, parse_rpm, platform
from fourlayer.advisories.store import ENV_ADVISORY_DB, list_sets
from fourlayer.advisories.versions import compare

DPKG_PAIRS = [("1:1.0-1", "2.0-1"), ("1.0~rc1-1", "1.0-1"), ("1.0~rc1", "1.0~rc1~git1"), ("2.0", "2.0+deb12u1"),
              ("1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u10"), ("3.0.11-1~deb12u2", "3.0.11-1"),
              ("1.1.1n-0+deb11u3", "1.1.1n-0+deb11u4"), ("5.10.197-1", "5.10.209-1"), ("0:1.0", "1.0"),
              ("1.0-1", "1.0-1+b1"), ("9.2p1", "9.10p1"), ("2.36-9+deb12u4", "2.36-9+deb12u10")]
RPM_KNOWN = [("5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3", -1), ("1:1.0-1.el9", "2.0-1.el9", 1),
             ("3.0.7-24.el9", "3.0.7-24.el9_3", -1), ("2.34-60.el9", "2.34-100.el9", -1),
             ("1.0-1.el9", "1.0-1.el9", 0), ("8.7p1-34.el9_3.3", "8.7p1-34.el9_3", 1), ("1.0~rc1-1", "1.0-1", -1),
             ("0:2.0-1", "2.0-1", 0)]

TODAY = dt.datetime.now(dt.timezone.utc).date()


def tracker_doc(**releases_by_package) -> dict:
    """Debian Security Tracker JSON: {source package: {CVE: {"releases": {codename: {...}}}}}."""
    return {pkg: {cve: {"description": "made by the test", "scope": "remote", "releases": rel}
                  for cve, rel in issues.items()} for pkg, issues in releases_by_package.items()}


def resolved(fixed: str, urgency: str = "high") -> dict:
    return {"status": "resolved", "repositories": {"bookworm": fixed}, "fixed_version": fixed, "urgency": urgency}


def osv_record(rid: str, ecosystem: str, package: str, fixed: str | None, severity: str = "high",
               modified: str | None = None) -> dict:
    events = [{"introduced": "0"}] + ([{"fixed": fixed}] if fixed else [])
    return {"schema_version": "1.6.0", "id": rid, "modified": modified or f"{TODAY.isoformat()}T00:00:00Z",
            "published": f"{TODAY.isoformat()}T00:00:00Z", "aliases": [], "summary": "made by the test",
            "severity": [{"type": "Ubuntu", "score": severity}],
            "affected": [{"package": {"ecosystem": ecosystem, "name": package},
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}


@pytest.fixture
def advisory_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "advisories.sqlite"
    monkeypatch.setenv(ENV_ADVISORY_DB, str(path))
    return path


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed")
@pytest.mark.parametrize("a,b", DPKG_PAIRS)
def test_dpkg_order_is_dpkgs_own(a, b):
    for x, y in ((a, b), (b, a), (a, a)):
        lt = subprocess.run(["dpkg", "--compare-versions", x, "lt", y]).returncode == 0
        eq = subprocess.run(["dpkg", "--compare-versions", x, "eq", y]).returncode == 0
        assert compare("dpkg", x, y) == (-1 if lt else 0 if eq else 1), (x, y)


@pytest.mark.parametrize("a,b,expected", RPM_KNOWN)
def test_rpm_order_matches_rpmvercmp_known_answers(a, b, expected):
    # rpm is not installed on this machine: answers are rpmvercmp's (rpm's tests/rpmvercmp.at and el9 errata)
    assert compare("rpm", a, b) == expected and compare("rpm", b, a) == -expected


def test_package_lines_parse_as_dpkg_query_and_rpm_print_them():
    dpkg = ("libssl3\t3.0.11-1~deb12u2+b1\topenssl\t3.0.11-1~deb12u2\tinstall ok installed\n"
            "bash\t5.2.15-2\tbash\t5.2.15-2\tdeinstall ok config-files\n"
            "sudo\t1.9.13p3-1\tsudo\t1.9.13p3-1\thold ok installed\n")
    installed, bad = parse_dpkg(dpkg)
    assert bad == 0 and [(p.name, p.source, p.source_version) for p in installed] == [
        ("libssl3", "openssl", "3.0.11-1~deb12u2"), ("sudo", "sudo", "1.9.13p3-1")]
    rpm = ("openssl-libs\t1\t3.0.7\t24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n"
           "kernel-core\t0\t5.14.0\t362.8.1.el9_3\tx86_64\tkernel-5.14.0-362.8.1.el9_3.src.rpm\n"
           "gpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\t(none)\n")
    installed, bad = parse_rpm(rpm)
    assert bad == 0 and [(p.name, p.source, p.version) for p in installed] == [
        ("openssl-libs", "openssl", "1:3.0.7-24.el9"), ("kernel-core", "kernel", "5.14.0-362.8.1.el9_3")]
    assert parse_dpkg("garbage line\n")[1] == 1
    assert platform({"id": "debian", "version_codename": "bookworm"}).release == "12"
    assert platform({"id": "rocky", "id_like": "rhel centos fedora", "version_id": "9.3"}).release == "9"
    assert platform({"id": "linuxmint", "id_like": "ubuntu debian"}) is None


def test_tracker_import_records_source_sha256_and_date_and_status_lists_it(tmp_path, advisory_db, run_cli):
    path = tmp_path / "debian-tracker.json"
    doc = tracker_doc(openssl={"CVE-2099-0001": {"bookworm": resolved("3.0.11-1~deb12u2"),
                                                   "bullseye": resolved("0")}},
                      bash={"CVE-2099-0002": {"bookworm": {"status": "open", "repositories": {},
                                                           "urgency": "low"}}})
    path.write_text(json.dumps(doc), encoding="utf-8")
    day = TODAY - dt.timedelta(days=5)
    out = run_cli("vulndb", "import", str(path), "--data-date", day.isoformat())
    assert "imported debian-tracker debian-tracker.json (debian 12;" in out and "5 days old; 2 records" in out
    [info] = list_sets(advisory_db)
    import hashlib
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and info.data_date == day
    assert info.date_from == "--data-date" and info.source_file == str(path.resolve())
    status = run_cli("vulndb", "status")
    assert "advisories: " in status and "debian-tracker.json" in status and "5 days old" in status
    # the same file again replaces its set; stale data makes status exit 1
    run_cli("vulndb", "import", str(path), "--data-date", (TODAY - dt.timedelta(days=90)).isoformat())
    assert len(list_sets(advisory_db)) == 1
    assert "STALE debian-tracker" in run_cli("vulndb", "status", expect=1)


def test_osv_json_and_zip_import(tmp_path, advisory_db, run_cli):
    single = tmp_path / "USN-9999-1.json"
    single.write_text(json.dumps(osv_record("USN-9999-1", "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.15")))
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            zf.writestr(f"ALSA-2099:{i}.json", json.dumps(osv_record(
                f"ALSA-2099:{i}", "AlmaLinux:9", "openssl", f"1:3.0.7-{25 + i}.el9_3",
                modified=f"{(TODAY - dt.timedelta(days=i)).isoformat()}T10:00:00Z")))
    out = run_cli("vulndb", "import", str(single), str(archive))
    assert "osv USN-9999-1.json (ubuntu 22.04;" in out and "osv all.zip (almalinux 9;" in out
    sets = {s.distro: s for s in list_sets(advisory_db)}
    assert sets["almalinux"].data_date == TODAY and sets["almalinux"].date_from == "newest OSV `modified`"
    assert sets["almalinux"].records == 3


SECRET = "TOPSECRETCONTENT"


@pytest.mark.parametrize("name,text,where", [
    ("cut.json", '{"openssl": {"CVE-2099-1": {"releases": {"bookworm": {"status": "' + SECRET, "cut.json:1:"),
    ("status.json", json.dumps(tracker_doc(openssl={"CVE-2099-1": {"bookworm": {
        "status": SECRET, "urgency": "high"}}}), indent=1), "status.json:8:"),  # the line of "status"
    ("nofix.json", json.dumps(tracker_doc(openssl={"CVE-2099-1": {"bookworm": {
        "status": "resolved", "fixed_version": "not a version " + SECRET, "urgency": "high"}}}), indent=1),
     "nofix.json:9:"),  # the line of "fixed_version"
    ("osv.json", json.dumps(osv_record("DSA-1", "Debian:12", "openssl", "x" + SECRET), indent=1), "osv.json:"),
    ("other.json", json.dumps([1, 2, 3]), "other.json:"),
])
def test_malformed_files_exit_2_naming_file_and_line_never_echoing_content(tmp_path, advisory_db, run_cli, name,
                                                                           text, where):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(tracker_doc(openssl={"CVE-2099-1": {"bookworm": resolved("3.0.11-1")}})))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = run_cli("vulndb", "import", str(good), str(path), expect=2)
    [line] = out.strip().splitlines()
    assert line.startswith("error: ") and where in line and SECRET not in line and "Traceback" not in out
    assert not advisory_db.exists()  # every file is validated before anything is written


def test_future_dated_data_is_refused(tmp_path, advisory_db, run_cli):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tracker_doc(openssl={"CVE-2099-1": {"bookworm": resolved("3.0.11-1")}})))
    out = run_cli("vulndb", "import", str(path), "--data-date", (TODAY + dt.timedelta(days=30)).isoformat(),
                  expect=2)
    assert "after today" in out and not advisory_db.exists()
