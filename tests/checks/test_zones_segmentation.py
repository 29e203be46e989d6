"""Segmentation between REAL zones: three network namespaces behind a router namespace whose nftables forward
chain is the lab firewall, real TCP listeners, and the probe run from inside each zone.

The lab firewall follows the Circular 12 default policy except in one known place: the user zone may reach
SSH (22) of app1 in the server zone. Exactly that violation must come out — in L1-ZON-001 and L1-ZON-003 of
app1, and in the report's matrix — and nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from fourlayer.checks.layer1 import zones as zone_checks  # noqa: F401  (registration)
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import load_policy
from fourlayer.core.discovery import discover
from fourlayer.core.runner import ScanOptions, run_scan
from fourlayer.reports.document import build_document
from fourlayer.reports.html_report import render_html
from fourlayer.reports.json_report import load_schema, render_json
from tests.zone_lab import ROOT, LAB_SKIP, ZoneLab, lab_works, leftover_namespaces

ZONE_CHECKS = ("L1-ZON-001", "L1-ZON-002", "L1-ZON-003")
PROBE = """
import json, sys
from fourlayer.config.inventory_load import load_inventory
from fourlayer.collectors.segmentation import probe_from_zone
inv = load_inventory(sys.argv[1])
print(json.dumps(probe_from_zone(inv, sys.argv[2], timeout_s=0.6, rate=1000)))
"""

pytestmark = pytest.mark.skipif(not lab_works(), reason=LAB_SKIP)


def inventory_text(lab: ZoneLab) -> str:
    u, s, m = (lambda n: lab.address("users", n)), (lambda n: lab.address("servers", n)), \
        (lambda n: lab.address("mgmt", n))
    return f"""\
version: 1
zones:
  - {{id: users, name: Vùng người dùng, kind: user, networks: [{lab.net("users")}]}}
  - {{id: servers, name: Vùng máy chủ, kind: server, networks: [{lab.net("servers")}]}}
  - {{id: mgmt, name: Vùng quản trị, kind: management, networks: [{lab.net("mgmt")}]}}
agencies:
  - id: stttt-lab
    name: Sở Thông tin và Truyền thông (phòng thí nghiệm)
    systems:
      - id: his
        name: Hệ thống thông tin bệnh viện
        level: 3
        hosts:
          - {{address: {u(0)}, id: ws1, ssh: false}}
          - {{address: {s(0)}, id: app1, ssh: false}}
          - {{address: {s(1)}, id: db1, ssh: false, zone: servers}}
          - {{address: {m(0)}, id: jump1, ssh: false}}
"""


def lab_firewall_and_listeners(zlab: ZoneLab, extra_rules: str = "") -> None:
    """The lab firewall (the Circular 12 default except the one known hole: users -> SSH of app1) and the
    listeners behind it; `extra_rules` go first (tests/dispatch/test_dispatch_netns.py: the workers' rule to the broker)."""
    nets = {z: zlab.net(z) for z in zlab.zones}
    zlab.firewall(f"""{extra_rules}
  ip saddr {nets['mgmt']} ip daddr {nets['servers']} tcp dport {{22, 5432}} accept
  ip saddr {nets['servers']} ip daddr {nets['mgmt']} tcp dport 22 reject with tcp reset
  ip saddr {nets['users']} ip daddr {zlab.address('servers', 0)} tcp dport 22 accept
  ip saddr {nets['users']} ip daddr {nets['servers']} tcp dport 3389 reject with icmpx type admin-prohibited
  ip saddr {nets['users']} ip daddr {nets['servers']} tcp dport 5432 reject with icmp type port-unreachable""")
    app1, db1 = zlab.address("servers", 0), zlab.address("servers", 1)
    zlab.listen("servers", [(app1, 22), (app1, 5432), (db1, 22), (db1, 5432)])
    zlab.listen("mgmt", [(zlab.address("mgmt", 0), 22)])
    zlab.listen("users", [(zlab.address("users", 0), 22)])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    zlab = ZoneLab(["users", "servers", "mgmt"], base=77)
    try:
        zlab.up(hosts_per_zone=2)
        lab_firewall_and_listeners(zlab)
        inv = tmp_path_factory.mktemp("zones") / "zones.yaml"
        inv.write_text(inventory_text(zlab), encoding="utf-8")
        zlab.inventory = inv
        zlab.records = {z: probe(zlab, z) for z in zlab.zones}
        yield zlab
    finally:
        zlab.close()
    assert leftover_namespaces(zlab.tag) == []


def probe(lab: ZoneLab, zone: str) -> list[dict]:
    done = lab.run(zone, [sys.executable, "-c", PROBE, str(lab.inventory), zone],
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def judge(lab: ZoneLab, vantage: list[str]):
    """The zone checks on the records of `vantage` zones only, as a coordinator would judge them."""
    inv = load_inventory(lab.inventory)
    records = [r for z in vantage for r in lab.records[z]]
    checks = [c for c in discover().all() if c.meta.id in ZONE_CHECKS]
    run = run_scan(inv, load_policy(inv.policy_path), checks,
                   ScanOptions(segmentation={"records": records, "vantage_zones": vantage}))
    return run, inv, {(r.host, r.check_id): r for r in run.results}


def test_probe_tells_open_closed_and_filtered_apart(lab):
    states = {(r["dst_host"], r["port"]): (r["state"], r["why"]) for r in lab.records["users"]}
    assert states[("app1", 22)][0] == "open"
    assert states[("app1", 5432)][0] == "filtered" and "ICMP" in states[("app1", 5432)][1]  # reject, not RST
    assert states[("app1", 3389)][0] == "filtered" and "ICMP" in states[("app1", 3389)][1]
    assert states[("app1", 1433)] == ("filtered", "no answer within 0.6 s (dropped)")
    servers = {(r["dst_host"], r["port"]): r["state"] for r in lab.records["servers"]}
    assert servers[("jump1", 22)] == "closed"  # the firewall's TCP reset: indistinguishable from the host's
    assert not any(r["dst_zone"] == "users" for z in lab.zones for r in lab.records[z])  # nothing judged there
    assert all(r["src_zone"] != r["dst_zone"] for z in lab.zones for r in lab.records[z])
    mgmt = {(r["dst_host"], r["port"]): r["state"] for r in lab.records["mgmt"]}
    assert {k for k, v in mgmt.items() if v == "open"} == {("app1", 22), ("app1", 5432), ("db1", 22), ("db1", 5432)}


def test_exactly_the_one_violation_is_reported_and_drawn(lab):
    run, inv, res = judge(lab, list(lab.zones))
    status = {k: r.status.value for k, r in res.items()}
    assert status[("app1", "L1-ZON-001")] == "FAIL"
    assert status[("app1", "L1-ZON-003")] == "FAIL"
    assert "from users" in res[("app1", "L1-ZON-001")].reason and ":22" in res[("app1", "L1-ZON-001")].reason
    assert "users -> app1" in res[("app1", "L1-ZON-003")].evidence
    assert res[("app1", "L1-ZON-001")].reason_vi.startswith("có thể truy cập cổng quản trị")
    fails = sorted(k for k, v in status.items() if v == "FAIL")
    assert fails == [("app1", "L1-ZON-001"), ("app1", "L1-ZON-003")]
    assert not [k for k, v in status.items() if v == "ERROR"]
    assert {status[("db1", c)] for c in ZONE_CHECKS} == {"PASS"}
    assert {status[("jump1", c)] for c in ZONE_CHECKS} == {"PASS"}
    assert {status[("ws1", c)] for c in ZONE_CHECKS} == {"NOT_APPLICABLE"}
    doc = build_document(run, inv)
    cells = {(c["src"], c["dst"]): c for c in doc["segmentation"]["cells"]}
    assert [k for k, c in cells.items() if c["status"] == "violation"] == [("users", "servers")]
    leak = cells[("users", "servers")]
    assert leak["violations"] == 1 and leak["details"] == [
        {"host": "app1", "address": lab.address("servers", 0), "port": 22, "group": "admin", "allowed": False}]
    assert cells[("mgmt", "servers")]["status"] == "open_allowed"
    assert cells[("servers", "mgmt")]["status"] == "ok" and cells[("users", "mgmt")]["status"] == "ok"
    assert cells[("mgmt", "users")]["status"] == "not_judged"
    for lang in ("vi", "en"):
        html = render_html(doc, lang)
        assert html.count('z-violation" data-src') == 1  # one red cell (the legend aside)
        assert 'z-violation" data-src="users" data-dst="servers"' in html
        assert f"app1</code> {lab.address('servers', 0)}:22" in html
    schema = load_schema()
    jsonschema.Draft202012Validator(schema).validate(json.loads(render_json(doc)))  # plain JSON, as published


def test_a_silent_vantage_zone_is_an_error_never_a_pass(lab):
    _, inv, res = judge(lab, ["users", "servers"])  # mgmt's probe did not report
    status = {k: r.status.value for k, r in res.items()}
    assert status[("app1", "L1-ZON-001")] == "FAIL"  # what users saw already fails
    assert status[("app1", "L1-ZON-003")] == "FAIL" and "not reported by zone(s) mgmt" in res[("app1", "L1-ZON-003")].reason
    assert status[("db1", "L1-ZON-003")] == "ERROR" and "mgmt" in res[("db1", "L1-ZON-003")].reason
    assert "vùng mgmt chưa gửi kết quả" in res[("db1", "L1-ZON-003")].reason_vi
    assert status[("db1", "L1-ZON-001")] == "PASS"  # judged from the user zone only, which reported
    _, _, res = judge(lab, ["servers", "mgmt"])  # the user zone is silent: L1-ZON-001 cannot pass anywhere
    assert {res[(h, "L1-ZON-001")].status.value for h in ("app1", "db1", "jump1")} == {"ERROR"}


def test_in_process_scan_probes_from_the_zone_it_sits_in(lab, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fourlayer", "scan", str(lab.inventory), "--out", str(out), "--no-history",
           "--quiet", "--timeout", "0.6", "--format", "json,html", "--lang", "en"]
    for c in ZONE_CHECKS:
        cmd += ["--check", c]
    done = lab.run("users", cmd, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    res = {(r["host"], r["check_id"]): r for r in doc["results"]}
    assert res[("app1", "L1-ZON-001")]["status"] == "FAIL"
    assert res[("db1", "L1-ZON-001")]["status"] == "PASS"
    assert res[("db1", "L1-ZON-003")]["status"] == "ERROR"  # the other zones are no vantage point of this scan
    assert doc["segmentation"]["vantage_zones"] == ["users"]
    assert set(doc["segmentation"]["missing_zones"]) == {"servers", "mgmt"}
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert html.count('z-not_observed" data-src') == 4  # the rows of the two zones that did not probe
    assert 'z-violation" data-src="users" data-dst="servers"' in html


def test_scan_from_no_zone_says_there_is_no_vantage_point(lab, tmp_path):
    inv = load_inventory(lab.inventory)  # this process sits in the root namespace: none of the lab's networks
    checks = [c for c in discover().all() if c.meta.id in ZONE_CHECKS]
    run = run_scan(inv, {}, checks, ScanOptions())
    by = {(r.host, r.check_id): r for r in run.results}
    assert by[("app1", "L1-ZON-001")].status.value == "ERROR"
    assert "no vantage point" in by[("app1", "L1-ZON-001")].reason
    assert by[("ws1", "L1-ZON-001")].status.value == "ERROR"  # no evidence at all, not even its own zone's kind
    assert run.segmentation == {"records": [], "vantage_zones": []}


def test_a_database_reachable_from_the_user_zone_fails_l1_zon_002(lab):
    """A second firewall state: the user zone now reaches PostgreSQL of db1 (and the first leak stays)."""
    nets = {z: lab.net(z) for z in lab.zones}
    db1 = lab.address("servers", 1)
    try:
        lab.firewall(f"""
  ip saddr {nets['mgmt']} ip daddr {nets['servers']} tcp dport {{22, 5432}} accept
  ip saddr {nets['users']} ip daddr {lab.address('servers', 0)} tcp dport 22 accept
  ip saddr {nets['users']} ip daddr {db1} tcp dport 5432 accept""")
        records = dict(lab.records, users=probe(lab, "users"))
        saved, lab.records = lab.records, records
        try:
            _, _, res = judge(lab, list(lab.zones))
        finally:
            lab.records = saved
    finally:
        lab.firewall(f"""
  ip saddr {nets['mgmt']} ip daddr {nets['servers']} tcp dport {{22, 5432}} accept
  ip saddr {nets['servers']} ip daddr {nets['mgmt']} tcp dport 22 reject with tcp reset
  ip saddr {nets['users']} ip daddr {lab.address('servers', 0)} tcp dport 22 accept""")
    assert res[("db1", "L1-ZON-002")].status.value == "FAIL"
    assert f"{db1}:5432 from users" in res[("db1", "L1-ZON-002")].reason
    assert res[("db1", "L1-ZON-002")].reason_vi.startswith("có thể truy cập cổng cơ sở dữ liệu")
    assert res[("db1", "L1-ZON-003")].status.value == "FAIL"
    assert res[("db1", "L1-ZON-001")].status.value == "PASS"  # 5432 is no administration port
    assert res[("app1", "L1-ZON-002")].status.value == "PASS"


def test_namespaces_are_removed_on_failure():
    zlab = ZoneLab(["a", "b"], base=79, tag=f"{subprocess.os.getpid() % 100000}f")
    with pytest.raises(RuntimeError):
        try:
            zlab.up(1)
            zlab.firewall("this is not nft syntax")
        finally:
            zlab.close()
    assert leftover_namespaces(zlab.tag) == []
