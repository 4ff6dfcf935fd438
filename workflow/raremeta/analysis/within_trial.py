"""within_trial_subgroups.csv: treatment x subgroup interactions estimated inside trials, per
outcome and patient-level variable (the counts of ``adverse_events.csv`` rows with a
``subgroup``; :mod:`raremeta.stats.within_trial`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from raremeta.analysis import wording
from raremeta.io.raw_studies import Role
from raremeta.stats.results import Reason, status_of
from raremeta.stats.within_trial import (
    CI_METHOD,
    P_METHOD,
    SubgroupCounts,
    within_trial_interaction,
)

#: The columns of within_trial_subgroups.csv, in order.
WITHIN_TRIAL_COLUMNS = [
    "outcome",
    "subgroup_variable",
    "subgroup",
    "reference_subgroup",
    "k",
    "trials",
    "measure",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "ci_method",
    "p_value",
    "p_method",
    "status",
    "reason",
    "note",
]

#: The ``measure`` of an interaction row: ratio of odds ratios (subgroup vs reference).
MEASURE = "ratio_of_OR"


def subgroup_cells(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[SubgroupCounts]]:
    """Per-study subgroup count rows (``subgroup_counts`` of the per-study records, one
    outcome) as cells by variable: a study and subgroup with both roles.
    """
    by_key: dict[tuple[str, str, str], dict[str, tuple[float, float]]] = {}
    for row in rows:
        key = (str(row["subgroup_variable"]), str(row["study"]), str(row["subgroup"]))
        by_key.setdefault(key, {})[str(row["role"])] = (float(row["events"]), float(row["n"]))
    cells: dict[str, list[SubgroupCounts]] = {}
    for (variable, study, group), roles in by_key.items():
        if Role.CNI in roles and Role.COMPARATOR in roles:
            (e1, n1), (e2, n2) = roles[Role.CNI], roles[Role.COMPARATOR]
            cells.setdefault(variable, []).append(SubgroupCounts(study, group, e1, n1, e2, n2))
    return cells


def within_trial_subgroups(outcome: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per variable and non-reference subgroup of ``outcome`` (columns
    :data:`WITHIN_TRIAL_COLUMNS`): the interaction odds ratio estimated inside trials (Fisher
    et al., BMJ 2017;356:j573), its profile penalised-likelihood interval and penalised
    likelihood-ratio p-value, ``k`` trials contributing (``trials``, ``;``-separated). With no
    count by subgroup the outcome has one row, not estimable (``no_subgroup_counts``), whose
    note points to the summary's statement on patient characteristics.
    """
    out = []
    rows = list(rows)
    for variable, cells in sorted(subgroup_cells(rows).items()):
        effects = within_trial_interaction(cells)
        if not effects:  # one subgroup only, in every trial
            reason = Reason.NO_WITHIN_TRIAL_CONTRAST
            out.append(
                {
                    "outcome": outcome,
                    "subgroup_variable": variable,
                    "k": 0,
                    "measure": MEASURE,
                    "method": wording.WITHIN_TRIAL_METHOD,
                    "status": status_of(reason),
                    "reason": reason,
                    "note": wording.reason_text(reason),
                }
            )
        for effect in effects:
            estimated = effect.reason in (Reason.NONE, Reason.NO_CONFIDENCE_INTERVAL)
            out.append(
                {
                    "outcome": outcome,
                    "subgroup_variable": variable,
                    "subgroup": effect.subgroup,
                    "reference_subgroup": effect.reference,
                    "k": effect.k,
                    "trials": ";".join(effect.trials),
                    "measure": MEASURE,
                    "method": wording.WITHIN_TRIAL_METHOD,
                    "estimate": effect.estimate,
                    "ci_low": effect.ci_low,
                    "ci_high": effect.ci_high,
                    "ci_method": CI_METHOD if estimated else "",
                    "p_value": effect.p_value,
                    "p_method": P_METHOD if estimated else "",
                    "status": status_of(effect.reason),
                    "reason": effect.reason,
                    "note": wording.within_trial_note(effect.subgroup, effect.reference)
                    if estimated
                    else wording.reason_text(effect.reason),
                }
            )
    if not out:
        reason = Reason.NO_WITHIN_TRIAL_CONTRAST if rows else Reason.NO_SUBGROUP_COUNTS
        note = wording.reason_text(reason) if rows else wording.NO_SUBGROUP_COUNTS_NOTE
        out.append(
            {
                "outcome": outcome,
                "k": 0,
                "measure": MEASURE,
                "method": wording.WITHIN_TRIAL_METHOD,
                "estimate": math.nan,
                "status": status_of(reason),
                "reason": reason,
                "note": note,
            }
        )
    return pd.DataFrame(out, columns=WITHIN_TRIAL_COLUMNS)


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


__all__ = [
    "MEASURE",
    "WITHIN_TRIAL_COLUMNS",
    "WithinTrialLine",
    "subgroup_cells",
    "within_trial_lines",
    "within_trial_subgroups",
]
