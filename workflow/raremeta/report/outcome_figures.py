"""From the results tables to figure rows: which pooled rows a forest plot shows, and how."""

from __future__ import annotations

import math

import pandas as pd

from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import is_true
from raremeta.report.forest import PooledRow, StudyRow, forest_plot
from raremeta.report.incidence_plot import ArmRate, incidence_plot
from raremeta.report.pooled_rows import (
    outcome_pooled,
    pooled_row,
    row_key,
    shown_rows,
)

METHOD_LABELS = {
    ("MH", "common", ""): "Mantel-Haenszel, common effect",
    ("Peto", "common", ""): "Peto, common effect",
    ("IV", "common", ""): "Inverse variance, common effect",
    ("IV", "random", "DL"): "Inverse variance, random effects (DL)",
    ("IV", "random", "REML"): "Inverse variance, random effects (REML)",
    ("IV", "random", "PM"): "Inverse variance, random effects (PM)",
    ("exact", "common", ""): "Exact conditional ML, common effect",
}
WEIGHT_COLUMN = {
    ("OR", "MH"): "weight_mh_or",
    ("RR", "MH"): "weight_mh_rr",
    ("RD", "MH"): "weight_mh_rd",
    ("OR", "Peto"): "weight_peto",
    ("OR", "exact"): "weight_peto",
}


def method_label(measure: str, method: str, model: str, estimator: str) -> str:
    """E.g. ``"OR, Mantel-Haenszel, common effect"``."""
    return f"{measure}, {METHOD_LABELS[(method, model, estimator or '')]}"


def weight_column(measure: str, method: str, model: str, estimator: str) -> str:
    """The study_effects.csv column holding the weights of this method."""
    if method == "IV":
        return f"weight_iv_{measure.lower()}_{(estimator or 'common').lower()}"
    return WEIGHT_COLUMN[(measure, method)]


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

    pooled_estimable = math.isfinite(_f(primary["estimate"]))
    for _, r in inc.iterrows():
        estimate = _f(r[m])
        if math.isfinite(estimate):
            note = "*" if "0.5 added" in str(r["correction"]) else ""
        else:  # e.g. a double-zero study, which counts for the RD only
            note = f"(no {measure}: {str(r['correction']).split(':')[0]})"
        weight = _f(r[wcol]) if pooled_estimable else math.nan
        rows.append(
            StudyRow(
                *counts(r), estimate, _f(r[f"{m}_ci_low"]), _f(r[f"{m}_ci_high"]), weight, note
            )
        )
    for _, r in exc.iterrows():
        rows.append(StudyRow(*counts(r), note=str(r["note"]), included=False))
    pooled_rows = []
    for k, r in shown_rows(p, primary):
        pooled_rows.append(
            PooledRow(
                ("Primary: " if k == key else "") + method_label(*k),
                k[0],
                _f(r["estimate"]),
                _f(r["ci_low"]),
                _f(r["ci_high"]),
                str(r["note"]),
                primary=k == key,
            )
        )
    r = pooled_row(p, (measure, "IV", "random", "REML"))
    het = "Heterogeneity: not assessable with a single study"
    if r is not None and _f(r["k"]) >= 2:
        het = (
            f"Heterogeneity ({measure}, IV): tau² (REML) = {_f(r['tau2']):.3g} "
            f"[{_f(r['tau2_ci_low']):.3g}, {_f(r['tau2_ci_high']):.3g}]; "
            f"I² = {_f(r['i2']):.0f}%; Q = {_f(r['q']):.2f}, df = {_f(r['q_df']):.0f}, "
            f"p = {_f(r['q_p']):.3f}"
        )
    het += ".  * 0.5 added to every cell of a study with a zero cell (study estimate only)."
    weight_label = "Weight\n(primary)"
    return forest_plot(label, measure, rows, pooled_rows, het, weight_label)


def incidence_for_outcome(outcome: str, label: str, harmonised: pd.DataFrame, rates: pd.DataFrame):
    """Build the per-arm incidence plot of one outcome."""
    h = harmonised[(harmonised["outcome"] == outcome) & harmonised["reported"]]
    arms = [
        ArmRate(str(r["label"]), r["role"], _f(r["events"]), _f(r["n"])) for _, r in h.iterrows()
    ]
    r = rates[rates["outcome"] == outcome]
    pooled = {
        (row["role"], row["method"]): (
            _f(row["estimate"]),
            _f(row["ci_low"]),
            _f(row["ci_high"]),
            str(row["note"]),
        )
        for _, row in r.iterrows()
    }
    return incidence_plot(label, arms, pooled)
