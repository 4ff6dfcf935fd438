"""The cumulative meta-analysis figure of one outcome (``cumulative.csv``; Lau et al. 1992).

One row per step, "+ <trial> (<year>)": the outcome's primary method, chosen once on all the
trials, refitted on the trials up to that one, with the number of trials it used (k) and its
estimate and interval on the primary measure's axis; a step without an estimate says why. The
figure draws what the table holds: nothing is fitted here.

References
----------
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC. Cumulative
meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med 1992;327:248-54.
"""

from __future__ import annotations

import math

import pandas as pd

from raremeta.analysis.wording import in_roles, method_label, short_reason, status_text
from raremeta.io.analysis_config import RoleLabels
from raremeta.io.results_reading import cell_float, cell_text, is_true
from raremeta.report.effect_rows_plot import EffectRow, RowKind, effect_rows_plot
from raremeta.report.figure_files import DEFAULT_ROLES, no_comparison_figure
from raremeta.stats.registry import RANDOM
from raremeta.stats.results import Reason

#: The figure's title after the outcome label.
TITLE = "{label}: cumulative meta-analysis"
#: The text columns' headers.
HEADERS = ("Trial added", "k")
#: How the steps were made (the footnote, after the method).
ORDER_NOTE = (
    "Primary method ({method}) chosen on all the data, refitted at each step on the trials up "
    "to that row; trials in order of year, ties and missing years by trial id. k: trials the "
    "method used at that step."
)
#: The footnote of an outcome with a single trial (one step).
ONE_STEP_NOTE = "One trial: the single step is the primary analysis of that trial alone."
#: What an outcome without any comparable trial shows.
NO_STEP = "No trial reported this outcome in both arms: no cumulative meta-analysis."
#: The year of a trial whose study.yaml states none.
NO_YEAR = "year not stated"


def reason_short(reason: str, roles: RoleLabels | None = None) -> str:
    """A reason code in words (the short form of the wording tables, the roles by their
    labels); a code the tables do not know is given as it is, its underscores as spaces.
    """
    try:
        words = short_reason(reason)
    except (KeyError, ValueError):
        words = reason.replace("_", " ")
    return in_roles(words, roles)


def reason_words(status: str, reason: str, roles: RoleLabels | None = None) -> str:
    """A row's status and reason code in words (:func:`reason_short`),
    ``not estimable: no comparator events (OR infinite)``.
    """
    words = reason_short(reason) if reason else ""
    try:
        head = status_text(status)
    except ValueError:
        head = status.replace("_", " ")
    return in_roles(f"{head}: {words}" if words else head, roles)


def step_label(label: str, year: float) -> str:
    """``+ AURA-LV 2019 (2019)``; ``(year not stated)`` without a year."""
    when = f"{year:.0f}" if math.isfinite(year) else NO_YEAR
    return f"+ {label} ({when})"


def _method(row: pd.Series, pooled: pd.DataFrame | None) -> str:
    """The step's method as the forest plot names it (the primary row's tau² estimator, from
    ``pooled_effects.csv``, where the model is random effects).
    """
    measure, name, model = (cell_text(row[c]) for c in ("measure", "method", "model"))
    estimator = ""
    if pooled is not None and model == RANDOM:
        p = pooled[(pooled["outcome"] == row["outcome"]) & pooled["primary"].map(is_true)]
        if not p.empty:
            estimator = cell_text(p.iloc[0]["tau2_estimator"])
    try:
        return method_label(measure, name, model, estimator)
    except KeyError:  # a method the wording tables do not know: its code
        return f"{measure}, {name}"


def cumulative_for_outcome(
    outcome: str,
    label: str,
    cumulative: pd.DataFrame,
    studies: pd.DataFrame,
    pooled: pd.DataFrame | None = None,
    roles: dict[str, str] | None = None,
):
    """Build one outcome's cumulative figure from ``cumulative.csv`` (its rows: one per step)
    and ``study_effects.csv`` (the trials' labels, by comparison id; an id not there is shown
    as it is). ``pooled`` (``pooled_effects.csv``) names the tau² estimator of a
    random-effects primary method. An outcome without a step (no comparable trial) is a small
    panel saying so.
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    role_labels = RoleLabels(roles["cni"], roles["comparator"])
    title = TITLE.format(label=label)
    c = cumulative[cumulative["outcome"] == outcome]
    c = c[c["step"].map(lambda v: math.isfinite(cell_float(v)))]
    if c.empty:
        return no_comparison_figure(title, NO_STEP)
    c = c.sort_values("step", key=lambda s: s.map(cell_float), kind="stable")
    s = studies[studies["outcome"] == outcome]
    labels = dict(zip(s["study"].astype(str), s["label"].astype(str), strict=True))
    rows = []
    for _, r in c.iterrows():
        study = cell_text(r["study_added"])
        k = cell_float(r["k"])
        estimate = cell_float(r["estimate"])
        reason = cell_text(r["reason"])
        words = ""
        if not math.isfinite(estimate):
            words = reason_words(cell_text(r["status"]), reason, role_labels)
        rows.append(
            EffectRow(
                RowKind.EFFECT,
                (step_label(labels.get(study, study), cell_float(r["year"])),
                 f"{k:.0f}" if math.isfinite(k) else "-"),
                estimate=estimate,
                ci_low=cell_float(r["ci_low"]),
                ci_high=cell_float(r["ci_high"]),
                reason=words,
                mark=(
                    f"({short_reason(reason)})"
                    if math.isfinite(estimate) and reason == Reason.NO_CONFIDENCE_INTERVAL
                    else ""
                ),
            )
        )  # fmt: skip
    first = c.iloc[0]
    notes = [ORDER_NOTE.format(method=_method(first, pooled))]
    if len(rows) == 1:
        notes.append(ONE_STEP_NOTE)
    return effect_rows_plot(
        title, cell_text(first["measure"]), HEADERS, rows, tuple(notes), roles=roles
    )
