"""Names the coordinator, the workers and the broker's permissions share (no Celery import here).

- `fourlayer.zone.<id>`: one direct exchange and one quorum queue per zone; only that zone's workers consume it.
- `fourlayer.results`: the direct exchange workers publish results to, routed by run id to the queue
  `fourlayer.results.<run>` that the coordinator of that run declared and consumes (no result backend to poll).
- `fourlayer.dead`: where the broker dead-letters a host's task after MAX_ATTEMPTS deliveries.
"""

QUEUE_PREFIX = "fourlayer.zone."
RESULTS_EXCHANGE = "fourlayer.results"
DEAD_EXCHANGE = "fourlayer.dead"
TASK_NAME = "fourlayer.scan_host"
TASK_PROBE = "fourlayer.probe_zone"  # one per zone and run: the segmentation probe from inside the zone
# Deliveries of one host's task before the broker gives up on it. A worker lost mid-host (SIGKILL, OOM, reboot)
# gets its task redelivered to another worker of the zone; a host that crashes the scanner every time must not
# loop for ever: the quorum queue counts deliveries itself (x-delivery-count), so no worker has to remember.
MAX_ATTEMPTS = 3


def zone_user(zone_id: str) -> str:
    """The broker user of a zone's workers. Results carry it as the AMQP `user_id` property, which RabbitMQ
    checks against the connection's login: the coordinator takes a host's result only from its zone's user, so
    a worker of zone A cannot answer (forge) for a host of zone B."""
    return f"zone-{zone_id}"
