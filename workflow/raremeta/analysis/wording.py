"""The one place where typed results become words: reasons, corrections, notes, CI methods.

The results tables carry these words in their ``note``, ``correction``, ``ci_method`` and
``pi_method`` columns for readers; no code reads them back. Code reads ``status`` and
``reason`` (codes of :class:`~raremeta.stats.results.Reason`) and the boolean columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from raremeta.analysis.table_keys import AnalysisCode, AssumedRisk, Caution, PrimaryRule, RateSubset
from raremeta.io.analysis_config import Protocol, RoleLabels
from raremeta.io.raw_studies import ReportingDetail
from raremeta.stats import registry
from raremeta.stats.certainty import ImprecisionBasis, ImprecisionReason
from raremeta.stats.registry import (
    BAYESIAN,
    CONDITIONAL_ML,
    EXACT_CONDITIONAL,
    FIRTH,
    IV,
    MH,
    MID_P,
    MN,
    PETO,
    RANDOM,
    ZeroCells,
)
from raremeta.stats.results import Correction, PooledEffect, PooledRate, Reason, Status


class Context(StrEnum):
    """Where a reason is given, when its sentence depends on it."""

    NONE = ""
    MH_OR = "mh_or"
    MH_RR = "mh_rr"
    MH_RD = "mh_rd"
    PETO_OR = "peto_or"
    HKSJ = "hksj"
    LEAVE_ONE_OUT = "leave_one_out"
    IV_RANDOM = "iv_random"
    EXACT_CONDITIONAL = "exact_conditional"
    #: a pooled per-arm rate (pooled_rates.csv)
    RATE = "rate"


#: Every reason in words, by reason and context (a reason's general sentence has context NONE):
#: why a pooled result or rate has no estimate, or why a study is not in a comparison.
_REASONS: dict[tuple[Reason, Context], str] = {
    (
        Reason.NO_COMPARABLE_STUDY,
        Context.NONE,
    ): "not estimable: no study reports this outcome in both arms",
    (
        Reason.NO_COMPARATOR_EVENTS,
        Context.MH_OR,
    ): "not estimable: no comparator events in any study "
    "(sum of b*c/N is 0), so the MH odds ratio is infinite",
    (
        Reason.NO_COMPARATOR_EVENTS,
        Context.MH_RR,
    ): "not estimable: no comparator events in any study, so the MH risk ratio is infinite",
    (
        Reason.NO_CNI_EVENTS,
        Context.MH_OR,
    ): "not estimable: no CNI events in any study (sum of a*d/N is 0)",
    (Reason.NO_CNI_EVENTS, Context.MH_RR): "not estimable: no CNI events in any study",
    (Reason.NO_EVENTS, Context.NONE): "not estimable: no events in any study",
    (
        Reason.NO_INFORMATIVE_STUDY,
        Context.PETO_OR,
    ): "not estimable: no study has both patients with and without the event",
    (Reason.NO_INFORMATIVE_STUDY, Context.NONE): "not estimable: no informative study",
    (
        Reason.CONDITIONAL_MLE_INFINITE,
        Context.NONE,
    ): "not estimable: the conditional MLE of the odds "
    "ratio is infinite (every informative study has all its events in the CNI arm, e.g. no "
    "comparator events)",
    (
        Reason.CONDITIONAL_MLE_ZERO,
        Context.NONE,
    ): "not estimable: the conditional MLE of the odds ratio is "
    "0 (every informative study has all its events in the comparator arm)",
    (
        Reason.NON_INTEGER_COUNTS,
        Context.NONE,
    ): "not estimable: the exact method needs whole-number counts",
    (Reason.NO_ESTIMABLE_STUDY, Context.NONE): "not estimable: no study has an estimable effect",
    (
        Reason.ZERO_SAMPLING_VARIANCE,
        Context.NONE,
    ): "not estimable: a study has zero sampling variance",
    (Reason.TAU2_NOT_FINITE, Context.NONE): "not estimable: tau² has no finite estimate",
    (Reason.SINGLE_STUDY, Context.HKSJ): "not applicable: the HKSJ interval needs a random-effects "
    "model and at least two studies",
    (
        Reason.SINGLE_STUDY,
        Context.LEAVE_ONE_OUT,
    ): "not applicable: leave-one-out needs at least two studies",
    (
        Reason.SINGLE_STUDY,
        Context.NONE,
    ): "not applicable: the analysis needs at least two studies (HKSJ interval, leave-one-out)",
    (
        Reason.NO_MULTI_ARM_STUDY,
        Context.NONE,
    ): "not applicable: no study has more than one arm of the same role",
    (
        Reason.NO_STUDY_FROM_SOURCES,
        Context.NONE,
    ): "not applicable: no study in the comparison has every count from these kinds of source",
    (
        Reason.NO_CONFIDENCE_INTERVAL,
        Context.MH_RD,
    ): "no confidence interval: the Sato variance is not "
    "positive (every arm has either no events or only events), as in metafor, which returns NaN",
    (
        Reason.NO_CONFIDENCE_INTERVAL,
        Context.NONE,
    ): "no confidence interval: the variance is not positive "
    "(every arm has either no events or only events)",
    (
        Reason.METHOD_NOT_CONFIGURED,
        Context.NONE,
    ): "not applicable: the method it needs is not among "
    "the configured methods (config.yaml `methods:`)",
    (
        Reason.NO_P_VALUE,
        Context.NONE,
    ): "no p-value: no study has an event (or every patient had one), so "
    "the score test of no difference is 0/0",
    (Reason.SINGLE_STUDY, Context.IV_RANDOM): "not applicable: one study, so there is no "
    "between-study variance to estimate (a random-effects model needs at least two studies)",
    (Reason.NON_INTEGER_COUNTS, Context.EXACT_CONDITIONAL): "not estimable: exact conditional "
    "inference needs whole-number counts (split comparator)",
    (Reason.NOT_REPORTED_EITHER_ARM, Context.NONE): "outcome not reported in either arm",
    (Reason.NOT_REPORTED_COMPARATOR, Context.NONE): "outcome not reported for the comparator arm",
    (Reason.NOT_REPORTED_CNI, Context.NONE): "outcome not reported for the CNI arm",
    (Reason.NO_REPORTING_ARM, Context.NONE): "no study reported this outcome for this role",
    (Reason.NON_INTEGER_COUNTS, Context.RATE): "not estimable: the GLMM needs whole-number "
    "counts (split comparator)",
    (Reason.NO_EVENTS, Context.RATE): "not estimable: no events in any study, the "
    "maximum-likelihood rate is 0 on the logit scale's boundary (-inf)",
    (Reason.ALL_EVENTS, Context.NONE): "not estimable: every patient had the event",
    (Reason.SINGULAR_INFORMATION, Context.NONE): "not estimable: the GLMM's information matrix "
    "is singular",
    (Reason.FOLLOW_UP_NOT_STATED, Context.NONE): "not estimable: no follow-up is stated for "
    "these counts (study.yaml `follow_up_weeks`; a letter's counts may not cover the trial's "
    "planned duration, which is not assumed), so their patient-years are unknown",
    (Reason.ONE_TRIAL_SUBGROUP, Context.NONE): "estimated from one trial: the subgroup has a "
    "single trial, so its estimate is that trial's",
    (Reason.ONE_SUBGROUP, Context.NONE): "not applicable: the variable has fewer than two "
    "subgroups among the trials of the comparison, so there is nothing to compare",
    (Reason.FEWER_THAN_TWO_ESTIMABLE_SUBGROUPS, Context.NONE): "not estimable: fewer than two "
    "subgroups have an estimate with a standard error, so Q between subgroups is not computed",
    (Reason.NO_WALD_STANDARD_ERROR, Context.NONE): "not applicable: the primary method's "
    "interval is not a symmetric Wald interval (profile-likelihood, score or exact), so its "
    "subgroup estimates have no standard error for Q between subgroups",
    (Reason.NOT_CLASSIFIED, Context.NONE): "not applicable: these trials give no value of the "
    "subgroup variable (study.yaml `subgroups:`), so they are in no subgroup and not in the test",
    (Reason.NO_SUBGROUP_VARIABLE, Context.NONE): "not applicable: config.yaml lists no subgroup "
    "variable (`subgroups:`)",
    (Reason.NO_SUBGROUP_COUNTS, Context.NONE): "not estimable: no trial reports this outcome's "
    "counts by patient subgroup",
    (Reason.NO_WITHIN_TRIAL_CONTRAST, Context.NONE): "not estimable: no trial reports this "
    "outcome in both arms in two or more subgroups, so there is no within-trial comparison",
    (Reason.INTERACTION_NOT_IDENTIFIED, Context.NONE): "not estimable: the trials' subgroups do "
    "not identify this interaction within trials",
}
#: The reasons why a study is not in an outcome's comparison (study_effects.csv).
STUDY_REASONS = frozenset(
    {Reason.NOT_REPORTED_EITHER_ARM, Reason.NOT_REPORTED_COMPARATOR, Reason.NOT_REPORTED_CNI}
)

#: Short forms for figures and summaries, where the long text does not fit: one entry per
#: reason (a test checks that every reason has one).
_SHORT = {
    Reason.NO_COMPARATOR_EVENTS: "no comparator events (OR infinite)",
    Reason.CONDITIONAL_MLE_INFINITE: "no comparator events (OR infinite)",
    Reason.NO_CNI_EVENTS: "no CNI events (OR zero)",
    Reason.CONDITIONAL_MLE_ZERO: "no CNI events (OR zero)",
    Reason.NOT_REPORTED_EITHER_ARM: "outcome not reported",
    Reason.NOT_REPORTED_COMPARATOR: "not reported for comparator",
    Reason.NOT_REPORTED_CNI: "not reported for CNI arm",
    Reason.SINGLE_STUDY: "one study",
    Reason.NON_INTEGER_COUNTS: "needs whole-number counts (split comparator)",
    Reason.NO_COMPARABLE_STUDY: "no study reports it in both arms",
    Reason.NO_INFORMATIVE_STUDY: "no study with events",
    Reason.NO_STUDY_FROM_SOURCES: "no study from these sources",
    Reason.NO_EVENTS: "no events in any study",
    Reason.NO_ESTIMABLE_STUDY: "no study has an estimable effect",
    Reason.ZERO_SAMPLING_VARIANCE: "a study has zero sampling variance",
    Reason.TAU2_NOT_FINITE: "tau² has no finite estimate",
    Reason.NO_CONFIDENCE_INTERVAL: "the variance is not positive",
    Reason.NO_P_VALUE: "no study has an event",
    Reason.NO_REPORTING_ARM: "no study reported it for this role",
    Reason.ALL_EVENTS: "every patient had the event",
    Reason.SINGULAR_INFORMATION: "GLMM information matrix singular",
    Reason.NO_MULTI_ARM_STUDY: "no multi-arm study",
    Reason.METHOD_NOT_CONFIGURED: "method not configured",
    Reason.FOLLOW_UP_NOT_STATED: "follow-up not stated",
    Reason.ONE_TRIAL_SUBGROUP: "one trial in the subgroup",
    Reason.ONE_SUBGROUP: "one subgroup only",
    Reason.FEWER_THAN_TWO_ESTIMABLE_SUBGROUPS: "fewer than two estimable subgroups",
    Reason.NO_WALD_STANDARD_ERROR: "no Wald standard error",
    Reason.NOT_CLASSIFIED: "not classified",
    Reason.NO_SUBGROUP_VARIABLE: "no subgroup variable configured",
    Reason.NO_SUBGROUP_COUNTS: "no counts by subgroup",
    Reason.NO_WITHIN_TRIAL_CONTRAST: "no trial with two subgroups",
    Reason.INTERACTION_NOT_IDENTIFIED: "interaction not identified",
}

#: A result's status in words.
_STATUS = {
    Status.ESTIMATED: "estimated",
    Status.NOT_ESTIMABLE: "not estimable",
    Status.NOT_APPLICABLE: "not applicable",
}


def reason_text(reason: Reason | str, context: Context = Context.NONE) -> str:
    """The sentence for ``reason`` in ``context`` (the general sentence where the context has
    none of its own).
    """
    reason = Reason(reason)
    for key in (context, Context.NONE):
        if (reason, key) in _REASONS:
            return _REASONS[(reason, key)]
    return next(text for (r, _), text in _REASONS.items() if r == reason)


def short_reason(reason: Reason | str) -> str:
    """The short form of a reason, for a figure or a summary line."""
    return _SHORT[Reason(reason)]


def status_text(status: Status | str) -> str:
    """A status code in words (``not_estimable`` -> ``not estimable``)."""
    return _STATUS[Status(status)]


def _studies(n: int, what: str = "study") -> str:
    """``"1 study"``, ``"2 studies"`` (``what`` before the noun: ``"1 double-zero study"``)."""
    noun = "study" if n == 1 else "studies"
    return f"{n} {what.removesuffix('study')}{noun}"


def _verb_s(n: int) -> str:
    """The ending of a verb in the present tense after ``n`` studies ("1 study adds")."""
    return "s" if n == 1 else ""


def subset_note(left_out: int) -> str:
    """What a source-of-counts subset left out (sensitivity.csv ``note``)."""
    if left_out == 0:
        return "every study in the comparison qualifies: as the primary analysis"
    trials = "1 study" if left_out == 1 else f"{left_out} studies"
    return f"{trials} left out: a count from another kind of source"


_MEASURE_CONTEXTS = {
    (MH, "OR"): Context.MH_OR,
    (MH, "RR"): Context.MH_RR,
    (MH, "RD"): Context.MH_RD,
    (PETO, "OR"): Context.PETO_OR,
}


def _context(spec) -> Context:
    if spec.hksj:
        return Context.HKSJ
    if spec.method == IV and spec.model == RANDOM:
        return Context.IV_RANDOM
    if spec.method in EXACT_CONDITIONAL_ROWS:
        return Context.EXACT_CONDITIONAL
    return _MEASURE_CONTEXTS.get((spec.method, spec.measure), Context.NONE)


def pooled_note(result: PooledEffect, context: Context = Context.NONE) -> str:
    """Why a pooled result is missing, and what the method left out or changed."""
    spec = result.spec
    ctx = context or _context(spec)
    first = [] if result.reason == Reason.NONE else [reason_text(result.reason, ctx)]
    notes: list[str] = []
    n_corrected = sum(result.corrected)
    if spec.method == MH:
        if spec.add > 0 and n_corrected:
            notes.append(f"{_studies(n_corrected)} corrected")
        if spec.measure != "RD" and result.k_excluded:
            notes.append(
                f"{_studies(result.k_excluded, 'double-zero study')} "
                f"add{_verb_s(result.k_excluded)} nothing to the MH {spec.measure}"
            )
        if result.reason == Reason.NO_CONFIDENCE_INTERVAL:
            first, notes = [], [*notes, reason_text(result.reason, ctx)]
    elif spec.method == PETO and result.status == Status.ESTIMATED and result.k_excluded:
        notes.append(
            f"{_studies(result.k_excluded)} without events (or with only events) "
            f"add{_verb_s(result.k_excluded)} nothing"
        )
    elif spec.method == FIRTH and result.status == Status.ESTIMATED:
        if result.k == 1:
            notes.append("one study: the Firth OR equals the OR after adding 0.5 to every cell")
        if result.k_excluded:
            notes.append(f"{_studies(result.k_excluded)} without events left out")
    elif spec.method == BAYESIAN and result.status == Status.ESTIMATED:
        notes.append("no p-value: posterior probabilities in posterior_probabilities.csv")
        if result.k == 1:
            notes.append("one study: the posterior of tau is its prior")
    elif spec.method == MN and result.reason == Reason.NO_P_VALUE:
        first, notes = [], [reason_text(result.reason)]
    elif spec.method in EXACT_CONDITIONAL_ROWS and result.reason != Reason.NON_INTEGER_COUNTS:
        if result.k_excluded:
            notes.append(
                f"{_studies(result.k_excluded)} without events (or with only events) "
                f"carr{'ies' if result.k_excluded == 1 else 'y'} no conditional information"
            )
    elif spec.method == IV:
        if result.status == Status.ESTIMATED and spec.hksj and result.hksj_factor < 1:
            notes.append(
                f"HKSJ variance factor {result.hksj_factor:.3g} < 1 raised to 1 so that the "
                "interval is not narrower than the Wald interval"
            )
        dropped = result.k_excluded
        if dropped and spec.measure != "RD":
            notes.append(f"{_studies(dropped, 'double-zero study')} excluded for {spec.measure}")
    return "; ".join(first + notes)


def correction_text(result: PooledEffect) -> str:
    """What was added to zero cells, and to how many studies."""
    spec = result.spec
    if not result.used:  # no study reached the method
        return ""
    zero_cells = registry.method(spec.method).zero_cells
    if zero_cells == ZeroCells.NOT_NEEDED:
        return "none (not needed)"
    if zero_cells == ZeroCells.INSIDE_SUMS:
        if spec.add == 0:
            return "none"
        if spec.correction == Correction.TREATMENT_ARM:
            return "treatment-arm correction (Sweeting 2004) inside the MH sums"
        return f"{spec.add:g} added inside the MH sums to every cell of studies with a zero cell"
    n = sum(result.corrected)
    if not n:
        return "none needed (no zero cells)"
    if spec.correction == Correction.TREATMENT_ARM:
        what = (
            f"treatment-arm correction (Sweeting 2004, total {2 * spec.add:g} per arm pair) "
            "added to studies with a zero cell"
        )
    else:
        what = f"{spec.add:g} added to every cell of studies with a zero cell"
    total = len(result.corrected)
    return f"{what} ({n} of {_studies(total)})"


#: The two rows of the exact conditional distribution (median-unbiased estimate).
EXACT_CONDITIONAL_ROWS = frozenset({EXACT_CONDITIONAL, MID_P})


@dataclass(frozen=True)
class MethodWords:
    """What a registered method is called, and what the tables and texts say of it.

    Attributes
    ----------
    label : str
        Its name in figures and summaries; ``{model}`` becomes "common effect" or "random
        effects (REML)".
    estimator, interval, p_value : str
        The ``estimator``, ``ci_method`` and ``p_method`` columns.
    sentence : str
        What it adds to the methods paragraph, with its references; empty when the sentence
        of ``sentence_with`` covers it.
    sentence_with : str
        The method whose sentence covers this one.
    common_sentence : str
        Its sentence when no random-effects row produced an estimate (empty: ``sentence``).
    summary_phrase : str
        The summary's sentence for a companion row (``{value}``: its estimate and interval).
    code_description : str
        Its ``method`` code in the codebook (methods with the same description are listed
        together).
    columns : tuple of (column, meaning)
        The codebook entries of the method's own result columns
        (:attr:`raremeta.stats.registry.Method.extra_columns`).
    """

    label: str
    estimator: str
    interval: str
    p_value: str
    sentence: str
    code_description: str
    sentence_with: str = ""
    common_sentence: str = ""
    summary_phrase: str = ""
    columns: tuple[tuple[str, str], ...] = ()


WALD = "Wald, normal"

#: What the per-study intervals of each ``study_effects.csv`` column prefix are (the forest
#: plot's column header: "OR (Firth) [95% CI]"); the prefixes are those
#: :func:`raremeta.stats.registry.study_interval_prefix` returns.
STUDY_INTERVAL_WORDS: dict[str, str] = {
    registry.STUDY_FIRTH_OR: "Firth",
    registry.STUDY_CRUDE_RD: "Miettinen-Nurminen",
    "or": "0.5 added to zero cells",
    "rr": "0.5 added to zero cells",
    "rd": "0.5 added to zero cells",
}

#: Each ``subset`` code of ``pooled_rates.csv`` in words.
RATE_SUBSET_TEXT: dict[str, str] = {
    RateSubset.ALL_ARMS: "every arm of the role that reported the outcome, trials outside the "
    "comparison included: not a randomised comparison",
    RateSubset.COMPARISON: "the arms of the trials in the outcome's comparison (the studies of "
    "its pooled effects)",
}
#: Each ``absolute_source`` code of ``summary_of_findings.csv`` in words: where the assumed
#: comparator risk comes from.
ASSUMED_RISK_TEXT: dict[str, str] = {
    AssumedRisk.EXTERNAL: "the external baseline risk of config.yaml (baseline_source)",
    AssumedRisk.TRIALS_GLMM: "the trials' own comparator risk (GLMM rate over the comparator "
    "arms of the trials in the comparison)",
    AssumedRisk.TRIALS_CRUDE: "the trials' own comparator risk (crude: events over patients in "
    "the comparator arms of the trials in the comparison)",
    AssumedRisk.POOLED_RD: "the risk difference stratified by trial and pooled directly "
    "(Mantel-Haenszel weights, Miettinen-Nurminen interval), no assumed risk",
}
#: The built-in subgroup variables (config ``subgroups:``) in words.
SUBGROUP_VARIABLE_WORDS = {"cni_drug": "CNI drug", "comparator_drug": "comparator drug"}


def subgroup_variable_words(name: str) -> str:
    """A subgroup variable in words (a study-level one by its name, underscores as spaces)."""
    return SUBGROUP_VARIABLE_WORDS.get(name, name.replace("_", " "))


#: Each ``imprecision_reason`` code in words.
IMPRECISION_REASON_TEXT: dict[str, str] = {
    ImprecisionReason.CROSSES_ONE_THRESHOLD: "the interval crosses one threshold of appreciable "
    "harm or benefit",
    ImprecisionReason.CROSSES_BOTH_THRESHOLDS: "the interval crosses the thresholds of both "
    "appreciable harm and appreciable benefit",
    ImprecisionReason.CROSSES_NULL: "the interval includes no effect",
    ImprecisionReason.OIS_NOT_MET: "the participants do not reach the optimal information size",
    ImprecisionReason.OIS_NOT_COMPUTABLE: "the optimal information size cannot be computed "
    "(no risk above 0)",
    ImprecisionReason.VERY_FEW_EVENTS: "very few events",
    ImprecisionReason.EXTREMELY_WIDE: "the relative interval runs from a large reduction to a "
    "large increase (below 1/2 and above 2; this pipeline's convention)",
    ImprecisionReason.NO_ESTIMATE: "no estimate to rate",
}
#: Each ``imprecision_basis`` code in words.
IMPRECISION_BASIS_TEXT: dict[str, str] = {
    ImprecisionBasis.HEADLINE: "the headline absolute effect",
    ImprecisionBasis.POOLED_RD: "the risk difference pooled directly",
    ImprecisionBasis.NONE: "nothing",
}
#: The words of every registered method (a test checks that every registry entry has them).
METHOD_WORDS: dict[str, MethodWords] = {
    MH: MethodWords(
        "Mantel-Haenszel, {model}",
        "MH",
        WALD,
        WALD,
        "Mantel-Haenszel odds ratios, risk ratios and risk differences without continuity "
        "correction (Greenland and Robins 1985; Robins, Breslow and Greenland 1986; Sato, "
        "Greenland and Robins 1989)",
        "Mantel-Haenszel",
    ),
    PETO: MethodWords(
        "Peto, {model}",
        "Peto",
        WALD,
        WALD,
        "the Peto odds ratio (Yusuf et al. 1985)",
        "Peto",
    ),
    IV: MethodWords(
        "Inverse variance, {model}",
        "inverse variance",
        WALD,
        WALD,
        "inverse-variance common and random-effects estimates with DerSimonian-Laird, REML "
        "and Paule-Mandel tau² after adding 0.5 to every cell of trials with a zero cell "
        "(double-zero trials excluded for ratio measures), Q-profile confidence intervals for "
        "tau² (Viechtbauer 2007) and t-based prediction intervals with k - 2 df (Higgins, "
        "Thompson and Spiegelhalter 2009)",
        "inverse variance",
        common_sentence="inverse-variance common-effect estimates after adding 0.5 to every "
        "cell of trials with a zero cell (double-zero trials excluded for ratio measures)",
    ),
    CONDITIONAL_ML: MethodWords(
        "conditional ML, {model}",
        "conditional ML",
        WALD,
        WALD,
        "the conditional maximum-likelihood odds ratio (Breslow and Day 1980)",
        "conditional maximum likelihood",
    ),
    EXACT_CONDITIONAL: MethodWords(
        "median-unbiased, exact conditional CI",
        "median-unbiased",
        "exact conditional (Cornfield)",
        "exact conditional, two-sided (tables no more probable than observed)",
        "the median-unbiased odds ratio (Hirji, Tsiatis and Mehta 1989) with exact conditional "
        "(Cornfield 1956) and mid-p intervals and p-values, computed from the exact "
        "distribution of the total CNI events given every margin",
        "median-unbiased OR with the exact conditional or the mid-p interval and p",
        summary_phrase="The exact conditional analysis gives a median-unbiased odds ratio of "
        "{value}.",
    ),
    MID_P: MethodWords(
        "median-unbiased, mid-p CI",
        "median-unbiased",
        "mid-p",
        "mid-p, two-sided (twice the smaller one-sided mid-p)",
        "",
        "median-unbiased OR with the exact conditional or the mid-p interval and p",
        sentence_with=EXACT_CONDITIONAL,
    ),
    FIRTH: MethodWords(
        "Firth penalised likelihood",
        "penalised ML",
        "profile penalised likelihood",
        "penalised likelihood ratio",
        "the penalised-likelihood (Firth) logistic-regression odds ratio with fixed study "
        "intercepts, its profile penalised-likelihood interval and likelihood-ratio p-value "
        "(Firth 1993; Heinze and Schemper 2002; Evrenoglou et al. 2022)",
        "penalised likelihood",
    ),
    MN: MethodWords(
        "Mantel-Haenszel, Miettinen-Nurminen CI",
        "MH",
        "Miettinen-Nurminen score (MH weights)",
        "score test (= CMH without continuity correction)",
        "the Mantel-Haenszel risk difference with the stratified Miettinen-Nurminen score "
        "interval and score test (Miettinen and Nurminen 1985)",
        "MH risk difference with the Miettinen-Nurminen score interval",
    ),
    BAYESIAN: MethodWords(
        "Bayesian binomial-normal, random effects (95% CrI)",
        "posterior median",
        "equal-tailed 95% credible interval",
        "none (a posterior; see posterior_probabilities.csv)",
        "a Bayesian binomial-normal random-effects model (Smith, Spiegelhalter and Thomas "
        "1995) with weakly informative priors (Günhan, Röver and Friede 2020), computed by "
        "deterministic numerical integration; it reports the posterior median odds ratio, its "
        "equal-tailed 95% credible interval and the posterior probabilities that the odds "
        "ratio exceeds each threshold, and has no p-value",
        "Bayesian binomial-normal model (posterior median, equal-tailed credible interval)",
        columns=(
            (
                "posterior_error",
                "Bayesian rows: the largest error estimate of the numerical integration (grid "
                "resolution, quadrature order, grid truncation); empty for other methods",
            ),
        ),
    ),
}


def method_words(name: str) -> MethodWords:
    """The words of the registered method ``name``."""
    return METHOD_WORDS[name]


def method_name(method: str, model: str, estimator: str) -> str:
    """E.g. ``"Mantel-Haenszel, common effect"``."""
    model_words = "common effect" if model != RANDOM else f"random effects ({estimator})"
    return METHOD_WORDS[method].label.format(model=model_words)


def method_label(measure: str, method: str, model: str, estimator: str) -> str:
    """E.g. ``"OR, Mantel-Haenszel, common effect"``."""
    return f"{measure}, {method_name(method, model, estimator)}"


def methods_sentence(name: str) -> str:
    """What the method ``name`` adds to the methods paragraph ("" when another's covers it)."""
    return METHOD_WORDS[name].sentence


def ci_method_text(result: PooledEffect) -> str:
    """How the interval was computed; empty when the row has no interval (not estimated, or
    :attr:`Reason.NO_CONFIDENCE_INTERVAL`).
    """
    if result.status != Status.ESTIMATED or result.reason == Reason.NO_CONFIDENCE_INTERVAL:
        return ""
    if result.spec.hksj and result.status == Status.ESTIMATED:
        return f"HKSJ (ad hoc max(1, q)), t, df = {result.k - 1}"
    return METHOD_WORDS[result.spec.method].interval


def estimator_text(result: PooledEffect) -> str:
    """What the estimate is (``estimator`` column)."""
    if result.status == Status.NOT_APPLICABLE:
        return ""
    return METHOD_WORDS[result.spec.method].estimator


def p_method_text(result: PooledEffect) -> str:
    """How the p-value was computed (``p_method`` column); empty when there is none."""
    if result.status != Status.ESTIMATED or result.reason == Reason.NO_P_VALUE:
        return ""
    if result.spec.hksj:
        return f"t, df = {result.k - 1}"
    return METHOD_WORDS[result.spec.method].p_value


def pi_method_text(result: PooledEffect) -> str:
    """How the prediction interval was computed, for random-effects results."""
    if result.spec.model != RANDOM or result.status != Status.ESTIMATED:
        return ""
    if result.k >= 3:
        return f"t, df = k - 2 = {result.k - 2} (Higgins 2009)"
    return "not computed: needs k >= 3"


#: The fewest events of which a tau² estimate of 0 is called "no detectable between-study
#: variation" (README, "Printed numbers"): with fewer, a zero says nothing.
MIN_EVENTS_FOR_NO_VARIATION = 10


def rate_note(rate: PooledRate) -> str:
    """Why a pooled rate is missing, or what is special about it."""
    if rate.reason != Reason.NONE:
        return reason_text(rate.reason, Context.RATE)
    if rate.rounded:
        return "non-integer counts (split comparator): interval uses rounded counts"
    if rate.single_study:
        return "single study: the GLMM reduces to its binomial proportion"
    if rate.tau2_at_zero and rate.events >= MIN_EVENTS_FOR_NO_VARIATION:
        return "tau² estimated at 0 (no detectable between-study variation)"
    if rate.tau2_at_zero:
        return (
            f"tau² estimated at 0, which with {rate.events:g} events (fewer than "
            f"{MIN_EVENTS_FOR_NO_VARIATION}) says nothing about between-study variation"
        )
    return ""


def study_correction_text(double_zero: bool, corrected: bool) -> str:
    """What was done to one study's cells for its own OR, RR and RD."""
    if double_zero:
        return "double zero: OR and RR not estimable; RD with 0.5 added to every cell"
    if corrected:
        return "0.5 added to every cell (zero cell)"
    return "none"


def excluded_note(excluded: dict[str, Reason]) -> str:
    """Which studies of the project are not in an outcome's comparison, and why."""
    if not excluded:
        return ""
    return "not in the comparison: " + "; ".join(
        f"{study} ({reason_text(why)})" for study, why in excluded.items()
    )


#: The ``analysis`` label of each analysis code (sensitivity.csv).
ANALYSIS_LABELS: dict[str, str] = {
    AnalysisCode.HKSJ: "HKSJ interval",
    AnalysisCode.REVMAN_MH: "RevMan-style MH",
    AnalysisCode.CONTINUITY_CORRECTION: "continuity correction",
    AnalysisCode.LEAVE_ONE_OUT: "leave-one-out",
    AnalysisCode.PRIMARY_SOURCES: "source of counts",
    AnalysisCode.PRIMARY_OR_REGISTRY_SOURCES: "source of counts",
    AnalysisCode.FIRTH_WITHOUT_DOUBLE_ZERO: "double-zero studies",
    AnalysisCode.MULTI_ARM: "multi-arm handling",
    AnalysisCode.PRIOR_SENSITIVITY: "prior (Bayesian)",
    AnalysisCode.NO_COMPARABLE_STUDY: "all",
}
#: The ``variant`` label of each source-of-counts subset, and its row in the summary.
SUBSET_LABELS: dict[str, tuple[str, str]] = {
    AnalysisCode.PRIMARY_SOURCES: (
        "primary sources only",
        "Trials whose counts all come from their own reports (sensitivity)",
    ),
    AnalysisCode.PRIMARY_OR_REGISTRY_SOURCES: (
        "primary or registry sources",
        "Trials whose counts all come from their own reports or registry results (sensitivity)",
    ),
}
#: What each analysis adds to the methods paragraph (analyses sharing a sentence say it once).
ANALYSIS_SENTENCES: dict[str, str] = {
    AnalysisCode.HKSJ: "Hartung-Knapp-Sidik-Jonkman intervals",
    AnalysisCode.REVMAN_MH: "RevMan-style continuity corrections inside the MH sums",
    AnalysisCode.CONTINUITY_CORRECTION: "constant (0.5, 0.01) and treatment-arm (Sweeting, "
    "Sutton and Lambert 2004) continuity corrections",
    AnalysisCode.LEAVE_ONE_OUT: "leave-one-out",
    AnalysisCode.PRIMARY_SOURCES: "the primary method restricted to the trials whose every "
    "count came from their own reports, and from their own reports or registry results "
    "(leaving out counts from letters, reviews or of unstated source)",
    AnalysisCode.FIRTH_WITHOUT_DOUBLE_ZERO: "the Firth odds ratio without double-zero trials",
    AnalysisCode.MULTI_ARM: "the alternative handling of multi-arm trials",
    AnalysisCode.PRIOR_SENSITIVITY: "the Bayesian model under other priors",
}
ANALYSIS_SENTENCES[AnalysisCode.PRIMARY_OR_REGISTRY_SOURCES] = ANALYSIS_SENTENCES[
    AnalysisCode.PRIMARY_SOURCES
]


#: Why the rule chose the primary estimate, by ``primary_rule`` code (after "rule: ").
PRIMARY_RULE_TEXT = {
    PrimaryRule.NO_COMPARABLE_STUDY: "no study in the comparison",
    PrimaryRule.NO_EVENTS: "no events in any arm, so no odds ratio",
    PrimaryRule.MH_OR_FINITE: "the Mantel-Haenszel odds ratio is finite",
    PrimaryRule.MH_OR_NOT_FINITE: "the Mantel-Haenszel odds ratio is not finite",
}


#: Rule (c) in words, by the reason the MH odds ratio is not finite.
_MH_NOT_FINITE = {
    Reason.NO_COMPARATOR_EVENTS: "no comparator events, so the Mantel-Haenszel odds ratio is "
    "infinite",
    Reason.NO_CNI_EVENTS: "no CNI events, so the Mantel-Haenszel odds ratio is zero",
}


def primary_rule_text(
    code: PrimaryRule | str,
    mh_reason: Reason | str = Reason.NONE,
    protocol: Protocol | None = None,
) -> str:
    """How the primary estimate was chosen (README, "Choice of primary method"); for rule (c)
    ``mh_reason`` (the MH OR row's reason) says why the MH odds ratio is not finite. Called
    "pre-specified" only when the configuration declares a registered ``protocol``; otherwise
    "the rule in config.yaml" (or, for an explicit choice, "chosen in config.yaml").
    """
    code = PrimaryRule(code)
    if code == PrimaryRule.CONFIGURED:
        if protocol is None:
            return "chosen in config.yaml"
        return f"pre-specified in protocol {protocol.registration} ({protocol.date})"
    why = PRIMARY_RULE_TEXT[code]
    if code == PrimaryRule.MH_OR_NOT_FINITE and Reason(mh_reason) in _MH_NOT_FINITE:
        why = _MH_NOT_FINITE[Reason(mh_reason)]
    if protocol is None:
        return f"by the rule in config.yaml: {why}"
    return f"by the rule pre-specified in protocol {protocol.registration} ({protocol.date}): {why}"


#: How the role words of these templates read with the configured labels (config ``roles:``).
_ROLE_WORDS = re.compile(r"\b(CNI|comparator)\b")


def in_roles(text: str, roles: RoleLabels | None) -> str:
    """``text`` (this module's words, which name the roles by their default labels "CNI" and
    "comparator") with the configured role labels.

    Examples
    --------
    >>> in_roles("no comparator events; CNI arm", RoleLabels("JAK inhibitor", "placebo"))
    'no placebo events; JAK inhibitor arm'
    """
    if roles is None:
        return text
    labels = {"CNI": roles.cni, "comparator": roles.comparator}
    return _ROLE_WORDS.sub(lambda m: labels[m.group()], text)


#: What a ``caution`` code (pooled_effects.csv, sensitivity.csv) says beside its row (and in
#: the codebook); a test checks that every :class:`~raremeta.analysis.table_keys.Caution` but
#: NONE has an entry.
CAUTION_TEXT: dict[str, str] = {
    Caution.WALD_ZERO_ARM: "caution: normal-approximation interval, unreliable because every "
    "trial has an arm without events",
}


#: Why an analysis produced no estimate for any outcome, in the methods paragraph's words.
METHODS_REASON_TEXT = {
    Reason.SINGLE_STUDY: "one trial per outcome",
    Reason.NO_STUDY_FROM_SOURCES: "no trial with every count from its own report or registry "
    "results",
    Reason.NO_MULTI_ARM_STUDY: "no trial entered with several arms of one role",
    Reason.NO_COMPARATOR_EVENTS: "no comparator events",
    Reason.CONDITIONAL_MLE_INFINITE: "no comparator events",
    Reason.NO_CNI_EVENTS: "no CNI events",
    Reason.CONDITIONAL_MLE_ZERO: "no CNI events",
}
#: What the random-effects part of the inverse-variance sentence is called when it is not
#: applicable.
RANDOM_EFFECTS_WORDS = "random-effects models and prediction intervals"


#: Why an arm has no count of an outcome (``ReportingDetail`` codes of ``reporting.csv``), in
#: the words of the summary and the figures, and the short mark of the reporting matrix.
REPORTING_DETAIL_WORDS: dict[str, str] = {
    ReportingDetail.NOT_FOUND: "not found in the sources reached",
    ReportingDetail.NOT_REPORTED: "not reported by the source",
    ReportingDetail.UNSPECIFIED: "not reported",
}
REPORTING_DETAIL_MARKS: dict[str, str] = {
    ReportingDetail.NOT_FOUND: "NF",
    ReportingDetail.NOT_REPORTED: "NR",
    ReportingDetail.UNSPECIFIED: "",
}


#: Which patients a denominator counts (``population_*`` codes of the tables), in words.
POPULATION_WORDS: dict[str, str] = {
    "safety": "safety population",
    "randomised": "randomised patients",
    "other": "other population",
    "not_stated": "population not stated",
}


#: How the exposure-adjusted rates' intervals are computed (``ci_method`` of
#: exposure_adjusted.csv).
EXPOSURE_CI_METHOD = "exact Poisson (Garwood)"
#: What an exposure-adjusted rate is per (the ``note`` of an estimated row).
EXPOSURE_RATE_NOTE = "per 100 patient-years of planned follow-up (patients × follow-up weeks / 52)"


def follow_up_differs_note(weeks: list[float]) -> str:
    """The outcome-level note when the trials of a comparison have different planned
    follow-up (``weeks``: the distinct stated values).
    """
    listed = ", ".join(f"{w:g}" for w in sorted(weeks))
    return (
        f"the trials of the comparison have different planned follow-up ({listed} weeks): "
        "pooling them as proportions (pooled_effects.csv) ignores the difference"
    )


def no_study_note() -> str:
    """The one line of an outcome without any study in exposure_adjusted.csv."""
    return "no study has this outcome, so there is no exposure-adjusted incidence to show"


#: Effect measures in running text (summary and methods paragraph).
MEASURE_WORDS = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}


#: The note of every test row of subgroups.csv (Cochrane Handbook 10.11.2; Oxman and Guyatt,
#: Ann Intern Med 1992;116:78-84).
SUBGROUP_OBSERVATIONAL_NOTE = (
    "subgroups of trials are observational comparisons, not randomised ones: a difference "
    "between them may be due to anything else that differs between the trials"
)


def subgroup_test_note(q_df: int, left_out: list[str]) -> str:
    """What the test row of a subgroup variable computed: Cochran's Q between ``q_df`` + 1
    subgroups, and the subgroups left out of it (no estimate or standard error).
    """
    text = (
        f"Cochran's Q between {q_df + 1} subgroups on their estimates (log scale for ratios) "
        f"and standard errors (fixed effect), chi-square on {q_df} df"
    )
    if left_out:
        text += f"; left out, without an estimate or standard error: {', '.join(left_out)}"
    return text


def unmapped_drugs_note(drugs: list[str]) -> str:
    """The note of a subgroup whose drugs ``drug_vocabulary`` does not map."""
    return f"not in drug_vocabulary: {', '.join(drugs)} (kept as written)"


#: The ``method`` of within_trial_subgroups.csv: what model gives the interaction.
WITHIN_TRIAL_METHOD = "Firth one-stage within-trial interaction"


def within_trial_note(subgroup: str, reference: str) -> str:
    """The ``note`` of an estimated row of within_trial_subgroups.csv: what the ratio is."""
    return (
        f"ratio of the CNI vs comparator odds ratio in subgroup '{subgroup}' to that in "
        f"'{reference}' (reference), from comparisons inside each trial only (Fisher et al., "
        "BMJ 2017;356:j573): trial-specific intercepts, treatment and subgroup effects and a "
        "common interaction, Firth-penalised; subgroups are never compared across trials"
    )


#: The ``note`` of an outcome's row when no trial reports counts by subgroup.
NO_SUBGROUP_COUNTS_NOTE = (
    "no trial gives adverse events by patient subgroup (adverse_events.csv 'subgroup'), so "
    "whether the risk differs by a patient characteristic cannot be examined within trials; "
    "the summary's 'Patient characteristics' section states what the trial totals cannot "
    "answer (characteristics_question of config.yaml)"
)
