"""The PRISMA flow in words: the methods paragraph's sentences on study selection, formatted
from the rows of ``results/tables/prisma.csv`` (nothing is counted here).
"""

from __future__ import annotations

from collections.abc import Sequence

from raremeta.analysis.prisma import PrismaBox, PrismaRow


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def rows_of(rows: Sequence[PrismaRow], box: PrismaBox) -> list[PrismaRow]:
    """The rows of one box, in table order."""
    return [r for r in rows if r.box == box]


def count_of(rows: Sequence[PrismaRow], box: PrismaBox) -> int:
    """The count of a box (summed over its rows)."""
    return sum(r.count for r in rows_of(rows, box))


def _reasons(rows: Sequence[PrismaRow], box: PrismaBox) -> str:
    found = rows_of(rows, box)
    return "; ".join(f"{r.detail}: {r.count}" for r in found)


def prisma_paragraph(rows: Sequence[PrismaRow]) -> str:
    """The study-selection sentences of the methods paragraph: search dates and counts.

    Examples
    --------
    >>> rows = [PrismaRow(PrismaBox.REGISTRY_RECORDS, 0, "no registry search committed yet"),
    ...         PrismaRow(PrismaBox.OTHER_RECORDS, 3, "a; b; c"),
    ...         PrismaRow(PrismaBox.OTHER_INCLUDED, 3, "a; b; c"),
    ...         PrismaRow(PrismaBox.TOTAL_STUDIES, 3, "a; b; c"),
    ...         PrismaRow(PrismaBox.TOTAL_REPORTS, 3)]
    >>> print(prisma_paragraph(rows))  # doctest: +NORMALIZE_WHITESPACE
    Study selection (PRISMA 2020; Page et al. 2021): no registry search committed yet; 3 studies
    identified by other methods (letters, reviews, hand entry), 3 of them included. The review
    includes 3 studies (3 reports).
    """
    registry = rows_of(rows, PrismaBox.REGISTRY_RECORDS)
    searched = [r for r in registry if r.search_date]
    parts = ["Study selection (PRISMA 2020; Page et al. 2021): "]
    if not searched:
        parts.append("no registry search committed yet; ")
    else:
        queries = "; ".join(r.detail for r in rows_of(rows, PrismaBox.REGISTRY_QUERY))
        each = [f"{r.search_date} ({_n(r.count, 'record')} identified)" for r in searched]
        dates = " and ".join([", ".join(each[:-1]), each[-1]] if len(each) > 1 else each)
        screened = count_of(rows, PrismaBox.REGISTRY_SCREENED)
        reasons = _reasons(rows, PrismaBox.REGISTRY_EXCLUDED_REASON)
        excluded = count_of(rows, PrismaBox.REGISTRY_EXCLUDED)
        parts.append(
            f"ClinicalTrials.gov was searched (API v2; {queries}) on {dates}; after "
            f"{_n(count_of(rows, PrismaBox.DUPLICATES_REMOVED), 'duplicate')} and "
            f"{_n(count_of(rows, PrismaBox.ALREADY_INCLUDED), 'record')} of studies already "
            f"included were removed, {_n(screened, 'record was', 'records were')} screened: "
            f"{excluded} excluded{f' ({reasons})' if reasons else ''}, "
            f"{count_of(rows, PrismaBox.REGISTRY_AWAITING)} awaiting a decision, "
            f"{count_of(rows, PrismaBox.REGISTRY_SAME_STUDY)} further reports of included "
            f"studies and {count_of(rows, PrismaBox.REGISTRY_INCLUDED)} included. "
        )
    other = count_of(rows, PrismaBox.OTHER_RECORDS)
    included = count_of(rows, PrismaBox.OTHER_INCLUDED)
    text = _n(other, "record") if searched else _n(other, "study", "studies")
    sentence = (
        f"{text} identified by other methods (letters, reviews, hand entry), {included} of them "
        "included"
    )
    excluded = count_of(rows, PrismaBox.OTHER_EXCLUDED)
    if excluded:
        sentence += f", {excluded} excluded ({_reasons(rows, PrismaBox.OTHER_EXCLUDED_REASON)})"
    awaiting = count_of(rows, PrismaBox.OTHER_AWAITING)
    if awaiting:
        sentence += f", {awaiting} awaiting a decision"
    parts.append(sentence[0].upper() + sentence[1:] + ". " if searched else sentence + ". ")
    total = count_of(rows, PrismaBox.TOTAL_STUDIES)
    reports = count_of(rows, PrismaBox.TOTAL_REPORTS)
    parts.append(f"The review includes {_n(total, 'study', 'studies')} ({_n(reports, 'report')})")
    previous = count_of(rows, PrismaBox.PREVIOUS_STUDIES)
    if searched:
        new = count_of(rows, PrismaBox.NEW_STUDIES)
        parts.append(
            f", {new} of them new since the previous version ({_n(previous, 'study', 'studies')})"
        )
    parts.append(".")
    return "".join(parts)
