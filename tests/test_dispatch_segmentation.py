"""Segmentation from every vantage point through the zone engine: each zone's real `fourlayer worker` runs the
segmentation probe from its zone (one task per zone), the coordinator judges the records against the zone policy.

The zones are loopback networks in the test's namespace, so every zone reaches every other: the one judged port
that listens (SSH of a server-zone host) is reachable from the user zone, which the Circular 12 default policy
forbids, and from the management zone, which it allows. Exactly that one violation must come out, seen from the
user zone's worker. (Real firewalls between zones: tests/test_zones_segmentation.py, with network namespaces.)
"""

from __future__ import annotations

import socket

import pytest

from tests.zone_engine import report, results_of, scan, workers, write_inventory

ZON = ("L1-ZON-001", "L1-ZON-002", "L1-ZON-003")


def test_each_zones_worker_probes_the_others_and_the_one_violation_is_reported(rabbit, tmp_path):
    ssh = socket.socket()
    try:
        ssh.bind(("127.0.61.1", 22))
    except OSError as exc:
        ssh.close()
        pytest.skip(f"cannot listen on 127.0.61.1:22 here ({exc.strerror}); run the tests in `unshare -n`")
    ssh.listen(16)
    try:
        hosts = [{"address": f"127.0.6{n}.1", "id": f"{z}1", "zone": z, "ssh": False}
                 for n, z in ((1, "a"), (2, "b"), (3, "c"))]
        inv = write_inventory(tmp_path, hosts)
        checks = [arg for c in ZON for arg in ("--check", c)]
        with workers(*[(tmp_path, z, rabbit.zone_url(z), f"w{z}", 1) for z in ("a", "b", "c")]) as ws:
            proc = scan(inv, tmp_path / "out", rabbit.coordinator_url, *checks, "--timeout", "1")
        assert proc.returncode == 0, proc.stderr[-3000:]
        for w, z in zip(ws, "abc"):
            assert f"probing segmentation from zone {z}" in w.text()
        doc = report(tmp_path / "out")
        seg = doc["segmentation"]
        assert seg["vantage_zones"] == ["a", "b", "c"] and seg["missing_zones"] == []
        cells = {(c["src"], c["dst"]): c for c in seg["cells"]}
        assert cells[("b", "a")]["status"] == "violation"
        assert [(d["host"], d["port"], d["allowed"]) for d in cells[("b", "a")]["details"]] == [("a1", 22, False)]
        assert cells[("c", "a")]["status"] == "open_allowed"  # the management zone may administer servers
        assert seg["totals"]["violations"] == 1
        assert [k for k, c in cells.items() if c["status"] == "violation"] == [("b", "a")]
        verdicts = {(r["host"], r["check_id"]): r for r in doc["results"]}
        fail = verdicts[("a1", "L1-ZON-001")]
        assert fail["status"] == "FAIL" and "22" in fail["reason"] and "b" in fail["reason"], fail
        for h in ("b1", "c1"):
            assert {r["status"] for r in results_of(doc, h) if r["check_id"] == "L1-ZON-001"} <= {"PASS",
                                                                                                 "NOT_APPLICABLE"}
    finally:
        ssh.close()
