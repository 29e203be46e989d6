"""Errors a user can act on: each names the file, the line, the field and the fix."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (inventory, policy, waiver, rule file). Rendered as one line, exit code 2."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str):
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class CollectorError(Exception):
    """A collector could not gather evidence; every check that needs it becomes ERROR."""
