"""The issue's end-to-end test: three REAL zones (network namespaces behind a router whose nftables forward
chain is the lab firewall), a real `fourlayer worker` inside each zone reaching the broker only through that
firewall (the one rule a zone needs: worker -> broker), and `fourlayer scan --broker`. The firewall follows the
Circular 12 default policy except in one known place (the user zone may reach SSH of app1 in the server zone):
the scan must report exactly that violation, and the report's matrix must show it.
"""

from __future__ import annotations

import pytest

from tests.rabbitmq_node import PASSWORD, VHOST
from tests.checks.test_zones_segmentation import ZONE_CHECKS, inventory_text, lab_firewall_and_listeners
from tests.zone_engine import BrokerRelay, Worker, report, scan
from tests.zone_lab import LAB_SKIP, ZoneLab, lab_works, leftover_namespaces

pytestmark = pytest.mark.skipif(not lab_works(), reason=LAB_SKIP)
ZONES = ["users", "servers", "mgmt"]


def test_three_real_zones_a_worker_in_each_and_exactly_the_one_violation(rabbit, tmp_path):
    zlab = ZoneLab([*ZONES, "core"], base=78)  # "core": where the broker is reached (not a declared zone)
    relay, workers = None, []
    try:
        zlab.up(hosts_per_zone=2)
        n = {z: zlab.net(z) for z in zlab.zones}
        broker = zlab.address("core", 0)
        lab_firewall_and_listeners(zlab, f"  ip saddr {{ {n['users']}, {n['servers']}, {n['mgmt']} }} "
                                         f"ip daddr {broker} tcp dport 5672 accept")  # the one rule a zone needs
        relay = BrokerRelay(tmp_path, zlab.ns("core"), broker, 5672, rabbit.port)
        inv = tmp_path / "zones.yaml"
        inv.write_text(inventory_text(zlab), encoding="utf-8")
        for z in ZONES:
            url = f"amqp://zone-{z}:{PASSWORD}@{broker}:5672/{VHOST}"
            workers.append(Worker(tmp_path, z, url, f"w-{z}", 2, None, netns=zlab.ns(z)))
        for w in workers:
            w.wait_for("ready", 90)
        checks = [a for c in ZONE_CHECKS for a in ("--check", c)]
        proc = scan(inv, tmp_path / "out", rabbit.coordinator_url, *checks, "--timeout", "1", timeout=180)
        assert proc.returncode == 0, proc.stderr[-3000:]
        for w, z in zip(workers, ZONES):
            assert f"probing segmentation from zone {z}" in w.text()
        doc = report(tmp_path / "out")
        status = {(r["host"], r["check_id"]): r["status"] for r in doc["results"]}
        assert sorted(k for k, v in status.items() if v == "FAIL") == [("app1", "L1-ZON-001"), ("app1", "L1-ZON-003")]
        assert not [k for k, v in status.items() if v == "ERROR"], status
        fail = next(r for r in doc["results"] if (r["host"], r["check_id"]) == ("app1", "L1-ZON-001"))
        assert "from users" in fail["reason"] and ":22" in fail["reason"]
        seg = doc["segmentation"]
        assert seg["vantage_zones"] == sorted(ZONES) and seg["totals"]["violations"] == 1
        cells = {(c["src"], c["dst"]): c for c in seg["cells"]}
        assert [k for k, c in cells.items() if c["status"] == "violation"] == [("users", "servers")]
        assert [(d["host"], d["port"]) for d in cells[("users", "servers")]["details"] if not d["allowed"]] == \
            [("app1", 22)]
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.kill()
        if relay is not None:
            relay.close()
        zlab.close()
    assert leftover_namespaces(zlab.tag) == []
