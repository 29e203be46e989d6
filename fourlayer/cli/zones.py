"""`fourlayer worker`: a scanner inside one network zone, and what `fourlayer scan --broker` needs before traffic.

A worker connects OUT to the broker only (nothing listens on it), consumes its zone's queue only, and runs the
in-process scan's own per-host pipeline (fourlayer.dispatch.worker_task). docs/zones-engine.md has its systemd
unit, the broker's users and the firewall rule a zone needs.
"""

from __future__ import annotations

import socket

import click

from fourlayer.core.errors import InputError

from fourlayer.config.validation import ID_RE as ZONE_ID  # the inventory's own rule for ids
BROKER_ENV = "FOURLAYER_BROKER_URL"  # the URL (with its password) from the environment, not the process list


def zone_id(value: str) -> str:
    if not ZONE_ID.match(value) or len(value) > 100:
        raise InputError("--zone", None, None, f"zone id {value!r} is not valid; use letters, digits, '.', '-' "
                         "and '_' (at most 100), as declared under zones: in the inventory")
    return value


def require_zones(inv, agencies: tuple[str, ...]) -> None:
    """Every host to scan has a zone: the task needs a queue. One line naming the file and line of the first
    host without one (exit 2), before any traffic."""
    for agency, _system, host in inv.iter_hosts():
        if agencies and agency.id not in agencies:
            continue
        if not host.zone:
            raise InputError(inv.path, host.line or None, f"host {host.id}",
                             "has no zone, and --broker sends each host to its zone's scanner; declare zones: with "
                             "networks (or zone: on the host), or scan without --broker")
        zone_id(host.zone)


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--zone", "zone", required=True, help="Id of the network zone this scanner sits in.")
    @click.option("--broker", required=True, envvar=BROKER_ENV, show_envvar=True,
                  help="AMQP URL of the broker, e.g. amqps://zone-dmz@broker.example:5671/fourlayer.")
    @click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
                  help="Hosts this worker scans at the same time.")
    @click.option("--pool", type=click.Choice(["threads", "prefork"]), default="threads", show_default=True,
                  help="threads: light (scans wait on the network); prefork: one process per slot, and Celery's "
                       "hard time limit can end a stuck host.")
    @click.option("--name", default=None, help="Worker name shown to the coordinator (default zone@hostname).")
    def worker(zone: str, broker: str, concurrency: int, pool: str, name: str | None) -> None:
        """Scan the hosts of one zone: take its tasks from the broker, publish the results back."""
        from fourlayer.dispatch.app import make_app
        from fourlayer.dispatch.names import QUEUE_PREFIX
        from fourlayer.dispatch.coordinator import open_broker

        import logging

        zone_id(zone)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        open_broker(broker).release()  # unreachable broker or refused user: one line, exit 2
        from fourlayer.core.discovery import discover

        discover()  # every check loaded once, before the first task (not on the first host's clock)
        app = make_app(broker, [zone])
        app.worker_main(["worker", "-Q", QUEUE_PREFIX + zone, "-P", pool, "-c", str(concurrency),
                         "-n", name or f"{zone}@{socket.gethostname()}", "--without-gossip", "--without-mingle",
                         "--without-heartbeat", "--loglevel", "INFO"])
