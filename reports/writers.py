"""Output formats: name -> writer(document, out_dir, stem, langs) -> files written.

Adding a format is one entry here; `fourlayer scan --format` accepts every key of WRITERS. Every writer streams
its text to the file piece by piece (a 2,000-host report never exists as one string), into a temporary file
beside the report that is renamed into place once complete: a report at its final name is never truncated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from fourlayer.core.errors import InputError
from fourlayer.reports.csv_report import write_csv
from fourlayer.reports.html_report import generate_html
from fourlayer.reports.json_report import write_json
from fourlayer.reports.junit_report import write_junit
from fourlayer.reports.sarif_report import write_sarif
from fourlayer.reports.view import ordered

Writer = Callable[[dict[str, Any], Path, str, list[str]], list[Path]]


class ReportWriteError(Exception):
    """A report could not be written (disk full, I/O error...). `written` holds the complete files before it."""

    def __init__(self, path: Path, reason: str, written: list[Path] | None = None):
        self.path, self.reason, self.written = path, reason, list(written or [])
        super().__init__(f"could not write the report {path}: {reason}")


@contextlib.contextmanager
def atomic_text(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at `path` only once it is completely written (and flushed to disk);
    on any error the partial temporary file is removed and `path` keeps what it held before."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to a plain open()
    except OSError as exc:
        raise ReportWriteError(path, exc.strerror or str(exc)) from None
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ReportWriteError(path, exc.strerror or str(exc)) from None
        raise


def _single(suffix: str, stream: Callable[[dict[str, Any], TextIO], None]) -> Writer:
    """A writer for a format that does not depend on the language: one UTF-8 file <stem><suffix>."""
    def write(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
        path = out / f"{stem}{suffix}"
        with atomic_text(path, newline="") as fh:
            stream(doc, fh)
        return [path]

    return write


def write_html(doc: dict[str, Any], out: Path, stem: str, langs: list[str]) -> list[Path]:
    written = []
    shared = ordered(doc["results"]) if len(langs) > 1 else None  # read and sorted once for every language
    for lang in langs:
        path = out / f"{stem}.{lang}.html"
        try:
            with atomic_text(path) as fh:
                fh.writelines(generate_html(doc, lang, shared))  # streamed: never the whole report in memory
        except ReportWriteError as exc:
            exc.written = written
            raise
        written.append(path)
        # No gc.collect() here: generate_html releases the language's view when the page is written (View.release
        # breaks the cycles Jinja keeps it in, so refcounting frees it), and a full collection walks every live
        # object: with --split agency over 10,000 hosts it ran 1,000 times at ~0.4 s each.
    return written


WRITERS: dict[str, Writer] = {
    "html": write_html,
    "json": _single(".json", write_json),
    "csv": _single(".csv", write_csv),
    "sarif": _single(".sarif", write_sarif),
    "junit": _single(".junit.xml", write_junit),
}
DEFAULT_FORMATS = tuple(WRITERS)


def ensure_writable(out: Path) -> None:
    """InputError (before any traffic) unless a report file can be created in `out`, or `out` can be created.
    Leaves nothing behind: the probe file is removed and a missing `out` is only made when reports are written."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(existing))
        probe = existing / f".fourlayer-probe-{secrets.token_hex(4)}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        why = f"{existing} is not a directory" if isinstance(exc, NotADirectoryError) else \
            f"cannot write reports there ({exc.strerror or exc})"
        raise InputError(str(out), None, "--out", f"{why}; choose a writable directory with --out") from None


def write_all(doc: dict[str, Any], out: Path, stem: str, formats: list[str], langs: list[str]) -> list[Path]:
    """Write every format; the first one that fails raises ReportWriteError (files already complete are kept)."""
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(out, exc.strerror or str(exc)) from None
    for name in formats:
        try:
            written.extend(WRITERS[name](doc, out, stem, langs))
        except ReportWriteError as exc:
            exc.written = written + [p for p in exc.written if p not in written]
            raise
    return written
