"""The exceptions wpconvert raises. Each renders as one line a user can act on."""

from __future__ import annotations


class WPConvertError(Exception):
    """Base class of every error wpconvert raises on purpose."""


class UsageError(WPConvertError):
    """The call's options are wrong (unknown format, bad option value, …)."""


class InputError(WPConvertError):
    """An input cannot be read or is not a WXR export.

    ``file``, ``line`` and ``column`` say where (line and column are 0 when not known);
    ``items_read`` counts the items read from the inputs before the error.
    """

    def __init__(
        self, file: str, message: str, line: int = 0, column: int = 0, items_read: int = 0
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.items_read = items_read
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        tail = f" ({self.items_read} items read before it)" if self.items_read else ""
        return f"{where}: {self.message}{tail}"


class OutputError(WPConvertError):
    """The output cannot be written (a foreign non-empty folder, a path outside it, …)."""
