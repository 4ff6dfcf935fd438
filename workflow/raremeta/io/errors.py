"""Input problems: one message per problem, naming the file, row, column and value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in one input file.

    Attributes
    ----------
    file : str
        Path of the file, as the user knows it (relative to the project where possible).
    message : str
        What is wrong and what was expected.
    row : int or None
        Line number in the file (the header of a CSV is line 1), or None for the whole file.
    column : str or None
        Column or key the problem is in, if any.
    value : str or None
        The offending value, as read.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.value is not None:
            shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
            where.append(f"value {shown!r}")
        return ", ".join(where) + f": {self.message}"


class InvalidInputError(ValueError):
    """Raised when input files break the raw-data contract; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input; nothing was computed:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))
