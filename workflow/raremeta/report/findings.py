"""The summary of findings in words: each outcome's absolute-effect lines (the headline first,
its source named) and certainty line, and the GRADE-style table of the summary's own section.

Formats what ``summary_of_findings.csv`` holds (:mod:`raremeta.analysis.summary_of_findings`);
computes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from raremeta.analysis.subgroup_findings import SubgroupFinding
from raremeta.analysis.table_keys import AssumedRisk
from raremeta.analysis.within_trial_findings import WithinTrialLine
from raremeta.analysis.wording import (
    ASSUMED_RISK_TEXT,
    IMPRECISION_BASIS_TEXT,
    IMPRECISION_REASON_TEXT,
    in_roles,
    method_name,
    short_reason,
    subgroup_variable_words,
)
from raremeta.io.analysis_config import RoleLabels
from raremeta.io.results_reading import cell_float, cell_text, is_true
from raremeta.report.numbers import fmt_ci, fmt_value, fmt_values, p_phrase
from raremeta.stats.results import Rating, Reason

#: Short names of the assumed-risk sources, for the table's column.
SOURCE_SHORT = {
    AssumedRisk.EXTERNAL: "external baseline risk",
    AssumedRisk.TRIALS_GLMM: "trials' comparator risk (GLMM)",
    AssumedRisk.TRIALS_CRUDE: "trials' comparator risk (crude)",
    AssumedRisk.POOLED_RD: "risk difference pooled directly",
}
#: The judged domains, in GRADE's order, as the certainty line names them.
DOMAIN_WORDS = (
    ("risk_of_bias", "risk of bias"),
    ("inconsistency", "inconsistency"),
    ("indirectness", "indirectness"),
    ("publication_bias", "publication bias"),
)


def _more_fewer(values: list[str], raw: list[float]) -> list[str]:
    """Printed differences as "x more" / "x fewer"."""
    out = []
    for text, x in zip(values, raw, strict=True):
        if not math.isfinite(x):
            out.append(text)
        elif x > 0:
            out.append(f"{text} more")
        elif x < 0:
            out.append(f"{text.lstrip('-')} fewer")
        else:
            out.append("0 more")
    return out


def difference_text(row: pd.Series) -> str:
    """``22.6 more per 1,000 (from 19.7 fewer to 56.7 more)`` (GRADE's wording)."""
    raw = [
        cell_float(row["difference_per_1000"]),
        cell_float(row["difference_ci_low_per_1000"]),
        cell_float(row["difference_ci_high_per_1000"]),
    ]
    est, lo, hi = _more_fewer(fmt_values(raw), raw)
    return f"{est} per 1,000 (from {lo} to {hi})"


def absolute_text(row: pd.Series, roles: RoleLabels) -> str:
    """One absolute-effect row in words: what it is, or why there is none."""
    if cell_text(row["absolute_status"]) != "estimated":
        reason = cell_text(row["absolute_reason"])
        if reason == "no_comparator_events" and cell_float(row["assumed_risk_per_1000"]) == 0:
            return in_roles(
                "not estimable: the comparator arms had no events (0 per 1,000), and a ratio "
                "of a zero risk is zero whatever the ratio",
                roles,
            )
        return "not estimable: " + in_roles(short_reason(reason), roles)
    if row["absolute_source"] == AssumedRisk.POOLED_RD:
        return difference_text(row)
    assumed = fmt_value(cell_float(row["assumed_risk_per_1000"]))
    risk = fmt_ci(
        cell_float(row["corresponding_risk_per_1000"]),
        cell_float(row["corresponding_risk_ci_low_per_1000"]),
        cell_float(row["corresponding_risk_ci_high_per_1000"]),
    )
    return (
        f"{difference_text(row)}: {risk} per 1,000 with {roles.cni} at an assumed "
        f"{roles.comparator} risk of {assumed} per 1,000"
    )


def _imprecision_words(row: pd.Series) -> str:
    """Why imprecision has its rating: what was judged, against which thresholds, and every
    criterion that applied.
    """
    codes = [c for c in cell_text(row["imprecision_reason"]).split(";") if c]
    events = cell_float(row["events"])
    size = cell_float(row["optimal_information_size"])
    people = cell_float(row["participants"])
    detail = {
        "very_few_events": f" ({events:g})" if math.isfinite(events) else "",
        "optimal_information_size_not_met": (
            f" ({people:g} of {fmt_value(size)})" if math.isfinite(size * people) else ""
        ),
    }
    words = [IMPRECISION_REASON_TEXT[c] + detail.get(c, "") for c in codes]
    harm, benefit = (
        cell_float(row["harm_threshold_per_1000"]),
        cell_float(row["benefit_threshold_per_1000"]),
    )
    if not math.isfinite(harm):
        return "; ".join(words)
    basis = IMPRECISION_BASIS_TEXT[cell_text(row["imprecision_basis"])]
    thresholds = (
        "thresholds at the null"
        if harm == 0 and benefit == 0
        else f"thresholds {fmt_value(harm)} more and {fmt_value(benefit)} fewer per 1,000"
    )
    return f"{basis}, {thresholds}: " + "; ".join(words)


def _not_assessed(row: pd.Series) -> str:
    """The ``not_assessed`` domain codes in words ("risk of bias, imprecision")."""
    return cell_text(row["not_assessed"]).replace("_", " ").replace(";", ", ")


def certainty_text(row: pd.Series) -> str:
    """The certainty line: overall rating, then each domain's (imprecision with why)."""
    certainty = cell_text(row["certainty"])
    imprecision = cell_text(row["imprecision"]) or "not rated (no estimate)"
    domains = [f"{words} {cell_text(row[code]) or 'not assessed'}" for code, words in DOMAIN_WORDS]
    domains.append(f"imprecision {imprecision} (computed: {_imprecision_words(row)})")
    if certainty == "not stated":
        missing = _not_assessed(row)
        head = f"not stated (not assessed: {missing})"
    else:
        head = certainty
    return f"{head}: " + "; ".join(domains)


def _judgements_label(row: pd.Series) -> str:
    file = cell_text(row["judgements_file"])
    if not file:
        return "Certainty of the evidence (GRADE; no judgements file)"
    example = "example judgements" if is_true(row["example_judgements"]) else "judgements"
    return f"Certainty of the evidence (GRADE; {example} in {file})"


def findings_rows(sof: pd.DataFrame, roles: RoleLabels) -> list[tuple[str, str]]:
    """An outcome's rows of ``summary_of_findings.csv`` as summary rows: the headline
    absolute effect first (its source named), the others labelled below it, then the
    certainty line. Empty when the table has no row for the outcome.
    """
    if sof.empty:
        return []
    ordered = sorted(sof.iterrows(), key=lambda r: not is_true(r[1]["headline"]))
    rows = []
    for _, r in ordered:
        source = ASSUMED_RISK_TEXT[AssumedRisk(r["absolute_source"])]
        lead = (
            "Absolute effect per 1,000 (headline)"
            if is_true(r["headline"])
            else ("Absolute effect per 1,000")
        )
        label = f"{lead}: {in_roles(source, roles)}"
        if cell_text(r["baseline_source"]) and r["absolute_source"] == AssumedRisk.EXTERNAL:
            label += f'; {r["baseline_source"]}: "{r["baseline_quote"]}"'
        rows.append((label, absolute_text(r, roles)))
    first = sof.iloc[0]
    rows.append((_judgements_label(first), certainty_text(first)))
    return rows


def certainty_sentence(sof: pd.DataFrame, label: str) -> str:
    """One sentence for the block's closing: the certainty and whose judgements."""
    if sof.empty:
        return ""
    row = sof.iloc[0]
    certainty = cell_text(row["certainty"])
    if not cell_float(row["trials"]) > 0:
        return (
            f"The certainty of the evidence for {label.lower()} is not rated: no trial compares it."
        )
    if certainty == "not stated":
        return (
            f"The certainty of the evidence for {label.lower()} is not stated: "
            f"{_not_assessed(row)} not assessed."
        )
    example = (
        " (from the example judgements shipped with the pipeline, not a review team's)"
        if is_true(row["example_judgements"])
        else ""
    )
    return f"The certainty of the evidence for {label.lower()} is {certainty}{example}."


def _down(row: pd.Series) -> str:
    """The domains that rate the certainty down, with their levels ("risk of bias (-1);
    imprecision (-3)"); "-" when none; what is not assessed when some are not.
    """
    if not cell_float(row["trials"]) > 0:
        return "-"
    domains = [*DOMAIN_WORDS, ("imprecision", "imprecision")]
    down = [
        f"{words} (-{Rating(cell_text(row[code])).levels})"
        for code, words in domains
        if cell_text(row[code]) and Rating(cell_text(row[code])).levels
    ]
    missing = _not_assessed(row)
    if missing:
        down.append(f"not assessed: {missing}")
    return "; ".join(down) or "-"


@dataclass(frozen=True)
class FindingsTable:
    """The summary's GRADE table: a header and one row of cells per outcome."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    example: bool


def findings_table(sof: pd.DataFrame, roles: RoleLabels) -> FindingsTable:
    """One row per outcome (its headline absolute effect; the first row where none is
    estimable): participants (trials), relative effect, absolute effect and its source,
    certainty.
    """
    header = (
        "Outcome",
        "Participants (trials)",
        "Relative effect [95% CI]",
        f"Risk with {roles.comparator} per 1,000",
        f"Risk with {roles.cni} per 1,000 [95% CI]",
        "Absolute effect per 1,000 treated with " + roles.cni,
        "Certainty (GRADE)",
        "Rated down for",
    )
    rows = []
    for outcome in dict.fromkeys(sof["outcome"]):
        mine = sof[sof["outcome"] == outcome]
        headline = mine[mine["headline"].map(is_true)]
        r = (headline if len(headline) else mine).iloc[0]
        participants = cell_float(r["participants"])
        if math.isfinite(participants):
            people = f"{participants:g} ({cell_float(r['trials']):g})"
        else:
            people = "0 (0)"
        est = cell_float(r["estimate"])
        relative = (
            f"{r['measure']} {fmt_ci(est, cell_float(r['ci_low']), cell_float(r['ci_high']))}, "
            f"{p_phrase(cell_float(r['p_value']))} "
            f"({method_name(r['method'], r['model'], '')})"
            if math.isfinite(est)
            else "not estimable"
        )
        absolute = absolute_text(r, roles)
        if len(headline):
            absolute += f" ({SOURCE_SHORT[AssumedRisk(r['absolute_source'])]})"
        comparator, cni = _risk_cells(r)
        rows.append(
            (
                str(r["label"]),
                people,
                relative,
                comparator,
                cni,
                absolute,
                cell_text(r["certainty"]),
                _down(r),
            )
        )
    example = bool(len(sof)) and is_true(sof.iloc[0]["example_judgements"])
    return FindingsTable(header, tuple(rows), example)


def _risk_cells(row: pd.Series) -> tuple[str, str]:
    """GRADE's "risk with comparator" and "risk with CNI" cells: the assumed risk and the
    corresponding risk; for the directly pooled risk difference, the crude risks of the trials
    (events/patients), so labelled; "-" where there is none.
    """
    if cell_text(row["absolute_status"]) != "estimated":
        return "-", "-"
    if row["absolute_source"] == AssumedRisk.POOLED_RD:
        cells = []
        for role in ("comparator", "cni"):
            events, n = cell_float(row[f"events_{role}"]), cell_float(row[f"n_{role}"])
            if not (n > 0 and math.isfinite(events)):
                cells.append("-")  # the primary estimate has no patients of this role
                continue
            cells.append(f"{fmt_value(1000 * events / n)} (crude, {events:g}/{n:g})")
        return cells[0], cells[1]
    assumed = f"{fmt_value(cell_float(row['assumed_risk_per_1000']))} (assumed)"
    risk = fmt_ci(
        cell_float(row["corresponding_risk_per_1000"]),
        cell_float(row["corresponding_risk_ci_low_per_1000"]),
        cell_float(row["corresponding_risk_ci_high_per_1000"]),
    )
    return assumed, risk


def _trials(k: int) -> str:
    return f"{k} trial" + ("" if k == 1 else "s")


def subgroup_rows(
    findings: tuple[SubgroupFinding, ...], roles: RoleLabels
) -> list[tuple[str, str]]:
    """One summary row per subgroup variable of an outcome (``subgroups.csv``, typed by
    :func:`raremeta.analysis.subgroup_findings.subgroup_findings`): each subgroup with its
    trials, then the test of subgroup differences or why there is none. Trials' subgroups are
    observational comparisons, and the label says so. Empty for an outcome without a
    comparison or without configured variables.
    """
    rows = []
    for f in findings:
        if not f.subgroups:
            continue  # no comparison, or no variable configured: nothing to split
        name = in_roles(subgroup_variable_words(f.variable), roles)
        groups = "; ".join(f"{g} ({_trials(k)})" for g, k, _, _ in f.subgroups)
        if f.not_classified:
            groups += f"; not classified ({_trials(f.not_classified)})"
        if f.tested:
            test = (
                f"test of subgroup differences: Q = {fmt_value(f.q)}, df {f.q_df}, {p_phrase(f.p)}"
            )
        else:
            test = "no test of subgroup differences: " + in_roles(
                short_reason(f.test_reason), roles
            )
        if f.one_trial_each and len(f.subgroups) > 1:
            test += " (each subgroup is one trial, so a difference is a difference between trials)"
        rows.append(
            (
                f"Subgroups by {name} (between trials: observational, not randomised)",
                f"{groups}; {test}",
            )
        )
    return rows


def within_trial_rows(
    lines: tuple[WithinTrialLine, ...], roles: RoleLabels
) -> list[tuple[str, str]]:
    """One summary row per within-trial interaction of an outcome
    (``within_trial_subgroups.csv``): the ratio of the CNI-vs-comparator odds ratios in a
    subgroup and its reference, from the trials that report the outcome by subgroup. Nothing
    when no trial reports counts by subgroup (the patient-characteristics section says what
    trial totals cannot answer).
    """
    rows = []
    for line in lines:
        if line.reason == Reason.NO_SUBGROUP_COUNTS:
            continue
        label = (
            f"Within-trial interaction, {subgroup_variable_words(line.subgroup_variable)} "
            f"{line.subgroup or '-'} vs {line.reference or '-'} ({_trials(line.k)}; one-stage "
            "Firth model, Fisher et al. 2017)"
        )
        if line.estimated:
            interval = fmt_ci(line.estimate, line.ci_low, line.ci_high)
            value = f"ratio of odds ratios {interval}, {p_phrase(line.p_value)}"
        else:
            value = "not estimable: " + in_roles(short_reason(line.reason), roles)
        rows.append((label, value))
    return rows
