"""The Celery application of the zone engine, and every setting that makes it safe (each with its reason).

Names on the broker (one virtual host, e.g. `/fourlayer`):
- `fourlayer.zone.<id>`: one direct exchange and one quorum queue per zone; only that zone's workers consume it,
  and RabbitMQ's permissions give that zone's user nothing else to read (docs/zones-engine.md).
- `fourlayer.results`: the direct exchange workers publish results to, routed by run id to the queue
  `fourlayer.results.<run>` that the coordinator of that run declared and consumes (no result backend to poll).
- `fourlayer.dead`: where the broker dead-letters a host's task after MAX_ATTEMPTS deliveries (a host that kills
  its scanner every time): the coordinator binds its results queue to it and reports that host as ERROR.
"""

from __future__ import annotations

import urllib.parse
from typing import Iterable

from celery import Celery
from celery.worker.consumer import Consumer
from kombu import Exchange, Queue

from fourlayer.dispatch.names import DEAD_EXCHANGE, MAX_ATTEMPTS, QUEUE_PREFIX

# RabbitMQ's consumer_timeout (default 30 min): a delivery not acked within it closes the worker's channel and the
# task is redelivered. Every task's hard time limit stays below it, so a stuck task is ended by Celery first.
CONSUMER_TIMEOUT_S = 1800
TIME_LIMIT_MARGIN_S = 60


class ZoneConsumer(Consumer):
    """Celery's consumer without its native delayed delivery (ETA tasks over quorum queues): that step declares
    `celery_delayed_*` exchanges a zone's user has no right to, and the engine never sends a delayed task."""

    class Blueprint(Consumer.Blueprint):
        default_steps = [s for s in Consumer.Blueprint.default_steps if not s.endswith(":DelayedDelivery")]


def zone_queue(zone_id: str) -> Queue:
    """The queue of one zone, declared identically by the coordinator and the zone's workers (RabbitMQ refuses a
    redeclaration with other arguments). Quorum: replicated, durable, and it counts deliveries (the attempt cap)."""
    name = QUEUE_PREFIX + zone_id
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name, durable=True,
                 queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": MAX_ATTEMPTS - 1,
                                  "x-dead-letter-exchange": DEAD_EXCHANGE})


def zone_permissions(zone_id: str) -> tuple[str, str, str]:
    """(configure, write, read) regexes for `rabbitmqctl set_permissions` of a zone's user: declare and read its
    own queue and exchange, publish to the results exchange, and name the dead-letter exchange in its queue's
    arguments (RabbitMQ checks that at declaration). Nothing of another zone matches."""
    import re

    q = "fourlayer\\.zone\\." + re.escape(zone_id)  # a '.' in a zone id matches only itself
    return f"^{q}$", f"^({q}|fourlayer\\.results|fourlayer\\.dead)$", f"^{q}$"


COORDINATOR_PERMISSIONS = ("^fourlayer\\..*", "^fourlayer\\..*", "^fourlayer\\..*")


def task_time_limit(host_timeout: float) -> float:
    """A host's hard limit: its own budget (--host-timeout, enforced in-process by the runner) plus a margin for
    the checks' floor and publishing, capped below RabbitMQ's consumer_timeout."""
    return min(host_timeout + 30.0, CONSUMER_TIMEOUT_S - TIME_LIMIT_MARGIN_S)


def redact(url: str) -> str:
    """The broker URL as it may be shown: never its password."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


CA_ENV, CERT_ENV, KEY_ENV = "FOURLAYER_BROKER_CA", "FOURLAYER_BROKER_CERT", "FOURLAYER_BROKER_KEY"


def broker_ssl(url: str) -> dict | bool:
    """TLS for an amqps:// URL: the broker's certificate verified against $FOURLAYER_BROKER_CA (else the system
    store), and the zone's x509 client certificate ($FOURLAYER_BROKER_CERT, $FOURLAYER_BROKER_KEY) when given.
    False for plain amqp:// (loopback tests only; docs/zones-engine.md)."""
    import os
    import ssl

    if not url.startswith("amqps://"):
        return False
    options: dict = {"cert_reqs": ssl.CERT_REQUIRED}
    if os.environ.get(CA_ENV):
        options["ca_certs"] = os.environ[CA_ENV]
    if os.environ.get(CERT_ENV):
        options["certfile"] = os.environ[CERT_ENV]
        options["keyfile"] = os.environ.get(KEY_ENV) or None
    return options


def make_app(broker_url: str, zones: Iterable[str] = ()) -> Celery:
    """A Celery app on `broker_url` that knows the queues of `zones`, with the engine's safe settings."""
    zones = list(zones)
    app = Celery("fourlayer", set_as_current=False)
    app.conf.update(
        broker_url=broker_url,
        # amqps:// verifies the broker's certificate (and presents the zone's client certificate when given)
        broker_use_ssl=broker_ssl(broker_url),
        # JSON only: a pickled message could run code on a worker that unpickles it; results travel as JSON too.
        task_serializer="json", result_serializer="json", accept_content=["json"],
        # Ack only after the host's result was published: a worker that dies mid-host leaves its task unacked, and
        # the broker gives it to another worker of the zone.
        task_acks_late=True,
        # A pool child killed (SIGKILL, OOM) makes the worker reject the task back to the queue rather than ack it;
        # the queue's delivery limit (MAX_ATTEMPTS) keeps a poison host from looping.
        task_reject_on_worker_lost=True,
        # A task that raised was answered (its host got ERROR results): ack it, never redeliver it.
        task_acks_on_failure_or_timeout=True,
        # Prefetch one message per execution slot: a busy or dying worker holds no backlog other workers could scan,
        # and no prefetched delivery waits long enough to hit consumer_timeout.
        worker_prefetch_multiplier=1,
        # Below consumer_timeout (the per-task limit sent with each task is tighter: task_time_limit()).
        task_time_limit=CONSUMER_TIMEOUT_S - TIME_LIMIT_MARGIN_S,
        task_soft_time_limit=CONSUMER_TIMEOUT_S - 2 * TIME_LIMIT_MARGIN_S,
        # Results go back on the results exchange (fourlayer.dispatch.worker_task); no result backend to poll.
        task_ignore_result=True, result_backend=None,
        # No remote control (pidbox) and no events: a zone's RabbitMQ user needs rights on its own queue and the
        # results exchange only, and a worker does not answer broadcast commands from anyone on the broker.
        worker_enable_remote_control=False, worker_send_task_events=False, task_send_sent_event=False,
        # Only the queues declared here: a typo in a zone id never creates a queue nobody consumes.
        task_create_missing_queues=False,
        task_queues=[zone_queue(z) for z in zones],
        # never Celery's own "celery" queue and exchange, which no zone user may touch
        task_default_queue=QUEUE_PREFIX + (list(zones) or ["none"])[0],
        # The broker confirms every publish: a task or result it did not take is an error at once, not a silence.
        broker_transport_options={"confirm_publish": True},
        broker_connection_retry_on_startup=True,
        broker_heartbeat=30,
        worker_consumer="fourlayer.dispatch.app:ZoneConsumer",
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        enable_utc=True,
    )
    from fourlayer.dispatch.worker_task import register

    register(app)
    return app
