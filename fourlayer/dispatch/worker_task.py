"""The task a zone's worker runs for one host: rebuild its target from the message, scan it with the runner's own
per-host pipeline (fourlayer.core.runner.scan_host_item), publish the results on the results exchange.

The message holds the host as declared and references only (fourlayer.dispatch.codec): key files, known_hosts
and password environment variables are read here, on the worker, inside the zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from typing import Any

from fourlayer.dispatch.names import RESULTS_EXCHANGE, TASK_NAME, TASK_PROBE

log = logging.getLogger("fourlayer.dispatch.worker")
KIND_STARTED = "started"
KIND_HOST = "host"
KIND_SEGMENT = "segment"


def _checks(ids: list[str]):
    """The planned checks by id from this worker's registry; ids it does not know (a plugin or --rules file
    installed on the coordinator only) are returned apart, so that they become ERROR, never a silent pass."""
    from fourlayer.core.discovery import discover

    reg = discover()
    known = {c.meta.id: c for c in reg.all()}
    return [known[i] for i in ids if i in known], [i for i in ids if i not in known]


def scan_message(payload: dict[str, Any]) -> tuple[list[dict], dict, list[str]]:
    """(results, host run, ids of planned checks this worker does not have) of one host's task, as JSON: the
    same pipeline as the in-process scan. The coordinator turns the missing ids into ERROR, never a pass."""
    from fourlayer.collectors.base import CollectContext
    from fourlayer.core.planner import PlanItem
    from fourlayer.core.runner import ScanOptions, scan_host_item
    from fourlayer.core.target import Target
    from fourlayer.dispatch.codec import result_to_json, target_parts, to_json

    agency, system, host = target_parts(payload["target"])
    opts = payload["options"]
    checks, unknown = _checks(payload["checks"])
    policy = payload["policy"]
    target = Target(agency, system, host, policy, dt.date.fromisoformat(opts["as_of"]),
                    clock=dt.datetime.fromisoformat(opts["clock"]))
    options = ScanOptions(timeout=float(opts["timeout"]), host_timeout=float(opts["host_timeout"]),
                          accept_new_host_keys=bool(opts["accept_new_host_keys"]))
    # the host's segmentation evidence, assembled by the coordinator from every zone's probe (not a secret)
    reach = payload.get("reachability")
    ctx = CollectContext(policy=policy, timeout=options.timeout, accept_new_host_keys=options.accept_new_host_keys,
                         reachability={host.id: reach} if reach is not None else None)
    results, run = scan_host_item(PlanItem(target, checks), ctx, options)
    return [result_to_json(r) for r in results], to_json(run), unknown


def _publish(app, body: dict[str, Any], run: str) -> None:
    """One message on the results exchange, routed to the run's queue; confirmed by the broker (confirm_publish),
    retried across a broker restart (the task is acked only after this returns)."""
    import urllib.parse

    user = urllib.parse.urlsplit(app.conf.broker_url).username  # verified by RabbitMQ against the login
    with app.producer_or_acquire() as producer:
        producer.publish(body, exchange=RESULTS_EXCHANGE, routing_key=run, serializer="json", declare=[],
                         delivery_mode=2, user_id=user, retry=True,
                         retry_policy={"max_retries": 60, "interval_start": 0.5, "interval_step": 0.5,
                                       "interval_max": 2.0})


def register(app) -> None:
    """Register the host task and the zone's segmentation probe on `app` (fourlayer.dispatch.app.make_app)."""
    register_probe(app)

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def scan_host(self, payload: dict[str, Any]) -> None:
        run, host_id, zone = payload["run"], payload["host"], payload["zone"]
        me = self.request.hostname or socket.gethostname()
        redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
        log.info("scanning host %s of run %s%s", host_id, run, " (redelivered)" if redelivered else "")
        _publish(app, {"kind": KIND_STARTED, "run": run, "host": host_id, "zone": zone, "worker": me,
                       "redelivered": redelivered}, run)
        try:
            results, host_run, missing = scan_message(payload)
            body = {"kind": KIND_HOST, "run": run, "host": host_id, "zone": zone, "worker": me,
                    "redelivered": redelivered, "results": results, "host_run": host_run, "missing": missing}
        except Exception as exc:  # a bug outside collectors and checks: this host errs, the scan goes on
            from fourlayer.collectors.base import clean_text

            log.error("scanning host %s crashed: %s: %s", host_id, type(exc).__name__, clean_text(str(exc), 200))
            body = {"kind": KIND_HOST, "run": run, "host": host_id, "zone": zone, "worker": me,
                    "redelivered": redelivered, "crashed": f"{type(exc).__name__}: {clean_text(str(exc), 200)}"}
        _publish(app, body, run)


def probe_message(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The segmentation probe of this worker's zone (fourlayer.collectors.segmentation): bounded TCP connects to
    the policy-judged ports of every other zone's hosts, seen from inside this zone."""
    import time

    from fourlayer.collectors.segmentation import probe_from_zone
    from fourlayer.dispatch.codec import inventory_from_json

    inventory = inventory_from_json(payload["inventory"])
    only = payload.get("only")
    return probe_from_zone(inventory, payload["zone"], timeout_s=float(payload["timeout"]),
                           deadline=time.monotonic() + float(payload["budget"]),
                           only=set(only) if only is not None else None)


def register_probe(app) -> None:
    @app.task(name=TASK_PROBE, bind=True, acks_late=True, reject_on_worker_lost=True)
    def probe_zone(self, payload: dict[str, Any]) -> None:
        run, zone = payload["run"], payload["zone"]
        me = self.request.hostname or socket.gethostname()
        log.info("probing segmentation from zone %s for run %s", zone, run)
        body = {"kind": KIND_SEGMENT, "run": run, "zone": zone, "worker": me}
        try:
            body["records"] = probe_message(payload)
        except Exception as exc:  # reported as a missing vantage point, never as "nothing reachable"
            from fourlayer.collectors.base import clean_text

            body["crashed"] = f"{type(exc).__name__}: {clean_text(str(exc), 200)}"
        _publish(app, body, run)
