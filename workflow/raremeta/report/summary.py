"""Summary tables (Markdown, HTML, LaTeX) and the plain-language result of each outcome.

Pure functions from the results tables to text. Labels from the data are escaped for each
format, so a study label cannot become markup or code.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from raremeta.analysis.bayes_findings import BayesianFinding
from raremeta.analysis.subgroup_findings import SubgroupFinding
from raremeta.analysis.table_keys import AnalysisCode
from raremeta.analysis.within_trial_findings import WithinTrialLine
from raremeta.analysis.wording import (
    CAUTION_TEXT,
    MEASURE_WORDS,
    POPULATION_WORDS,
    REPORTING_DETAIL_WORDS,
    SUBSET_LABELS,
    in_roles,
    method_words,
    primary_rule_text,
    short_reason,
    status_text,
)
from raremeta.io.analysis_config import Protocol, RoleLabels
from raremeta.io.raw_studies import ROLES, PercentCheck, ReportingDetail, ReportingState, Role
from raremeta.io.results_reading import ArmReporting, is_true, reporting_details
from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import cell_text as _text
from raremeta.report.findings import (
    FindingsTable,
    certainty_sentence,
    findings_rows,
    subgroup_rows,
    within_trial_rows,
)
from raremeta.report.numbers import (
    fmt_ci,
    fmt_p,
    fmt_sources,
    fmt_value,
    fmt_weeks,
)
from raremeta.report.pooled_rows import (
    method_label,
    method_name,
    outcome_pooled,
    pooled_row,
    row_key,
    shown_rows,
)
from raremeta.stats.registry import (
    HETEROGENEITY,
    MH_OR,
    MN_RD,
    companion_keys,
    fallback_keys,
)
from raremeta.stats.results import RateMethod

#: Point estimates of two methods that differ by more than this factor get the sentence that
#: the intervals, not the point estimates, carry the information.
POINT_ESTIMATE_FACTOR = 1.5
#: Absolute effects and rates in the summary are per this many patients.
PER = 1000


@dataclass(frozen=True)
class SummaryContext:
    """What the summary's words depend on besides the results tables: the configured role
    labels and the registered protocol (None: the rule is "the rule in config.yaml").
    """

    roles: RoleLabels = field(default_factory=RoleLabels.default)
    protocol: Protocol | None = None


@dataclass(frozen=True)
class OutcomeSummary:
    """One outcome's block (unescaped text): the opening paragraph, the table rows, the
    limitations that hold for its data and the closing sentence (what the data are compatible
    with).
    """

    outcome: str
    label: str
    rows: list[tuple[str, str]]
    sentence: str
    limitations: list[str] = field(default_factory=list)
    conclusion: str = ""


def _reason(row: pd.Series, context: SummaryContext) -> str:
    return in_roles(short_reason(str(row["reason"])), context.roles)


def _value(row: pd.Series, context: SummaryContext | None = None) -> str:
    """``est [lo, hi], p = x`` of one pooled row (its own interval and p; a risk difference per
    1,000 patients), with its caution where it has one, or why there is no estimate.
    """
    context = context or SummaryContext()
    est = _f(row["estimate"])
    if not math.isfinite(est):
        return f"{status_text(str(row['status']))}: {_reason(row, context)}"
    scale = PER if row["measure"] == "RD" else 1
    text = fmt_ci(scale * est, scale * _f(row["ci_low"]), scale * _f(row["ci_high"]))
    if row["measure"] == "RD":
        text += " per 1,000"
    p = _f(row["p_value"])
    text += f", p = {fmt_p(p)}" if math.isfinite(p) else ""
    caution = _text(row.get("caution", ""))
    return text + (f" ({CAUTION_TEXT[caution]})" if caution else "")


def _compatible(row: pd.Series) -> bool:
    null = 0.0 if row["measure"] == "RD" else 1.0
    return _f(row["ci_low"]) <= null <= _f(row["ci_high"])


def _verdict(row: pd.Series, context: SummaryContext) -> str:
    """What the row's 95% interval says about no difference, in words."""
    lo, hi = _f(row["ci_low"]), _f(row["ci_high"])
    if math.isnan(lo) or math.isnan(hi):
        return "no confidence interval could be computed"
    if _compatible(row):
        return (
            "the 95% interval includes no difference, so these data neither show nor exclude "
            "an effect"
        )
    null = "0" if row["measure"] == "RD" else "1"
    side, direction = (
        ("above", "more") if lo > (0.0 if null == "0" else 1.0) else ("below", "fewer")
    )
    return f"the 95% interval lies {side} {null} ({direction} events with {context.roles.cni})"


def _rule(primary: pd.Series, p: pd.DataFrame, context: SummaryContext) -> str:
    """How the primary row was chosen (under rule (c) with the MH odds ratio's reason)."""
    mh = pooled_row(p, MH_OR)
    text = primary_rule_text(
        primary["primary_rule"], "" if mh is None else str(mh["reason"]), context.protocol
    )
    return in_roles(text, context.roles)


def _counts(events_cni, n_cni, events_comparator, n_comparator, context: SummaryContext) -> str:
    return (
        f"{_f(events_cni):g}/{_f(n_cni):g} {context.roles.cni} vs "
        f"{_f(events_comparator):g}/{_f(n_comparator):g} {context.roles.comparator} patients"
    )


def _primary_counts(primary: pd.Series, context: SummaryContext) -> str:
    """Events and patients of the trials the primary method used."""
    return _counts(
        primary["events_cni"],
        primary["n_cni"],
        primary["events_comparator"],
        primary["n_comparator"],
        context,
    )


def _differ(a: float, b: float) -> bool:
    return a > 0 and b > 0 and max(a, b) > POINT_ESTIMATE_FACTOR * min(a, b)


def plain_language(
    label: str,
    k: int,
    trial_label: str,
    primary: pd.Series,
    p: pd.DataFrame,
    absolute: pd.Series | None = None,
    context: SummaryContext | None = None,
    comparison: pd.DataFrame | None = None,
) -> str:
    """A few sentences that never overstate: a single trial is called a single trial, the
    headline is the primary row with its own interval and p and the rule that chose it, with
    the events and patients of the trials it used (and of the whole comparison where those
    differ); the exact conditional result follows, a sentence where point estimates differ by
    more than :data:`POINT_ESTIMATE_FACTOR`, and the stratified risk difference per 1,000
    patients closes (per-arm risks only for a single trial: pooled across trials they are not
    a randomised comparison and can point the other way; Altman and Deeks 2002).
    """
    context = context or SummaryContext()
    roles = context.roles
    if k == 0:
        return (
            f"No trial reported {label.lower()} in both arms, so no comparison of "
            f"{roles.cni} with {roles.comparator} is possible."
        )
    key = row_key(primary)
    used = int(_f(primary.get("k"))) if math.isfinite(_f(primary.get("k"))) else k
    events = _primary_counts(primary, context)
    if k == 1:
        basis = f"a single trial, {trial_label} ({events})"
    elif used == k or comparison is None:
        basis = f"{k} trials ({events})"
    else:
        all_events = _counts(
            comparison["events_cni"].sum(),
            comparison["n_cni"].sum(),
            comparison["events_comparator"].sum(),
            comparison["n_comparator"].sum(),
            context,
        )
        basis = (
            f"the {used} of {k} trials in the comparison that it uses ({events}; all {k} "
            f"trials: {all_events})"
        )
    how = f"{method_name(*key[1:])}, chosen {_rule(primary, p, context)}"
    words = MEASURE_WORDS[key[0]]
    headline = primary
    if math.isfinite(_f(primary["estimate"])):
        parts = [
            f"From {basis}, the {words} ({how}) was {_value(primary, context)}; "
            f"{_verdict(primary, context)}."
        ]
        shown = [key]
    else:
        parts = [
            f"From {basis}, the {words} ({how}) cannot be estimated: {_reason(primary, context)}."
        ]
        alt = next(
            (
                r
                for fk in fallback_keys()
                if fk != key
                and (r := pooled_row(p, fk)) is not None
                and math.isfinite(_f(r["estimate"]))
            ),
            None,
        )
        shown = [key]
        if alt is not None:
            shown.append(row_key(alt))
            headline = alt
            parts.append(
                f"The {MEASURE_WORDS[alt['measure']]} ({method_name(*row_key(alt)[1:])}) was "
                f"{_value(alt, context)}; {_verdict(alt, context)}."
            )
    for companion in companion_keys():
        row = pooled_row(p, companion)
        if row is None or companion in shown or not math.isfinite(_f(row["estimate"])):
            continue
        parts.append(method_words(companion[1]).summary_phrase.format(value=_value(row, context)))
        est, other = _f(headline["estimate"]), _f(row["estimate"])
        if headline["measure"] == companion[0] and _differ(est, other):
            parts.append(
                f"The point estimates ({fmt_value(est)} and {fmt_value(other)}) differ by more "
                f"than a factor of {POINT_ESTIMATE_FACTOR:g} between methods because the data "
                "are so sparse; the intervals, not the point estimates, carry the information."
            )
    if absolute is not None and math.isfinite(_f(absolute["rd_per_1000"])):
        parts.append(
            f"The risk difference, stratified by trial, was {_rd_text(absolute)} per 1,000 "
            "patients (Mantel-Haenszel weights, Miettinen-Nurminen interval)."
        )
        if k == 1:
            parts.append(f"In {trial_label}: {_risks_text(absolute, context)}.")
    n_events = _f(primary["events_cni"]) + _f(primary["events_comparator"])
    if n_events < 10 and not _compatible(headline) and math.isfinite(_f(headline["estimate"])):
        parts.append(f"This rests on {n_events:g} events and is imprecise.")
    return " ".join(parts)


def _rd_text(a: pd.Series) -> str:
    return fmt_ci(_f(a["rd_per_1000"]), _f(a["rd_ci_low_per_1000"]), _f(a["rd_ci_high_per_1000"]))


def _risks_text(a: pd.Series, context: SummaryContext, unit: str = " per 1,000") -> str:
    """``22.6 [6.19, 56.8] per 1,000 with CNI vs 0 [0, 41.1] with comparator``."""
    risk = {
        role: fmt_ci(
            _f(a[f"risk_{role}_per_1000"]),
            _f(a[f"risk_{role}_ci_low_per_1000"]),
            _f(a[f"risk_{role}_ci_high_per_1000"]),
        )
        for role in ("cni", "comparator")
    }
    return (
        f"{risk['cni']}{unit} with {context.roles.cni} vs {risk['comparator']} with "
        f"{context.roles.comparator}"
    )


def conclusion(label: str, absolute: pd.Series | None) -> str:
    """The block's last sentence: the excess the data are compatible with, in words (the upper
    95% bound of the Miettinen-Nurminen risk difference per 1,000 patients).
    """
    if absolute is None or not math.isfinite(_f(absolute["rd_ci_high_per_1000"])):
        return ""
    hi = _f(absolute["rd_ci_high_per_1000"])
    if hi > 0:
        return (
            f"For {label.lower()}, these data are compatible with an excess of up to "
            f"{fmt_value(hi)} per 1,000 patients: the upper 95% bound of the "
            "Miettinen-Nurminen risk difference."
        )
    return (
        f"For {label.lower()}, these data are compatible with no excess: the upper 95% bound "
        f"of the Miettinen-Nurminen risk difference is {fmt_value(hi)} per 1,000 patients."
    )


#: The kinds of source (``source_kinds`` codes) in a sentence.
KIND_PLURALS = {
    "primary": "trial reports",
    "registry": "registry results",
    "secondary": "letters or reviews",
    "not_stated": "sources not stated",
}
#: Kinds of source that are a trial's own (report or registry results).
OWN_KINDS = frozenset({"primary", "registry"})


def _kinds(row: pd.Series) -> set[str]:
    return {
        code
        for column in ("source_kinds_cni", "source_kinds_comparator")
        for code in _text(row[column]).split(";")
        if code
    }


def _summarised(values: list[tuple[str, str]], what: str) -> str:
    """``label: value`` per trial, or ``n trials: value`` when every trial shares it."""
    distinct = {v for _, v in values}
    if len(values) > 1 and len(distinct) == 1:
        return f"{len(values)} trials: {distinct.pop()}"
    return "; ".join(f"{label}: {value}" for label, value in values) or f"no {what}"


def sources_text(s: pd.DataFrame) -> str:
    """Each study's kinds of source and follow-up: ``AURA-LV 2019: letter or review, follow-up
    48 weeks`` (study_effects.csv rows of one outcome), summarised as ``42 trials: letter or
    review, follow-up not stated`` when every trial shares it.
    """
    values = []
    for _, r in s.iterrows():
        kinds = fmt_sources(_text(r["source_kinds_cni"]), _text(r["source_kinds_comparator"]))
        weeks = _f(r["follow_up_weeks"])
        stated = math.isfinite(weeks)
        follow = f"follow-up {fmt_weeks(weeks)} weeks" if stated else "follow-up not stated"
        values.append((str(r["label"]), f"{kinds}, {follow}"))
    return _summarised(values, "trials")


def _population_codes(row: pd.Series) -> set[str]:
    """The population codes of a study's two roles (``not_stated`` for an empty cell)."""
    codes = set()
    for role in ("cni", "comparator"):
        cell = _text(row.get(f"population_{role}", ""))
        codes |= set(cell.split(";")) if cell else {"not_stated"}
    return codes


def _population(row: pd.Series) -> str:
    codes = _population_codes(row)
    return " / ".join(POPULATION_WORDS[c] for c in POPULATION_WORDS if c in codes)


def _trials(labels: list[str]) -> str:
    return ", ".join(labels)


def limitations(inc: pd.DataFrame, context: SummaryContext) -> list[str]:
    """The limitations that hold for the trials in one comparison, each only when its fact
    holds: one trial; counts not from the trials' own reports; denominators that are randomised
    numbers or whose population is not stated; follow-up not stated or different between
    trials; arms combined across doses.
    """
    k = len(inc)
    if k == 0:
        return []
    out = []
    if k == 1:
        out.append("One trial: consistency across trials cannot be assessed.")
    foreign = [(str(r["label"]), _kinds(r) - OWN_KINDS) for _, r in inc.iterrows()]
    foreign = [(label, kinds) for label, kinds in foreign if kinds]
    if foreign:
        kinds = ", ".join(
            KIND_PLURALS[c] for c in KIND_PLURALS if any(c in ks for _, ks in foreign)
        )
        if len(foreign) == k:
            subject = "No trial in this comparison has" if k > 1 else "The trial does not have"
            out.append(
                f"{subject} every count from its own report or registry results; the counts "
                f"come from {kinds}."
            )
        else:
            out.append(
                f"{len(foreign)} of {k} trials have counts from {kinds} "
                f"({_trials([label for label, _ in foreign])})."
            )
    if "population_cni" in inc.columns:
        for code, words in (
            ("randomised", "are randomised numbers, not safety populations"),
            ("not_stated", "do not state whether they count randomised or treated patients"),
        ):
            trials = [str(r["label"]) for _, r in inc.iterrows() if code in _population_codes(r)]
            if trials:
                whose = (
                    "The denominators"
                    if len(trials) == k
                    else (f"The denominators of {_trials(trials)}")
                )
                out.append(f"{whose} {words}.")
    weeks = [_f(w) for w in inc["follow_up_weeks"]]
    unstated = [
        str(label) for label, w in zip(inc["label"], weeks, strict=True) if not math.isfinite(w)
    ]
    stated = sorted({w for w in weeks if math.isfinite(w)})
    if unstated:
        out.append(
            "Follow-up is not stated"
            + ("" if len(unstated) == k else f" for {_trials(unstated)}")
            + "; counts are patients with an event over whatever period the source covers."
        )
    if len(stated) > 1:
        out.append(
            f"Follow-up differs between trials ({fmt_weeks(stated[0])} to "
            f"{fmt_weeks(stated[-1])} weeks); counts are not adjusted for it."
        )
    if "randomised_arms_cni" in inc.columns:
        combined = [
            str(r["label"])
            for _, r in inc.iterrows()
            if _f(r["randomised_arms_cni"]) > 1 or _f(r["randomised_arms_comparator"]) > 1
        ]
        if combined:
            out.append(
                f"The counts of {_trials(combined)} combine several randomised arms (e.g. doses "
                "reported only together): a dose effect cannot be seen."
            )
    return out


#: How each reporting detail heads the summary's rows of trials without a count.
DETAIL_HEADINGS = {
    ReportingDetail.NOT_FOUND: "Not found in the sources reached",
    ReportingDetail.NOT_REPORTED: "Not reported: a source says it was not collected or not "
    "reported",
    ReportingDetail.UNSPECIFIED: "Not reported in either arm (no detail recorded)",
}


def _arm_words(role: Role, arm: ArmReporting, context: SummaryContext) -> str:
    detail = arm.detail or ReportingDetail.UNSPECIFIED
    orbit = f" (ORBIT {'/'.join(arm.orbit)})" if arm.orbit else ""
    return f"{context.roles.of(role)} arm {REPORTING_DETAIL_WORDS[detail]}{orbit}"


def _excluded_why(
    row: pd.Series, details: dict[Role, ArmReporting], context: SummaryContext
) -> str:
    """Why a study is not in the comparison: its arms' reporting details where recorded,
    else the reason code's words.
    """
    known = {
        role: arm
        for role, arm in details.items()
        if arm.detail not in (None, ReportingDetail.UNSPECIFIED)
    }
    if not known:
        return _reason(row, context)
    return "; ".join(_arm_words(role, arm, context) for role, arm in known.items())


def _reporting_rows(reporting: pd.DataFrame, context: SummaryContext) -> list[tuple[str, str]]:
    """The trials that reported the outcome in neither arm, grouped by why (the reporting
    details of ``reporting.csv``: not found in the sources reached, or a source says it was
    not reported); a trial whose two arms differ is listed under each arm's detail.
    """
    groups: dict[ReportingDetail, list[str]] = {}
    silent = reporting[reporting["reported"] == ReportingState.NEITHER]
    for _, r in silent.iterrows():
        arms = reporting_details(r) or {
            role: ArmReporting((ReportingDetail.UNSPECIFIED,)) for role in ROLES
        }
        found = {arm.detail or ReportingDetail.UNSPECIFIED for arm in arms.values()}
        if len(found) == 1:
            groups.setdefault(found.pop(), []).append(str(r["label"]))
            continue
        for role, arm in arms.items():
            groups.setdefault(arm.detail or ReportingDetail.UNSPECIFIED, []).append(
                f"{r['label']} ({context.roles.of(role)} arm)"
            )
    return [
        (f"{DETAIL_HEADINGS[d]} (see reporting.csv)", "; ".join(groups[d]))
        for d in ReportingDetail
        if d in groups
    ]


def _sensitivity_value(row: pd.Series, context: SummaryContext) -> str:
    """``est [lo, hi], p = x, k = n`` of a sensitivity row, or why not."""
    k = int(_f(row["k"])) if math.isfinite(_f(row["k"])) else 0
    return _value(row, context) + (f", k = {k}" if math.isfinite(_f(row["estimate"])) else "")


def _rate_rows(r: pd.DataFrame, context: SummaryContext) -> list[tuple[str, str]]:
    """Per-arm rates per 1,000 patients: over the trials in the comparison, then (where they
    add arms) over every arm of a role, which is not a randomised comparison.
    """
    if "subset" not in r.columns:
        r = r.assign(subset="all_arms")
    rows = []
    for subset in ("comparison", "all_arms"):
        for role in ("cni", "comparator"):
            name = context.roles.of(role)
            for method in RateMethod:
                row = r[(r["role"] == role) & (r["method"] == method) & (r["subset"] == subset)]
                if row.empty:
                    continue
                x = row.iloc[0]
                k = int(_f(x["k"]))
                same = r[(r["role"] == role) & (r["method"] == method)]
                if subset == "all_arms" and len(same) > 1 and same["n"].nunique() == 1:
                    continue  # the same arms as the comparison's rows
                where = (
                    "trials in the comparison"
                    if subset == "comparison"
                    else f"every {name} arm reporting it; not a randomised comparison"
                )
                value = (
                    fmt_ci(PER * _f(x["estimate"]), PER * _f(x["ci_low"]), PER * _f(x["ci_high"]))
                    if math.isfinite(_f(x["estimate"]))
                    else f"{status_text(str(x['status']))}: {_reason(x, context)}"
                )
                if subset == "comparison" and k <= 1:
                    continue  # one trial: its own risks are in the row above
                if subset == "comparison":
                    where += "; not a randomised comparison"
                noun = "Risk" if k == 1 else "Pooled risk"
                rows.append((f"{noun} per 1,000, {name} ({method}; {where})", f"{value}, k = {k}"))
    return rows


def bayes_rows(found: list[BayesianFinding], primary: pd.Series) -> list[tuple[str, str]]:
    """The Bayesian model's line (posterior median, credible interval, probability of harm
    beside its prior probability and its range over the priors tried) and, when the prior
    dominates, why, with the frequentist primary estimate for comparison.
    """
    rows = []
    for b in found:
        value = (
            f"posterior median OR {fmt_ci(b.estimate, b.ci_low, b.ci_high, 'OR')} (95% credible "
            "interval)"
        )
        if math.isfinite(b.probability):
            low, high = b.probability_range
            value += (
                f"; probability that the odds ratio exceeds 1: {b.probability:.2f} after the data, "
                f"{b.prior_probability:.2f} before them"
            )
            if b.priors > 1:
                value += f"; {low:.2f} to {high:.2f} across the {b.priors} priors tried"
        value += (
            "; between-trial SD tau: prior only (one trial)"
            if b.k == 1
            else f"; between-trial SD tau, posterior median {fmt_value(b.tau_median)}"
        )
        rows.append((f"Bayesian random effects ({b.prior_description})", value))
        if b.prior_dominates:
            why = "one trial" if b.k == 1 else f"{b.k} trials"
            why += f" and {b.events} event{'s' if b.events != 1 else ''}"
            text = (
                f"With {why} the prior dominates: these numbers say as much about the prior as "
                "about the data."
            )
            if b.comparator_events == 0:
                text += (
                    " The comparator arms had no events, so the data set no upper limit to the "
                    "odds ratio and the wide prior for its logarithm (95% between 1/250 and 250 "
                    "by default) shapes the upper part of the posterior"
                )
                estimate = _f(primary.get("estimate"))
                if math.isfinite(estimate):
                    text += (
                        f"; this is why the posterior median lies far from the primary "
                        f"frequentist estimate ({fmt_value(estimate)})"
                    )
                text += "."
            name, narrow = b.narrowest
            if name:
                text += (
                    f" Under the narrower prior {name} the posterior median is "
                    f"{fmt_value(narrow)}; across all priors tried it runs from "
                    f"{fmt_value(b.estimate_range[0])} to {fmt_value(b.estimate_range[1])}."
                )
            rows.append(("Bayesian: role of the prior", text))
    return rows


def summarise(
    outcome: str,
    label: str,
    pooled: pd.DataFrame,
    rates: pd.DataFrame,
    studies: pd.DataFrame,
    absolute: pd.DataFrame | None = None,
    reporting: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
    context: SummaryContext | None = None,
    findings: pd.DataFrame | None = None,
    subgroups: tuple[SubgroupFinding, ...] = (),
    within_trial: tuple[WithinTrialLine, ...] = (),
    bayes: tuple[BayesianFinding, ...] = (),
) -> OutcomeSummary:
    """Collect one outcome's summary rows from the results tables: the primary row (naming
    the rule that chose it), the exact conditional row, the stratified risk difference per
    1,000 patients, per-arm risks (per trial, or crude and so labelled), the counts of the
    trials in the comparison, the trials that did not report the outcome (from
    ``reporting.csv``), each trial's kinds of source and follow-up, the per-arm rates, the
    other key methods, the sensitivity rows by source of counts and heterogeneity; then the
    limitations that hold and the closing sentence. With ``findings`` (the rows of
    ``summary_of_findings.csv``) the headline absolute effect follows the primary row, the
    other absolute effects and the certainty line below it, and the closing sentence states
    the certainty. With ``subgroups`` (the typed rows of ``subgroups.csv``) each subgroup
    variable's line follows the heterogeneity line, then each within-trial interaction
    (``within_trial``, the typed rows of ``within_trial_subgroups.csv``).
    """
    context = context or SummaryContext()
    roles = context.roles
    sof = pd.DataFrame() if findings is None else findings[findings["outcome"] == outcome]
    p, primary = outcome_pooled(pooled, outcome)
    s = studies[studies["outcome"] == outcome]
    inc = s[s["included"].map(is_true)]
    k = len(inc)
    key = row_key(primary)
    if s.empty:  # no trial has a count in any arm: say why, nothing to tabulate
        rows = (
            []
            if reporting is None
            else _reporting_rows(reporting[reporting["outcome"] == outcome], context)
        )
        sentence = (
            f"No trial has a count of {label.lower()} in either arm, so there is nothing to "
            "compare or pool."
        )
        return OutcomeSummary(outcome, label, rows, sentence, [], certainty_sentence(sof, label))
    a = None
    if absolute is not None:
        found = absolute[absolute["outcome"] == outcome]
        a = None if found.empty else found.iloc[0]
    rows: list[tuple[str, str]] = [
        (
            f"Primary: {method_label(*key)} ({_rule(primary, p, context)})",
            _value(primary, context),
        )
    ]
    for companion in companion_keys():
        row = pooled_row(p, companion)
        if row is not None and key != companion:
            rows.append((method_label(*companion), _value(row, context)))
    # the summary of findings' lines (the headline absolute effect, the others, the certainty);
    # one of them is the stratified risk difference, so its own line is not repeated
    rows += findings_rows(sof, roles)
    rows += bayes_rows([b for b in bayes if b.outcome == outcome], primary)
    if a is not None and k and sof.empty:
        rows.append(
            (
                "Risk difference per 1,000 patients (stratified by trial; Mantel-Haenszel "
                "weights, Miettinen-Nurminen CI)",
                _rd_text(a),
            )
        )
    if a is not None and k:
        if k == 1:
            rows.append(
                (f"Risk per 1,000 patients in {inc['label'].iloc[0]}", _risks_text(a, context, ""))
            )
        else:
            rows.append(
                (
                    "Risk per 1,000 patients, crude (summed over the trials; not a randomised "
                    "comparison)",
                    _risks_text(a, context, ""),
                )
            )
    n_patients = _f(inc["n_cni"].sum()) + _f(inc["n_comparator"].sum()) if k else 0.0
    rows += [
        ("Trials in the comparison", f"{k} of {len(s)} reporting it ({n_patients:g} patients)"),
        (
            f"Events, {roles.cni} (all trials in the comparison)",
            f"{_f(inc['events_cni'].sum()):g}/{_f(inc['n_cni'].sum()):g}" if k else "-",
        ),
        (
            f"Events, {roles.comparator} (all trials in the comparison)",
            f"{_f(inc['events_comparator'].sum()):g}/{_f(inc['n_comparator'].sum()):g}"
            if k
            else "-",
        ),
    ]
    used = int(_f(primary.get("k"))) if math.isfinite(_f(primary.get("k"))) else k
    if k and used != k:
        rows.append(
            (
                "Trials the primary method used",
                f"{used} ({_primary_counts(primary, context)})",
            )
        )
    excluded = s[~s["included"].map(is_true)]
    details = {}
    if reporting is not None:
        mine = reporting[reporting["outcome"] == outcome]
        details = {r["study"]: reporting_details(r) for _, r in mine.iterrows()}
    if len(excluded):
        rows.append(
            (
                "Not in the comparison",
                "; ".join(
                    f"{r['label']} ({_excluded_why(r, details.get(r['study'], {}), context)})"
                    for _, r in excluded.iterrows()
                ),
            )
        )
    if reporting is not None:
        rows += _reporting_rows(reporting[reporting["outcome"] == outcome], context)
    if len(s):
        rows.append(("Source of the counts; follow-up (trials reporting it)", sources_text(s)))
    if k and "population_cni" in inc.columns:
        rows.append(
            (
                "Denominators",
                _summarised(
                    [(str(r["label"]), _population(r)) for _, r in inc.iterrows()], "trials"
                ),
            )
        )
    rows += _rate_rows(rates[rates["outcome"] == outcome], context)
    for k_alt, x in shown_rows(p, primary):
        if k_alt == MN_RD and a is not None and k:
            continue  # the risk difference per 1,000 above
        if k_alt != key and k_alt not in companion_keys():
            rows.append((method_label(*k_alt), _value(x, context)))
    if sensitivity is not None:
        codes = sensitivity["analysis_code"].map(_text)
        by_source = sensitivity[(sensitivity["outcome"] == outcome) & codes.isin(SUBSET_LABELS)]
        for _, x in by_source.iterrows():
            rows.append(
                (
                    SUBSET_LABELS[AnalysisCode(x["analysis_code"])][1],
                    _sensitivity_value(x, context),
                )
            )
    x = pooled_row(p, (key[0], *HETEROGENEITY))
    if x is not None and _f(x["k"]) >= 2 and math.isfinite(_f(x["q"])):
        rows.append(
            (
                f"Heterogeneity ({HETEROGENEITY[0]}, {HETEROGENEITY[2]})",
                f"tau² = {fmt_value(_f(x['tau2']))}; I² = {_f(x['i2']):.0f}%; "
                f"Q = {fmt_value(_f(x['q']))} (df {int(_f(x['q_df']))}), "
                f"p = {fmt_p(_f(x['q_p']))}",
            )
        )
    else:
        rows.append(("Heterogeneity", "not assessable (fewer than two trials)"))
    rows += subgroup_rows(tuple(f for f in subgroups if f.outcome == outcome), roles)
    rows += within_trial_rows(tuple(w for w in within_trial if w.outcome == outcome), roles)
    trial = str(inc["label"].iloc[0]) if k == 1 else ""
    sentence = plain_language(label, k, trial, primary, p, a, context, inc)
    return OutcomeSummary(
        outcome,
        label,
        rows,
        sentence,
        limitations(inc, context),
        " ".join(
            t for t in (conclusion(label, a) if k else "", certainty_sentence(sof, label)) if t
        ),
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


#: Superscript runs (tau², the exponent of ``m × 10ⁿ``) and their plain digits for LaTeX.
_SUPERSCRIPTS = re.compile("[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_FROM_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def data_as_of_text(date: str, k: int, k_without: int) -> str:
    """The "data as of" line: the latest date of the ``k`` studies' data, and how many state
    none.
    """
    if not date:
        return f"Data as of: not stated (none of the {k} study folders gives the date of its data)."
    text = (
        f"Data as of {date}: the latest extraction or registry-release date of the {k} "
        "study folders (results/tables/studies.csv)"
    )
    return text + (f"; {k_without} of them state no date." if k_without else ".")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown specials and HTML-escape angle brackets and ampersands."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def escape_latex(text: str) -> str:
    r"""Escape LaTeX specials (``\\ & % $ # _ { } ~ ^ < >``) and map superscript digits (tau²,
    ``1.00 × 10¹⁰``), ×, ≥ and ∞ to LaTeX.
    """
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    out = _SUPERSCRIPTS.sub(
        lambda m: r"\textsuperscript{" + m.group().translate(_FROM_SUPERSCRIPT) + "}", out
    )
    out = out.replace("×", r"$\times$").replace("≥", r"$\geq$")
    return out.replace("∞", r"$\infty$")


@dataclass(frozen=True)
class CharacteristicsSummary:
    """What each trial reports about baseline characteristics (``characteristics.csv``), and
    what trial totals cannot answer about them (config ``characteristics_question``).
    """

    question: str
    items: list[tuple[str, str]]


def characteristics_summary(
    table: pd.DataFrame, studies: list[tuple[str, str]], question: str = ""
) -> CharacteristicsSummary:
    """One line per trial (``studies``: id and label, in table order) listing the baseline
    characteristics it reports, with the counts' check against the printed percentage (a
    mismatch is stated: ``48/150 (32.0%; the source prints 28%)``); trials that report none
    say so.
    """
    items = []
    for study, label in studies:
        mine = table[table["study"] == study]
        if mine.empty:
            items.append((label, "none recorded from its sources"))
            continue
        parts = []
        for _, r in mine.iterrows():
            count, denominator = _f(r["count"]), _f(r["denominator"])
            printed = _f(r["reported_percent"])
            if math.isfinite(count):
                value = f"{count:g}/{denominator:g} ({fmt_value(_f(r['computed_percent']))}%"
                if _text(r["percent_check"]) == PercentCheck.MISMATCH:
                    value += f"; the source prints {printed:g}%, which does not match"
                value += ")"
            else:
                value = f"{printed:g}% of {denominator:g} (no count given)"
            parts.append(f"{r['characteristic']} ({r['population']}): {value}")
        items.append((label, "; ".join(parts)))
    return CharacteristicsSummary(question, items)


def _characteristics_text(c: CharacteristicsSummary) -> list[str]:
    lead = (
        f"Trial totals cannot answer {c.question}: no trial reports the outcomes by these "
        "characteristics. What each trial reports at baseline:"
        if c.question
        else "What each trial reports at baseline (trial totals cannot show who is at higher risk):"
    )
    return [lead, *(f"{label}: {text}." for label, text in c.items)]


def _findings_lead(findings: FindingsTable) -> str:
    """The sentence above the GRADE table."""
    lead = (
        "GRADE summary of findings (results/tables/summary_of_findings.csv): the headline "
        "absolute effect of each outcome, with the source of its assumed comparator risk; "
        "imprecision is computed (config.yaml imprecision:), the other domains are judgements "
        "(data/certainty.yaml)."
    )
    if findings.example:
        lead += (
            " The judgements are the examples shipped with the pipeline, not a review team's "
            "assessment."
        )
    return lead


def _closing(block: OutcomeSummary) -> list[str]:
    """The paragraphs after a block's table: its limitations, then its conclusion."""
    out = []
    if block.limitations:
        out.append("Limitations of these data: " + " ".join(block.limitations))
    if block.conclusion:
        out.append(block.conclusion)
    return out


def to_markdown(
    blocks: list[OutcomeSummary],
    methods: str,
    preamble: str = "",
    characteristics: CharacteristicsSummary | None = None,
    findings: FindingsTable | None = None,
) -> str:
    """All outcomes as one Markdown document, ``preamble`` (e.g. the data-as-of line) first."""
    parts = ["# Summary of results", ""]
    if preamble:
        parts += [escape_markdown(preamble), ""]
    if findings is not None:
        parts += ["## Summary of findings", "", escape_markdown(_findings_lead(findings)), ""]
        parts += ["| " + " | ".join(map(escape_markdown, findings.header)) + " |"]
        parts += ["| " + " | ".join("---" for _ in findings.header) + " |"]
        parts += ["| " + " | ".join(map(escape_markdown, r)) + " |" for r in findings.rows]
        parts.append("")
    for b in blocks:
        parts += [
            f"## {escape_markdown(b.label)}",
            "",
            escape_markdown(b.sentence),
            "",
            "| | |",
            "| --- | --- |",
        ]
        parts += [f"| {escape_markdown(a)} | {escape_markdown(v)} |" for a, v in b.rows]
        parts.append("")
        parts += [f"{escape_markdown(t)}\n" for t in _closing(b)]
    if characteristics is not None:
        lead, *items = _characteristics_text(characteristics)
        parts += ["## Patient characteristics", "", escape_markdown(lead), ""]
        parts += [f"- {escape_markdown(t)}" for t in items] + [""]
    parts += ["## Methods", "", escape_markdown(methods), ""]
    return "\n".join(parts)


def to_html(
    blocks: list[OutcomeSummary],
    methods: str,
    preamble: str = "",
    characteristics: CharacteristicsSummary | None = None,
    findings: FindingsTable | None = None,
) -> str:
    """All outcomes as one self-contained HTML page (every data string escaped)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Summary of results</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td{border-top:1px solid #999;padding:.2em .6em;"
        "vertical-align:top}</style></head><body>",
        "<h1>Summary of results</h1>",
    ]
    if preamble:
        parts.append(f"<p>{e(preamble)}</p>")
    if findings is not None:
        parts += ["<h2>Summary of findings</h2>", f"<p>{e(_findings_lead(findings))}</p>"]
        parts += [
            "<table>",
            "<tr>" + "".join(f"<th>{e(h)}</th>" for h in findings.header) + "</tr>",
        ]
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in findings.rows]
        parts.append("</table>")
    for b in blocks:
        parts += [
            f'<h2 id="{e(b.outcome)}">{e(b.label)}</h2>',
            f"<p>{e(b.sentence)}</p>",
            "<table>",
        ]
        parts += [f"<tr><td>{e(a)}</td><td>{e(v)}</td></tr>" for a, v in b.rows]
        parts.append("</table>")
        parts += [f"<p>{e(t)}</p>" for t in _closing(b)]
    if characteristics is not None:
        lead, *items = _characteristics_text(characteristics)
        parts += ["<h2>Patient characteristics</h2>", f"<p>{e(lead)}</p>", "<ul>"]
        parts += [f"<li>{e(t)}</li>" for t in items] + ["</ul>"]
    parts += ["<h2>Methods</h2>", f"<p>{e(methods)}</p>", "</body></html>", ""]
    return "\n".join(parts)


def to_latex(
    blocks: list[OutcomeSummary],
    methods: str,
    preamble: str = "",
    characteristics: CharacteristicsSummary | None = None,
    findings: FindingsTable | None = None,
) -> str:
    r"""All outcomes as a LaTeX fragment (``\\input`` it; needs no extra packages)."""
    parts = ["% Generated by raremeta; do not edit."]
    if preamble:
        parts += [escape_latex(preamble), ""]
    if findings is not None:
        width = f"p{{{0.9 / len(findings.header):.2f}\\linewidth}}"
        parts += [
            "\\subsection*{Summary of findings}",
            escape_latex(_findings_lead(findings)),
            "",
            f"\\begin{{tabular}}{{{width * len(findings.header)}}}",
            "\\hline",
            " & ".join(map(escape_latex, findings.header)) + " \\\\",
            "\\hline",
        ]
        parts += [" & ".join(map(escape_latex, r)) + " \\\\" for r in findings.rows]
        parts += ["\\hline", "\\end{tabular}", ""]
    for b in blocks:
        parts += [
            f"\\subsection*{{{escape_latex(b.label)}}}",
            escape_latex(b.sentence),
            "",
            "\\begin{tabular}{p{0.38\\linewidth}p{0.55\\linewidth}}",
            "\\hline",
        ]
        parts += [f"{escape_latex(a)} & {escape_latex(v)} \\\\" for a, v in b.rows]
        parts += ["\\hline", "\\end{tabular}", ""]
        parts += [f"{escape_latex(t)}\n" for t in _closing(b)]
    if characteristics is not None:
        lead, *items = _characteristics_text(characteristics)
        parts += ["\\subsection*{Patient characteristics}", escape_latex(lead), "\\begin{itemize}"]
        parts += [f"\\item {escape_latex(t)}" for t in items] + ["\\end{itemize}", ""]
    parts += ["\\subsection*{Methods}", escape_latex(methods), ""]
    return "\n".join(parts)
