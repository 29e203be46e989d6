"""End to end: the demo lab scanned through the real CLI; real findings on real loopback services."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from fourlayer.cli.main import main

# Checks whose FAIL on the weak host is the point of the demo: each is backed by a real weak service there.
WEAK_HOST_FAILS = {
    "L1-SSH-001": "diffie-hellman-group1-sha1",  # weak kex offered by the weak sshd
    "L1-SSH-002": "3des-cbc",
    "L1-SSH-003": "hmac-md5",
    "L1-SSH-004": "1024",                        # RSA-1024 host key
    "L1-SSH-010": "PermitRootLogin yes",
    "L1-SSH-011": "password",
    "L1-SSH-024": "maxstartups 100:30:200",     # issue #13's sshd coverage, each set in the weak lab profile
    "L1-SSH-025": "allowusers",
    "L1-SSH-026": "clientalivecountmax 10",
    "L1-SSH-027": "maxsessions 64",
    "L1-SSH-028": "loglevel debug",
    "L1-SSH-029": "strictmodes no",
    "L1-SSH-030": "gssapiauthentication yes",
    "L1-SSH-031": "x11uselocalhost no",
    "L1-TLS-001": "TLSv1",                       # the TLS 1.0 listener on :9443
    "L1-TLS-002": "expired",                     # the expired certificate on :8443
    "L1-TLS-003": "self-signed",
    "L1-TLS-010": "1024 bits < 2048",            # the 1024-bit DH group (RFC 2409 group 2) on :9443
    "L1-KRN-001": "net.ipv4.ip_forward=1",       # the weak sysroot's stand-in /proc/sys forwards packets
    "L1-MNT-001": "/dev/shm lacks noexec",       # its stand-in /proc/mounts
    "L1-BAN-001": "discloses the word(s) 'debian'",  # the distribution's stock /etc/issue
    "L2-LOG-001": "forward",
}


def _text(r: dict) -> str:
    return f"{r['reason']} {r['evidence']}".lower()


def test_hardened_host_has_no_failure(demo_scan):
    results = demo_scan.results("portal-web")
    assert results, "portal-web was not scanned"
    bad = {cid: r["reason"] for cid, r in results.items() if r["status"] in ("FAIL", "ERROR")}
    assert not bad, bad
    assert {cid for cid, r in results.items() if r["status"] == "PASS"} >= set(WEAK_HOST_FAILS)


def test_weak_host_fails_each_weakness_with_its_evidence(demo_scan):
    results = demo_scan.results("his-app")
    for cid, needle in WEAK_HOST_FAILS.items():
        assert results[cid]["status"] == "FAIL", (cid, results[cid]["reason"])
        assert needle.lower() in _text(results[cid]), (cid, results[cid])
    exposed = [r for cid, r in results.items() if cid.startswith("L1-NET-") and r["status"] == "FAIL"]
    assert any("21" in _text(r) and "ftp" in _text(r) for r in exposed), exposed


def test_down_host_gives_errors_and_the_scan_goes_on(demo_scan):
    results = demo_scan.results("his-db")
    needs_ssh = [r for cid, r in results.items() if cid.startswith("L1-SSH-")]
    assert needs_ssh and all(r["status"] == "ERROR" for r in needs_ssh)
    assert all("2214" in r["reason"] for r in needs_ssh)
    assert demo_scan.doc["run"]["complete"] is True
    assert demo_scan.results("portal-web") and demo_scan.results("his-app")


def test_declared_facts_judge_the_two_agencies(demo_scan):
    good, bad = demo_scan.results("stttt-nghean"), demo_scan.results("soyte-nghean")
    assert good and set(good) == set(bad)
    assert all(r["status"] == "PASS" for r in good.values()), good
    assert all(r["status"] == "FAIL" for r in bad.values()), bad
    assert demo_scan.results("his")["L3-ASM-001"]["status"] == "FAIL"
    assert demo_scan.results("dvc-portal")["L3-ASM-001"]["status"] == "PASS"


def test_agency_scores_and_layers(demo_scan):
    agencies = {a["id"]: a["summary"] for a in demo_scan.doc["agencies"]}
    good, bad = agencies["stttt-nghean"], agencies["soyte-nghean"]
    assert all(good["layers"][n]["met"] for n in "1234"), good["layers"]
    assert not any(bad["layers"][n]["met"] for n in "1234"), bad["layers"]
    assert good["score"] > 90 > 50 > bad["score"]
    assert bad["coverage"] < 100  # the down host's ERRORs lower coverage, not the score
    assert f"{agencies['stttt-nghean']['score']}" in demo_scan.output


def test_results_cover_every_layer_and_carry_metadata(demo_scan):
    doc = demo_scan.doc
    assert doc["schema_version"] and doc["tool"]["name"] == "fourlayer"
    assert {r["layer"] for r in doc["results"]} == {1, 2, 3, 4}
    checks = doc["checks"]
    ids = set(checks) if isinstance(checks, dict) else {c["id"] for c in checks}
    assert {r["check_id"] for r in doc["results"]} <= ids
    for r in doc["results"]:
        assert r["status"] in doc["statuses"] and r["reason"], r


def test_html_reports_are_self_contained_escaped_and_bilingual(demo_scan):
    vi = demo_scan.file(".vi.html").read_text(encoding="utf-8")
    en = demo_scan.file(".en.html").read_text(encoding="utf-8")
    for html in (vi, en):
        assert "Content-Security-Policy" in html
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "external resource"
        assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html)
        assert "Sở Y tế Nghệ An" in html and "his-app" in html
        assert "L1-SSH-001" in html
    assert 'lang="vi"' in vi and 'lang="en"' in en
    assert "Khắc phục" in vi


def test_demo_scan_is_quick(demo_scan):
    # Not a benchmark (see bench/): a guard that the demo stays interactive on a 2-core machine.
    assert demo_scan.seconds < 90, demo_scan.seconds
    hosts = [h for a in demo_scan.doc["agencies"] for s in a["systems"] for h in s["hosts"]]
    assert all(h["seconds"] is not None for h in hosts)


def test_the_readme_demo_meets_the_same_layers_in_any_year(tmp_path):
    """`fourlayer demo` (the README's first command) judges the demo inventory's declared facts as of the day its
    story is told, and the lab's hosts on the scan's clock: the suite's shifted-clock pass runs this a year ahead."""
    from fourlayer.lab.demo import DEMO_AS_OF

    out = tmp_path / "demo-report"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "stttt-nghean: score" in result.output and "L1:met" in result.output
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert doc["run"]["options"]["as_of"] == DEMO_AS_OF.isoformat()
    good, bad = ({a["id"]: a["summary"] for a in doc["agencies"]}[i] for i in ("stttt-nghean", "soyte-nghean"))
    assert all(good["layers"][n]["met"] for n in "1234"), good["layers"]
    assert not any(bad["layers"][n]["met"] for n in "1234"), bad["layers"]
    expired = {r["check_id"]: r for r in doc["results"] if r["host"] == "his-app"}["L1-TLS-002"]
    assert expired["status"] == "FAIL" and "expired" in expired["reason"]
    html = next(out.glob("*.en.html")).read_text(encoding="utf-8")
    assert "Declared facts judged as of" in html and DEMO_AS_OF.isoformat() in html
    assert "Observed evidence judged on the scan&#39;s clock" in html  # autoescaped


def test_windows_host_on_the_recorded_path_shows_its_findings(demo_scan):
    """ketoan-win is a real sshd answering with RECORDED Windows output (not a Windows host): its Windows checks
    give the neglected server's findings, the Linux checks do not apply, and the report labels it Windows."""
    results = demo_scan.results("ketoan-win")
    windows = {cid: r for cid, r in results.items() if "-WIN-" in cid}
    assert len(windows) == 16
    assert {cid for cid, r in windows.items() if r["status"] != "FAIL"} == {"L1-WIN-009"}, windows
    assert windows["L1-WIN-009"]["status"] == "WARN"
    assert "SMBv1" in windows["L1-WIN-003"]["reason"] and windows["L1-WIN-003"]["reason_vi"]
    assert results["L1-ACC-001"]["status"] == "NOT_APPLICABLE" and results["L2-AUD-001"]["status"] == "NOT_APPLICABLE"
    host = next(h for a in demo_scan.doc["agencies"] for s in a["systems"] for h in s["hosts"] if h["id"] == "ketoan-win")
    assert host["os"] == "windows" and host["collectors"]["ssh_shell"]["ok"]
    for suffix in (".vi.html", ".en.html"):
        assert "⊞ Windows" in demo_scan.file(suffix).read_text(encoding="utf-8")
