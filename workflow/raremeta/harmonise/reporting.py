"""Which outcomes each study reported, and in which arms: ``results/tables/reporting.csv``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from raremeta.io.raw_studies import Role

#: Columns of ``results/tables/reporting.csv``: one row per study and configured outcome.
REPORTING_COLUMNS = ["study", "label", "outcome", "cni", "comparator", "reported"]


class ReportingState(StrEnum):
    """The ``reported`` codes of ``reporting.csv``: whether any arm of each role reported an
    outcome (both roles, one role only, neither).
    """

    BOTH_ARMS = "both_arms"
    ONE_ARM = "one_arm"
    NEITHER = "neither"

    @classmethod
    def of(cls, cni: bool, comparator: bool) -> ReportingState:
        """The state of an outcome that the CNI role did (``cni``) or did not report, and the
        comparator role likewise (a role counts when any of its arms reported).
        """
        if cni and comparator:
            return cls.BOTH_ARMS
        return cls.ONE_ARM if cni or comparator else cls.NEITHER


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
