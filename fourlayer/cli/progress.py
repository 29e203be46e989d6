"""Progress of a scan: a rich progress bar on a terminal; quiet, machine-readable lines otherwise.

log_format:
- "auto" (default): a bar (hosts done / total, current phase, elapsed, ETA) when stderr is a terminal, else nothing;
- "json": one JSON object per line on stderr — {"event": "host_done", ...} per finished host, "phase" and "end";
- "text": the same events as short human lines (for a log file).
`enabled=False` (--quiet) shows nothing at all.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from typing import Any, TextIO

LOG_FORMATS = ("auto", "json", "text")


class Progress:
    def __init__(self, total: int, enabled: bool = True, log_format: str = "auto", stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.mode = "off"
        if enabled:
            if log_format == "auto":
                self.mode = "bar" if self.stream.isatty() else "off"
            else:
                self.mode = log_format
        self.done = 0
        self.phase_name = "starting"
        self._start = time.monotonic()
        self._bar = None
        self._task = None

    # -- lifecycle ------------------------------------------------------------------------------------------
    def __enter__(self) -> "Progress":
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("[bold]{task.fields[phase]}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("hosts"), TimeElapsedColumn(), TextColumn("ETA"),
                                     TimeRemainingColumn(), TextColumn("{task.description}"),
                                     console=Console(file=self.stream), transient=True)
            # the first frame already names the phase: a fast scan may never draw a second one
            self.phase_name = "scanning"
            self._task = self._bar.add_task("", total=self.total, phase=self.phase_name)
            self._route_logging(self._bar.console)
            self._bar.start()
        self.phase("scanning")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._restore_logging()
        self._emit({"event": "end", "hosts_done": self.done, "hosts_total": self.total,
                    "seconds": round(time.monotonic() - self._start, 3)},
                   f"done: {self.done}/{self.total} hosts in {time.monotonic() - self._start:.1f} s")

    def _route_logging(self, console) -> None:
        """While the bar is drawn, log records go through rich on the bar's console: each on its own line above
        the bar, never glued onto it."""
        from rich.logging import RichHandler

        root = logging.getLogger()
        self._saved_handlers = list(root.handlers)
        handler = RichHandler(console=console, show_time=False, show_path=False, markup=False,
                              rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        for old in self._saved_handlers:
            root.removeHandler(old)
        root.addHandler(handler)
        self._handler = handler

    def _restore_logging(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self._handler)
        for old in self._saved_handlers:
            root.addHandler(old)

    # -- events -----------------------------------------------------------------------------------------------
    def phase(self, name: str) -> None:
        """The current phase: scanning, storing history, writing reports, signing…"""
        self.phase_name = name
        if self._bar is not None:
            self._bar.update(self._task, phase=name)
        self._emit({"event": "phase", "phase": name}, f"phase: {name}")

    def update(self, host: str, done: int, total: int) -> None:
        """The runner's plain progress callback (host id, hosts done, total)."""
        self.done = done
        if self._bar is not None:
            self._bar.update(self._task, completed=done, description=host)

    def on_results(self, results: list, host_run: Any | None) -> None:
        """One finished batch from the runner; a host's batch moves the bar and gives one log line."""
        if host_run is None:
            return
        self.update(host_run.host, self.done + 1, self.total)
        counts = Counter(r.status.value for r in results)
        failed_collectors = sorted(n for n, v in host_run.collectors.items() if not v.get("ok"))
        record = {"event": "host_done", "agency": host_run.agency, "system": host_run.system,
                  "host": host_run.host, "address": host_run.address, "done": self.done, "total": self.total,
                  "seconds": host_run.seconds, "statuses": dict(sorted(counts.items())),
                  "collectors_failed": failed_collectors}
        statuses = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        self._emit(record, f"host {self.done}/{self.total} {host_run.host} ({host_run.address}) "
                           f"{host_run.seconds:.1f} s: {statuses}"
                           f"{' — failed: ' + ', '.join(failed_collectors) if failed_collectors else ''}")

    def zone(self, zone: str, done: int, total: int, host: str) -> None:
        """With --broker: one host of `zone` landed (scanned, or given ERROR); progress per zone."""
        self._emit({"event": "zone_progress", "zone": zone, "done": done, "total": total, "host": host},
                   f"zone {zone}: {done}/{total} hosts")

    def _emit(self, record: dict[str, Any], text: str) -> None:
        if self.mode == "json":
            record = {"ts": round(time.time(), 3), **record}
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.mode == "text":
            self.stream.write(f"fourlayer: {text}\n")
        else:
            return
        self.stream.flush()
