"""The zone engine end to end with real processes: a real RabbitMQ node, real `fourlayer worker` processes, a real
`fourlayer scan --broker`; and RabbitMQ's permissions keeping each zone's user to its own queue."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from kombu import Connection, Producer

from fourlayer.dispatch.app import zone_queue
from tests.zone_engine import (FOURLAYER, Tarpit, closed_port, env, host, report, results_of, scan, workers,
                               write_inventory)


def test_each_host_is_scanned_by_its_zones_worker_and_stored_once(rabbit, tmp_path):
    slow = Tarpit("127.0.61.2")
    try:
        hosts = [host("a-fast", "a", 1, closed_port("127.0.61.1")), host("a-slow", "a", 2, slow.port),
                 host("b-fast", "b", 1, closed_port("127.0.62.1"))]
        inv = write_inventory(tmp_path, hosts, zones=("a", "b"))
        with workers((tmp_path, "a", rabbit.zone_url("a"), "wa"), (tmp_path, "b", rabbit.zone_url("b"), "wb")) as ws:
            proc = scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-001")
            assert proc.returncode == 0, proc.stderr[-3000:]
            doc = report(tmp_path / "out")
            assert doc["run"]["complete"] is True
            for h in ("a-fast", "a-slow", "b-fast"):
                (r,) = results_of(doc, h)  # exactly once
                assert r["status"] == "ERROR"  # nothing speaks SSH there: the collector's own error, from the worker
            assert "a-slow" in ws[0].text() and "a-slow" not in ws[1].text()  # zone a's host on zone a's worker
            assert "b-fast" in ws[1].text() and "b-fast" not in ws[0].text()
            assert "zone a: 2/2 host(s) scanned" in proc.stderr and "scanners: celery@wa" in proc.stderr
            assert "zone_progress" not in proc.stderr and "zone b: 1/1 hosts" in proc.stderr
    finally:
        slow.close()


def test_a_zone_user_cannot_consume_or_declare_another_zones_queue(rabbit):
    with Connection(rabbit.coordinator_url) as conn:  # the queues exist, as the coordinator declares them
        for z in ("a", "b"):
            zone_queue(z)(conn.default_channel).declare()
    with Connection(rabbit.zone_url("a")) as conn:
        own = zone_queue("a")(conn.channel())
        own.declare()  # its own queue: allowed
        own.get()
    for action in ("get", "declare"):
        with Connection(rabbit.zone_url("a")) as conn:
            other = zone_queue("b")(conn.channel())
            with pytest.raises(Exception) as refused:
                getattr(other, action)()
            assert "ACCESS_REFUSED" in str(refused.value) or refused.value.__class__.__name__ == "AccessRefused"


def test_broker_unreachable_at_start_is_one_line_and_exit_2(tmp_path):
    inv = write_inventory(tmp_path, [host("a-fast", "a", 1, 22)], zones=("a",))
    url = f"amqp://coordinator:hunter2-not-shown@127.0.0.1:{closed_port('127.0.0.1')}/fourlayer"
    proc = scan(inv, tmp_path / "out", url, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --broker: cannot reach the broker"), proc.stderr
    assert "hunter2-not-shown" not in proc.stderr and "Traceback" not in proc.stderr
    assert not list((tmp_path / "out").glob("fourlayer-*.json"))


def test_amqps_verifies_the_brokers_certificate(rabbit, tmp_path):
    """Over TLS (amqps://, the broker's 5671 in docs/zones-engine.md): with the CA that signed the broker's
    certificate in $FOURLAYER_BROKER_CA the worker and the scan work; without it the certificate is refused."""
    inv = write_inventory(tmp_path, [host("a-tls", "a", 50, closed_port("127.0.61.50"))], zones=("a",))
    ca = {"FOURLAYER_BROKER_CA": str(rabbit.ca_file)}
    refused = scan(inv, tmp_path / "no-ca", rabbit.tls_url("coordinator"), timeout=60)
    assert refused.returncode == 2 and "cannot reach the broker amqps://coordinator:***@" in refused.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr or "certificate verify failed" in refused.stderr
    with workers((tmp_path, "a", rabbit.tls_url("zone-a"), "wtls", 1, ca)):
        proc = scan(inv, tmp_path / "out", rabbit.tls_url("coordinator"), "--check", "L1-SSH-001", **ca)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (r,) = results_of(report(tmp_path / "out"), "a-tls")
    assert r["status"] == "ERROR" and "scanners: celery@wtls" in proc.stderr


def test_a_zone_cannot_answer_for_another_zones_host(rabbit, tmp_path):
    """A compromised zone-a worker takes its own task (so it knows the run), then publishes a PASS for zone b's
    host, once claiming to be zone b's user (RabbitMQ refuses the lie) and once without a user id (the
    coordinator drops it): the zone-b host still ends as "no scanner in zone b answered"."""
    inv = write_inventory(tmp_path, [host("a-own", "a", 60, closed_port("127.0.61.60")),
                                     host("b-victim", "b", 60, closed_port("127.0.62.60"))], zones=("a", "b"))
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([*FOURLAYER, "scan", str(inv), "--broker", rabbit.coordinator_url,
                             "--out", str(out), "--format", "json", "--lang", "en", "--no-history", "--log-format",
                             "text", "--check", "L1-SSH-001", "--zone-timeout", "6"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env())
    try:
        with Connection(rabbit.zone_url("a")) as conn:
            queue = zone_queue("a")(conn.channel())
            deadline = time.monotonic() + 60
            while (task := queue.get(accept=["json"])) is None:
                assert time.monotonic() < deadline, "the zone-a task never arrived"
                time.sleep(0.1)
            task.ack()
            run = task.headers["id"].partition(":")[0]
            forged = {"kind": "host", "run": run, "host": "b-victim", "zone": "b", "worker": "celery@evil",
                      "results": [{"check_id": "L1-SSH-001", "layer": 1, "severity": "high", "status": "PASS",
                                   "reason": "forged", "evidence": "", "agency": "stttt-test", "system": "s1",
                                   "host": "b-victim", "scope": "host"}], "host_run": {}, "missing": []}
            producer = Producer(conn.channel())
            producer.publish(json.dumps(forged), exchange="fourlayer.results", routing_key=run,
                             content_type="application/json", content_encoding="utf-8")  # no user id
            with pytest.raises(Exception) as lie:  # RabbitMQ checks user_id against the login
                Producer(conn.channel()).publish(json.dumps(forged), exchange="fourlayer.results", routing_key=run,
                                                 content_type="application/json", content_encoding="utf-8",
                                                 user_id="zone-b")
                conn.drain_events(timeout=2)
            assert "PRECONDITION_FAILED" in str(lie.value) or "user_id" in str(lie.value), lie.value
        stderr = proc.communicate(timeout=90)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    (victim,) = results_of(report(out), "b-victim")
    assert victim["status"] == "ERROR" and victim["reason"] == "no scanner in zone b answered within 6 s"
    assert "1 from another zone's user dropped" in stderr
