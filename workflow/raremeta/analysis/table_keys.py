"""Codes and column names that the results tables share with the layers that read them.

Kept free of estimators, so that the report layer (figures, summaries) can read them without
importing scipy: a figure job's start-up is paid once per outcome.
"""

from __future__ import annotations

from enum import StrEnum


class PrimaryRule(StrEnum):
    """Why a row is primary: the code written to the ``primary_rule`` column."""

    CONFIGURED = "configured"
    NO_COMPARABLE_STUDY = "auto_no_comparable_study"
    NO_EVENTS = "auto_no_events"
    MH_OR_FINITE = "auto_mh_or_finite"
    MH_OR_NOT_FINITE = "auto_mh_or_not_finite"


#: (measure, method, model, tau2 estimator) -> the study_effects.csv column of its weights.
WEIGHT_COLUMNS = {
    ("OR", "MH", "common", ""): "weight_mh_or",
    ("RR", "MH", "common", ""): "weight_mh_rr",
    ("RD", "MH", "common", ""): "weight_mh_rd",
    ("OR", "Peto", "common", ""): "weight_peto",
    **{
        (m, "IV", model, e): f"weight_iv_{m.lower()}_{(e or 'common').lower()}"
        for m in ("OR", "RR", "RD")
        for model, e in (("common", ""), ("random", "DL"), ("random", "REML"), ("random", "PM"))
    },
}
