"""The one place where typed results become words: reasons, corrections, notes, CI methods.

The results tables carry these words in their ``note``, ``correction``, ``ci_method`` and
``pi_method`` columns for readers; no code reads them back. Code reads ``status`` and
``reason`` (codes of :class:`~raremeta.stats.results.Reason`) and the boolean columns.
"""

from __future__ import annotations

import textwrap

from raremeta.analysis.table_keys import PrimaryRule
from raremeta.stats.results import Correction, PooledEffect, PooledRate, Reason, Status

#: Why a pooled comparative result has no estimate, by reason (and method where it matters).
_POOLED_REASONS: dict[tuple[Reason, str], str] = {
    (Reason.NO_COMPARABLE_STUDY, ""): "not estimable: no study reports this outcome in both arms",
    (Reason.NO_COMPARATOR_EVENTS, "MH OR"): "not estimable: no comparator events in any study "
    "(sum of b*c/N is 0), so the MH odds ratio is infinite",
    (Reason.NO_COMPARATOR_EVENTS, "MH RR"): "not estimable: no comparator events in any study, "
    "so the MH risk ratio is infinite",
    (Reason.NO_CNI_EVENTS, "MH OR"): "not estimable: no CNI events in any study (sum of a*d/N "
    "is 0)",
    (Reason.NO_CNI_EVENTS, "MH RR"): "not estimable: no CNI events in any study",
    (Reason.NO_EVENTS, ""): "not estimable: no events in any study",
    (Reason.NO_INFORMATIVE_STUDY, "Peto OR"): "not estimable: no study has both patients with "
    "and without the event",
    (Reason.NO_INFORMATIVE_STUDY, ""): "not estimable: no informative study",
    (Reason.CONDITIONAL_MLE_INFINITE, ""): "not estimable: the conditional MLE of the odds "
    "ratio is infinite (every informative study has all its events in the CNI arm, e.g. no "
    "comparator events)",
    (Reason.CONDITIONAL_MLE_ZERO, ""): "not estimable: the conditional MLE of the odds ratio is "
    "0 (every informative study has all its events in the comparator arm)",
    (Reason.NON_INTEGER_COUNTS, ""): "not estimable: the exact method needs whole-number counts",
    (Reason.NO_ESTIMABLE_STUDY, ""): "not estimable: no study has an estimable effect",
    (Reason.ZERO_SAMPLING_VARIANCE, ""): "not estimable: a study has zero sampling variance",
    (Reason.TAU2_NOT_FINITE, ""): "not estimable: tau² has no finite estimate",
    (Reason.SINGLE_STUDY, "HKSJ"): "not applicable: the HKSJ interval needs a random-effects "
    "model and at least two studies",
    (Reason.SINGLE_STUDY, "leave-one-out"): "not applicable: leave-one-out needs at least two "
    "studies",
    (Reason.SINGLE_STUDY, ""): "not applicable: the analysis needs at least two studies (HKSJ "
    "interval, leave-one-out)",
    (Reason.NO_MULTI_ARM_STUDY, ""): "not applicable: no study has more than one arm of the "
    "same role",
    (Reason.NO_STUDY_FROM_SOURCES, ""): "not applicable: no study in the comparison has every "
    "count from these kinds of source",
    (Reason.NO_CONFIDENCE_INTERVAL, "MH RD"): "no confidence interval: the Sato variance is not "
    "positive (every arm has either no events or only events), as in metafor, which returns NaN",
    (Reason.NO_CONFIDENCE_INTERVAL, ""): "no confidence interval: the variance is not positive "
    "(every arm has either no events or only events)",
    (Reason.METHOD_NOT_CONFIGURED, ""): "not applicable: the method it needs is not among "
    "the configured methods (config.yaml `methods:`)",
    (Reason.NO_P_VALUE, ""): "no p-value: no study has an event (or every patient had one), so "
    "the score test of no difference is 0/0",
    (Reason.SINGLE_STUDY, "IV random"): "not applicable: one study, so there is no "
    "between-study variance to estimate (a random-effects model needs at least two studies)",
    (Reason.NON_INTEGER_COUNTS, "exact-conditional"): "not estimable: exact conditional "
    "inference needs whole-number counts (split comparator)",
}

#: Why a study is not in an outcome's comparison.
STUDY_REASONS = {
    Reason.NOT_REPORTED_EITHER_ARM: "outcome not reported in either arm",
    Reason.NOT_REPORTED_COMPARATOR: "outcome not reported for the comparator arm",
    Reason.NOT_REPORTED_CNI: "outcome not reported for the CNI arm",
}

#: Why a pooled rate has no estimate.
_RATE_REASONS = {
    Reason.NO_REPORTING_ARM: "no study reported this outcome for this role",
    Reason.NON_INTEGER_COUNTS: "not estimable: the GLMM needs whole-number counts (split "
    "comparator)",
    Reason.NO_EVENTS: "not estimable: no events in any study, the maximum-likelihood rate is 0 "
    "on the logit scale's boundary (-inf)",
    Reason.ALL_EVENTS: "not estimable: every patient had the event",
    Reason.SINGULAR_INFORMATION: "not estimable: the GLMM's information matrix is singular",
}

#: Short forms for figures and summaries, where the long text does not fit.
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
}


def reason_text(reason: Reason | str, context: str = "") -> str:
    """The sentence for ``reason``; ``context`` is e.g. ``"MH OR"``, ``"HKSJ"``."""
    reason = Reason(reason)
    if reason in STUDY_REASONS:
        return STUDY_REASONS[reason]
    for key in (context, ""):
        if (reason, key) in _POOLED_REASONS:
            return _POOLED_REASONS[(reason, key)]
    if reason in _RATE_REASONS:
        return _RATE_REASONS[reason]
    return next(text for (r, _), text in _POOLED_REASONS.items() if r == reason)


def short_reason(reason: Reason | str) -> str:
    """A short form of a reason, for a figure or a summary line."""
    reason = Reason(reason)
    if reason in _SHORT:
        return _SHORT[reason]
    text = reason_text(reason).split(": ", 1)[-1]
    text = text.split(" (")[0].split(", so ")[0]
    return textwrap.shorten(text, 34, placeholder="...")


def _studies(n: int) -> str:
    return f"{n} study/studies"


def subset_note(left_out: int) -> str:
    """What a source-of-counts subset left out (sensitivity.csv ``note``)."""
    if left_out == 0:
        return "every study in the comparison qualifies: as the primary analysis"
    trials = "1 study" if left_out == 1 else f"{left_out} studies"
    return f"{trials} left out: a count from another kind of source"


def _context(spec) -> str:
    if spec.hksj:
        return "HKSJ"
    if spec.method == "IV" and spec.model == "random":
        return "IV random"
    if spec.method in ("exact-conditional", "mid-p"):
        return "exact-conditional"
    return f"{spec.method} {spec.measure}"


def pooled_note(result: PooledEffect, context: str = "") -> str:
    """Why a pooled result is missing, and what the method left out or changed."""
    spec = result.spec
    ctx = context or _context(spec)
    first = [] if result.reason == Reason.NONE else [reason_text(result.reason, ctx)]
    notes: list[str] = []
    n_corrected = sum(result.corrected)
    if spec.method == "MH":
        if spec.add > 0 and n_corrected:
            notes.append(f"{_studies(n_corrected)} corrected")
        if spec.measure != "RD" and result.k_excluded:
            notes.append(
                f"{result.k_excluded} double-zero study/studies add nothing to the MH "
                f"{spec.measure}"
            )
        if result.reason == Reason.NO_CONFIDENCE_INTERVAL:
            first, notes = [], [*notes, reason_text(result.reason, ctx)]
    elif spec.method == "Peto" and result.status == Status.ESTIMATED and result.k_excluded:
        notes.append(
            f"{_studies(result.k_excluded)} without events (or with only events) add nothing"
        )
    elif spec.method == "Firth" and result.status == Status.ESTIMATED:
        if result.k == 1:
            notes.append("one study: the Firth OR equals the OR after adding 0.5 to every cell")
        if result.k_excluded:
            notes.append(f"{_studies(result.k_excluded)} without events left out")
    elif spec.method == "MN" and result.reason == Reason.NO_P_VALUE:
        first, notes = [], [reason_text(result.reason)]
    elif spec.method in EXACT_CONDITIONAL and result.reason != Reason.NON_INTEGER_COUNTS:
        if result.k_excluded:
            notes.append(
                f"{_studies(result.k_excluded)} without events (or with only events) carry "
                "no conditional information"
            )
    elif spec.method == "IV":
        if result.status == Status.ESTIMATED and spec.hksj and result.hksj_factor < 1:
            notes.append(
                f"HKSJ variance factor {result.hksj_factor:.3g} < 1 raised to 1 so that the "
                "interval is not narrower than the Wald interval"
            )
        dropped = result.k_excluded
        if dropped and spec.measure != "RD":
            notes.append(f"{dropped} double-zero study/studies excluded for {spec.measure}")
    return "; ".join(first + notes)


def correction_text(result: PooledEffect) -> str:
    """What was added to zero cells, and to how many studies."""
    spec = result.spec
    if not result.used:  # no study reached the method
        return ""
    if spec.method in NO_CORRECTION_METHODS:
        return "none (not needed)"
    if spec.method == "MH":
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
    return f"{what} ({n} of {len(result.corrected)} studies)"


#: Methods whose likelihood needs no continuity correction.
NO_CORRECTION_METHODS = frozenset({"Peto", "exact", "exact-conditional", "mid-p", "Firth", "MN"})
#: The two rows of the exact conditional distribution (median-unbiased estimate).
EXACT_CONDITIONAL = frozenset({"exact-conditional", "mid-p"})
#: The ``ci_method`` of the methods whose interval is not Wald.
_CI_METHODS = {
    "exact-conditional": "exact conditional (Cornfield)",
    "mid-p": "mid-p",
    "Firth": "profile penalised likelihood",
    "MN": "Miettinen-Nurminen score (MH weights)",
}
#: The ``estimator`` of each method (IV: inverse-variance weighted mean).
_ESTIMATORS = {
    "MH": "MH",
    "Peto": "Peto",
    "IV": "inverse variance",
    "exact": "conditional ML",
    "exact-conditional": "median-unbiased",
    "mid-p": "median-unbiased",
    "Firth": "penalised ML",
    "MN": "MH",
}
#: The ``p_method`` of the methods whose p-value is not a normal Wald test.
_P_METHODS = {
    "exact-conditional": "exact conditional, two-sided (tables no more probable than observed)",
    "mid-p": "mid-p, two-sided (twice the smaller one-sided mid-p)",
    "Firth": "penalised likelihood ratio",
    "MN": "score test (= CMH without continuity correction)",
}


def ci_method_text(result: PooledEffect) -> str:
    """How the interval was computed."""
    if result.status == Status.NOT_APPLICABLE:
        return ""
    if result.spec.method in _CI_METHODS:
        return _CI_METHODS[result.spec.method]
    if result.spec.hksj and result.status == Status.ESTIMATED:
        return f"HKSJ (ad hoc max(1, q)), t, df = {result.k - 1}"
    return "Wald, normal"


def estimator_text(result: PooledEffect) -> str:
    """What the estimate is (``estimator`` column)."""
    if result.status == Status.NOT_APPLICABLE:
        return ""
    return _ESTIMATORS[result.spec.method]


def p_method_text(result: PooledEffect) -> str:
    """How the p-value was computed (``p_method`` column); empty when there is none."""
    if result.status != Status.ESTIMATED or result.reason == Reason.NO_P_VALUE:
        return ""
    if result.spec.method in _P_METHODS:
        return _P_METHODS[result.spec.method]
    if result.spec.hksj:
        return f"t, df = {result.k - 1}"
    return "Wald, normal"


def pi_method_text(result: PooledEffect) -> str:
    """How the prediction interval was computed, for random-effects results."""
    if result.spec.model != "random" or result.status != Status.ESTIMATED:
        return ""
    if result.k >= 3:
        return f"t, df = k - 2 = {result.k - 2} (Higgins 2009)"
    return "not computed: needs k >= 3"


def rate_note(rate: PooledRate) -> str:
    """Why a pooled rate is missing, or what is special about it."""
    if rate.reason != Reason.NONE:
        return _RATE_REASONS[rate.reason]
    if rate.rounded:
        return "non-integer counts (split comparator): interval uses rounded counts"
    if rate.single_study:
        return "single study: the GLMM reduces to its binomial proportion"
    if rate.tau2_at_zero:
        return "tau² estimated at 0 (no detectable between-study variation)"
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
        f"{study} ({STUDY_REASONS[why]})" for study, why in excluded.items()
    )


#: How the primary estimate was chosen, by ``primary_rule`` code.
PRIMARY_RULE_TEXT = {
    PrimaryRule.CONFIGURED: "pre-specified in config.yaml",
    PrimaryRule.NO_COMPARABLE_STUDY: "pre-specified rule: no study in the comparison",
    PrimaryRule.NO_EVENTS: "pre-specified rule: no events in any arm, so no odds ratio",
    PrimaryRule.MH_OR_FINITE: "pre-specified rule: the Mantel-Haenszel odds ratio is finite",
    PrimaryRule.MH_OR_NOT_FINITE: "pre-specified rule: the Mantel-Haenszel odds ratio is not "
    "finite",
}


#: Rule (c) in words, by the reason the MH odds ratio is not finite.
_MH_NOT_FINITE = {
    Reason.NO_COMPARATOR_EVENTS: "pre-specified rule: no comparator events, so the "
    "Mantel-Haenszel odds ratio is infinite",
    Reason.NO_CNI_EVENTS: "pre-specified rule: no CNI events, so the Mantel-Haenszel odds "
    "ratio is zero",
}


def primary_rule_text(code: PrimaryRule | str, mh_reason: Reason | str = Reason.NONE) -> str:
    """How the primary estimate was chosen (README, "Choice of primary method"); for rule (c)
    ``mh_reason`` (the MH OR row's reason) says why the MH odds ratio is not finite.
    """
    code = PrimaryRule(code)
    if code == PrimaryRule.MH_OR_NOT_FINITE and Reason(mh_reason) in _MH_NOT_FINITE:
        return _MH_NOT_FINITE[Reason(mh_reason)]
    return PRIMARY_RULE_TEXT[code]
