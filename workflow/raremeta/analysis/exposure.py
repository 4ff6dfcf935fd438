"""Exposure-adjusted incidence (exposure_adjusted.csv): events per 100 patient-years of
planned follow-up, per outcome, study and role.
"""

from __future__ import annotations

import math

import pandas as pd

from raremeta.analysis import wording
from raremeta.analysis.outcome_data import OutcomeData
from raremeta.io.raw_studies import ROLES, Role
from raremeta.stats.person_time import rate_per_100py
from raremeta.stats.results import Reason, Status

#: The columns of exposure_adjusted.csv, in order.
EXPOSURE_COLUMNS = [
    "outcome",
    "study",
    "label",
    "role",
    "events",
    "n",
    "follow_up_weeks",
    "patient_years",
    "rate_per_100py",
    "ci_low",
    "ci_high",
    "ci_method",
    "status",
    "reason",
    "note",
]

_NOT_REPORTED = {Role.CNI: Reason.NOT_REPORTED_CNI, Role.COMPARATOR: Reason.NOT_REPORTED_COMPARATOR}


def follow_up_differs(data: OutcomeData) -> list[float]:
    """The distinct stated follow-ups (weeks) of the trials in the outcome's comparison when
    there is more than one, else an empty list.
    """
    labels = [] if data.tables is None else data.tables.labels
    weeks = {data.follow_up_weeks[c] for c in labels if math.isfinite(data.follow_up_weeks[c])}
    return sorted(weeks) if len(weeks) > 1 else []


def exposure_adjusted(data: OutcomeData) -> pd.DataFrame:
    """One row per study and role of an outcome, columns :data:`EXPOSURE_COLUMNS`: events per
    100 patient-years of planned follow-up (patients x follow-up weeks / 52) with an exact
    Poisson interval (Garwood 1936); not estimable, with its reason, when the arm did not
    report the outcome or the study states no follow-up. When the trials of the comparison
    differ in follow-up every row says that pooling them as proportions ignores it. An outcome
    without any study has one row saying so.
    """
    differs = follow_up_differs(data)
    outcome_note = wording.follow_up_differs_note(differs) if differs else ""
    rows = []
    for study in sorted(data.counts):
        weeks = data.follow_up_weeks.get(study, math.nan)
        for role in ROLES:
            events, n = data.counts[study][role]
            if not math.isfinite(n):
                continue  # the study has no arm of this role
            rate = rate_per_100py(events, n, weeks)
            if not math.isfinite(events):
                reason = _NOT_REPORTED[role]
            elif not math.isfinite(weeks):
                reason = Reason.FOLLOW_UP_NOT_STATED
            else:
                reason = Reason.NONE
            estimated = reason == Reason.NONE
            note = wording.EXPOSURE_RATE_NOTE if estimated else wording.reason_text(reason)
            rows.append(
                {
                    "outcome": data.outcome,
                    "study": study,
                    "label": data.labels[study],
                    "role": role,
                    "events": events,
                    "n": n,
                    "follow_up_weeks": weeks,
                    "patient_years": rate.patient_years,
                    "rate_per_100py": rate.rate_per_100py,
                    "ci_low": rate.ci_low,
                    "ci_high": rate.ci_high,
                    "ci_method": wording.EXPOSURE_CI_METHOD if estimated else "",
                    "status": Status.ESTIMATED if estimated else Status.NOT_ESTIMABLE,
                    "reason": reason,
                    "note": "; ".join(x for x in (note, outcome_note) if x),
                }
            )
    if not rows:
        rows.append(
            {
                "outcome": data.outcome,
                "status": Status.NOT_ESTIMABLE,
                "reason": Reason.NO_REPORTING_ARM,
                "note": wording.no_study_note(),
            }
        )
    return pd.DataFrame(rows, columns=EXPOSURE_COLUMNS)


__all__ = ["EXPOSURE_COLUMNS", "exposure_adjusted", "follow_up_differs"]
