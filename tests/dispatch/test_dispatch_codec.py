"""What crosses the broker, without a broker: a host's declared description, the whole inventory for a zone's
segmentation probe and a result go through JSON and come back equal (fourlayer/dispatch/codec.py), and the
broker URL is never shown with its password."""

from __future__ import annotations

import json

from fourlayer.config.inventory_load import load_inventory
from fourlayer.core.model import Result, Severity, Status
from fourlayer.dispatch.app import redact, zone_permissions
from fourlayer.dispatch.codec import (host_description, inventory_from_json, inventory_to_json, result_from_json,
                                      result_to_json, target_parts)
from tests.zone_engine import host, write_inventory


def _wire(value):
    return json.loads(json.dumps(value))  # exactly what a JSON message can carry


def test_host_and_inventory_survive_the_wire(tmp_path):
    hosts = [host("a1", "a", 1, 2222, user="audit", key_file="/etc/fourlayer/id_ed25519",
                  known_hosts="/etc/fourlayer/known_hosts", password_env="AUDIT_PW"),
             {"address": "127.0.62.1", "id": "b1", "zone": "b", "ssh": False, "tls": [8443]}]
    inv = load_inventory(str(write_inventory(tmp_path, hosts, zones=("a", "b"))))
    for agency, system, h in inv.iter_hosts():
        a2, s2, h2 = target_parts(_wire(host_description(agency, system, h)))
        assert h2 == h and s2.level == system.level and a2.id == agency.id
    back = inventory_from_json(_wire(inventory_to_json(inv)))
    assert back.zones == inv.zones and list(back.iter_hosts()) == list(inv.iter_hosts())
    assert back.zone_policy.guarded == inv.zone_policy.guarded and back.zone_policy.allow == inv.zone_policy.allow
    (a1,) = [h for _, _, h in back.iter_hosts() if h.id == "a1"]
    assert a1.ssh.password_env == "AUDIT_PW" and a1.ssh.key_file == "/etc/fourlayer/id_ed25519"  # references


def test_a_result_survives_the_wire():
    r = Result(check_id="L1-SSH-001", layer=1, severity=Severity("high"), status=Status.FAIL, reason="weak kex",
               evidence="kex: diffie-hellman-group1-sha1", agency="ag", system="s1", host="h1", scope="host",
               duration_ms=1.25, reason_vi="trao đổi khóa yếu", extra={"port": 22})
    assert result_from_json(_wire(result_to_json(r))) == r


def test_broker_url_shown_without_password_and_zone_rights_are_its_own():
    assert redact("amqps://zone-dmz:s3cret@broker.example:5671/fourlayer") == \
        "amqps://zone-dmz:***@broker.example:5671/fourlayer"
    configure, write, read = zone_permissions("dmz")
    assert configure == read == "^fourlayer\\.zone\\.dmz$"
    assert write == "^(fourlayer\\.zone\\.dmz|fourlayer\\.results|fourlayer\\.dead)$"
