"""Zones in the inventory and the zone policy: every refusal is one line naming file, line, field and the fix;
and the probe's bounds (deadline, rate) on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from fourlayer.collectors.reachability import scanner_zone
from fourlayer.collectors.segmentation import probe_from_zone
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.zone_policy import DEFAULT_ZONE_POLICY
from fourlayer.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "inventory" / "schema.json"

ZONES = """\
version: 1
zones:
  - {id: users, name: Vùng người dùng, kind: user, networks: [10.1.0.0/24]}
  - id: srv
    name: Vùng máy chủ
    kind: server
    networks: [10.2.0.0/24, "fd00:2::/64"]
    description: Máy chủ ứng dụng
"""
AGENCY = """\
agencies:
  - id: a
    name: Sở A
    systems:
      - id: s
        name: Hệ thống S
        level: 3
        hosts:
"""


def inv(tmp_path: Path, hosts: list[str], zones: str = ZONES, extra: str = "") -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(zones + extra + AGENCY + "".join(f"          - {h}\n" for h in hosts), encoding="utf-8")
    return path


def refused(path: Path, needle: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_inventory(path)
    err = info.value
    text = str(err)
    assert "\n" not in text and text.startswith(f"{path}:{err.line}:"), text
    lines = path.read_text(encoding="utf-8").splitlines()
    assert needle in lines[err.line - 1], (text, lines[err.line - 1])
    return err


def test_hosts_are_placed_in_their_zone(tmp_path):
    loaded = load_inventory(inv(tmp_path, ["{address: 10.1.0.5, id: ws}", "{address: 10.2.0.9, id: app, zone: srv}",
                                           "{address: 'fd00:2::9', id: app6}", "{address: db.lan, id: db, zone: srv}"]))
    assert [(h.id, h.zone) for _, _, h in loaded.iter_hosts()] == [("ws", "users"), ("app", "srv"),
                                                                    ("app6", "srv"), ("db", "srv")]
    assert [(z.id, z.kind, z.networks, z.line) for z in loaded.zones] == [
        ("users", "user", ("10.1.0.0/24",), 3), ("srv", "server", ("10.2.0.0/24", "fd00:2::/64"), 4)]
    assert loaded.zone_policy.source == "default"
    assert loaded.zone_policy.judged_ports(loaded.zones[1]) >= {22, 3389, 5432}


def test_without_zones_nothing_changes(tmp_path):
    loaded = load_inventory(inv(tmp_path, ["{address: 10.9.9.9}"], zones="version: 1\n"))
    assert loaded.zones == () and loaded.zone_policy is None
    assert next(loaded.iter_hosts())[2].zone is None


@pytest.mark.parametrize("zones, needle, message", [
    (ZONES.replace("kind: user", "kind: usr"), "kind: usr", "did you mean 'user'?"),
    (ZONES.replace("kind: server", "kind: sever"), "kind: sever", "did you mean 'server'?"),
    (ZONES.replace("10.1.0.0/24", "10.1.0.7/24"), "10.1.0.7/24", "host bits set; write the network address: 10.1.0.0/24"),
    (ZONES.replace("10.1.0.0/24", "10.1.0.0"), "networks: [10.1.0.0]", "expected a CIDR"),
    (ZONES.replace("10.1.0.0/24", "10.2.0.0/16"), "10.2.0.0/24", "overlaps 10.2.0.0/16 of zone 'users' (line 3)"),
    (ZONES.replace("id: srv", "id: users"), "id: users", "duplicate zone id 'users'"),
    (ZONES.replace(", networks: [10.1.0.0/24]", ""), "id: users", "add networks:"),
    ("version: 1\nzones: []\n", "zones: []", "expected a list of zones"),
    (ZONES.replace("[10.2.0.0/24,", "[10.2.0.0/24, 10.2.0.128/25,"), "10.2.0.128/25", "overlaps 10.2.0.0/24 of zone 'srv'"),
    (ZONES.replace("[10.1.0.0/24]", "[10.2.0.64/26]"), "10.2.0.0/24", "overlaps 10.2.0.64/26 of zone 'users'"),
    (ZONES.replace('"fd00:2::/64"', '"fd00::/16"').replace("[10.1.0.0/24]", '[10.1.0.0/24, "fd00:2:0:0:1::/80"]'),
     "fd00::/16", "overlaps fd00:2:0:0:1::/80 of zone 'users'"),
])
def test_bad_zones_are_refused(tmp_path, zones, needle, message):
    err = refused(inv(tmp_path, ["{address: 10.2.0.1}"], zones=zones), needle)
    assert message in str(err)


@pytest.mark.parametrize("host, message", [
    ("{address: 10.3.0.1, id: lost}", "10.3.0.1 is in no declared zone; add its network to a zone's networks: or "
                                      "set zone: <id> on this host"),
    ("{address: 10.1.0.1, id: wrong, zone: srv}", "10.1.0.1 is not in zone 'srv' (networks 10.2.0.0/24, "
                                                  "fd00:2::/64); fix the address, the zone: or the zone's networks"),
    ("{address: 10.2.0.1, id: typo, zone: sv}", "no zone 'sv'; did you mean 'srv'?"),
    ("{address: app.lan, id: named}", "app.lan is a name, so no zone's networks can place it; add zone: <id>"),
])
def test_a_host_outside_exactly_one_zone_is_refused(tmp_path, host, message):
    err = refused(inv(tmp_path, ["{address: 10.2.0.9, id: ok}", host]), host[:20])
    assert message in str(err)


def test_a_large_inventory_places_hosts_quickly(tmp_path):
    nets = ", ".join(f"10.{i // 256}.{i % 256}.0/24" for i in range(5000))
    zones = f"version: 1\nzones:\n  - {{id: big, name: Vùng lớn, kind: server, networks: [{nets}]}}\n"
    hosts = [f"{{address: 10.{i // 256}.{i % 256}.9, ssh: false}}" for i in range(0, 5000, 2)]
    start = time.perf_counter()
    loaded = load_inventory(inv(tmp_path, hosts, zones=zones))
    assert time.perf_counter() - start < 10  # the YAML parse dominates; the zone lookups are binary searches
    assert {h.zone for _, _, h in loaded.iter_hosts()} == {"big"}
    too_many = ", ".join(f"10.{i // 256}.{i % 256}.0/24" for i in range(10_001))
    err = refused(inv(tmp_path, hosts[:1], zones=zones.replace(nets, too_many)), "networks:")
    assert "more than 10000 networks" in str(err)


def test_zone_keys_need_zones(tmp_path):
    err = refused(inv(tmp_path, ["{address: 10.1.0.5, zone: users}"], zones="version: 1\n"), "zone: users")
    assert "declares no zones:" in str(err)
    err = refused(inv(tmp_path, ["{address: 10.1.0.5}"], zones="version: 1\n", extra="zone_policy: zp.yaml\n"),
                  "zone_policy")
    assert "a zone policy needs zones" in str(err)


POLICY = """\
zone_policy:
  version: 1
  port_groups:
    admin: {name: {en: admin, vi: quản trị}, ports: [22]}
    database: {name: {en: databases, vi: cơ sở dữ liệu}, ports: [5432]}
  guarded: [{to: [server], ports: [admin, database]}]
  allow:
    - {from: [users], to: [srv], ports: [22]}
"""


def test_an_inline_zone_policy_replaces_the_default(tmp_path):
    loaded = load_inventory(inv(tmp_path, ["{address: 10.2.0.9}"], extra=POLICY))
    users, srv = loaded.zones
    policy = loaded.zone_policy
    assert policy.judged_ports(srv) == {22, 5432} and policy.judged_ports(users) == frozenset()
    assert policy.allows(users, srv, 22) and not policy.allows(users, srv, 5432)
    assert policy.allows(srv, users, 3389)  # not judged by this policy
    assert policy.group_of(5432) == "database"


@pytest.mark.parametrize("edit, needle, message", [
    (lambda p: p.replace("to: [srv], ports: [22]}", "to: [srv], ports: [ssh]}"), "ports: [ssh]}",
     "no port group 'ssh'; the groups are: admin, database"),
    (lambda p: p.replace("from: [users]", "from: [usres]"), "from: [usres]", "did you mean 'users'?"),
    (lambda p: p.replace("    database: {name: {en: databases, vi: cơ sở dữ liệu}, ports: [5432]}\n", "")
                .replace("admin, database", "admin"), "port_groups:", "no port group 'database'"),
    (lambda p: p.replace("ports: [5432]", "ports: [70000]"), "70000", "expected a TCP port number"),
    (lambda p: p.replace("  guarded: [{to: [server], ports: [admin, database]}]\n", ""), "version: 1",
     "add guarded:"),
    (lambda p: p.replace("version: 1\n  port", "version: 2\n  port"), "version: 2", "expected 1"),
    (lambda p: p.replace("{from: [users]", "{form: [users]"), "form:", "did you mean 'from'?"),
])
def test_bad_zone_policies_are_refused(tmp_path, edit, needle, message):
    err = refused(inv(tmp_path, ["{address: 10.2.0.9}"], extra=edit(POLICY)), needle)
    assert message in str(err)


def test_a_zone_policy_file(tmp_path):
    (tmp_path / "zp.yaml").write_text(DEFAULT_ZONE_POLICY.read_text(encoding="utf-8").replace(
        "from: [server], to: [database]", "from: [srv], to: [database]"), encoding="utf-8")
    loaded = load_inventory(inv(tmp_path, ["{address: 10.2.0.9}"], extra="zone_policy: zp.yaml\n"))
    assert loaded.zone_policy.source == str(tmp_path / "zp.yaml")
    (tmp_path / "zp.yaml").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inventory(tmp_path / "inv.yaml")
    assert "not a fourlayer zone policy file" in str(info.value) and "root:x" not in str(info.value)
    err = refused(inv(tmp_path, ["{address: 10.2.0.9}"], extra="zone_policy: missing.yaml\n"), "zone_policy")
    assert "zone policy file not found" in str(err)
    bad = DEFAULT_ZONE_POLICY.read_text(encoding="utf-8").replace("to: [database], ports: [database]",
                                                                  "to: [databse], ports: [database]")
    (tmp_path / "zp.yaml").write_text(bad, encoding="utf-8")
    inv(tmp_path, ["{address: 10.2.0.9}"], extra="zone_policy: zp.yaml\n")
    with pytest.raises(InputError) as info:
        load_inventory(tmp_path / "inv.yaml")
    assert str(info.value).startswith(f"{tmp_path / 'zp.yaml'}:") and "did you mean 'database'?" in str(info.value)


def test_the_zones_example_loads_and_matches_the_schema():
    example = ROOT / "inventory" / "example-zones.yaml"
    loaded = load_inventory(example)
    assert {h.id: h.zone for _, _, h in loaded.iter_hosts()} == {
        "portal-web": "dmz", "portal-app": "servers", "portal-db": "db", "jump1": "mgmt"}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(
        yaml.safe_load(example.read_text(encoding="utf-8")))) == []


def test_schema_knows_zones_and_the_policy(tmp_path):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["ZoneIn"]["properties"]) == {"id", "name", "kind", "networks", "description"}
    validator = jsonschema.Draft202012Validator(schema)
    doc = yaml.safe_load((ZONES + POLICY + AGENCY + "          - {address: 10.2.0.9, zone: srv}\n"))
    assert list(validator.iter_errors(doc)) == []
    default = yaml.safe_load(DEFAULT_ZONE_POLICY.read_text(encoding="utf-8"))
    assert list(validator.iter_errors({**doc, "zone_policy": default})) == []
    doc["zones"][0]["kind"] = "usr"
    assert list(validator.iter_errors(doc))


def test_cli_refuses_with_one_line_and_exit_2(tmp_path):
    path = inv(tmp_path, ["{address: 10.3.0.1}"])
    done = subprocess.run([sys.executable, "-m", "fourlayer", "inventory", "validate", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "in no declared zone" in done.stderr
    good = inv(tmp_path, ["{address: 10.2.0.1, ssh: false}"])
    done = subprocess.run([sys.executable, "-m", "fourlayer", "scan", str(good), "--from-zone", "servers",
                           "--no-history", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2 and "no zone 'servers'" in done.stderr and done.stderr.count("\n") == 1


def test_scanner_zone_from_its_addresses(tmp_path):
    loaded = load_inventory(inv(tmp_path, ["{address: 10.2.0.9}"]))
    assert scanner_zone(loaded, addresses=["127.0.0.1", "10.2.0.77"]) == "srv"
    assert scanner_zone(loaded, addresses=["127.0.0.1", "fe80::1", "192.0.2.1"]) is None
    assert scanner_zone(loaded, "users", addresses=[]) == "users"


LOOP_ZONES = """\
version: 1
zones:
  - {id: a, name: Vùng A, kind: user, networks: [127.0.1.0/24]}
  - {id: b, name: Vùng B, kind: database, networks: [127.0.2.0/24]}
"""


def test_probe_is_bounded_by_rate_and_deadline(tmp_path):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.2.20", 5432))
    listener.listen(8)
    try:
        loaded = load_inventory(inv(tmp_path, ["{address: 127.0.2.20, ssh: false}", "{address: 127.0.1.5, ssh: false}"],
                                    zones=LOOP_ZONES))
        start = time.monotonic()
        records = probe_from_zone(loaded, "a", timeout_s=1.0, rate=100)
        took = time.monotonic() - start
        ports = len(loaded.zone_policy.judged_ports(loaded.zones[1]))
        assert len(records) == ports and took >= (ports - 1) / 100 * 0.9  # 100 connects a second at most
        by_port = {r["port"]: r for r in records}
        assert by_port[5432]["state"] == "open" and by_port[22]["state"] == "closed"
        assert by_port[22]["why"] == "TCP RST (nothing listens)"
        assert {r["src_zone"] for r in records} == {"a"} and {r["dst_zone"] for r in records} == {"b"}
        json.dumps(records)
        late = probe_from_zone(loaded, "a", rate=1, deadline=time.monotonic() + 0.5)
        assert len(late) == ports and {r["state"] for r in late} == {"closed", "unprobed"}  # port 22 first
        assert sum(r["state"] == "unprobed" for r in late) == ports - 1
        assert probe_from_zone(loaded, "b") == []  # the user zone has no port the policy judges
        assert probe_from_zone(loaded, "a", only={"127.0.1.5"}) == []  # hosts outside the scan are not probed
    finally:
        listener.close()


def test_malformed_records_from_a_worker_are_dropped(tmp_path):
    from fourlayer.collectors.reachability import assemble

    loaded = load_inventory(inv(tmp_path, ["{address: 127.0.2.20, id: db, ssh: false}",
                                           "{address: 127.0.1.5, id: ws, ssh: false}"], zones=LOOP_ZONES))
    good = {"src_zone": "a", "dst_host": "db", "dst_address": "127.0.2.20", "dst_zone": "b", "port": 5432,
            "state": "open", "ms": 0.3, "why": "handshake completed\x1b[31m"}
    bad = [{**good, "port": "5432"}, {**good, "state": "wide open"}, {**good, "src_zone": "z"},
           {**good, "dst_host": "nobody"}, {**good, "src_zone": "b"}, {**good, "port": 0}, "not a record", None,
           {k: v for k, v in good.items() if k != "state"}]
    table = assemble(loaded, [good, *bad], ["a"])
    records = table["db"]["records"]
    assert len(records) == 1 and records[0]["why"] == "handshake completed\\x1b[31m"  # escaped, bounded
    assert records[0]["allowed"] is False and records[0]["group"] == "database"
    assert table["db"]["missing_zones"] == [] and table["ws"]["records"] == []
