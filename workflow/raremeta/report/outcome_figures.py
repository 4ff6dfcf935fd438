"""From the results tables to figure rows: which pooled rows a forest plot shows, and how."""

from __future__ import annotations

import math

import pandas as pd

from raremeta.analysis.table_keys import RateSubset
from raremeta.analysis.wording import STUDY_INTERVAL_WORDS, short_reason
from raremeta.io.raw_studies import ROLES
from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import cell_text as _text
from raremeta.io.results_reading import is_true
from raremeta.report.figure_files import no_comparison_figure
from raremeta.report.forest import DEFAULT_ROLES, PooledRow, StudyRow, forest_plot
from raremeta.report.incidence_plot import ArmRate, RateRow, incidence_plot
from raremeta.report.numbers import fmt_ci, fmt_p, fmt_value
from raremeta.report.pooled_rows import (
    NO_EVENTS_RULE,
    method_label,
    outcome_pooled,
    pooled_row,
    row_key,
)
from raremeta.report.reporting_details import arm_details
from raremeta.stats.registry import (
    HETEROGENEITY,
    companion_keys,
    drawn_weight_column,
    method,
    study_interval_prefix,
)

#: What an incidence plot of an outcome no trial reported in any arm says.
NO_ARM = "No trial reported this outcome in any arm."
#: Where the trials without a count in either arm are (not in the incidence plot: adding such a
#: trial must not redraw every outcome's figures).
NEITHER_ARM_NOTE = "Trials that reported the outcome in neither arm: see the reporting matrix."
#: What a figure of an outcome without any comparison says.
NO_COMPARISON = "No trial reported this outcome in both arms: nothing to compare."


def weight_column(measure: str, method: str, model: str, estimator: str) -> str | None:
    """The study_effects.csv column holding the weights drawn beside this method's row
    (:func:`raremeta.stats.registry.drawn_weight_column`): the conditional ML method is drawn
    with the Peto weights (its one-step approximation), the MN row with the MH RD weights (its
    estimate is the MH RD); None for the methods that define no study weights (median-unbiased,
    Firth).
    """
    return drawn_weight_column((measure, method, model, estimator or ""))


def forest_keys(
    primary: pd.Series, forest_rows: tuple[str, ...] = ()
) -> list[tuple[str, str, str, str]]:
    """The pooled rows a forest plot draws: the primary row, the exact conditional (companion)
    row, then the registry's ``shown`` fits of each method named in ``forest_rows``
    (``config.yaml`` ``forest_rows:``), in that order. With no events in any arm (rule (a)) the
    added ratio rows are left out, as :func:`~raremeta.report.pooled_rows.shown_rows` does.
    """
    added = []
    for name in forest_rows:
        entry = method(name)
        fits = [(m, entry.name, model, est) for m, model, est, _ in entry.shown]
        added.extend(fits or [entry.specs()[0].key])
    keys = list(dict.fromkeys([row_key(primary), *companion_keys(), *added]))
    if str(primary.get("primary_rule", "")) == NO_EVENTS_RULE:
        keep = {row_key(primary), *companion_keys()}
        keys = [k for k in keys if k[0] == "RD" or k in keep]
    return keys


def _column(r: pd.Series, name: str) -> str | None:
    """A text cell of an appended column; None when the table has no such column."""
    return _text(r[name]) if name in r.index else None


def forest_for_outcome(
    outcome: str,
    label: str,
    pooled: pd.DataFrame,
    studies: pd.DataFrame,
    roles: dict[str, str] | None = None,
    forest_rows: tuple[str, ...] = (),
):
    """Build one outcome's forest plot from ``pooled_effects.csv`` and ``study_effects.csv``.

    The study intervals are those of :func:`~raremeta.stats.registry.study_interval_prefix`
    for the primary row (e.g. the single-study Firth interval under a Firth primary, without
    adding 0.5 to a zero cell), named in the column header. An outcome that no study reports
    in both arms (no pooled rows) is drawn as a small panel saying so.
    """
    s = studies[studies["outcome"] == outcome]
    inc = s[s["included"].map(is_true)]
    if inc.empty or (pooled["outcome"] == outcome).sum() == 0:
        return no_comparison_figure(label, NO_COMPARISON)
    p, primary = outcome_pooled(pooled, outcome)
    measure = primary["measure"]
    key = row_key(primary)
    wcol = weight_column(*key)
    prefix = study_interval_prefix(measure, key[1])
    corrected_columns = prefix == measure.lower()
    rows = []
    exc = s[~s["included"].map(is_true)]

    def counts(r) -> tuple[str, float, float, float, float]:
        """Label and events/patients of both arms, as every study row starts."""
        cells = ("events_cni", "n_cni", "events_comparator", "n_comparator")
        return (str(r["label"]), *(_f(r[c]) for c in cells))

    def provenance(r) -> dict:
        """Where the counts come from: the sources, follow-up, drugs and denominators."""
        return {
            "source_kinds_cni": _text(r["source_kinds_cni"]),
            "source_kinds_comparator": _text(r["source_kinds_comparator"]),
            "follow_up_weeks": _f(r["follow_up_weeks"]),
            **{
                f"{what}_{role}": _column(r, f"{what}_{role}")
                for what in ("drug", "population")
                for role in ROLES
            },
        }

    pooled_estimable = math.isfinite(_f(primary["estimate"]))
    any_corrected = False
    for _, r in inc.iterrows():
        estimate = _f(r[prefix])
        if math.isfinite(estimate):
            corrected = corrected_columns and is_true(r["zero_cell_corrected"])
            any_corrected |= corrected
            note = "*" if corrected else ""
        elif is_true(r["double_zero"]):  # counts for the RD only
            note = f"(no {measure}: double zero)"
        else:
            note = f"(no {measure})"
        weight = _f(r[wcol]) if pooled_estimable and wcol else math.nan
        rows.append(
            StudyRow(
                *counts(r),
                estimate,
                _f(r[f"{prefix}_ci_low"]),
                _f(r[f"{prefix}_ci_high"]),
                weight,
                note,
                **provenance(r),
            )
        )
    for _, r in exc.iterrows():
        rows.append(StudyRow(*counts(r), included=False, reason=str(r["reason"]), **provenance(r)))
    pooled_rows = []
    for k in forest_keys(primary, forest_rows):
        r = pooled_row(p, k)
        if r is None:
            continue
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
                caution=_column(r, "caution") or "",
            )
        )
    r = pooled_row(p, (measure, *HETEROGENEITY))
    het = "Heterogeneity: not assessable with a single trial."
    if r is not None and _f(r["k"]) >= 2:
        het = (
            f"Heterogeneity ({measure}, {HETEROGENEITY[0]}): tau² ({HETEROGENEITY[2]}) = "
            f"{fmt_ci(_f(r['tau2']), _f(r['tau2_ci_low']), _f(r['tau2_ci_high']))}"
            f"; I² = {fmt_value(_f(r['i2']))}%; Q = {fmt_value(_f(r['q']))}, "
            f"df = {_f(r['q_df']):.0f}, p = {fmt_p(_f(r['q_p']))}."
        )
    notes = ()
    if any_corrected:
        notes = ("* 0.5 added to every cell of a trial with a zero cell (trial estimate only).",)
    weight_label = "Weight\n(primary)"
    return forest_plot(
        label,
        measure,
        rows,
        pooled_rows,
        het,
        weight_label,
        roles=roles,
        study_interval=STUDY_INTERVAL_WORDS[prefix],
        notes=notes,
    )


def incidence_for_outcome(
    outcome: str,
    label: str,
    studies: pd.DataFrame,
    rates: pd.DataFrame,
    reporting: pd.DataFrame | None = None,
    roles: dict[str, str] | None = None,
):
    """Build the per-arm incidence plot of one outcome from ``study_effects.csv`` (each arm's
    incidence and Clopper-Pearson interval), ``pooled_rates.csv`` and ``reporting.csv`` (why an
    arm of a study in ``study_effects.csv`` has no count; the studies that report the outcome in
    neither arm are in the reporting matrix, which the plot points to).

    The pooled rows are the ``comparison`` subset of ``pooled_rates.csv`` where the table has
    one, else its rows over all arms, labelled as not a randomised comparison.
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    details = arm_details(reporting, outcome) if reporting is not None else {}
    s = studies[studies["outcome"] == outcome].sort_values("study", kind="stable")
    arms = []
    for _, r in s.iterrows():
        for role in ROLES:
            events = _f(r[f"events_{role}"])
            detail = ""
            if not math.isfinite(events):
                detail = details.get((str(r["study"]), role), "") or "no count"
            arms.append(
                ArmRate(
                    str(r["label"]),
                    role,
                    events,
                    _f(r[f"n_{role}"]),
                    _f(r[f"risk_{role}"]),
                    _f(r[f"risk_{role}_ci_low"]),
                    _f(r[f"risk_{role}_ci_high"]),
                    detail,
                    is_true(r["included"]),
                )
            )
    r = rates[rates["outcome"] == outcome]
    if "subset" in r.columns and (r["subset"] == RateSubset.COMPARISON).any():
        r = r[r["subset"] == RateSubset.COMPARISON]
    pooled = [
        RateRow(
            str(row["role"]),
            str(row["method"]),
            int(_f(row["k"])) if math.isfinite(_f(row["k"])) else 0,
            _f(row["estimate"]),
            _f(row["ci_low"]),
            _f(row["ci_high"]),
            short_reason(row["reason"]) if _text(row["reason"]) else "",
            _text(row["subset"]) if "subset" in r.columns else RateSubset.ALL_ARMS.value,
        )
        for _, row in r.iterrows()
    ]
    if s.empty:
        return no_comparison_figure(label, NO_ARM, NEITHER_ARM_NOTE)
    return incidence_plot(label, arms, pooled, roles=roles, notes=(NEITHER_ARM_NOTE,))
