"""From the results tables to figure rows: which pooled rows a forest plot shows, and how."""

from __future__ import annotations

import math

import pandas as pd

from raremeta.analysis.table_keys import RateSubset
from raremeta.io.raw_studies import ROLES
from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import cell_text as _text
from raremeta.io.results_reading import is_true
from raremeta.report.forest import PooledRow, StudyRow, forest_plot
from raremeta.report.incidence_plot import ArmRate, incidence_plot
from raremeta.report.pooled_rows import (
    method_label,
    outcome_pooled,
    pooled_row,
    row_key,
    shown_rows,
)
from raremeta.stats.registry import HETEROGENEITY, drawn_weight_column


def weight_column(measure: str, method: str, model: str, estimator: str) -> str | None:
    """The study_effects.csv column holding the weights drawn beside this method's row
    (:func:`raremeta.stats.registry.drawn_weight_column`): the conditional ML method is drawn
    with the Peto weights (its one-step approximation), the MN row with the MH RD weights (its
    estimate is the MH RD); None for the methods that define no study weights (median-unbiased,
    Firth).
    """
    return drawn_weight_column((measure, method, model, estimator or ""))


def forest_for_outcome(outcome: str, label: str, pooled: pd.DataFrame, studies: pd.DataFrame):
    """Build one outcome's forest plot from ``pooled_effects.csv`` and ``study_effects.csv``."""
    p, primary = outcome_pooled(pooled, outcome)
    measure = primary["measure"]
    key = row_key(primary)
    wcol = weight_column(*key)
    rows = []
    s = studies[studies["outcome"] == outcome]
    inc = s[s["included"].map(is_true)]
    exc = s[~s["included"].map(is_true)]
    m = measure.lower()

    def counts(r) -> tuple[str, float, float, float, float]:
        """Label and events/patients of both arms, as every study row starts."""
        cells = ("events_cni", "n_cni", "events_comparator", "n_comparator")
        return (str(r["label"]), *(_f(r[c]) for c in cells))

    def provenance(r) -> dict:
        """The kinds of source of the two counts and the follow-up, as every study row ends."""
        return {
            "source_kinds_cni": _text(r["source_kinds_cni"]),
            "source_kinds_comparator": _text(r["source_kinds_comparator"]),
            "follow_up_weeks": _f(r["follow_up_weeks"]),
        }

    pooled_estimable = math.isfinite(_f(primary["estimate"]))
    for _, r in inc.iterrows():
        estimate = _f(r[m])
        if math.isfinite(estimate):
            note = "*" if is_true(r["zero_cell_corrected"]) else ""
        elif is_true(r["double_zero"]):  # counts for the RD only
            note = f"(no {measure}: double zero)"
        else:
            note = f"(no {measure})"
        weight = _f(r[wcol]) if pooled_estimable and wcol else math.nan
        rows.append(
            StudyRow(
                *counts(r),
                estimate,
                _f(r[f"{m}_ci_low"]),
                _f(r[f"{m}_ci_high"]),
                weight,
                note,
                **provenance(r),
            )
        )
    for _, r in exc.iterrows():
        rows.append(StudyRow(*counts(r), included=False, reason=str(r["reason"]), **provenance(r)))
    pooled_rows = []
    for k, r in shown_rows(p, primary):
        pooled_rows.append(
            PooledRow(
                ("Primary: " if k == key else "") + method_label(*k),
                k[0],
                _f(r["estimate"]),
                _f(r["ci_low"]),
                _f(r["ci_high"]),
                reason=str(r["reason"]),
                primary=k == key,
                status=str(r["status"]),
            )
        )
    r = pooled_row(p, (measure, *HETEROGENEITY))
    het = "Heterogeneity: not assessable with a single study"
    if r is not None and _f(r["k"]) >= 2:
        het = (
            f"Heterogeneity ({measure}, {HETEROGENEITY[0]}): tau² ({HETEROGENEITY[2]}) = "
            f"{_f(r['tau2']):.3g} "
            f"[{_f(r['tau2_ci_low']):.3g}, {_f(r['tau2_ci_high']):.3g}]; "
            f"I² = {_f(r['i2']):.0f}%; Q = {_f(r['q']):.2f}, df = {_f(r['q_df']):.0f}, "
            f"p = {_f(r['q_p']):.3f}"
        )
    het += ".  * 0.5 added to every cell of a study with a zero cell (study estimate only)."
    weight_label = "Weight\n(primary)" if wcol else "Weight\n(n/a)"
    return forest_plot(label, measure, rows, pooled_rows, het, weight_label)


def incidence_for_outcome(outcome: str, label: str, studies: pd.DataFrame, rates: pd.DataFrame):
    """Build the per-arm incidence plot of one outcome from ``study_effects.csv`` (each arm's
    incidence and Clopper-Pearson interval) and ``pooled_rates.csv``.
    """
    s = studies[studies["outcome"] == outcome].sort_values("study", kind="stable")
    arms = [
        ArmRate(
            str(r["label"]),
            role,
            _f(r[f"events_{role}"]),
            _f(r[f"n_{role}"]),
            _f(r[f"risk_{role}"]),
            _f(r[f"risk_{role}_ci_low"]),
            _f(r[f"risk_{role}_ci_high"]),
        )
        for _, r in s.iterrows()
        for role in ROLES
        if math.isfinite(_f(r[f"events_{role}"]))
    ]
    r = rates[rates["outcome"] == outcome]
    if "subset" in r:  # the rates drawn so far: every arm of a role (issue 20 adds comparison)
        r = r[r["subset"] == RateSubset.ALL_ARMS]
    pooled = {
        (row["role"], row["method"]): (
            _f(row["estimate"]),
            _f(row["ci_low"]),
            _f(row["ci_high"]),
            str(row["status"]),
        )
        for _, row in r.iterrows()
    }
    return incidence_plot(label, arms, pooled)
