"""The runner: plan checks per target, collect evidence once per host, evaluate checks, keep going on failure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from fourlayer import __version__
from fourlayer.collectors import HOST_COLLECTORS, host_collector
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.guard import check_allowed
from fourlayer.config.inventory import Agency, Host, Inventory
from fourlayer.core import defaults
from fourlayer.core.errors import CollectorError
from fourlayer.core.model import (
    Check,
    Outcome,
    Result,
    Status,
    Unevaluable,
    bi,
    reason_parts,
)
from fourlayer.core.discovery_stage import DiscoveryStage, needs_sweep
from fourlayer.core.planner import Plan, plan_scan
from fourlayer.core.spool import ResultSpool
from fourlayer.core.target import Target

log = logging.getLogger("fourlayer.core.runner")
CRASHED = "collector crashed"  # prefix of the error of a collector that raised something else than CollectorError
# Checks get what is left of the host's budget, but at least this (a collector that used it all must not cost the
# checks whose evidence did arrive their verdict): a host takes at most --host-timeout + CHECK_FLOOR seconds.
CHECK_FLOOR = 1.0
# Collectors that send nothing to the host (its evidence was gathered elsewhere, e.g. by the zones' segmentation
# probes, each behind the guard where it ran): the loopback guard on the host's own address does not stop them.
OFFLINE_COLLECTORS = frozenset({"reachability"})


class RunIncomplete(Exception):
    """Raised by a `hosts_via` engine that cannot finish every host (lost its broker): the run is kept, incomplete,
    with every host that did finish; the message is the run's stop reason."""


def _traceback() -> bool:
    """Crashes are logged as one line; with the traceback only when debug logging is on (--debug)."""
    return log.isEnabledFor(logging.DEBUG)


def _oneline(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {clean_text(str(exc), 200)}"


@dataclass
class ScanOptions:
    concurrency: int = defaults.CONCURRENCY
    timeout: float = defaults.TIMEOUT  # one network operation
    host_timeout: float = defaults.HOST_TIMEOUT  # everything for one host
    discovery_batch: int = defaults.DISCOVERY_BATCH  # hosts per nmap sweep ahead of the pipeline; 1 = per host
    accept_new_host_keys: bool = False
    layers: tuple[int, ...] = ()
    check_ids: tuple[str, ...] = ()
    skip_ids: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    as_of: dt.date | None = None  # declared facts are judged as of this day (default: the scan's own day)
    run_id: str | None = None  # chosen by the caller when results are stored while the scan runs
    # Summary of earlier scans (fourlayer.history.diff.persistence_summary), given to agency- and system-scope
    # checks as declared evidence "history"; None when no history database is used.
    history: dict[str, Any] | None = None
    from_zone: str | None = None  # the zone the scanner sits in (--from-zone); None = found from its addresses
    # {"records": [...], "vantage_zones": [...]} gathered by the caller from every zone's segmentation probe (a
    # coordinator with a worker per zone); None = the in-process scan probes from its own zone
    segmentation: dict[str, Any] | None = None


@dataclass
class HostRun:
    agency: str
    system: str
    host: str
    address: str
    collectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {ok, error, seconds}
    seconds: float = 0.0


@dataclass
class ScanRun:
    id: str
    started: dt.datetime
    finished: dt.datetime | None
    inventory_path: str
    tool_version: str
    options: dict[str, Any]
    policy: dict[str, Any]
    results: "ResultSpool | list[Result]"  # the spool of a scan (held, or read from disk); a list in tests
    hosts: list[HostRun]
    checks: dict[str, Any]  # id -> metadata of every check that was planned
    complete: bool = True
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stop_reason: str | None = None  # why the run is incomplete
    # zones declared: {"records": [...], "vantage_zones": [...]} of the segmentation probes (the report's matrix)
    segmentation: dict[str, Any] | None = None
    discovery: dict[str, Any] = field(default_factory=dict)  # the discovery stage's nmap runs: batches, hosts

    def close(self) -> None:
        """Remove the results' spool (its directory); the results cannot be read afterwards."""
        if isinstance(self.results, ResultSpool):
            self.results.close()


HostsVia = Callable[[list[Any], Callable[[], bool]], Iterable[tuple[list[Result], HostRun]]]


def evaluate(check: Check, target: Target, failed: dict[str, str]) -> Result:
    """Run one check on one target; missing evidence or a crashing check gives ERROR, never a pass."""
    meta = check.meta
    start = time.perf_counter()
    missing = [n for n in meta.needs if n in failed]
    if missing:
        detail = "; ".join(f"{n}: {failed[n]}" for n in missing)
        outcome = Outcome(Status.ERROR, {"en": detail, "vi": f"không thu thập được bằng chứng — {detail}"})
    else:
        try:
            outcome = check.func(target)
            if not isinstance(outcome, Outcome):
                raise TypeError(f"returned {type(outcome).__name__}, expected Outcome")
        except Unevaluable as exc:
            outcome = Outcome(Status.ERROR, {"en": str(exc), "vi": f"không đánh giá được — {exc}"})
        except Exception as exc:  # a broken check must not sink the scan
            log.error("check %s crashed on %s: %s", meta.id, target.name, _oneline(exc), exc_info=_traceback())
            outcome = Outcome(Status.ERROR, f"check crashed: {type(exc).__name__}: {clean_text(str(exc), 200)}")
    return _result(check, target, outcome, (time.perf_counter() - start) * 1000)


def evaluate_within(checks: list[Check], target: Target, failed: dict[str, str], deadline: float,
                    budget: float, stop: threading.Event | None = None) -> list[Result]:
    """`evaluate` each check in order, in a worker thread, until `deadline` (time.monotonic(); at least
    CHECK_FLOOR from now) or until `stop` is set. A check still running then is ERROR and abandoned (a thread
    cannot be killed; the worker is a daemon, so it cannot keep the process alive), the checks after it are
    ERROR, not evaluated. `budget` (seconds) is the --host-timeout the deadline came from, for the reason."""
    if not checks:
        return []
    done: list[Result] = []
    started: list[float] = []  # when the current check started

    def work() -> None:
        for c in checks:
            started[:] = [time.perf_counter()]
            done.append(evaluate(c, target, failed))

    worker = threading.Thread(target=work, name=f"checks-{target.name}", daemon=True)
    worker.start()
    end = max(deadline, time.monotonic() + CHECK_FLOOR)
    while worker.is_alive() and time.monotonic() < end and not (stop is not None and stop.is_set()):
        worker.join(max(0.0, min(0.2, end - time.monotonic())))
    if not worker.is_alive():
        return done
    results = list(done)  # what finished; whatever the abandoned worker adds later is ignored
    unfinished = checks[len(results):]
    if not unfinished:
        return results
    if stop is not None and stop.is_set():
        why = bi("not evaluated: the scan was interrupted", "chưa được đánh giá: quá trình quét bị dừng")
        return results + [_result(c, target, Outcome(Status.ERROR, why)) for c in unfinished]
    stuck = unfinished[0].meta.id
    log.warning("check %s did not finish on %s within the time budget; abandoned", stuck, target.name)
    overran = Outcome(Status.ERROR, bi(
        f"check did not finish within the time left of the {budget:g} s budget (--host-timeout); abandoned",
        f"kiểm tra không hoàn thành trong thời gian còn lại của ngân sách {budget:g} giây (--host-timeout); "
        "đã bị bỏ dở"))
    not_run = Outcome(Status.ERROR, bi(
        f"not evaluated: the {budget:g} s budget (--host-timeout) ran out while {stuck} was running",
        f"chưa được đánh giá: hết ngân sách {budget:g} giây (--host-timeout) khi {stuck} đang chạy"))
    return ([*results, _result(unfinished[0], target, overran, (time.perf_counter() - started[0]) * 1000)]
            + [_result(c, target, not_run) for c in unfinished[1:]])


def _result(check: Check, target: Target, outcome: Outcome, duration_ms: float = 0.0) -> Result:
    meta = check.meta
    reason_en, reason_vi = reason_parts(outcome.reason)
    return Result(
        check_id=meta.id, layer=meta.layer, severity=meta.severity, status=outcome.status,
        reason=clean_text(reason_en, 400), evidence=clean_text(outcome.evidence, 2000),
        reason_vi=clean_text(reason_vi, 400) if reason_vi else None,
        agency=target.agency.id, system=target.system.id if target.system else None,
        host=target.host.id if target.host else None, scope=meta.scope, duration_ms=duration_ms)


def collect_host(host: Host, names: Iterable[str], ctx: CollectContext, deadline: float
                 ) -> tuple[dict[str, dict], dict[str, str], dict[str, dict[str, Any]]]:
    """Run the needed collectors for one host concurrently; each failure is recorded, never raised. The loopback
    guard is applied here, before any collector, so that it covers all of them (nmap and SSH included)."""
    names = [n for n in HOST_COLLECTORS if n in set(names)]
    evidence: dict[str, dict] = {}
    failed: dict[str, str] = {}
    timings: dict[str, dict[str, Any]] = {}
    if "ssh_shell" in names and (host.ssh is None or not host.ssh.enabled):
        names.remove("ssh_shell")
        failed["ssh_shell"] = "SSH is disabled for this host in the inventory, so its configuration was not read"
    if not names:
        return evidence, failed, timings
    # a device judged on its saved file sends nothing either
    offline = OFFLINE_COLLECTORS | ({"device_config"} if host.device is not None and host.device.config else set())
    try:  # the loopback guard, once for every collector of this host: refused means nothing is sent at all
        if set(names) - offline:
            check_allowed(host.address)
    except CollectorError as exc:
        for name in [n for n in names if n not in offline]:
            failed[name] = clean_text(str(exc), 400)
            timings[name] = {"ok": False, "error": failed[name], "seconds": 0.0}
        names = [n for n in names if n in offline]
        if not names:
            return evidence, failed, timings

    def one(name: str) -> tuple[str, dict | None, str | None, float]:
        start = time.perf_counter()
        try:
            return name, host_collector(name)(host, ctx), None, time.perf_counter() - start
        except CollectorError as exc:
            return name, None, str(exc), time.perf_counter() - start
        except Exception as exc:  # a collector bug must not sink the host
            log.error("collector %s crashed on %s: %s", name, host.address, _oneline(exc), exc_info=_traceback())
            return name, None, f"{CRASHED}: {_oneline(exc)}", time.perf_counter() - start

    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix=f"col-{host.id}")
    futures = {pool.submit(one, n): n for n in names}
    for future, name in futures.items():
        try:
            _, data, error, seconds = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            data, error, seconds = None, "host time budget exhausted before this collector finished", None
        if data is None:
            failed[name] = clean_text(error or "no evidence", 400)
        else:
            evidence[name] = data
        timings[name] = {"ok": data is not None, "error": failed.get(name), "seconds":
                         round(seconds, 3) if seconds is not None else None}
        if error and error.startswith(CRASHED):
            timings[name]["crashed"] = True
    pool.shutdown(wait=False, cancel_futures=True)
    return evidence, failed, timings


def scan_host_item(item, ctx: CollectContext, options: ScanOptions, stop: threading.Event | None = None
                   ) -> tuple[list[Result], HostRun]:
    """Collect and judge one planned host within --host-timeout: the per-host pipeline, shared by the in-process
    scan and a zone's worker (fourlayer.dispatch.worker_task), so both give the same verdicts."""
    t = item.target
    start = time.perf_counter()
    deadline = time.monotonic() + options.host_timeout
    needed = {n for c in item.checks for n in c.meta.needs}
    evidence, failed, timings = collect_host(t.host, needed, ctx, deadline)
    t.evidence = evidence
    host_results = evaluate_within(item.checks, t, failed, deadline, options.host_timeout, stop) + item.skipped
    t.resources.clear()
    t.evidence = {}  # judged: free it (shell output can be ~1 MB a host; 1,000 hosts must fit in memory)
    run = HostRun(t.agency.id, t.system.id, t.host.id, t.host.address, timings,
                  round(time.perf_counter() - start, 3))
    return host_results, run


def run_scan(inventory: Inventory, policy: dict[str, Any], checks: list[Check], options: ScanOptions,
             agency_evidence: Callable[[Agency, CollectContext], tuple[dict, dict]] | None = None,
             progress: Callable[[str, int, int], None] | None = None,
             on_results: Callable[[list[Result], HostRun | None], None] | None = None,
             stop: threading.Event | None = None, hosts_via: HostsVia | None = None) -> ScanRun:
    """Scan every planned target. `on_results(results, host_run)` gets each finished batch as it completes
    (host_run None for agency/system checks), so a caller can store them incrementally. When `stop` is set
    no new host is started and the run returns at once, marked incomplete; hosts still in flight are abandoned.
    `hosts_via(host_items, stopping)` scans the hosts elsewhere (fourlayer.dispatch: one queue per zone) and
    yields each host's (results, HostRun) as it lands; it raises RunIncomplete when it cannot finish them all.

    The results go to a spool as they land (fourlayer.core.spool): held in memory up to its budget, then on disk,
    never kept as a growing list: the run's `results` is the spool, read in the report's order when iterated;
    `ScanRun.close()` removes it (so does garbage collection or the interpreter's exit). It is removed at once
    when the scan raises.
    """
    results = ResultSpool()
    try:
        return _run_scan(inventory, policy, checks, options, agency_evidence, progress, on_results, stop, hosts_via,
                         results)
    except BaseException:
        results.close()
        raise


def _run_scan(inventory: Inventory, policy: dict[str, Any], checks: list[Check], options: ScanOptions,
              agency_evidence: Callable[[Agency, CollectContext], tuple[dict, dict]] | None,
              progress: Callable[[str, int, int], None] | None,
              on_results: Callable[[list[Result], HostRun | None], None] | None,
              stop: threading.Event | None, hosts_via: HostsVia | None, results: ResultSpool) -> ScanRun:
    from fourlayer.collectors.agency import collect_agency

    agency_evidence = agency_evidence or collect_agency
    started = dt.datetime.now(dt.timezone.utc)
    as_of = options.as_of or started.date()
    ctx = CollectContext(policy=policy, timeout=options.timeout, accept_new_host_keys=options.accept_new_host_keys)
    t0 = time.perf_counter()
    plan: Plan = plan_scan(inventory, checks, policy, as_of, options, clock=started)
    stages = {"plan": time.perf_counter() - t0}
    segmentation = None
    judged = {item.target.host.id for item in plan.hosts if any("reachability" in c.meta.needs for c in item.checks)}
    if inventory.zones and judged:
        from fourlayer.collectors.reachability import assemble, scan_reachability

        if options.segmentation is not None:
            segmentation = options.segmentation
            table = assemble(inventory, segmentation["records"], segmentation["vantage_zones"])
        else:
            table, segmentation = scan_reachability(inventory, options.from_zone, options.timeout,
                                                    options.host_timeout, only=judged)
        ctx = dataclasses.replace(ctx, reachability=table)
        segmentation = segmentation or {"records": [], "vantage_zones": []}
        stages["segmentation"] = time.perf_counter() - t0 - stages["plan"]
    host_runs: list[HostRun] = []

    complete, stop_reason = True, None

    def stopping() -> bool:
        nonlocal complete, stop_reason
        if stop is None or not stop.is_set():
            return False
        complete, stop_reason = False, "interrupted"
        return True

    t1 = time.perf_counter()
    reach = _agency_reach(plan, agency_evidence, ctx, options.concurrency)
    for item in plan.non_host:  # agency- and system-scope checks: declared facts (+ endpoint reachability)
        if stopping():
            break
        evidence, failed = ({}, {})
        if any("reach" in c.meta.needs for c in item.checks):
            evidence, failed = reach[item.target.agency.id]
        if options.history is not None:
            evidence = {**evidence, "history": options.history}
        item.target.evidence = evidence
        batch = evaluate_within(item.checks, item.target, failed, time.monotonic() + options.host_timeout,
                                options.host_timeout, stop) + item.skipped
        results.add(batch)
        if on_results:
            on_results(batch, None)

    total = len(plan.hosts)
    done = 0

    def scan_host(item) -> tuple[list[Result], HostRun]:
        return scan_host_item(item, ctx, options, stop)

    def landed(host_results: list[Result], host_run: HostRun) -> None:
        nonlocal done
        results.add(host_results)  # past the spool's budget, to disk at once: only the host's summary stays
        host_runs.append(host_run)
        done += 1
        if on_results:
            on_results(host_results, host_run)
        if progress:
            progress(host_run.host, done, total)

    if hosts_via is not None:  # another engine scans the hosts; storing and rendering stay the same as here
        try:
            for host_results, host_run in hosts_via(plan.hosts, stopping):
                landed(host_results, host_run)
        except RunIncomplete as exc:
            complete, stop_reason = False, str(exc)
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="host")
    items: dict = {}
    arrived: list = []  # futures submitted by the discovery stage, not yet waited on
    feed_lock = threading.Lock()

    def submit(item) -> None:
        try:
            future = pool.submit(scan_host, item)
        except RuntimeError:  # the pool was shut down (interrupted) while discovery still handed hosts over
            return
        with feed_lock:
            items[future] = item
            arrived.append(future)

    stage = None
    if hosts_via is None and not stopping():  # else another engine scans the hosts
        if options.discovery_batch > 1 and sum(map(needs_sweep, plan.hosts)) > 1:
            stage = DiscoveryStage(plan.hosts, ctx, options.discovery_batch, submit,
                                   in_flight=lambda: len(items),  # landed hosts leave `items`
                                   ahead=max(1, options.concurrency) + 2 * options.discovery_batch,
                                   host_budget=options.host_timeout, stop=stop)
            ctx = dataclasses.replace(ctx, discovery=stage)
            stage.start()
        else:
            for item in plan.hosts:
                submit(item)
    pending: set = set()
    try:
        while not stopping():
            all_in = stage is None or stage.done()
            with feed_lock:
                pending.update(arrived)
                arrived.clear()
            if not pending:
                if all_in:
                    break
                time.sleep(0.02)
                continue
            finished, pending = wait(pending, timeout=0.2 if all_in else 0.05, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    host_results, host_run = future.result()
                except Exception as exc:  # a bug outside collectors and checks: this host errs, the scan goes on
                    log.error("scanning host %s crashed: %s", items[future].target.name, _oneline(exc),
                              exc_info=_traceback())
                    host_results, host_run = _crashed_host(items[future], exc)
                    complete, stop_reason = False, stop_reason or f"scanning {host_run.host} crashed"
                crashed = [n for n, v in host_run.collectors.items() if v.get("crashed")]
                if crashed:
                    complete, stop_reason = False, stop_reason or f"collector {crashed[0]} crashed on {host_run.host}"
                landed(host_results, host_run)
                with feed_lock:  # spooled: let go of the future (it holds the results) and the planned skips
                    items.pop(future).skips = []
                del host_results
    except KeyboardInterrupt:
        complete, stop_reason = False, "interrupted"
    finally:
        if stage is not None:
            stage.halt()
        with feed_lock:
            pending.update(arrived)
        pool.shutdown(wait=not pending, cancel_futures=True)  # never wait for abandoned hosts
    if done < total and complete:  # cannot happen unless interrupted; never call a partial run complete
        complete, stop_reason = False, stop_reason or "interrupted"
    stages["collect_and_check"] = time.perf_counter() - t1

    return ScanRun(  # results: read back in the order (agency, system, host, layer, check id)
        id=options.run_id or uuid.uuid4().hex[:12], started=started, finished=dt.datetime.now(dt.timezone.utc),
        inventory_path=inventory.path, tool_version=__version__,
        options={"concurrency": options.concurrency, "timeout": options.timeout,
                 "host_timeout": options.host_timeout, "layers": list(options.layers),
                 "agencies": list(options.agencies), "checks": list(options.check_ids),
                 "skip": list(options.skip_ids), "as_of": as_of.isoformat()},
        policy=policy, results=results, hosts=host_runs,
        checks={c.meta.id: c.meta.to_dict() for c in plan.checks_used}, complete=complete,
        stage_seconds={k: round(v, 3) for k, v in stages.items()}, stop_reason=stop_reason,
        segmentation=segmentation, discovery=stage.summary() if stage is not None else {})


def _agency_reach(plan: Plan, agency_evidence: Callable[[Agency, CollectContext], tuple[dict, dict]],
                  ctx: CollectContext, concurrency: int) -> dict[str, tuple[dict, dict]]:
    """Endpoint evidence once per agency (its systems share it), agencies probed in parallel: an unreachable
    SOC manager costs one timeout, not one per system in a row before any host is scanned."""
    agencies = {item.target.agency.id: item.target.agency for item in plan.non_host
                if any("reach" in c.meta.needs for c in item.checks)}
    if not agencies:
        return {}
    with ThreadPoolExecutor(max(1, min(concurrency, len(agencies))), thread_name_prefix="agency") as pool:
        return dict(zip(agencies, pool.map(lambda a: agency_evidence(a, ctx), agencies.values())))


def _crashed_host(item, exc: Exception) -> tuple[list[Result], HostRun]:
    """ERROR results for every planned check of a host whose scan raised (coverage stays honest)."""
    return errored_host(item, f"scanning this host crashed: {type(exc).__name__}: {clean_text(str(exc), 200)}")


def errored_host(item, reason: "str | dict[str, str]") -> tuple[list[Result], HostRun]:
    """ERROR with `reason` for every planned check of a host that gave no verdict at all (its scan crashed, or no
    scanner of its zone answered): coverage stays honest, and the skipped checks keep their NOT_APPLICABLE."""
    t = item.target
    outcome = Outcome(Status.ERROR, reason)
    return ([_result(c, t, outcome) for c in item.checks] + item.skipped,
            HostRun(t.agency.id, t.system.id, t.host.id, t.host.address, {}, 0.0))
