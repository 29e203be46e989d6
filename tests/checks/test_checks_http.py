"""L1-HTT-001..004 and L3-VUL-002 against real HTTP/HTTPS listeners (profiles good, partial, weak)."""

from __future__ import annotations

import datetime as dt

import pytest

from fourlayer.advisories.banner_table import load_table
from tests.tls_fixtures import TLSLab
from tests.wire_helpers import collect, judge, policy_with


@pytest.fixture(scope="module")
def web(tls_lab: TLSLab):
    """name -> (host, evidence) of one web host per lab profile."""
    hosts = {
        "good": tls_lab.host("tls-good", http=("http-good",), address="127.0.0.150"),
        "http-good": tls_lab.host(http=("http-good",)),
        "http-weak": tls_lab.host(http=("http-weak",)),
        "http-partial": tls_lab.host(http=("http-partial",)),
        "tls-good": tls_lab.host("tls-good"),
        "tls-weak": tls_lab.host("tls-weak"),
        "tls-partial": tls_lab.host("tls-partial"),
    }
    return {name: (host, collect(host, "http")) for name, host in hosts.items()}


def run(web, check_id: str, name: str, **kwargs):
    host, evidence = web[name]
    return judge(check_id, host, evidence, **kwargs)


def test_001_redirect_to_https(web):
    good = run(web, "L1-HTT-001", "http-good")
    assert good.status.value == "PASS" and "301" in good.evidence and "https://" in good.evidence
    weak = run(web, "L1-HTT-001", "http-weak")
    assert weak.status.value == "FAIL" and "answers 200" in weak.reason
    partial = run(web, "L1-HTT-001", "http-partial")  # a redirect, but to another http:// page
    assert partial.status.value == "FAIL" and "answers 302 to http://" in partial.reason
    only_tls = run(web, "L1-HTT-001", "tls-good")
    assert only_tls.status.value == "NOT_APPLICABLE" and "no plain-HTTP port" in only_tls.reason


def test_002_hsts(web):
    good = run(web, "L1-HTT-002", "tls-good")
    assert good.status.value == "PASS" and "max-age=31536000" in good.evidence
    short = run(web, "L1-HTT-002", "tls-partial")
    assert short.status.value == "FAIL" and "max-age=86400 < 31536000" in short.reason
    missing = run(web, "L1-HTT-002", "tls-weak")
    assert missing.status.value == "FAIL" and "no Strict-Transport-Security" in missing.reason
    relaxed = run(web, "L1-HTT-002", "tls-partial", policy=policy_with(http={"hsts_min_max_age": 3600}))
    assert relaxed.status.value == "PASS"


def test_003_security_headers(web):
    good = run(web, "L1-HTT-003", "tls-good")
    assert good.status.value == "PASS" and "x-frame-options: DENY" in good.evidence
    # no X-Frame-Options, but CSP frame-ancestors protects against framing just as well
    partial = run(web, "L1-HTT-003", "tls-partial")
    assert partial.status.value == "PASS" and "x-frame-options: (none)" in partial.evidence
    for name in ("http-weak", "tls-weak"):
        weak = run(web, "L1-HTT-003", name)
        assert weak.status.value == "FAIL", weak.reason
        assert "x-content-type-options: nosniff" in weak.reason and "content-security-policy" in weak.reason
    redirect_only = run(web, "L1-HTT-003", "http-good")
    assert redirect_only.status.value == "NOT_APPLICABLE" and "only redirects" in redirect_only.reason


def test_004_version_disclosure(web):
    good = run(web, "L1-HTT-004", "http-good")
    assert good.status.value == "PASS" and "server: nginx" in good.evidence
    # "good" declares a plain-HTTP port on 127.0.0.150 where nothing listens: one port read is not a pass
    partial = run(web, "L1-HTT-004", "good")
    assert partial.status.value == "ERROR" and "/http: not read (connection refused)" in partial.reason
    weak = run(web, "L1-HTT-004", "http-weak")
    assert weak.status.value == "FAIL"
    assert "server: Apache/2.2.8 (Ubuntu)" in weak.reason and "x-powered-by: PHP/5.2.4" in weak.reason


def test_vul_002_known_vulnerable_web_server(web):
    weak = run(web, "L3-VUL-002", "http-weak")
    assert weak.status.value == "FAIL" and "Apache 2.2.8" in weak.reason and "CVE-2011-3192" in weak.reason
    assert "PHP 5.2.4 (ubuntu 2ubuntu5) (product not in the table)" in weak.evidence
    current = run(web, "L3-VUL-002", "tls-partial")  # Apache/2.4.62: covered by the table, not affected
    assert current.status.value == "PASS" and "no known-vulnerable version among 1" in current.reason
    hidden = run(web, "L3-VUL-002", "tls-good")  # "Server: nginx": nothing to match
    assert hidden.status.value == "NOT_APPLICABLE"


def test_vul_002_policy_severity_and_table_age(web):
    below = run(web, "L3-VUL-002", "http-weak", policy=policy_with(vulns={"fail_severity": "critical"}))
    assert below.status.value == "WARN" and "CVE-2011-3192 (high)" in below.reason
    # the table's age is observed evidence: counted on the scan's clock, whatever --as-of says
    old = dt.datetime.combine(load_table().updated + dt.timedelta(days=400), dt.time(12), dt.timezone.utc)
    stale = run(web, "L3-VUL-002", "tls-partial", clock=old)
    assert stale.status.value == "WARN" and "400 days old" in stale.reason
    still_failing = run(web, "L3-VUL-002", "http-weak", clock=old)
    assert still_failing.status.value == "FAIL" and "400 days old" in still_failing.reason
    as_of_later = run(web, "L3-VUL-002", "tls-partial", today=old.date())
    assert as_of_later.status.value == "PASS" and "days old" not in as_of_later.reason


def test_002_not_applicable_without_https(web):
    result = run(web, "L1-HTT-002", "http-good")
    assert result.status.value == "NOT_APPLICABLE" and "no HTTPS port" in result.reason
