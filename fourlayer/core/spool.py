"""The run's results, in memory while they are few and on disk once they are many, read back in order.

    spool = ResultSpool()                 # empty; results are held in memory up to `memory_mb` (about)
    spool.add(batch)                      # a host's results (or an agency/system batch), appended at once
    for r in spool: ...                   # Result objects in the report's order: (agency, system, host, layer, check)
    spool.rewrite(fn)                     # post-processing (clauses, waivers): fn(results) yields the new ones
    spool.documents()                     # the same, as report-document dicts (a Streamed list: the writers stream it)
    spool.close()                         # the results are dropped, the directory (if any) removed (also when the
                                          # spool is garbage-collected and at interpreter exit, so a failed or
                                          # interrupted run leaves nothing)

A 10,000-host run is ~1,000,000 results (~1 GB as objects). A run's results are held as Result objects until they
reach about `defaults.SPOOL_MEMORY_MB` (a few hundred hosts' full audit); then they all go to a JSON-lines file in a
private directory (0700, the file 0600) and every later batch is appended there: only an index of byte ranges per
target stays in memory. Held, they are read back as they are (no encoding: the writers, scoring and the history
store read the results six times in a run); spooled, they are decoded on each read. The lines are the dispatch
codec's result JSON (`result_to_json`): the fields of a Result, which carry no secret (the codec sends the same to
the broker).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from typing import Any, Callable, Iterable, Iterator

from fourlayer.core import defaults
from fourlayer.core.json_stream import Streamed
from fourlayer.core.model import Result

TargetKey = tuple[str, str, str]  # (agency, system or "", host or ""): the report's sort order, None first


def target_key(r: Result) -> TargetKey:
    return (r.agency, r.system or "", r.host or "")


def _item_order(d: dict[str, Any]) -> tuple[int, str]:
    return (int(d["layer"]), d["check_id"])


def _result_order(r: Result) -> tuple[int, str]:
    return (r.layer, r.check_id)


def _decode_lines(data: bytes) -> list[dict[str, Any]]:
    """The dicts of a segment's JSON lines, in one `json.loads` (a line never holds a raw line break: JSON
    escapes them), not one call per line: the results are read back once per report written."""
    return json.loads(b"[" + data.rstrip(b"\n").replace(b"\n", b",") + b"]")


def _line(r: Result) -> bytes:
    """One result as its spool line (the dispatch codec's JSON, compact, then a line break)."""
    from fourlayer.dispatch.codec import result_to_json

    return json.dumps(result_to_json(r), ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8") + b"\n"


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


RESULT_OVERHEAD = 850  # bytes of a held Result beyond the length of its reasons and evidence (tests/core measure it)


def held_size(r: Result) -> int:
    """About how many bytes a Result held in memory takes (its object, fields and text)."""
    return RESULT_OVERHEAD + len(r.reason) + len(r.evidence) + len(r.reason_vi or "")


class ResultSpool:
    """Results of one run, held in memory up to `memory_mb` and then in a JSON-lines file, where an index of
    (offset, length) segments per target is all that stays in memory. Reading gives exactly the order of
    `sorted(results, key=(agency, system, host, layer, check_id))` (a stable sort of the landing order), and the
    same results whether they were held or spooled. Held results are the objects that were added: a reader must
    not change them (`rewrite` is the way to change results)."""

    def __init__(self, directory: str | None = None, memory_mb: float | None = None):
        self._directory = directory
        self._budget = int((defaults.SPOOL_MEMORY_MB if memory_mb is None else memory_mb) * (1 << 20))
        self._lock = threading.Lock()
        self._held: dict[TargetKey, list[Result]] = {}  # results in memory, per target, in landing order
        self._held_bytes = 0
        self._segments: dict[TargetKey, list[tuple[int, int]]] = {}
        self._count = 0
        self._generation = 0
        self.dir: str | None = None  # the private directory, once the results went to disk
        self._path: str | None = None
        self._fh: Any = None
        self._finalizer: weakref.finalize | None = None
        self._closed = False
        self._sorted = False  # True once rewritten to disk: the file itself is in order, one segment per target

    @property
    def on_disk(self) -> bool:
        return self._fh is not None

    def _open(self) -> tuple[str, Any]:
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="fourlayer-spool-", dir=self._directory)  # mode 0700
            self._finalizer = weakref.finalize(self, _remove, self.dir)
        path = os.path.join(self.dir, f"results-{self._generation}.jsonl")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        return path, open(fd, "w+b")

    def __len__(self) -> int:
        return self._count

    def add(self, results: Iterable[Result]) -> None:
        """Append one batch; each target's results form one segment (a batch is one host, usually). The batch's
        Result objects are kept as they are while the spool is in memory: the caller must not change them."""
        batch = list(results)
        with self._lock:
            if self._closed:
                raise ValueError("the result spool is closed")
            if self._fh is None:
                size = sum(map(held_size, batch))
                if self._held_bytes + size <= self._budget:
                    for r in batch:
                        self._held.setdefault(target_key(r), []).append(r)
                    self._held_bytes += size
                    self._count += len(batch)
                    return
                self._spill()
            self._append(batch)
            self._count += len(batch)

    def _spill(self) -> None:
        """Every held result to the file (under the lock), each target one segment; nothing held afterwards."""
        self._path, self._fh = self._open()
        held, self._held, self._held_bytes = self._held, {}, 0
        for key, results in held.items():
            self._append(results, key)

    def _append(self, results: list[Result], key: TargetKey | None = None) -> None:
        by_target: dict[TargetKey, list[bytes]] = {}
        for r in results:
            by_target.setdefault(key or target_key(r), []).append(_line(r))
        fh = self._fh
        fh.seek(0, os.SEEK_END)
        for k, lines in by_target.items():
            data = b"".join(lines)
            self._segments.setdefault(k, []).append((fh.tell(), len(data)))
            fh.write(data)

    def _lines(self, keys: Iterable[TargetKey]) -> Iterator[list[dict[str, Any]]]:
        """Per target (in `keys` order), its spooled result dicts in landing order."""
        with self._lock:
            self._fh.flush()
            segments = {k: list(self._segments.get(k, ())) for k in keys}
            path = self._path
        with open(path, "rb") as fh:
            for key, parts in segments.items():
                items = []
                for offset, length in parts:
                    fh.seek(offset)
                    items.extend(_decode_lines(fh.read(length)))
                yield items

    def _targets(self, agency: str | None = None) -> list[TargetKey]:
        with self._lock:
            keys = list(self._segments) + [k for k in self._held if k not in self._segments]
        return sorted(k for k in keys if agency is None or k[0] == agency)

    def _held_results(self, agency: str | None) -> Iterator[Result] | None:
        """The held results in order (of one agency, or all); None once the results are on disk."""
        with self._lock:
            if self._fh is not None:
                return None
            groups = [self._held[k] for k in sorted(self._held) if agency is None or k[0] == agency]
        return (r for group in groups for r in sorted(group, key=_result_order))

    def _items(self, agency: str | None = None) -> Iterator[dict[str, Any]]:
        """The spooled dicts in order (of one agency, or all)."""
        for items in self._lines(self._targets(agency)):
            if not self._sorted:
                items.sort(key=_item_order)
            yield from items

    def _results(self, agency: str | None = None) -> Iterator[Result]:
        from fourlayer.dispatch.codec import result_from_json

        held = self._held_results(agency)
        return held if held is not None else map(result_from_json, self._items(agency))

    def _documents(self, agency: str | None = None) -> Iterator[dict[str, Any]]:
        held = self._held_results(agency)
        return (r.to_dict() for r in held) if held is not None else map(document_item, self._items(agency))

    def __iter__(self) -> Iterator[Result]:
        return self._results()

    def rewrite(self, change: Callable[[Iterable[Result]], Iterable[Result]]) -> None:
        """Replace the results by `change(results in order)` (which must keep their targets and order): held
        again, or written to a new file in order (the old one is removed)."""
        if self._fh is None:
            held: dict[TargetKey, list[Result]] = {}
            size = count = 0
            for r in change(iter(self)):
                held.setdefault(target_key(r), []).append(r)
                size += held_size(r)
                count += 1
            with self._lock:
                self._held, self._held_bytes, self._count = held, size, count
            return
        old_path, old_fh = self._path, self._fh
        self._generation += 1
        path, fh = self._open()
        count, segments = 0, {}
        try:
            key, start = None, 0
            for r in change(iter(self)):
                k = target_key(r)
                if k != key:
                    if key is not None:
                        segments.setdefault(key, []).append((start, fh.tell() - start))
                    key, start = k, fh.tell()
                fh.write(_line(r))
                count += 1
            if key is not None:
                segments.setdefault(key, []).append((start, fh.tell() - start))
        except BaseException:
            fh.close()
            os.unlink(path)
            raise
        with self._lock:
            self._path, self._fh, self._segments, self._count = path, fh, segments, count
            self._sorted = all(len(v) == 1 for v in segments.values())
        old_fh.close()
        os.unlink(old_path)

    def documents(self, agency: str | None = None) -> "SpooledDocuments":
        """The results as the report document's `results` items (Result.to_dict()), read when iterated."""
        return SpooledDocuments(self, agency)

    def by_agency(self) -> dict[str, "SpooledDocuments"]:
        return {a: self.documents(a) for a in dict.fromkeys(k[0] for k in self._targets())}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._held, self._held_bytes = {}, 0
            if self._fh is not None:
                self._fh.close()
        if self._finalizer is not None:
            self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed or (self._finalizer is not None and not self._finalizer.alive)

    def __enter__(self) -> "ResultSpool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def document_item(d: dict[str, Any]) -> dict[str, Any]:
    """`Result.to_dict()` of a spooled line (`result_to_json`: the same keys in the same order, plus `extra`)."""
    d.pop("extra", None)
    d["duration_ms"] = round(float(d.get("duration_ms") or 0.0), 3)
    return d


class SpooledDocuments(Streamed):
    """The report's `results` list, read from the spool each time it is iterated (never held): a `Streamed`, so
    the JSON writers and the history store encode it item by item. `len()` is the number of results."""

    def __init__(self, spool: ResultSpool, agency: str | None = None):
        super().__init__(lambda: spool._documents(agency))
        self.spool, self.agency = spool, agency
        self._len: int | None = None

    def __len__(self) -> int:
        if self.agency is None:
            return len(self.spool)
        if self._len is None:
            self._len = sum(1 for _ in self)
        return self._len

    def __bool__(self) -> bool:
        return len(self) > 0 if self.agency is None else any(True for _ in self._targets())

    def _targets(self) -> list[TargetKey]:
        return self.spool._targets(self.agency)
