"""What ``subgroups.csv`` found, typed, for the summary and the report: one
:class:`SubgroupFinding` per outcome and subgroup variable.

Kept free of estimators (only the result codes of :mod:`raremeta.stats.results`), so that the
report layer can read it without importing the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from raremeta.stats.results import Reason, Status


@dataclass(frozen=True)
class SubgroupFinding:
    """The subgroups of one outcome and variable, and the test between them.

    Attributes
    ----------
    outcome, variable : str
        Outcome id and subgroup variable (``subgroup_variable``).
    subgroups : tuple of (str, int, Status, Reason)
        Each subgroup (``not_classified`` excluded), its number of trials, status and reason.
    not_classified : int
        Trials without a value of the variable.
    test_status, test_reason : Status, Reason
        The test row's: estimated with :attr:`Reason.NONE` when Q was computed, else why not
        (e.g. :attr:`Reason.ONE_SUBGROUP`, :attr:`Reason.NO_WALD_STANDARD_ERROR`,
        :attr:`Reason.NO_COMPARABLE_STUDY`, :attr:`Reason.NO_SUBGROUP_VARIABLE`).
    q, q_df, p : float, int or None, float
        Cochran's Q between subgroups, its degrees of freedom and p-value (NaN / None when not
        computed).
    """

    outcome: str
    variable: str
    subgroups: tuple[tuple[str, int, Status, Reason], ...]
    not_classified: int
    test_status: Status
    test_reason: Reason
    q: float = math.nan
    q_df: int | None = None
    p: float = math.nan

    @property
    def tested(self) -> bool:
        """True when Q between subgroups was computed."""
        return self.test_status == Status.ESTIMATED

    @property
    def one_trial_each(self) -> bool:
        """True when every subgroup has exactly one trial (and there is at least one)."""
        return bool(self.subgroups) and all(k == 1 for _, k, _, _ in self.subgroups)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def subgroup_findings(frame: pd.DataFrame) -> tuple[SubgroupFinding, ...]:
    """The findings of ``subgroups.csv`` (read with ``keep_default_na=False``), in table order:
    one per outcome and variable (the test row closes each).
    """
    findings = []
    subgroups: list[tuple[str, int, Status, Reason]] = []
    not_classified = 0
    for row in frame.to_dict("records"):
        k = int(_number(row["k"])) if math.isfinite(_number(row["k"])) else 0
        if row["subgroup"] == "not_classified":
            not_classified = k
        elif row["subgroup"] != "":
            subgroups.append(
                (str(row["subgroup"]), k, Status(row["status"]), Reason(row["reason"]))
            )
        else:
            q_df = _number(row["q_df"])
            findings.append(
                SubgroupFinding(
                    str(row["outcome"]),
                    str(row["subgroup_variable"]),
                    tuple(subgroups),
                    not_classified,
                    Status(row["status"]),
                    Reason(row["reason"]),
                    _number(row["q_between"]),
                    int(q_df) if math.isfinite(q_df) else None,
                    _number(row["p_between"]),
                )
            )
            subgroups, not_classified = [], 0
    return tuple(findings)
