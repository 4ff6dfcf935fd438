"""The subgroup forest plot of one outcome (``subgroups.csv``), one block per subgroup variable.

Each block: one row per subgroup with its trials (k), events/patients per role, and the
outcome's primary method fitted within it (estimate and interval on the primary measure's
axis, or why there is none); under it the test for subgroup differences, "Q = x, df = d,
p = y" (Cochran's Q between the subgroup estimates), or why it is not computed. Subgroups of
trials are observational comparisons, and the figure says so. It draws what the table holds:
nothing is fitted here.

References
----------
Borenstein M, Higgins JPT. Meta-analysis and subgroups. Prev Sci 2013;14:134-43.
"""

from __future__ import annotations

import math

import pandas as pd

from raremeta.io.analysis_config import RoleLabels
from raremeta.io.results_reading import cell_float, cell_text, is_true
from raremeta.report.cumulative_plot import reason_short, reason_words
from raremeta.report.effect_rows_plot import EffectRow, RowKind, effect_rows_plot
from raremeta.report.figure_files import DEFAULT_ROLES, no_comparison_figure
from raremeta.report.numbers import fmt_count, fmt_value, p_phrase
from raremeta.report.pooled_rows import method_label
from raremeta.stats.registry import RANDOM

#: The figure's title after the outcome label.
TITLE = "{label}: subgroups"
#: The built-in subgroup variables, by the role whose arms' drug they read.
DRUG_VARIABLES = {"cni_drug": "cni", "comparator_drug": "comparator"}
#: The line under each block.
TEST = "Test for subgroup differences: "
#: What the figure says of the subgroups and the test (after the method).
METHOD_NOTE = (
    "Within each subgroup: {method} (the outcome's primary method). Test for subgroup "
    "differences: Cochran's Q between the subgroup estimates (log scale for ratios) with their "
    "standard errors, df = estimable subgroups - 1."
)
OBSERVATIONAL_NOTE = (
    "Subgroups of trials are observational comparisons: a difference between them is not "
    "randomised and may reflect any other way the trials differ."
)
#: What an outcome without any subgroup row shows (then the reason of its rows, in words).
NO_ROWS = "No subgroup analysis for this outcome."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def variable_words(name: str, roles: dict[str, str]) -> str:
    """A subgroup variable as a block heading: ``cni_drug`` -> "CNI drug" (the role's display
    label), any other name with spaces for underscores, capitalised.

    Examples
    --------
    >>> variable_words("comparator_drug", {"cni": "CNI", "comparator": "comparator"})
    'Comparator drug'
    >>> variable_words("dose_level", {"cni": "CNI", "comparator": "comparator"})
    'Dose level'
    """
    words = (
        f"{roles[DRUG_VARIABLES[name]]} drug" if name in DRUG_VARIABLES else name.replace("_", " ")
    )
    return words[:1].upper() + words[1:]


def differences_line(row: pd.Series | None, roles: RoleLabels | None = None) -> str:
    """The line under a block: ``Test for subgroup differences: Q = 1.23, df = 2, p = 0.541``,
    or ``... not computed (<reason>)`` where the test row has no Q.
    """
    if row is None:
        return TEST + "not computed"
    q, df, p = (cell_float(row[c]) for c in ("q_between", "q_df", "p_between"))
    if math.isfinite(q) and math.isfinite(df):
        return f"{TEST}Q = {fmt_value(q)}, df = {df:.0f}, {p_phrase(p)}"
    reason = cell_text(row["reason"])
    if not reason:
        return TEST + "not computed"
    return f"{TEST}not computed ({reason_short(reason, roles)})"


def _method(row: pd.Series, pooled: pd.DataFrame | None) -> str:
    """The subgroups' method as the forest plot names it: the outcome's primary row of
    ``pooled_effects.csv`` (its model and tau² estimator) where it has this measure and method,
    else the table's codes.
    """
    measure, name = cell_text(row["measure"]), cell_text(row["method"])
    if pooled is not None:
        p = pooled[(pooled["outcome"] == row["outcome"]) & pooled["primary"].map(is_true)]
        if not p.empty and (p.iloc[0]["measure"], p.iloc[0]["method"]) == (measure, name):
            model = cell_text(p.iloc[0]["model"])
            estimator = cell_text(p.iloc[0]["tau2_estimator"]) if model == RANDOM else ""
            try:
                return method_label(measure, name, model, estimator)
            except KeyError:
                pass
    return f"{measure}, {name}"


def subgroups_for_outcome(
    outcome: str,
    label: str,
    subgroups: pd.DataFrame,
    pooled: pd.DataFrame | None = None,
    roles: dict[str, str] | None = None,
):
    """Build one outcome's subgroup forest plot from ``subgroups.csv``: per subgroup variable
    (in the table's order), a block of its subgroup rows (``subgroup`` not empty) and the line
    of its test row (``subgroup`` empty). ``pooled`` (``pooled_effects.csv``) names the method
    as the forest plot does. An outcome without rows is a small panel saying so.
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    role_labels = RoleLabels(roles["cni"], roles["comparator"])
    title = TITLE.format(label=label)
    t = subgroups[subgroups["outcome"] == outcome]
    if (t["subgroup"].map(cell_text) == "").all():  # no subgroup row: say why, in one panel
        reasons = list(dict.fromkeys(r for r in t["reason"].map(cell_text) if r))
        detail = "; ".join(reason_short(r, role_labels) for r in reasons)
        return no_comparison_figure(title, NO_ROWS, _capital(detail) + "." if detail else "")
    cni = roles["cni"][:1].upper() + roles["cni"][1:]
    comparator = roles["comparator"][:1].upper() + roles["comparator"][1:]
    headers = ("Subgroup", "k", f"{cni}\nevents/N", f"{comparator}\nevents/N")
    rows: list[EffectRow] = []
    variables = list(dict.fromkeys(t["subgroup_variable"].map(cell_text)))
    for i, variable in enumerate(variables):
        if i:
            rows.append(EffectRow(RowKind.TEXT))  # a blank line between two blocks
        block = t[t["subgroup_variable"].map(cell_text) == variable]
        is_test = block["subgroup"].map(cell_text) == ""
        rows.append(EffectRow(RowKind.HEADING, text=variable_words(variable, roles)))
        for _, r in block[~is_test].iterrows():
            estimate = cell_float(r["estimate"])
            reason = cell_text(r["reason"])
            status = cell_text(r["status"])
            words = reason_words(status, reason, role_labels) if reason or status else ""
            k = cell_float(r["k"])
            rows.append(
                EffectRow(
                    RowKind.EFFECT,
                    (
                        cell_text(r["subgroup"]),
                        f"{k:.0f}" if math.isfinite(k) else "-",
                        fmt_count(cell_float(r["events_cni"]), cell_float(r["n_cni"])),
                        fmt_count(
                            cell_float(r["events_comparator"]), cell_float(r["n_comparator"])
                        ),
                    ),
                    estimate=estimate,
                    ci_low=cell_float(r["ci_low"]),
                    ci_high=cell_float(r["ci_high"]),
                    reason=words,
                    mark=f"({reason_short(reason, role_labels)})"
                    if reason and math.isfinite(estimate) else "",
                )
            )  # fmt: skip
        test = block[is_test]
        line = differences_line(None if test.empty else test.iloc[0], role_labels)
        rows.append(EffectRow(RowKind.TEXT, text=line))
    first = t.iloc[0]
    notes = (METHOD_NOTE.format(method=_method(first, pooled)), OBSERVATIONAL_NOTE)
    return effect_rows_plot(title, cell_text(first["measure"]), headers, rows, notes, roles=roles)
