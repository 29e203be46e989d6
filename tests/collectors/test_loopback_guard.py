"""FOURLAYER_LOOPBACK_ONLY=1 covers every collector: a real `fourlayer scan` of a host at 192.0.2.77 (TEST-NET-1)
and agency endpoints off loopback, run in its own empty network namespace under strace, makes no connect() to
anything but loopback, and every result that needed that host or endpoint is ERROR naming the guard.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys

import pytest

from fourlayer.collectors.guard import LOOPBACK_ENV, check_allowed
from fourlayer.core.errors import CollectorError
from tests.netns import NAMESPACE_SKIP, namespace_works, outside_connects, run_isolated
from tests.scan_harness import agency, write_inventory

OUTSIDE = "192.0.2.77"


def test_outside_connects_reads_strace_lines():
    log = ('connect(3, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("192.0.2.77")}, 16) = -1\n'
           'connect(4, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("127.0.0.5")}, 16) = 0\n'
           'connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
           'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n')
    assert len(outside_connects(log)) == 2


@pytest.mark.skipif(not namespace_works(), reason=NAMESPACE_SKIP)
def test_scan_of_outside_host_sends_nothing_and_errs(tmp_path):
    soon = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    host = {"address": OUTSIDE, "id": "outside", "roles": ["linux", "web"], "ssh": {"port": 22, "user": "audit"},
            "tls": [443], "http": [80], "services": [22, 80, 443]}
    facts = {"soc": {"provider": "SOC", "contract_until": soon, "manager": "192.0.2.78:1514"},
             "national_monitoring": {"connected": True, "since": "2024-03-01", "collector": "198.51.100.20:5514"}}
    inv = write_inventory(tmp_path, [agency(level=3, hosts=[host], **facts)])
    out, trace = tmp_path / "out", tmp_path / "strace.log"
    scan = [sys.executable, "-m", "fourlayer", "scan", str(inv), "--out", str(out), "--format", "json", "--quiet",
            "--no-history", "--timeout", "2"]
    proc = run_isolated(scan, trace, {**os.environ, LOOPBACK_ENV: "1"})
    assert proc.returncode in (0, 3, 4), proc.stderr
    assert outside_connects(trace.read_text()) == []
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    host_results = [r for r in doc["results"] if r["host"] == "outside"]
    judged = [r for r in host_results if r["status"] not in ("NOT_APPLICABLE", "SKIPPED")]
    assert judged, "no check was planned for the host"
    for r in judged:
        assert r["status"] == "ERROR" and f"refusing to contact {OUTSIDE}" in r["reason"], r
    by_check = {r["check_id"]: r for r in doc["results"] if not r["host"]}
    for check_id, where in (("L2-SOC-002", "192.0.2.78"), ("L4-NAT-002", "198.51.100.20")):
        assert by_check[check_id]["status"] == "ERROR" and f"refusing to contact {where}" in \
            by_check[check_id]["reason"], by_check[check_id]


def test_guard_accepts_loopback_and_refuses_names(monkeypatch):
    monkeypatch.setenv(LOOPBACK_ENV, "1")
    for address in ("127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "localhost"):
        check_allowed(address)
    for address in ("192.0.2.77", "::ffff:192.0.2.77", "2001:db8::1"):
        with pytest.raises(CollectorError, match=f"refusing to contact {re.escape(address)}"):
            check_allowed(address)
    with pytest.raises(CollectorError, match="refusing to resolve lab.example.test"):
        check_allowed("lab.example.test")  # resolving it could itself send a DNS query off the machine
    monkeypatch.setenv(LOOPBACK_ENV, "0")
    check_allowed("192.0.2.77")
