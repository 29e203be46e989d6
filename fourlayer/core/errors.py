"""Errors a user can act on: each names the file, the line, the field and the fix."""

from __future__ import annotations

from fourlayer.collectors.base import clean_text


class InputError(Exception):
    """Bad input (inventory, policy, waiver, rule file). Rendered as one line, exit code 2."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str):
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """`file:line: field: message`, printable: anything taken from a path or a file (terminal escapes,
        line breaks) is shown escaped, as peer text is."""
        path = clean_text(self.path, 1024)
        where = path if self.line is None else f"{path}:{self.line}"
        field = f" {clean_text(self.field, 200)}:" if self.field else ""
        return f"{where}:{field} {clean_text(self.message, 2000)}"


class CollectorError(Exception):
    """A collector could not gather evidence; every check that needs it becomes ERROR."""
