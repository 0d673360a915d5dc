"""The one error type user input can raise, so every front door reports it the same way."""

from __future__ import annotations


class PartialsError(ValueError):
    """Bad user input: a human message plus where it points (field, line, column; 1-based)."""

    def __init__(
        self,
        message: str,
        *,
        column: int | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.column = column
        self.line = line
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """The message with its location, e.g. ``unknown function 'sn' at column 1``."""
        where = ""
        if self.column is not None:
            where = f" at column {self.column}"
            if self.line is not None and self.line > 1:
                where = f" at line {self.line}, column {self.column}"
        head, sep, tail = self.message.partition(" — ")
        text = f"{head}{where}{sep}{tail}"
        return f"{self.field}: {text}" if self.field else text

    def in_field(self, field: str) -> PartialsError:
        """The same error, labelled with the input it came from (``grid for t``)."""
        return type(self)(self.message, column=self.column, line=self.line, field=field)


class ResourceLimitError(PartialsError):
    """Valid input that asks for more than the configured limits allow (CLI exit code 3)."""
