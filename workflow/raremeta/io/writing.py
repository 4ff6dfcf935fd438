"""Deterministic, spreadsheet-safe CSV output, written atomically."""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is not imported at run time: the Snakefile reads this module
    import pandas as pd

#: A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def format_cell(value: Any) -> str:
    """Format one cell: empty for missing, ``true``/``false``, integers plainly, floats to 10
    significant digits, and text starting with a formula character prefixed by an apostrophe.

    Examples
    --------
    >>> [format_cell(v) for v in (None, float("nan"), True, 4.0, 0.123456789012, "=1+1")]
    ['', '', 'true', '4', '0.123456789', "'=1+1"]
    """
    kind = type(value)  # the common cases first: a table has many cells
    if kind is float:
        return _format_float(value)
    if kind is str:
        return _format_text(value)
    pandas = sys.modules.get("pandas")  # pd.NA can only exist once pandas is imported
    if value is None or (pandas is not None and value is pandas.NA):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if hasattr(value, "item"):  # numpy scalar
        return format_cell(value.item())
    return _format_text(str(value))


def _format_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _format_float(value: float) -> str:
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.10g}"
    return "0" if text == "-0" else text


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename, so readers never see half.

    The temporary file has a fixed name beside the target (``.NAME.tmp``), not a random one: a
    job killed mid-write (SIGKILL cannot be caught) leaves that file behind, and the rerun of
    the job overwrites it and renames it away instead of leaving a stray file in the results.
    One job writes a given output (Snakemake's lock sees to that), so the name is never shared.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def csv_text(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text: a header, then each row's cells through :func:`format_cell` (LF line ends,
    minimal quoting). The one CSV format of every table the pipeline writes.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_cell(v) for v in row])
    return buffer.getvalue()


def frame_to_csv(frame: pd.DataFrame) -> str:
    """Render a DataFrame as CSV text (see :func:`csv_text`)."""
    return csv_text(frame.columns, frame.itertuples(index=False, name=None))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame deterministically and atomically (see :func:`frame_to_csv`)."""
    atomic_write_text(Path(path), frame_to_csv(frame))
