"""Strict reading of the raw CSV tables against their schemas, one Problem per bad cell."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raremeta.io.errors import Problem
from raremeta.io.schemas import load_schema

#: Counts above this are rejected as implausible (a typo, not a trial).
MAX_COUNT = 10_000_000
_WHOLE = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class TableRow:
    """One data row of a raw table: its line number and its typed values (None = empty cell)."""

    line: int
    values: dict[str, Any]


def _cell(raw: str, column: str, spec: dict[str, Any], file: str, line: int):
    """Convert one cell; return (value, problem)."""
    text = raw.strip()
    kind = spec.get("type")
    if text == "":
        return None, None
    if kind == "integer":
        if not _WHOLE.match(text):
            try:
                number = float(text)
            except ValueError:
                return None, Problem(file, "must be a whole number", line, column, raw)
            if math.isfinite(number) and number < 0:
                return None, Problem(file, "must not be negative", line, column, raw)
            return None, Problem(file, "must be a whole number (no decimals)", line, column, raw)
        value = int(text)
        if value > MAX_COUNT:
            return None, Problem(
                file, f"implausibly large (more than {MAX_COUNT:,})", line, column, raw
            )
        if value < spec.get("minimum", 0):
            return None, Problem(file, f"must be at least {spec['minimum']}", line, column, raw)
        return value, None
    if kind == "number":
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            return None, Problem(file, "must be a number", line, column, raw)
        lo, hi = spec.get("minimum", -math.inf), spec.get("maximum", math.inf)
        if not math.isfinite(value) or not lo <= value <= hi:
            return None, Problem(file, f"must be a number from {lo:g} to {hi:g}", line, column, raw)
        return value, None
    if "enum" in spec and text not in spec["enum"]:
        allowed = ", ".join(repr(v) for v in spec["enum"] if v != "")
        return None, Problem(file, f"must be one of {allowed}", line, column, raw)
    if "pattern" in spec and not re.match(spec["pattern"], text):
        return None, Problem(
            file, f"must match {spec['pattern']} (lower case, digits, '-', '_')", line, column, raw
        )
    return text, None


@dataclass(frozen=True)
class CsvRecords:
    """A CSV file cut into records by :func:`tokenize`, before any schema is applied."""

    #: The header's names (stripped), or None when the file stopped before its header.
    header: tuple[str, ...] | None
    #: (line on which the record starts, its cells as written), blank records left out.
    records: tuple[tuple[int, tuple[str, ...]], ...]
    #: The problem that stopped tokenizing (the records before it are kept), or None.
    problem: Problem | None


def _stopped(problem: Problem) -> CsvRecords:
    """What :func:`tokenize` returns for a file it cannot read up to its header."""
    return CsvRecords(None, (), problem)


def tokenize(raw: bytes, file: str) -> CsvRecords:
    """Cut raw CSV bytes into a header and records: the one tokenizer of the raw tables, used by
    :func:`read_table` and, when the workflow's job graph is built, by :func:`column_values`.

    UTF-8 (a byte-order mark is dropped), comma-separated, Python's ``csv`` in strict mode. An
    empty file, bytes that are not UTF-8, NUL bytes, a header separated by ``;``, tab or ``|``
    and malformed quoting are each a :class:`Problem` naming the line; never raises.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[err.start]:02x}); save the file as UTF-8"
        return _stopped(Problem(file, message, row=line))
    if not text.strip():  # nothing, white space or a byte-order mark alone
        return _stopped(Problem(file, "file is empty; expected a header line and data rows"))
    if "\x00" in text:
        return _stopped(Problem(file, "contains NUL bytes; not a text CSV file"))
    header_line = text.splitlines()[0]
    if "," not in header_line and any(d in header_line for d in ";\t|"):
        used = next(d for d in ";\t|" if d in header_line)
        message = f"columns are separated by {used!r}; expected commas"
        return _stopped(Problem(file, message, row=1, value=header_line))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: tuple[str, ...] | None = None
    records: list[tuple[int, tuple[str, ...]]] = []
    line = 0
    try:
        header = tuple(h.strip() for h in next(reader))
        line = reader.line_num
        for record in reader:
            start = line + 1
            line = reader.line_num
            if record and any(cell.strip() for cell in record):
                records.append((start, tuple(record)))
    except csv.Error as err:
        problem = Problem(
            file,
            f"malformed CSV ({err}) in the record starting on this line; check its quotes",
            row=line + 1,
        )
        return CsvRecords(header, tuple(records), problem)
    return CsvRecords(header, tuple(records), None)


def read_table(path: Path, schema_name: str, file: str) -> tuple[list[TableRow], list[Problem]]:
    """Read a raw CSV table and check it against ``workflow/schemas/<schema_name>.schema.yaml``.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, optionally with a byte-order mark; comma-separated; header line).
    schema_name : str
        Schema that lists the columns, their types and which are required.
    file : str
        The file name used in messages.

    Returns
    -------
    rows : list of TableRow
        Rows that passed every check (rows with a problem are left out).
    problems : list of Problem
        One per problem: encoding, quoting, delimiter, header, ragged row, bad cell.
    """
    schema = load_schema(schema_name)
    columns: dict[str, dict[str, Any]] = schema["properties"]
    required: list[str] = schema["required"]
    tokens = tokenize(path.read_bytes(), file)
    if tokens.header is None:
        return [], [tokens.problem] if tokens.problem else []
    header = list(tokens.header)
    problems: list[Problem] = []
    for name in header:
        if name not in columns:
            problems.append(
                Problem(
                    file,
                    f"unknown column; expected columns are {', '.join(columns)}",
                    row=1,
                    column=name,
                )
            )
    for name in {h for h in header if header.count(h) > 1}:
        problems.append(Problem(file, "column appears more than once", row=1, column=name))
    for name in required:
        if name not in header:
            problems.append(Problem(file, "required column is missing", row=1, column=name))
    if problems:
        return [], problems
    rows: list[TableRow] = []
    for start, record in tokens.records:
        if len(record) != len(header):
            problems.append(
                Problem(
                    file,
                    f"has {len(record)} fields, the header has {len(header)} "
                    "(a stray comma or an unquoted comma inside a value?)",
                    row=start,
                    value=",".join(record),
                )
            )
            continue
        values: dict[str, Any] = {}
        bad = False
        for name, raw_cell in zip(header, record, strict=True):
            value, problem = _cell(raw_cell, name, columns[name], file, start)
            if problem:
                problems.append(problem)
                bad = True
            values[name] = value
        for name in required:
            if values.get(name) is None and not bad:
                problems.append(Problem(file, "required value is empty", start, name, ""))
                bad = True
        if not bad:
            rows.append(TableRow(start, values))
    if tokens.problem:
        return [], [*problems, tokens.problem]
    if not rows and not problems:
        problems.append(Problem(file, "has a header but no data rows", row=1))
    return rows, problems


def column_values(raw: bytes, column: str) -> list[str] | None:
    """The values of ``column`` in raw CSV bytes (stripped, as :func:`read_table` reads them;
    empty cells included), or None when :func:`read_table` would reject the file's layout
    whatever its schema: a problem of :func:`tokenize`, ``column`` missing or twice in the
    header, a record with another number of fields than the header. Never raises.

    The workflow calls it when it builds the job graph, to tell which outcomes a study reports
    before the study's job validates it (``workflow/rules/common.smk``): the same tokenizer and
    the same rules, so for a folder that passes validation the terms are the validated ones.
    """
    tokens = tokenize(raw, "")
    header = tokens.header
    if tokens.problem or header is None or header.count(column) != 1:
        return None
    if any(len(record) != len(header) for _, record in tokens.records):
        return None
    index = header.index(column)
    return [record[index].strip() for _, record in tokens.records]
