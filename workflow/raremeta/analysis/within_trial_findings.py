"""What ``within_trial_subgroups.csv`` found, typed, for the summary: one
:class:`WithinTrialLine` per row.

Kept free of estimators (only the result codes of :mod:`raremeta.stats.results`), so that the
report layer can read it without importing the Firth fitter (and scipy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from raremeta.stats.results import Reason


@dataclass(frozen=True)
class WithinTrialLine:
    """One row of within_trial_subgroups.csv, typed, for the summary: the interaction of
    ``subgroup`` against ``reference`` (NaN numbers and a ``reason`` when not estimated).
    """

    outcome: str
    subgroup_variable: str
    subgroup: str
    reference: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    reason: Reason

    @property
    def estimated(self) -> bool:
        """True when the row has an estimate."""
        return self.reason in (Reason.NONE, Reason.NO_CONFIDENCE_INTERVAL)


def within_trial_lines(table: pd.DataFrame) -> tuple[WithinTrialLine, ...]:
    """The rows of within_trial_subgroups.csv (as :func:`within_trial_subgroups` returns them
    or as pandas reads the file) as :class:`WithinTrialLine`, in table order.
    """

    def text(value: Any) -> str:
        return "" if pd.isna(value) else str(value)

    return tuple(
        WithinTrialLine(
            outcome=str(r["outcome"]),
            subgroup_variable=text(r["subgroup_variable"]),
            subgroup=text(r["subgroup"]),
            reference=text(r["reference_subgroup"]),
            k=int(r["k"]),
            estimate=float(r["estimate"]),
            ci_low=float(r["ci_low"]),
            ci_high=float(r["ci_high"]),
            p_value=float(r["p_value"]),
            reason=Reason(text(r["reason"])),
        )
        for r in table.to_dict("records")
    )
