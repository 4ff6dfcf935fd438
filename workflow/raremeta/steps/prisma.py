"""Rules `prisma` and `prisma_figure`: the PRISMA 2020 flow table and its diagram.

`prisma` reads ``results/tables/studies.csv`` (the study folders), ``data/study_selection.csv``
and the committed registry search (``data/search/ctgov.csv`` and its manifest), each when
present, checks the decisions against the folders and writes ``results/tables/prisma.csv``. It
never searches: ``raremeta search-ctgov`` does, outside the workflow.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from raremeta.analysis.prisma import (
    PRISMA_COLUMNS,
    PrismaBox,
    PrismaRow,
    StudyFolder,
    prisma_rows,
)
from raremeta.io.ctgov_search import SearchQuery, read_search
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.study_selection import read_selection, selection_problems
from raremeta.io.writing import atomic_write_text, csv_text


def read_study_table(path: Path) -> list[StudyFolder]:
    """The study folders as ``results/tables/studies.csv`` lists them."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return [
            StudyFolder(
                study=row["study"],
                registry=row["registry"],
                same_participants_as=row["same_participants_as"],
                in_comparison=tuple(o for o in row["in_comparison"].split(";") if o),
            )
            for row in csv.DictReader(handle)
        ]


def saved_queries(specs: Sequence[Mapping[str, Any]]) -> tuple[SearchQuery, ...]:
    """The configuration's ``registry_search`` (already validated) as queries."""
    return tuple(
        SearchQuery(
            str(s["id"]),
            str(s["condition"]),
            tuple(map(str, s["interventions"])),
            bool(s.get("results_only", False)),
            str(s.get("terms") or ""),
        )
        for s in specs
    )


def run_prisma(
    studies: Path,
    out: Path,
    outcomes: Sequence[str],
    selection: Path | None = None,
    search: Path | None = None,
    queries: Sequence[Mapping[str, Any]] = (),
    raw_dir: str = "data/raw",
) -> list[PrismaRow]:
    """Check the decisions against the study folders and write the PRISMA table.

    Raises
    ------
    InvalidInputError
        A malformed ``study_selection.csv`` or search, or decisions that do not fit the study
        folders (an included record without its folder names the import command to run).
    """
    folders = read_study_table(studies)
    rows = ()
    if selection is not None:
        rows = read_selection(selection)
        registry = {f.study: f.registry for f in folders}
        problems: list[Problem] = selection_problems(rows, registry, str(selection), raw_dir)
        if problems:
            raise InvalidInputError(problems)
    found = read_search(search) if search is not None else None
    table = prisma_rows(folders, rows, found, outcomes, saved_queries(queries))
    atomic_write_text(out, csv_text(PRISMA_COLUMNS, (r.row() for r in table)))
    return table


def read_prisma(path: Path) -> list[PrismaRow]:
    """The rows of ``results/tables/prisma.csv``."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return [
            PrismaRow(PrismaBox(r["box"]), int(r["count"]), r["detail"], r["search_date"])
            for r in csv.DictReader(handle)
        ]


def run_prisma_figure(prisma: Path, outputs: list[Path], labels: Mapping[str, str]) -> None:
    """Draw the flow diagram from the table, in every format of ``outputs``."""
    # imported here: the summary reads the table (read_prisma) and draws nothing, so it does not
    # import matplotlib (about 0.5 s of CPU)
    import matplotlib.pyplot as plt

    from raremeta.report.figure_files import save_figure
    from raremeta.report.prisma_plot import prisma_plot

    fig = prisma_plot(read_prisma(prisma), dict(labels))
    save_figure(fig, outputs)
    plt.close(fig)
