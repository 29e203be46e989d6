"""What `fourlayer scan` adds around one run: the history database, graceful interruption, signing, exit codes.

    session = ScanSession(db=path_or_None, lock_timeout=30, sign_key=None, handle_signals=True)
    with session.open(inventory, policy, options, hosts_planned):   # lock, past findings, run row
        run = run_scan(..., on_results=session.recorder(progress), stop=session.stop)
        doc = build_document(run, inventory)
        session.finish(run, doc)                                     # doc["history"], stored run
        written = session.write_reports(doc, out, stem, formats, langs)  # + signatures
    session.exit(session.exit_code(doc, fail_under, fail_on))

Exit codes (docs/exit-codes.md): 0 ok, 1 internal error, 2 bad input, 3 an agency scored below --fail-under,
4 a FAIL at or above --fail-on, 5 the history database is busy (another scan), 6 a signature did not verify,
7 a report could not be written (the run is stored as incomplete), 8 the history database could not store the
run (the reports were written), 130 interrupted by SIGINT (Ctrl-C), 143 stopped by SIGTERM.

Output faults are found before any traffic where they can be (an --out or --db that cannot be written: exit 2);
a disk that fills during the scan never costs the other output: a full database still leaves the reports, and
a report that cannot be written is never left truncated (see reports/writers.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import sqlite3
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from fourlayer.core.errors import InputError
from fourlayer.core.model import Severity

from fourlayer.cli.exit_codes import (EXIT_BELOW_SCORE, EXIT_BUSY, EXIT_FAIL_ON, EXIT_HISTORY_NOT_STORED, EXIT_OK,
                                      EXIT_REPORTS_NOT_WRITTEN, EXIT_SIGINT, EXIT_SIGTERM)

log = logging.getLogger("fourlayer.session")


def exit_code(doc: dict[str, Any], fail_under: float | None, fail_on: str | None,
              signal_code: int | None = None) -> tuple[int, str | None]:
    """(exit code, one-line reason) for a finished scan. Interruption wins, then --fail-on, then --fail-under."""
    if signal_code:
        return signal_code, "the scan was interrupted; what finished is stored as an incomplete run"
    if fail_on is not None:
        limit = Severity(fail_on).rank
        hits = [r for r in doc["results"] if r["status"] == "FAIL" and Severity(r["severity"]).rank <= limit]
        if hits:
            first = hits[0]
            return EXIT_FAIL_ON, (f"{len(hits)} failed check(s) of severity {fail_on} or higher (--fail-on), "
                                  f"e.g. {first['check_id']} on {first['host'] or first['system'] or first['agency']}")
    if fail_under is not None:
        low = [(a["id"], a["summary"]["score"]) for a in doc["agencies"]
               if a["summary"]["score"] is None or a["summary"]["score"] < fail_under]
        if low:
            shown = ", ".join(f"{i} {'no score' if s is None else s}" for i, s in low)
            return EXIT_BELOW_SCORE, f"agency score below --fail-under {fail_under:g}: {shown}"
    return EXIT_OK, None


class ScanSession:
    """History store, signal handling and signing for one scan. With `db=None` it stores nothing."""

    def __init__(self, db: Path | None = None, lock_timeout: float = 30.0, sign_key: Path | None = None,
                 handle_signals: bool = False, log_format: str = "auto"):
        from fourlayer.signing.files import load_private_key

        self.db = db
        self.lock_timeout = lock_timeout
        self.handle_signals = handle_signals
        self.log_format = log_format
        self.key = load_private_key(sign_key) if sign_key else None  # before any traffic: a bad key is exit 2
        self.stop = threading.Event()
        self.signal_code: int | None = None
        self.store = None
        self.run_id: str | None = None
        self.policy: dict[str, Any] = {}
        self._lock = None
        self._finished = False
        self._progress = None
        self.history_error: str | None = None  # why the run could not be stored (the scan went on without it)
        self.reports_error: str | None = None  # why a report could not be written
        self.cleanups: list[Callable[[], Any]] = []  # run before an abort (second signal), e.g. stop a lab
        # removed before any exit that skips the interpreter's own clean-up (os._exit), e.g. the results' spool
        self.temporaries: list[Callable[[], Any]] = []

    # -- before and around the scan ------------------------------------------------------------------------
    @contextlib.contextmanager
    def open(self, inventory, policy: dict[str, Any], options, hosts_planned: int) -> Iterator["ScanSession"]:
        self.policy = policy
        saved = self._install_signals()
        try:
            if self.db is not None:
                self._open_store(inventory, options, hosts_planned)
            yield self
        except BaseException as exc:
            if self.store is not None and self.run_id and not self._finished:
                with contextlib.suppress(Exception):
                    self.store.abandon_run(self.run_id, f"the scan failed: {type(exc).__name__}")
            raise
        finally:
            if self.store is not None:
                self.store.close()
                self.store = None
            if self._lock is not None:
                self._lock.release()
            self._restore_signals(saved)

    def _open_store(self, inventory, options, hosts_planned: int) -> None:
        from fourlayer import __version__
        from fourlayer.history.diff import load_persistence
        from fourlayer.history.storage import HistoryStore, ScanLock, StoreBusy

        HistoryStore(self.db).close()  # create/migrate (and report a bad --db) before taking the lock file
        self._lock = ScanLock(self.db, self.lock_timeout)
        try:
            self._lock.acquire(cancel=self.stop)
        except StoreBusy as exc:
            self._lock = None
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(self.signal_code or EXIT_BUSY) from None
        except OSError as exc:  # the lock file beside the database cannot be created (read-only directory...)
            self._lock = None
            raise self._unwritable(exc.strerror or str(exc)) from None
        self.store = HistoryStore(self.db)
        try:  # the first writes, before any traffic: a read-only or full database is bad input, not a crash
            stale = self.store.mark_stale_runs()
            if stale:
                log.warning("%d earlier run(s) were left unfinished; marked incomplete", stale)
            agencies = [a.id for a in inventory.agencies if not options.agencies or a.id in options.agencies]
            options.history = load_persistence(self.store, agencies)
            self.run_id = options.run_id = options.run_id or uuid.uuid4().hex[:12]
            self.store.begin_run(self.run_id, dt.datetime.now(dt.timezone.utc).isoformat(), inventory.path,
                                 __version__, {k: v for k, v in vars(options).items() if k != "history"},
                                 agencies, hosts_planned)
        except sqlite3.Error as exc:
            self.run_id = None
            raise self._unwritable(str(exc)) from None

    def _unwritable(self, reason: str) -> InputError:
        return InputError(str(self.db), None, "--db", f"cannot write the history database ({reason}); free space "
                                                      "there, choose another --db, or scan with --no-history")

    def _history_failed(self, exc: Exception) -> None:
        """The database stopped taking writes mid-scan (disk full, I/O error): go on without it, say so once."""
        if self.history_error is None:
            self.history_error = str(exc) or type(exc).__name__
            click.echo(f"warning: the history database {self.db} could not store results ({self.history_error}); "
                       "the scan goes on and its reports are still written", err=True)

    def recorder(self, progress) -> Callable[[list, Any], None]:
        """The runner's on_results callback: store each finished batch, then move the progress display."""
        self._progress = progress

        def record(results: list, host_run: Any | None) -> None:
            if self.store is not None and self.history_error is None:
                try:
                    self.store.add_results(self.run_id, results, host_run)
                except sqlite3.Error as exc:
                    self._history_failed(exc)
            progress.on_results(results, host_run)
        return record

    def finish(self, run, doc: dict[str, Any]) -> None:
        """Attach `doc["history"]` (when earlier runs exist) and store the run with its report document."""
        if self.store is None:
            return
        from fourlayer.history.diff import history_section

        if self._progress is not None:
            self._progress.phase("storing history")
        trend_runs = int(self.policy.get("history", {}).get("trend_runs", 12))
        try:
            section = history_section(self.store, doc, trend_runs)
            if section is not None:
                doc["history"] = section
            if self.history_error is None:
                self.store.finish_run(run.id, run.started.isoformat(),
                                      run.finished.isoformat() if run.finished else None,
                                      run.complete, run.stop_reason, doc, run.results)
                self._finished = True
        except sqlite3.Error as exc:
            self._history_failed(exc)
        if self.history_error is not None:  # left incomplete (or marked so by the next scan if even this fails)
            with contextlib.suppress(sqlite3.Error):
                self.store.abandon_run(run.id, f"the history database could not store the run: {self.history_error}")

    def write_reports(self, doc: dict[str, Any], out: Path, stem: str, formats: list[str],
                      langs: list[str], split: str | None = None) -> list[Path]:
        """Write the reports (and their signatures); the complete files written. When one cannot be written
        none is left truncated, the stored run becomes incomplete and the exit code says so (7). `split`
        "agency": a province overview plus one report per agency (fourlayer.reports.split) instead of one."""
        from fourlayer.reports.split import write_split
        from fourlayer.reports.writers import ReportWriteError, write_all

        written: list[Path] = []
        try:
            written = write_split(doc, out, stem, formats, langs, split) if split else \
                write_all(doc, out, stem, formats, langs)
            written += self.sign(written)
        except ReportWriteError as exc:
            written = written or exc.written
            stored = self.store is not None and self._finished
            if stored:
                try:
                    self.store.mark_incomplete(self.run_id, f"the reports could not be written: {exc.reason}")
                except sqlite3.Error as db_exc:
                    self._history_failed(db_exc)
                    stored = False
            self.reports_error = (f"{exc}; {len(written)} complete file(s) written"
                                  f"{', the run is stored as incomplete' if stored else ''}")  # said at exit
        return written

    def sign(self, written: list[Path]) -> list[Path]:
        """`<report>.sig` and `<report>.sshsig` for every report file when a signing key was given."""
        if self.key is None:
            return []
        from fourlayer.reports.writers import ReportWriteError
        from fourlayer.signing.files import SSHSIG_SUFFIX, sig_path_for, sign_file

        if self._progress is not None:
            self._progress.phase("signing")
        signatures: list[Path] = []
        for report in written:
            try:
                signatures += sign_file(report, self.key)
            except OSError as exc:
                partial = sig_path_for(report)
                for leftover in (partial, sig_path_for(report, SSHSIG_SUFFIX)):
                    with contextlib.suppress(OSError):
                        leftover.unlink()  # never a truncated signature either
                raise ReportWriteError(partial, exc.strerror or str(exc), written + signatures) from None
        return signatures

    # -- signals ----------------------------------------------------------------------------------------------
    def _install_signals(self) -> dict[int, Any]:
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return {}
        saved = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            saved[signum] = signal.signal(signum, self._on_signal)
        return saved

    @staticmethod
    def _restore_signals(saved: dict[int, Any]) -> None:
        for signum, handler in saved.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        code = EXIT_SIGINT if signum == signal.SIGINT else EXIT_SIGTERM
        if self.signal_code is not None:  # a second signal: stop now; stored hosts are already committed
            sys.stderr.write("fourlayer: aborted\n")
            for cleanup in [*self.temporaries, *self.cleanups]:
                with contextlib.suppress(Exception):
                    cleanup()
            os._exit(code)
        self.signal_code = code
        self.stop.set()
        sys.stderr.write(f"fourlayer: {signal.Signals(signum).name} — stopping; finished hosts are kept and the run "
                         "is stored as incomplete (send it again to abort at once)\n")

    # -- the end ----------------------------------------------------------------------------------------------
    def exit_code(self, doc: dict[str, Any], fail_under: float | None, fail_on: str | None) -> int:
        """Interruption wins, then a report not written (7), then a run not stored (8), then --fail-on/-under."""
        code, why = exit_code(doc, fail_under, fail_on, self.signal_code)
        if self.signal_code is not None and self.reports_error is not None:
            click.echo(f"error: {self.reports_error}", err=True)
        elif self.reports_error is not None:
            code, why = EXIT_REPORTS_NOT_WRITTEN, self.reports_error
        elif self.signal_code is None and self.history_error is not None:
            code, why = EXIT_HISTORY_NOT_STORED, (f"the history database could not store this run "
                                                  f"({self.history_error}); the reports were written")
        if why:
            click.echo(f"exit {code}: {why}", err=True)
        return code

    def exit(self, code: int) -> None:
        """Leave with `code`. After a signal, hosts still in flight are abandoned rather than waited for."""
        if code == EXIT_OK:
            return
        if self.signal_code is not None and threading.active_count() > 1:
            for remove in self.temporaries:
                with contextlib.suppress(Exception):
                    remove()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code)
