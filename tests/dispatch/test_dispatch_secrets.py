"""Secrets never travel: every message the broker handled during a real `fourlayer scan --broker` of a host that
the worker logs in to with a key (and whose inventory names a password variable) is read from RabbitMQ's own
firehose tracer (`rabbitmqctl trace_on`), and none holds the key, the password, a passphrase or a broker password.
"""

from __future__ import annotations

import base64
import json

from kombu import Connection, Exchange, Queue

from tests.rabbitmq_node import PASSWORD, VHOST
from tests.zone_engine import host, report, results_of, scan, workers, write_inventory

SSH_PASSWORD = "pw-never-on-the-wire-5f1c"
PASSPHRASE = "passphrase-never-on-the-wire-9a2e"


def _tap(rabbit) -> tuple[str, Queue]:
    """A queue bound to amq.rabbitmq.trace: a copy of every message published and delivered in the vhost."""
    rabbit.ctl("trace_on", "-p", VHOST)
    url = rabbit.url("tap")
    queue = Queue("tap", Exchange("amq.rabbitmq.trace", "topic", durable=True, internal=True), routing_key="#",
                  durable=False, auto_delete=False)
    with Connection(url) as conn:
        queue(conn.default_channel).declare(nowait=False)
    return url, queue


def _read_all(url: str, queue: Queue) -> list[tuple[str, bytes, dict]]:
    seen = []
    with Connection(url) as conn:
        q = queue(conn.default_channel)
        while (m := q.get(no_ack=True, accept=["json", "application/data"])) is not None:
            seen.append((m.delivery_info["routing_key"], m.body if isinstance(m.body, bytes) else m.body.encode(),
                         dict(m.headers or {})))
    return seen


def test_no_key_password_or_passphrase_crosses_the_broker(rabbit, tmp_path, sshd_hardened, ssh_known_hosts):
    key_text = sshd_hardened.client_key.read_text()
    key_lines = [line for line in key_text.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]
    assert key_lines
    secrets = [*key_lines, SSH_PASSWORD, PASSPHRASE, PASSWORD]
    h = host("lab-ssh", "lab", 100, sshd_hardened.port, user=sshd_hardened.user,
             key_file=str(sshd_hardened.client_key), known_hosts=str(ssh_known_hosts), password_env="FL_SSH_PASSWORD",
             sshd_config=str(sshd_hardened.config_path))
    assert h["address"] == sshd_hardened.address
    inv = write_inventory(tmp_path, [h], zones=("lab",))
    url, queue = _tap(rabbit)
    try:
        secret_env = {"FL_SSH_PASSWORD": SSH_PASSWORD, "FOURLAYER_KEY_PASSPHRASE": PASSPHRASE}
        with workers((tmp_path, "lab", rabbit.zone_url("lab"), "wlab", 1, secret_env)):
            proc = scan(inv, tmp_path / "out", rabbit.coordinator_url, "--check", "L1-SSH-010", "--check",
                        "L1-SSH-001", **secret_env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        statuses = {r["check_id"]: r["status"] for r in results_of(report(tmp_path / "out"), "lab-ssh")}
        doc = report(tmp_path / "out")
        assert statuses["L1-SSH-010"] in ("PASS", "FAIL"), [r["reason"] for r in doc["results"]]  # the worker logged in with the key
        seen = _read_all(url, queue)
    finally:
        rabbit.ctl("trace_off", "-p", VHOST)
    keys = {rk for rk, _, _ in seen}
    assert "deliver.fourlayer.zone.lab" in keys and "publish.fourlayer.results" in keys, keys
    assert any(rk.startswith("deliver.fourlayer.results.") for rk in keys), keys
    task = next(b for rk, b, _ in seen if rk == "deliver.fourlayer.zone.lab")
    assert str(sshd_hardened.client_key).encode() in task  # the key travels as a path, resolved on the worker
    for rk, body, headers in seen:
        blob = body + json.dumps(headers, default=str).encode()
        for secret in secrets:
            for form in (secret.encode(), base64.b64encode(secret.encode())):
                assert form not in blob, f"a secret crossed the broker in {rk}"
