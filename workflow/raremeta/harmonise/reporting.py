"""Which outcomes each study reported, and in which arms: ``results/tables/reporting.csv``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from raremeta.io.raw_studies import ReportingState, Role

#: Columns of ``results/tables/reporting.csv``: one row per study and configured outcome.
REPORTING_COLUMNS = ["study", "label", "outcome", "cni", "comparator", "reported"]


def reporting_rows(
    study: str, label: str, rows: Iterable[Mapping[str, Any]], outcomes: list[str]
) -> list[dict[str, Any]]:
    """The rows of :data:`REPORTING_COLUMNS` for one study, one per outcome of ``outcomes`` (in
    that order), from its harmonised rows (:func:`raremeta.harmonise.outcome_rows.harmonise_study`,
    whose ``reported`` says whether any arm of the row's role reported the outcome).
    """
    reported = {(r["outcome"], Role(r["role"])) for r in rows if r["reported"]}
    matrix = []
    for outcome in outcomes:
        cni = (outcome, Role.CNI) in reported
        comparator = (outcome, Role.COMPARATOR) in reported
        matrix.append(
            {
                "study": study,
                "label": label,
                "outcome": outcome,
                "cni": cni,
                "comparator": comparator,
                "reported": ReportingState.of(cni, comparator),
            }
        )
    return matrix
