"""The coordinator's side of the zone engine: one task per host to its zone's queue, then every result gathered
from the run's results queue, each host stored once, whatever the workers and the broker do meanwhile.

Used as the runner's `hosts_via` (fourlayer.core.runner.run_scan), so storing, scoring and rendering are the
in-process scan's own. What it guarantees (tests/dispatch/test_dispatch_failures.py proves each with real processes):
- a host is stored once: the first answer for (run, host) wins, a redelivered host's second answer is dropped;
- a zone with no live worker never hangs the scan: its hosts get ERROR "no scanner in zone Z answered within T s";
- a host whose task the broker gave up on (MAX_ATTEMPTS deliveries, dead-lettered) gets ERROR saying so;
- a broker that goes away is waited for (up to the zone timeout); if it does not come back the run ends
  incomplete (RunIncomplete) with every host that finished kept.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import defaultdict
from typing import Any, Callable, Iterator

from kombu import Connection, Consumer, Exchange, Queue, binding

from fourlayer.core.errors import InputError
from fourlayer.dispatch.app import make_app, redact, task_time_limit, zone_queue
from fourlayer.dispatch.names import (DEAD_EXCHANGE, MAX_ATTEMPTS, QUEUE_PREFIX, RESULTS_EXCHANGE, TASK_NAME,
                                      TASK_PROBE, zone_user)
from fourlayer.dispatch.worker_task import KIND_HOST, KIND_SEGMENT, KIND_STARTED

log = logging.getLogger("fourlayer.dispatch.coordinator")
RESULTS_QUEUE_TTL_MS = 6 * 3600 * 1000  # a run's results queue left behind by a coordinator that died is dropped
TASK_EXPIRES_S = 6 * 3600  # a task still queued this long after its run started is discarded by the worker
CONNECT_TIMEOUT_S = 5.0

ZoneEvent = Callable[[str, int, int, str], None]  # (zone, hosts done, hosts of the zone, what happened)


def broker_error(url: str, exc: BaseException) -> InputError:
    """The one line `fourlayer scan --broker` exits 2 with when the broker cannot be reached at the start."""
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return InputError("--broker", None, None, f"cannot reach the broker {redact(url)} ({why}); start RabbitMQ "
                      "there, check the URL, its user and virtual host (docs/zones-engine.md), or scan without "
                      "--broker")


def open_broker(url: str) -> Connection:
    """A connection to the broker, or InputError (exit 2) before any task is sent."""
    from fourlayer.dispatch.app import broker_ssl

    conn = Connection(url, connect_timeout=CONNECT_TIMEOUT_S, heartbeat=30, ssl=broker_ssl(url))
    try:
        conn.connect()  # one attempt: at the start a broker that is not there is an input error, not a wait
        conn.default_channel  # noqa: B018  (opening the channel checks the user's access to the virtual host)
    except Exception as exc:  # refused, unknown host, bad credentials, no such vhost: all the same to the user
        conn.release()
        raise broker_error(url, exc) from None
    return conn


def _bi(en: str, vi: str) -> dict[str, str]:
    return {"en": en, "vi": vi}


class ZoneDispatcher:
    """`hosts_via` for run_scan: `ZoneDispatcher(url, run_id, policy, options)(host_items, stopping)`."""

    def __init__(self, url: str, run_id: str, policy: dict[str, Any], options: Any, zone_timeout: float,
                 on_zone: ZoneEvent | None = None, conn: Connection | None = None):
        self.url, self.run, self.policy, self.options = url, run_id, policy, options
        self.zone_timeout = zone_timeout
        self.on_zone = on_zone or (lambda *a: None)
        self.conn = conn
        self.app = None  # made with the zones of the hosts to scan
        self.stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"hosts": 0, "done": 0, "workers": set(),
                                                                     "rescanned": [], "silent": 0, "given_up": []})
        self.duplicates = 0
        self._consumer_counts: dict[str, tuple[float, int | None]] = {}
        self.forged = 0  # answers dropped because another zone's user (or no user_id) sent them
        self.cpu_seconds = 0.0
        self.reachability: dict[str, Any] | None = None  # host id -> evidence, once probe_zones() ran
        self.messages = {"tasks": 0, "started": 0, "results": 0, "dead": 0}

    # -- the queues -------------------------------------------------------------------------------------------
    def _results_queue(self, zones: set[str]) -> Queue:
        results, dead = Exchange(RESULTS_EXCHANGE, "direct", durable=True), Exchange(DEAD_EXCHANGE, "direct",
                                                                                     durable=True)
        return Queue(f"{RESULTS_EXCHANGE}.{self.run}", durable=True, auto_delete=False,
                     queue_arguments={"x-expires": RESULTS_QUEUE_TTL_MS},
                     bindings=[binding(results, routing_key=self.run)]
                     + [binding(dead, routing_key=QUEUE_PREFIX + z) for z in sorted(zones)])

    def _declare(self, conn: Connection, zones: set[str]) -> Queue:
        channel = conn.default_channel
        Exchange(RESULTS_EXCHANGE, "direct", durable=True)(channel).declare()
        Exchange(DEAD_EXCHANGE, "direct", durable=True)(channel).declare()
        for z in sorted(zones):
            zone_queue(z)(channel).declare()
        queue = self._results_queue(zones)(channel)
        queue.declare()
        return queue

    def _payload(self, item) -> dict[str, Any]:
        from fourlayer.dispatch.codec import host_description

        t = item.target
        o = self.options
        return {"run": self.run, "host": t.host.id, "zone": t.host.zone,
                "target": host_description(t.agency, t.system, t.host), "checks": [c.meta.id for c in item.checks],
                "policy": self.policy,
                **({"reachability": self.reachability.get(t.host.id)} if self.reachability is not None else {}),
                "options": {"timeout": o.timeout, "host_timeout": o.host_timeout,
                            "accept_new_host_keys": o.accept_new_host_keys, "as_of": t.as_of.isoformat(),
                            "clock": t.clock.isoformat()}}

    def _send(self, items: list) -> None:
        limit = task_time_limit(self.options.host_timeout)
        with self.app.producer_or_acquire() as producer:
            for item in items:
                host = item.target.host
                self.app.send_task(TASK_NAME, args=[self._payload(item)], task_id=f"{self.run}:{host.id}",
                                   queue=QUEUE_PREFIX + host.zone, exchange=QUEUE_PREFIX + host.zone,
                                   routing_key=QUEUE_PREFIX + host.zone,  # never the default exchange
                                   producer=producer, time_limit=limit,
                                   soft_time_limit=max(1.0, limit - 10), expires=TASK_EXPIRES_S)
                self.messages["tasks"] += 1

    # -- segmentation: one probe per zone, from inside it ------------------------------------------------------
    def probe_zones(self, inventory) -> dict[str, Any]:
        """Send each zone's worker its segmentation probe and gather the records, for the runner's
        `options.segmentation`. A zone that does not answer within the zone timeout is a missing vantage point
        (its checks say so), never a zone from which nothing is reachable."""
        from fourlayer.collectors.reachability import assemble, clean_records
        from fourlayer.dispatch.codec import inventory_to_json

        zones = {z.id for z in inventory.zones}
        agencies = set(self.options.agencies)
        only = sorted(h.id for a, _, h in inventory.iter_hosts() if not agencies or a.id in agencies)
        conn = self.conn or open_broker(self.url)
        self.conn = conn
        self.app = make_app(self.url, sorted(zones))
        start = time.monotonic()
        queue = self._declare(conn, zones)
        raw = inventory_to_json(inventory)
        budget = max(5.0, self.options.host_timeout)
        with self.app.producer_or_acquire() as producer:
            for z in sorted(zones):
                self.app.send_task(TASK_PROBE, args=[{"run": self.run, "zone": z, "inventory": raw, "only": only,
                                                      "timeout": self.options.timeout, "budget": budget}],
                                   task_id=f"{self.run}:zone:{z}", queue=QUEUE_PREFIX + z,
                                   exchange=QUEUE_PREFIX + z, routing_key=QUEUE_PREFIX + z, producer=producer,
                                   time_limit=task_time_limit(budget), expires=TASK_EXPIRES_S)
                self.messages["tasks"] += 1
        answered: dict[str, list] = {}

        def on_message(body: Any, message) -> None:
            message.ack()
            if isinstance(body, dict) and body.get("run") == self.run and body.get("kind") == KIND_SEGMENT:
                self.messages["results"] += 1
                z = body.get("zone")
                if z in zones and z not in answered and self._from_zone(message, z, f"zone {z}"):
                    self.stats[z]["workers"].add(str(body.get("worker")))
                    if body.get("crashed"):
                        log.warning("the segmentation probe of zone %s failed: %s", z, body["crashed"])
                    else:  # well-formed records only, and only what this zone saw itself
                        answered[z] = [r for r in clean_records(inventory, body.get("records") or [])
                                       if r["src_zone"] == z]

        consumer = Consumer(conn.default_channel, queues=[queue], callbacks=[on_message], accept=["json"])
        consumer.consume()
        deadline = start + budget + self.zone_timeout
        try:
            while len(answered) < len(zones) and time.monotonic() < deadline:
                try:
                    conn.drain_events(timeout=0.5)
                except socket.timeout:
                    pass
        finally:
            consumer.cancel()
        for z in sorted(zones - set(answered)):
            log.warning("no scanner in zone %s answered the segmentation probe within %g s", z, deadline - start)
        records = [r for z in sorted(answered) for r in answered[z]]
        vantage = sorted(answered)
        self.reachability = assemble(inventory, records, vantage)
        return {"records": records, "vantage_zones": vantage, "seconds": round(time.monotonic() - start, 3)}

    # -- the run ----------------------------------------------------------------------------------------------
    def __call__(self, items: list, stopping: Callable[[], bool]) -> Iterator[tuple[list, Any]]:

        cpu_start = time.process_time()
        by_host = {item.target.host.id: item for item in items}
        zone_of = {h: item.target.host.zone for h, item in by_host.items()}
        zones = set(zone_of.values())
        for z in zone_of.values():
            self.stats[z]["hosts"] += 1
        conn = self.conn or open_broker(self.url)
        self.app = make_app(self.url, sorted(zones | set(self.stats)))
        pending: dict[str, Any] = dict(by_host)
        landed: list[tuple[list, Any]] = []
        now = time.monotonic()
        heard = {z: now for z in zones}  # last message from each zone (or when its wait began)
        in_flight: dict[str, float] = {}  # host -> when its latest delivery started
        limit = task_time_limit(self.options.host_timeout)

        def settle(host: str, batch: tuple[list, Any]) -> None:
            pending.pop(host, None)
            in_flight.pop(host, None)
            z = zone_of[host]
            self.stats[z]["done"] += 1
            landed.append(batch)
            self.on_zone(z, self.stats[z]["done"], self.stats[z]["hosts"], host)

        def on_message(body: Any, message) -> None:
            try:
                self._handle(body, message, pending, zone_of, heard, in_flight, settle)
            finally:
                message.ack()

        try:
            queue = self._declare(conn, zones)
            self._send(items)
            consumer = Consumer(conn.default_channel, queues=[queue], callbacks=[on_message], accept=["json"],
                                prefetch_count=64)
            consumer.consume()
            while pending and not stopping():
                try:
                    conn.drain_events(timeout=0.5)
                except socket.timeout:
                    pass
                except conn.connection_errors + conn.channel_errors as exc:
                    log.warning("lost the broker %s (%s); reconnecting", redact(self.url), exc)
                    conn, consumer = self._reconnect(conn, zones, on_message, len(pending))
                    now = time.monotonic()  # the outage does not count against any zone
                    heard.update({z: now for z in zones})
                    in_flight.update({h: now for h in in_flight})
                yield from self._drain(landed)
                self._expire_silent(pending, zone_of, heard, in_flight, limit, settle, conn)
                yield from self._drain(landed)
            yield from self._drain(landed)
        finally:
            self._cleanup(conn, zones)
            # the coordinator's CPU while it dispatched, gathered, stored and drew progress (bench/zones_bench.py)
            self.cpu_seconds += time.process_time() - cpu_start

    @staticmethod
    def _drain(landed: list) -> Iterator[tuple[list, Any]]:
        while landed:
            yield landed.pop(0)

    def _handle(self, body: Any, message, pending, zone_of, heard, in_flight, settle) -> None:
        from fourlayer.core.runner import errored_host

        headers = message.headers or {}
        if headers.get("task") == TASK_NAME:  # a task the broker dead-lettered after MAX_ATTEMPTS deliveries
            self.messages["dead"] += 1
            host = str(headers.get("id", "")).partition(":")[2]
            if host in pending:
                z = zone_of[host]
                self.stats[z]["given_up"].append(host)
                settle(host, errored_host(pending[host], _bi(
                    f"the scanner of zone {z} was lost {MAX_ATTEMPTS} times while scanning this host; the broker "
                    "gave the host up instead of retrying it for ever",
                    f"máy quét của vùng {z} bị mất {MAX_ATTEMPTS} lần khi đang quét máy chủ này; hệ thống đã dừng "
                    "quét máy chủ này thay vì thử lại mãi")))
            return
        if not isinstance(body, dict) or body.get("run") != self.run or body.get("host") not in zone_of:
            return
        host, z = body["host"], zone_of[body["host"]]
        if not self._from_zone(message, z, host):
            return
        heard[z] = time.monotonic()
        self.stats[z]["workers"].add(str(body.get("worker")))
        if body.get("kind") == KIND_STARTED:
            self.messages["started"] += 1
            if host in pending:
                in_flight[host] = time.monotonic()
            if body.get("redelivered"):
                self.stats[z]["rescanned"].append(host)
            return
        if body.get("kind") != KIND_HOST:
            return
        self.messages["results"] += 1
        if host not in pending:  # stored already: a redelivered host answered twice, or answered too late
            self.duplicates += 1
            return
        settle(host, self._batch(pending[host], body))

    def _from_zone(self, message, zone: str, what: str) -> bool:
        """Only the zone's own broker user may answer for its hosts (RabbitMQ verified the `user_id`)."""
        sender = (message.properties or {}).get("user_id")
        if sender == zone_user(zone):
            return True
        self.forged += 1
        log.warning("dropped an answer for %s of zone %s sent by broker user %r, not %s", what, zone, sender,
                    zone_user(zone))
        return False

    @staticmethod
    def _batch(item, body: dict[str, Any]) -> tuple[list, Any]:
        from fourlayer.core.model import Outcome, Status
        from fourlayer.core.runner import HostRun, _result, errored_host
        from fourlayer.dispatch.codec import result_from_json

        if body.get("crashed"):
            return errored_host(item, f"scanning this host crashed on the zone's scanner: {body['crashed']}")
        results = [result_from_json(r) for r in body.get("results", [])]
        missing = set(body.get("missing") or [])
        why = Outcome(Status.ERROR, _bi(
            "this check is not installed on the scanner of the host's zone; install the same plugins and rules "
            "there", "kiểm tra này chưa được cài trên máy quét của vùng chứa máy chủ; hãy cài cùng plugin và luật ở đó"))
        results += [_result(c, item.target, why) for c in item.checks if c.meta.id in missing]
        r = body.get("host_run") or {}
        run = HostRun(r.get("agency", item.target.agency.id), r.get("system", item.target.system.id),
                      r.get("host", item.target.host.id), r.get("address", item.target.host.address),
                      r.get("collectors") or {}, float(r.get("seconds") or 0.0))
        return results + item.skipped, run

    def _expire_silent(self, pending, zone_of, heard, in_flight, limit, settle, conn: Connection) -> None:
        """Hosts of a zone nobody answered for within the zone timeout get ERROR; the scan goes on without them.
        A host still running (started less than its time limit ago) keeps its zone waiting, unless the zone's
        queue has no consumer left: then no worker of the zone is alive (a dead worker's task went back to the
        queue), and waiting longer cannot help."""
        from fourlayer.core.runner import errored_host

        now = time.monotonic()
        t = self.zone_timeout
        for z in {zone_of[h] for h in pending}:
            if now - heard[z] < t:
                continue
            running = any(zone_of[h] == z and now - started < limit for h, started in in_flight.items())
            if running and self._consumers(conn, z) != 0:
                continue
            hosts = [h for h in pending if zone_of[h] == z]
            self.stats[z]["silent"] += len(hosts)
            log.warning("no scanner in zone %s answered within %g s: %d host(s) not scanned", z, t, len(hosts))
            for h in hosts:
                settle(h, errored_host(pending[h], _bi(
                    f"no scanner in zone {z} answered within {t:g} s",
                    f"không có máy quét nào trong vùng {z} trả lời trong vòng {t:g} giây")))

    def _consumers(self, conn: Connection, zone: str) -> int | None:
        """Workers consuming the zone's queue now (RabbitMQ's count), at most every 2 s a zone; None if unknown."""
        now = time.monotonic()
        cached = self._consumer_counts.get(zone)
        if cached is not None and now - cached[0] < 2.0:
            return cached[1]
        try:
            count = conn.default_channel.queue_declare(queue=QUEUE_PREFIX + zone, passive=True).consumer_count
        except Exception:  # the broker is busy or gone: keep waiting, the reconnect path handles a lost broker
            count = None
        self._consumer_counts[zone] = (now, count)
        return count

    def _reconnect(self, conn: Connection, zones: set[str], on_message, left: int):
        """Wait for the broker to come back (up to the zone timeout), then redeclare and consume again. The
        results queue is durable: what workers published before the restart is still in it."""
        from fourlayer.core.runner import RunIncomplete

        deadline = time.monotonic() + self.zone_timeout
        with_error = None
        while time.monotonic() < deadline:
            fresh = conn.clone()
            try:
                fresh.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
                queue = self._declare(fresh, zones)
                consumer = Consumer(fresh.default_channel, queues=[queue], callbacks=[on_message], accept=["json"],
                                    prefetch_count=64)
                consumer.consume()
                conn.release()
                return fresh, consumer
            except Exception as exc:  # still down: try again until the deadline
                with_error = exc
                fresh.release()
                time.sleep(1.0)
        raise RunIncomplete(f"lost the broker {redact(self.url)} ({type(with_error).__name__}) and it did not come "
                            f"back within {self.zone_timeout:g} s; {left} host(s) not scanned")

    def _cleanup(self, conn: Connection, zones: set[str]) -> None:
        try:
            self._results_queue(zones)(conn.default_channel).delete()
        except Exception:  # the broker is gone: the queue expires by itself (RESULTS_QUEUE_TTL_MS)
            pass
        conn.release()

    def summary(self) -> list[str]:
        """One line per zone for the operator: hosts answered, silent, given up, rescanned, by which workers."""
        lines = []
        for z, s in sorted(self.stats.items()):
            parts = [f"zone {z}: {s['done'] - s['silent'] - len(s['given_up'])}/{s['hosts']} host(s) scanned"]
            if s["silent"]:
                parts.append(f"{s['silent']} with no scanner answering")
            if s["given_up"]:
                parts.append(f"given up after repeated scanner loss: {', '.join(s['given_up'])}")
            if s["rescanned"]:
                parts.append(f"rescanned after a scanner was lost: {', '.join(sorted(set(s['rescanned'])))}")
            workers = sorted(w for w in s["workers"] if w != "None")
            parts.append(f"scanners: {', '.join(workers) or 'none'}")
            lines.append("; ".join(parts))
        hosts = sum(s["hosts"] for s in self.stats.values()) or 1
        m = self.messages
        lines.append(f"dispatch: {m['tasks']} task(s), {m['started'] + m['results'] + m['dead']} message(s) back, "
                     f"{self.duplicates} duplicate answer(s) dropped, {self.forged} from another zone's user dropped, "
                     f"coordinator CPU "
                     f"{1000 * self.cpu_seconds / hosts:.2f} ms/host")
        return lines
