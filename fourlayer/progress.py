"""Progress of a scan: a rich progress bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, enabled: bool = True):
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self._bar = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, \
                TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._bar = RichProgress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
                                     transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total)
        return self

    def update(self, host: str, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, description=host)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
