"""The codebook of the results tables (``results/tables/README.md``): every column of every
table and every ``status`` and ``reason`` code, generated from the column lists the tables are
written with, so that the two cannot drift apart.
"""

from __future__ import annotations

from raremeta.analysis import wording
from raremeta.analysis.exposure import EXPOSURE_COLUMNS
from raremeta.analysis.prisma import BOX_MEANING, ID_SEPARATOR, PRISMA_COLUMNS, PrismaBox
from raremeta.analysis.result_tables import (
    ABSOLUTE_COLUMNS,
    CUMULATIVE_COLUMNS,
    POSTERIOR_COLUMNS,
    RATE_COLUMNS,
    SENSITIVITY_COLUMNS,
    pooled_columns,
    study_columns,
)
from raremeta.analysis.signals import SIGNAL_COLUMNS, SIGNAL_DESCRIPTIONS
from raremeta.analysis.subgroups import SUBGROUP_COLUMNS
from raremeta.analysis.summary_of_findings import SOF_COLUMNS
from raremeta.analysis.table_keys import AnalysisCode, AssumedRisk, Caution, RateSubset
from raremeta.analysis.within_trial import MEASURE, WITHIN_TRIAL_COLUMNS
from raremeta.harmonise.reporting import REPORTING_COLUMNS
from raremeta.harmonise.study_table import CHARACTERISTIC_COLUMNS, STUDY_TABLE_COLUMNS
from raremeta.io.raw_studies import PercentCheck, Population, ReportingDetail, ReportingState
from raremeta.stats import registry
from raremeta.stats.certainty import ImprecisionBasis, ImprecisionReason, Rating
from raremeta.stats.results import Reason, status_of


def _listed(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


#: What each code of the new enums means (a missing entry fails at import).
_DETAIL_MEANING = {
    ReportingDetail.NOT_FOUND: "the sources reached do not mention the outcome",
    ReportingDetail.NOT_REPORTED: "a source says it was not collected or not reported for the arm",
    ReportingDetail.UNSPECIFIED: "the study folder does not say",
}
_CHECK_MEANING = {
    PercentCheck.OK: "agrees to within half a unit of its last printed digit, plus config.yaml "
    "`percent_tolerance`",
    PercentCheck.MISMATCH: "disagrees; also a data-quality warning in the harmonisation log",
    PercentCheck.NO_COUNT: "a percentage without a count",
    PercentCheck.NO_PERCENT: "a count without a printed percentage",
}
_POPULATION_MEANING = {
    Population.SAFETY: "the safety population",
    Population.RANDOMISED: "the number randomised",
    Population.OTHER: "another basis, described in `n_basis`",
}
REPORTING_DETAILS = ", ".join(f"`{d}` ({_DETAIL_MEANING[d]})" for d in ReportingDetail)
PERCENT_CHECKS = ", ".join(f"`{c}` ({_CHECK_MEANING[c]})" for c in PercentCheck) + "."
POPULATIONS = (
    ", ".join(f"`{p}` ({_POPULATION_MEANING[p]})" for p in Population)
    + ": the distinct codes of the arms in that order, separated by `;`, with `not_stated` "
    "added when some arms state none; empty when no arm states one (never guessed)."
)


def _caution_description() -> str:
    """The ``caution`` column: every code, in words."""
    codes = "; ".join(f'`{c}` ("{wording.CAUTION_TEXT[c]}")' for c in Caution if c != Caution.NONE)
    return (
        "A warning about the row's interval that its numbers do not show, as a code (figures "
        f"and summaries read it); empty when none. {codes}. Set when the interval is a Wald "
        "interval (method registry: `IntervalKind` wald; normal, or t for an HKSJ row) and "
        "every study the row used has an arm with no events (the variance takes that arm's "
        "risk of 0 as known, so the interval is too narrow and its p-value too small); never "
        "for score, exact, mid-p or "
        "profile penalised-likelihood intervals, nor when one study used has events in both "
        "arms."
    )


def _subset_description() -> str:
    """The ``subset`` column of pooled_rates.csv: every code, in words."""
    codes = "; ".join(f"`{c}`: {wording.RATE_SUBSET_TEXT[c]}" for c in RateSubset)
    return (
        f"Which arms the row pools: {codes}. The all_arms rows of an outcome come first (roles "
        "in order, crude then GLMM), then its comparison rows in the same order; a comparison "
        "row is not estimable (`no_comparable_study`) when no study reports the outcome in "
        "both arms."
    )


_COMMON = {
    "outcome": "Outcome id (a key of `outcomes` in config.yaml).",
    "measure": "Effect measure: OR (odds ratio), RR (risk ratio) or RD (risk difference).",
    "model": "common (common effect) or random (random effects).",
    "tau2_estimator": "Between-study variance estimator of a random-effects model (DL, REML, "
    "PM); empty for a common-effect model.",
    "k": "Number of studies the method used.",
    "estimate": "Pooled estimate on the natural scale (not log); empty unless `status` is "
    "estimated.",
    "ci_low": "Lower bound of the 95% confidence interval (natural scale).",
    "ci_high": "Upper bound of the 95% confidence interval (natural scale); `inf` for an "
    "open-ended interval (a ratio's lower bound is then often `0`).",
    "p_value": "Two-sided p-value of the test of no effect that matches `ci_method`.",
    "p_method": "How the p-value was computed (Wald, normal; t; exact conditional; mid-p; "
    "penalised likelihood ratio; score test); empty when there is no p-value.",
    "correction": "Continuity correction applied, and to how many studies (rendered text).",
    "note": "Why a value is missing, which studies were left out, what was changed: rendered "
    "text for readers; code reads `status` and `reason`.",
    "status": "estimated, not_estimable or not_applicable (see the codes below).",
    "reason": "Why the row is not estimated (or has no interval): a code from the list below; "
    "empty when estimated normally.",
}
POOLED = {
    **_COMMON,
    "primary": "true for the row chosen as the outcome's primary estimate (config.yaml "
    "`primary`: a named method, or `auto`, the rule of the README).",
    "primary_rule": "Which rule chose the primary row (same in every row of the outcome): "
    "configured, auto_no_comparable_study, auto_no_events (no events in any arm: MN risk "
    "difference), auto_mh_or_finite (MH OR), auto_mh_or_not_finite (Firth OR).",
    "k_excluded": "Studies that reported the outcome but are not used by the method: double "
    "zeros for ratio measures (except Firth), studies without information for Peto and the "
    "exact methods, and studies that reported it in one arm only (studies that reported it in "
    "neither arm are in reporting.csv only).",
    "events_cni": "Events in the CNI arms of the studies that can enter this measure (double "
    "zeros left out for OR and RR, except Firth).",
    "n_cni": "Patients in those CNI arms.",
    "events_comparator": "Events in those comparator arms.",
    "n_comparator": "Patients in those comparator arms.",
    "tau2": "Between-study variance (random effects).",
    "tau2_ci_low": "Lower bound of the Q-profile 95% CI of tau² (Viechtbauer 2007).",
    "tau2_ci_high": "Upper bound of the Q-profile 95% CI of tau².",
    "i2": "I² (%): from Q for common-effect methods, from tau² for random effects.",
    "q": "Cochran's Q.",
    "q_df": "Degrees of freedom of Q.",
    "q_p": "p-value of Q (chi-square).",
    "pi_low": "Lower bound of the 95% prediction interval (t, k - 2 df; random effects, k >= 3).",
    "pi_high": "Upper bound of the 95% prediction interval.",
    "pi_method": "How the prediction interval was computed, or why not.",
    "studies": "Ids of the studies (comparisons) counted in `k`, separated by `;`.",
    "caution": _caution_description(),
}
RATES = {
    **_COMMON,
    "role": "cni or comparator.",
    "method": "crude (summed events over summed patients, Clopper-Pearson CI) or GLMM "
    "(random-intercept logistic model, 7-point adaptive quadrature).",
    "k": "Number of arms of this role that reported the outcome.",
    "events": "Summed events of those arms.",
    "n": "Summed patients of those arms.",
    "estimate": "Pooled proportion of patients with the event; empty unless estimated.",
    "tau2": "Between-study variance on the logit scale (GLMM).",
    "note": "Rendered text: why the rate is missing, or what is special about it.",
    "subset": _subset_description(),
}
SENSITIVITY = {
    **_COMMON,
    "analysis": "Group of the variant: HKSJ interval, RevMan-style MH, continuity correction, "
    "leave-one-out, source of counts (the primary method on the studies whose every count "
    "used comes from primary sources only, or from primary or registry sources), double-zero "
    "studies (Firth without them), multi-arm handling (or `all` when no study is comparable).",
    "variant": "The variant within its group.",
    "caution": POOLED["caution"],
}

CUMULATIVE = {
    **_COMMON,
    "step": "Position of the step: the primary method fitted on the first `step` studies "
    "(studies ordered by study.yaml `year`; ties and studies without a year, which come last, "
    "by study id); empty when no study is comparable.",
    "study_added": "Id of the study (comparison) added at this step.",
    "year": "Year of that study (study.yaml `year`); empty when not stated.",
    "k": "Number of studies the method used at this step (the first `step` studies, less those "
    "it cannot use).",
}
SUBGROUPS = {
    **_COMMON,
    "subgroup_variable": "The subgroup variable (config.yaml `subgroups:`): `cni_drug` or "
    "`comparator_drug` (each arm's drug of that role through config.yaml `drug_vocabulary`; "
    "several drugs of one role: their terms, alphabetical, joined by ` + `), or a study-level "
    "variable of study.yaml `subgroups:`; empty on the one line of an outcome when none is "
    "configured.",
    "subgroup": "The subgroup's value; `not_classified` for the trials without a value of a "
    "study-level variable (not fitted, not in the test); empty on the test row of the variable.",
    "k": "Trials of the outcome's comparison in the subgroup (on the test row: in every "
    "classified subgroup); a trial the method cannot use (e.g. double zero for MH) is counted and "
    "the note says it is left out.",
    "events_cni": "Events in the CNI arms of those trials.",
    "n_cni": "Patients in the CNI arms of those trials.",
    "events_comparator": "Events in the comparator arms of those trials.",
    "n_comparator": "Patients in the comparator arms of those trials.",
    "estimate": "The outcome's primary method (pooled_effects.csv row with `primary` true, chosen "
    "on all the trials) fitted to the subgroup's trials, natural scale; empty on the test row and "
    "unless `status` is estimated.",
    "status": "estimated, not_estimable or not_applicable (see the codes below); on the test row, "
    "whether Q between subgroups was computed.",
    "reason": "A code from the list below: `one_trial_subgroup` (estimated from one trial), "
    "`one_subgroup`, `fewer_than_two_estimable_subgroups`, `no_wald_standard_error` (test row), "
    "`not_classified`, `no_subgroup_variable`, or the fit's own reason; empty when estimated "
    "normally.",
    "q_between": "Test row only: Cochran's Q between the subgroups with an estimate and a Wald "
    "standard error: sum of w (y - y_w)^2 over subgroups, y the log estimate (ratios) or the "
    "estimate (RD), w = 1/se^2 (the fit's Wald standard error), y_w their weighted mean; as "
    "metafor rma(yi, sei, mods = ~ factor(group), method = 'FE') QM and R meta's subgroup test. "
    "Empty when not computed (see `reason`).",
    "q_df": "Degrees of freedom of q_between: estimable subgroups - 1.",
    "p_between": "Upper chi-square tail of q_between on q_df degrees of freedom. Subgroups of "
    "trials are observational comparisons, not randomised ones.",
    "studies": "The trials (comparison ids) of the row, separated by `;`.",
}


def _method_description() -> str:
    """The ``method`` column: every code of the method registry, with what it is."""
    groups: dict[str, list[str]] = {}  # description -> the methods it describes
    for name in registry.METHODS:
        groups.setdefault(wording.method_words(name).code_description, []).append(name)
    parts = [
        " and ".join(names) + ("" if words in names else f" ({words})")
        for words, names in groups.items()
    ]
    return "Pooling method: " + ", ".join(parts[:-1]) + " or " + parts[-1] + "."


def _estimator_description() -> str:
    """The ``estimator`` column: what each registered method's estimate is."""
    words = [wording.method_words(name).estimator for name in registry.METHODS]
    return f"What the estimate is: {_listed(words)}; empty when not applicable."


def _ci_method_description() -> str:
    """The ``ci_method`` column: how each registered method's interval is computed."""
    words = list(dict.fromkeys(wording.method_words(n).interval for n in registry.METHODS))
    words.insert(1, "HKSJ with its t df")
    return (
        f"How the interval was computed: {'; '.join(words)}. Empty when the row has no "
        "interval (not estimated, or `no_confidence_interval`)."
    )


def _analysis_code_description() -> str:
    """The ``analysis_code`` column: every analysis code, with its ``analysis`` label."""
    codes = [*AnalysisCode, *(c for c in wording.ANALYSIS_LABELS if c not in set(AnalysisCode))]
    listed = "; ".join(
        f"`{code}` ({wording.ANALYSIS_LABELS[code]}"
        + (f": {wording.SUBSET_LABELS[code][0]}" if code in wording.SUBSET_LABELS else "")
        + ")"
        for code in codes
    )
    return (
        "Stable code of the analysis, for code to select rows by (the `analysis` label is for "
        f"readers): {listed}."
    )


def _weight_descriptions() -> dict[str, str]:
    return {
        column: f"Weight (%) of the study in the {' '.join(p for p in key if p)} pooled estimate; "
        "empty when that pooled row is not estimated (not estimable or not applicable, e.g. a "
        "random-effects model of one study): a model that gave no estimate gives no weights."
        for key, column in registry.weight_columns().items()
    }


def _extra_descriptions() -> dict[str, str]:
    """The result columns the registered methods declare, described by their words."""
    return {c: d for name in registry.METHODS for c, d in wording.method_words(name).columns}


SOURCE_KINDS = (
    "`primary` (the trial's own report), `registry` (registry results), `secondary` (a letter, "
    "a review) or `not_stated` (the row gives no `source_kind`), `;`-separated when several"
)
STUDIES = {
    "outcome": _COMMON["outcome"],
    "study": "Study (or comparison, when multi-arm trials are split) id.",
    "label": "Study label from study.yaml.",
    "included": "true when the study reported the outcome in both arms and enters the comparison.",
    "events_cni": "Events in the CNI arm(s); empty when not reported.",
    "n_cni": "Patients in the CNI arm(s).",
    "events_comparator": "Events in the comparator arm(s); empty when not reported.",
    "n_comparator": "Patients in the comparator arm(s).",
    **{
        f"{m}{suffix}": f"{what} of the study's own {name} (0.5 added to every cell of a study "
        "with a zero cell; empty for OR and RR of a double-zero study)."
        for m, name in (("or", "odds ratio"), ("rr", "risk ratio"), ("rd", "risk difference"))
        for suffix, what in (
            ("", "Estimate"),
            ("_ci_low", "Lower 95% Wald bound"),
            ("_ci_high", "Upper 95% Wald bound"),
        )
    },
    "correction": "What was added to the study's cells for its own estimates `or`, `rr`, `rd` "
    "(rendered text).",
    "rd_crude": "The study's crude risk difference (CNI minus comparator, events over patients, "
    "no continuity correction); empty for a study not in the comparison. Its interval: "
    "Miettinen-Nurminen score, the study alone (as the MN row of pooled_effects.csv for k = 1).",
    "rd_crude_ci_low": "Lower bound of the Miettinen-Nurminen 95% score interval of `rd_crude`.",
    "rd_crude_ci_high": "Upper bound of the Miettinen-Nurminen 95% score interval of `rd_crude`.",
    "or_firth": "The study's own Firth penalised-likelihood odds ratio (no continuity "
    "correction; as the Firth row of pooled_effects.csv for k = 1); empty for a double-zero "
    "study (with no event the penalty alone would set it, from the arm sizes) and for a study "
    "not in the comparison.",
    "or_firth_ci_low": "Lower bound of its profile penalised-likelihood 95% interval.",
    "or_firth_ci_high": "Upper bound of its profile penalised-likelihood 95% interval (can be "
    "very large with a zero cell).",
    "note": "Why the study is not in the comparison (rendered text).",
    "double_zero": "true when the study has no events in either arm (or only events): no "
    "information on a ratio; empty for studies not in the comparison.",
    "zero_cell_corrected": "true when 0.5 was added to every cell for the study's own "
    "estimates; empty for studies not in the comparison.",
    "reason": "Why the study is not in the comparison: a code from the list below.",
    **{
        f"risk_{role}{suffix}": f"{what} of the {role} arm's incidence (events / patients)"
        + (", Clopper-Pearson (exact binomial)" if suffix else "")
        + "; empty when the arm did not report the outcome."
        for role in ("cni", "comparator")
        for suffix, what in (("", "Value"), ("_ci_low", "Lower 95% bound"), ("_ci_high", "Upper"))
    },
    **{
        f"source_kinds_{role}": f"The kinds of source of the {role} arm's count: {SOURCE_KINDS}; "
        "empty when the arm did not report the outcome."
        for role in ("cni", "comparator")
    },
    "follow_up_weeks": "Weeks of follow-up over which the study counted adverse events, as its "
    "source states it (study.yaml); empty when not stated.",
    **{
        f"population_{role}": f"Which patients the {role} arms' n counts (study.yaml arm field "
        f"`population`): {POPULATIONS}"
        for role in ("cni", "comparator")
    },
    **{
        f"drug_{role}": f"The {role} arms' drugs (study.yaml arm field `drug`): the distinct "
        "values of the arms the counts come from (every arm of the role when it did not report "
        "the outcome), in arm order, separated by `;`."
        for role in ("cni", "comparator")
    },
    **{
        f"randomised_arms_{role}": f"How many randomised arms the {role} counts combine: one "
        "per arm entered, or the arm's `combines` (study.yaml) when the source gives several "
        "arms (e.g. doses) only together. More than 1: a dose effect cannot be seen."
        for role in ("cni", "comparator")
    },
}
ABSOLUTE = {
    "outcome": _COMMON["outcome"],
    "k": "Studies in the comparison (both arms report the outcome).",
    "studies": "Their ids, separated by `;`.",
    **{
        f"{x}_{role}": f"{what} in the {role} arms of those studies (summed)."
        for role in ("cni", "comparator")
        for x, what in (("events", "Events"), ("n", "Patients"))
    },
    **{
        f"risk_{role}{suffix}_per_1000": f"{what} of the {role} risk per 1,000 patients (summed "
        "events over summed patients" + (", Clopper-Pearson)." if suffix else ").")
        for role in ("cni", "comparator")
        for suffix, what in (("", "Value"), ("_ci_low", "Lower 95% bound"), ("_ci_high", "Upper"))
    },
    "rd_per_1000": "Risk difference (CNI minus comparator) per 1,000 patients: the MN row of "
    "pooled_effects.csv (MH estimate).",
    "rd_ci_low_per_1000": "Lower bound of its Miettinen-Nurminen 95% interval, per 1,000.",
    "rd_ci_high_per_1000": "Upper bound, per 1,000.",
    "risk_ci_method": "How the risks' intervals were computed.",
    "rd_ci_method": "How the risk difference's interval was computed.",
    "primary_rule": POOLED["primary_rule"],
    "note": _COMMON["note"],
    "status": "Status of the risk difference (see the codes below).",
    "reason": _COMMON["reason"],
}
EXPOSURE = {
    "outcome": _COMMON["outcome"],
    "study": "Study id (its folder under data/raw/; the comparison id for a multi-arm study); "
    "empty on the one line of an outcome without any study.",
    "label": "Study label (study.yaml).",
    "role": "cni or comparator.",
    "events": "Events of the study's arms of this role; empty when the arm did not report the "
    "outcome.",
    "n": "Patients of those arms.",
    "follow_up_weeks": "Planned follow-up of the study in weeks (study.yaml); empty when not "
    "stated.",
    "patient_years": "Patient-years of planned follow-up: n × follow_up_weeks / 52 (every "
    "patient counted for the whole planned follow-up; not the observed exposure).",
    "rate_per_100py": "Events per 100 patient-years of planned follow-up: 100 × events / "
    "patient_years; empty unless estimated.",
    "ci_low": "Lower bound of the exact Poisson 95% interval (Garwood 1936), per 100 "
    "patient-years.",
    "ci_high": "Upper bound, per 100 patient-years.",
    "ci_method": "How the interval was computed (exact Poisson (Garwood)); empty when not "
    "estimated.",
    "note": "Rendered text: what the rate is per, or why it is missing; when the trials of the "
    "outcome's comparison differ in planned follow-up, every row of the outcome adds that "
    "pooling them as proportions (pooled_effects.csv) ignores the difference.",
    "status": "estimated or not_estimable (see the codes below).",
    "reason": "Why the row is not estimated: `follow_up_not_stated`, `not_reported_cni_arm`, "
    "`not_reported_comparator_arm` or, on the line of an outcome without any study, "
    "`no_reporting_arm`; empty when estimated.",
}
WITHIN_TRIAL = {
    "outcome": _COMMON["outcome"],
    "subgroup_variable": "The patient-level variable (study.yaml arm `patient_subgroups.variable`, "
    "e.g. `apl`); empty on the one line of an outcome without counts by subgroup.",
    "subgroup": "The subgroup compared with the reference (adverse_events.csv `subgroup`).",
    "reference_subgroup": "The reference subgroup: the first group declared (study.yaml "
    "`patient_subgroups.groups`) by the first contributing trial in id order.",
    "k": "Trials contributing: those giving the outcome in both roles in two or more subgroups.",
    "trials": "Their ids, `;`-separated.",
    "measure": f"`{MEASURE}`: the CNI vs comparator odds ratio in `subgroup` divided by that in "
    "`reference_subgroup` (the treatment x subgroup interaction on the odds-ratio scale).",
    "method": f"`{wording.WITHIN_TRIAL_METHOD}`: one-stage logistic model on trial x arm x "
    "subgroup counts with trial-specific intercepts, treatment and subgroup effects and a common "
    "interaction (Fisher et al., BMJ 2017;356:j573), Firth-penalised (Firth 1993). Subgroups "
    "are compared only inside trials, never across them.",
    "estimate": "The interaction (ratio of odds ratios); empty unless estimated.",
    "ci_low": "Lower bound of its 95% interval.",
    "ci_high": "Upper bound (`inf` when the profile does not reach the chi-squared bound "
    "within a log ratio of 50).",
    "ci_method": "`profile penalised likelihood` (as logistf: the other coefficients "
    "re-maximised, the penalty that of the full model); empty unless estimated.",
    "p_value": "Test of no interaction.",
    "p_method": "`penalised likelihood ratio` (chi-squared, 1 df, as logistf); empty unless "
    "estimated.",
    "status": "estimated or not_estimable (see the codes below).",
    "reason": "`no_subgroup_counts` (no trial gives the outcome by subgroup), "
    "`no_within_trial_contrast`, `no_events`, `interaction_not_identified`; empty when "
    "estimated.",
    "note": "Rendered text: what the ratio compares, or why it is missing; without counts by "
    "subgroup it points to the summary's patient-characteristics statement.",
}
REPORTING = {
    "study": "Study id (its folder under data/raw/).",
    "label": "Study label (study.yaml).",
    "outcome": _COMMON["outcome"],
    "cni": "true if any CNI arm of the study reported a term of the outcome.",
    "comparator": "true if any comparator arm of the study reported a term of the outcome.",
    "reported": f"{_listed(list(ReportingState))}. A study that reported the outcome in "
    "neither arm appears in no other table's rows for that outcome.",
    "reporting_detail": "Why each role that reported the outcome in no arm did not, as "
    "`<role>:<code>`, roles in the order cni, comparator, separated by `;` (e.g. "
    "`comparator:not_reported`); empty when both roles reported it. Codes (study.yaml "
    f"`reporting:`): {REPORTING_DETAILS}. A role of several arms whose codes differ lists "
    "them joined with `+` (`cni:not_found+unspecified`).",
    "reporting_orbit": "The ORBIT classification letters given in study.yaml `reporting:` "
    "(Kirkham et al., BMJ 2010;340:c365; for harms Saini et al., BMJ 2014;349:g6501), in the "
    "format of `reporting_detail`; empty when none is given.",
    "reporting_reason": "The reasons given in study.yaml `reporting:`, as a JSON object from "
    'role to reason (`{"comparator": "..."}`; several arms\' distinct reasons joined with '
    "` | `); empty when none is given. JSON keeps free text with `;` or `:` unambiguous.",
}
CHARACTERISTICS = {
    "study": "Study id (its folder under data/raw/).",
    "label": "Study label (study.yaml).",
    "population": "Which patients (characteristics.csv), e.g. `all randomised` or an arm id.",
    "characteristic": "What was counted (characteristics.csv).",
    "count": "Patients with the characteristic; empty when the source gives a percentage only.",
    "denominator": "Patients the count or percentage refers to.",
    "reported_percent": "The percentage the source prints; empty when it prints none.",
    "computed_percent": "100 x count / denominator; empty without a count.",
    "percent_check": f"The printed percentage against the count: {PERCENT_CHECKS}",
    "source": "The document the number comes from.",
    "location": "Where in the source.",
    "quote": "Verbatim quote.",
    "source_kind": "`primary` or `secondary` (characteristics.csv).",
}
STUDY_TABLE = {
    "study": "Study id (its folder under data/raw/).",
    "label": "Study label (study.yaml).",
    "registry": "Trial registry id(s) (study.yaml).",
    "pooled": "false for a report of the same participants as another study (study.yaml "
    "`same_participants_as`): it is never pooled, that study counts.",
    "same_participants_as": "The study that counts for these participants; empty otherwise.",
    "follow_up_weeks": "Weeks of follow-up over which adverse events were counted, as the "
    "source states it (study.yaml); empty when not stated.",
    "source_kinds": f"The kinds of source of the folder's counts: {SOURCE_KINDS}.",
    "data_as_of": "The date the study's counts reflect (study.yaml `data_as_of`: the latest "
    "extraction, or the registry record's versionHolder date); empty when not stated. The "
    "summary's 'data as of' line is the latest of these.",
    "in_comparison": "Ids of the outcomes whose comparative analysis (pooled_effects.csv) uses "
    "the study (it reported the outcome in both arms), `;`-separated in config.yaml order; "
    "empty when none, and for a study that is not pooled. A study that reported an outcome in "
    "one arm only is in that role's pooled rates (pooled_rates.csv, subset all_arms) but not in "
    "the comparison.",
    **{
        f"population_{role}": f"Which patients the n of the study's {role} arms counts "
        f"(study.yaml arm field `population`): {POPULATIONS}"
        for role in ("cni", "comparator")
    },
    "year": "The trial's year (study.yaml `year`); empty when not stated. It orders the "
    "cumulative meta-analysis (cumulative.csv).",
}

_JUDGED = "`not serious`, `serious` or `very serious` (0, 1 or 2 levels down)"
SUMMARY_OF_FINDINGS = {
    "outcome": "Outcome id (config.yaml).",
    "label": "Outcome label (config.yaml).",
    "trials": "Trials of the primary estimate (pooled_effects.csv `k` of the primary row).",
    "participants": "Participants of the primary estimate (n_cni + n_comparator); empty when "
    "there is none.",
    "events": "Patients with the event in the primary estimate, both arms.",
    "events_cni": "As in pooled_effects.csv (primary row).",
    "n_cni": "As in pooled_effects.csv (primary row).",
    "events_comparator": "As in pooled_effects.csv (primary row).",
    "n_comparator": "As in pooled_effects.csv (primary row).",
    "measure": "Relative effect's measure (primary row).",
    "method": "Pooling method (primary row).",
    "model": "Model (primary row).",
    "estimate": "Relative effect (primary row).",
    "ci_low": "Lower 95% limit of the relative effect.",
    "ci_high": "Upper 95% limit of the relative effect (`inf`: unbounded).",
    "p_value": "p-value of the primary row.",
    "absolute_source": "Where the row's assumed comparator risk comes from: "
    + "; ".join(f"`{c}` ({wording.ASSUMED_RISK_TEXT[c]})" for c in AssumedRisk)
    + ". One row per source that applies.",
    "headline": "true on the one row per outcome the summary leads with: the external baseline "
    "when configured and estimable, else the trials' own risk when it gives an absolute "
    "effect, else the directly pooled risk difference; false on every row when none is "
    "estimable.",
    "assumed_risk_per_1000": "Assumed comparator risk per 1,000 (for the pooled risk "
    "difference: the crude comparator risk, for reference).",
    "corresponding_risk_per_1000": "Risk per 1,000 with the CNI implied by the relative effect "
    "at the assumed risk (Cochrane Handbook 14.1.5: OR x p / (1 - p + OR x p); RR x p; "
    "p + RD); empty for the pooled risk difference and where not estimable.",
    "corresponding_risk_ci_low_per_1000": "Its lower limit (from the relative effect's).",
    "corresponding_risk_ci_high_per_1000": "Its upper limit.",
    "difference_per_1000": "Extra (positive) or fewer (negative) patients with the event per "
    "1,000 treated with a CNI.",
    "difference_ci_low_per_1000": "Its lower 95% limit.",
    "difference_ci_high_per_1000": "Its upper 95% limit.",
    "absolute_status": "`estimated` or `not_estimable` (the row's absolute effect).",
    "absolute_reason": "Why not estimable (reason codes below): `no_comparator_events` when the "
    "assumed risk is 0, since a ratio of a zero risk is zero whatever the ratio.",
    "baseline_source": "Citation of the external baseline risk (config.yaml); empty when none.",
    "baseline_quote": "Its quote.",
    "imprecision": "Computed GRADE imprecision: "
    + ", ".join(f"`{r}` ({r.levels})" for r in Rating)
    + " levels down; empty when there is no estimate.",
    "imprecision_levels": "Levels down for imprecision (0-3).",
    "imprecision_reason": "Every criterion that applied, `;`-separated: "
    + "; ".join(f"`{c}` ({wording.IMPRECISION_REASON_TEXT[c]})" for c in ImprecisionReason)
    + ". One level: information size not met, one threshold crossed, or, with both thresholds "
    "at the null, the null crossed (GRADE 6; GRADE guidance 34); two: both thresholds crossed "
    "or fewer events than config.yaml `imprecision.very_few_events` (GRADE 34; the number is "
    "this pipeline's convention); three: the relative interval from below 1/"
    "`imprecision.large_effect` to above it (this pipeline's reading of GRADE 35's extremely "
    "serious imprecision, a convention).",
    "imprecision_basis": "Which risk difference was judged: "
    + "; ".join(f"`{c}` ({wording.IMPRECISION_BASIS_TEXT[c]})" for c in ImprecisionBasis if c)
    + ".",
    "harm_threshold_per_1000": "Appreciable harm on the risk difference, per 1,000 "
    "(config.yaml `imprecision.harm_per_1000`, else `relative_change` x the assumed risk, "
    "or 0, the null, where that risk is 0).",
    "benefit_threshold_per_1000": "Appreciable benefit (fewer events), per 1,000, as a positive "
    "number; same defaults.",
    "optimal_information_size": "Participants a single trial needs to detect a relative "
    "increase of `imprecision.relative_change` from the risk in `information_size_risk_per_1000` "
    "(two-sided alpha, power from config.yaml; R power.prop.test); empty when not computable.",
    "information_size_met": "true when participants >= the optimal information size; empty "
    "when it is not computable.",
    "risk_of_bias": f"Reviewer's judgement (data/certainty.yaml): {_JUDGED}; empty: not assessed.",
    "risk_of_bias_reason": "Its reason (it may cite trials' RoB 2 entries in the file).",
    "inconsistency": f"Reviewer's judgement: {_JUDGED}; empty: not assessed.",
    "inconsistency_reason": "Its reason.",
    "inconsistency_suggested": "A suggestion from the data, never a decision: `serious` when "
    "I² >= 50% or the 95% prediction interval includes no effect while the confidence interval "
    "does not (REML random effects of the primary measure), else `not serious`; empty with "
    "fewer than 3 trials.",
    "inconsistency_suggestion_basis": "The I² and prediction interval it rests on, or why none.",
    "indirectness": f"Reviewer's judgement: {_JUDGED}; empty: not assessed.",
    "indirectness_reason": "Its reason.",
    "publication_bias": f"Reviewer's judgement: {_JUDGED}; empty: not assessed.",
    "publication_bias_reason": "Its reason.",
    "certainty": "Overall GRADE certainty: `high`, `moderate`, `low` or `very low` (randomised "
    "trials start high; each level down moves one step); `not stated` when a domain is not "
    "assessed or imprecision has no estimate.",
    "certainty_levels_down": "Sum of the levels down over the five domains; empty when not stated.",
    "not_assessed": "Domains not assessed, `;`-separated; empty when all are.",
    "judgements_file": "The judgements file read; empty when there is none.",
    "assessed_by": "Who made the outcome's judgements (`|`-separated if several).",
    "assessed_on": "When (`|`-separated if several).",
    "information_size_risk_per_1000": "The control risk the optimal information size is "
    "computed at: the assumed risk, or where that is 0 the crude risk over both arms of the "
    "rated estimate (events / participants).",
    "example_judgements": "true while the judgements file marks its judgements as examples "
    "(`example: true`): not a review team's assessment.",
}


PRISMA = {
    "box": "The box of the PRISMA 2020 flow for updated reviews (Page et al. 2021), as a code: "
    + "; ".join(f"`{box}`: {BOX_MEANING[box]}" for box in PrismaBox)
    + ".",
    "search_date": "The date of the registry search the row is about (YYYY-MM-DD): its own date "
    "for `registry_records`, the latest search for the other registry boxes; empty for the "
    "boxes of other methods and the totals, and when no search is committed (data/search/).",
    "count": "Records, studies or reports in the box.",
    "detail": f"Ids (`{ID_SEPARATOR.strip()}`-separated: study ids, or registry ids and DOIs of "
    "records), the exclusion reason (`*_excluded_reason`), the query (`registry_query`), the "
    "outcome id (`studies_pooled`), or why a box is empty.",
}


POSTERIOR = {
    "outcome": "Outcome id (config.yaml `outcomes:`).",
    "prior": "The prior: `default` for the main analysis (config.yaml `bayesian.prior`; by "
    "default theta ~ N(0, 2.82²), mu_i ~ N(0, 10²), tau ~ half-normal(0.5), Günhan, Röver and "
    "Friede 2020), or the stable name of a sensitivity prior (built in: `tau_halfnormal_1`, "
    "`theta_normal_1.5`, `mu_normal_2.5`; then config.yaml `bayesian.sensitivity_priors`).",
    "threshold": "An odds-ratio threshold t (config.yaml `bayesian.thresholds`).",
    "probability": "Posterior probability that the odds ratio (CNI vs comparator) exceeds t under "
    "the Bayesian binomial-normal model; empty unless `status` is estimated.",
    "prior_probability": "The same probability under the prior alone (0.5 at t = 1 for a prior "
    "of theta centred on 0).",
    "k": "Trials in the model (double-zero trials included).",
    "status": "estimated, not_estimable or not_applicable.",
    "reason": "Why not estimated (codes below); empty when estimated.",
    "prior_description": "The prior in full (every scale a standard deviation).",
    "theta_mean": "Mean of the normal prior of theta (the mean log odds ratio).",
    "theta_sd": "Its standard deviation.",
    "mu_mean": "Mean of the normal prior of each trial's baseline mu_i.",
    "mu_sd": "Its standard deviation.",
    "tau_prior": "Family of the prior of tau: `half-normal` or `half-Cauchy`.",
    "tau_scale": "Its scale.",
}


def tables() -> tuple[tuple[str, str, list[str], dict[str, str]], ...]:
    """(file, what it holds, columns, column -> meaning) of every results table, with the
    columns the method registry adds (weights, methods' own result columns).
    """
    method = {
        "method": _method_description(),
        "estimator": _estimator_description(),
        "ci_method": _ci_method_description(),
    }
    return (
        (
            "pooled_effects.csv",
            "One row per outcome and method of the primary set.",
            pooled_columns(),
            {**POOLED, **method, **_extra_descriptions()},
        ),
        (
            "pooled_rates.csv",
            "Pooled per-arm incidence, per outcome and role.",
            RATE_COLUMNS,
            RATES,
        ),
        (
            "study_effects.csv",
            "One row per outcome and study.",
            study_columns(),
            {**STUDIES, **_weight_descriptions()},
        ),
        (
            "sensitivity.csv",
            "Sensitivity analyses, per outcome.",
            SENSITIVITY_COLUMNS,
            {**SENSITIVITY, **method, "analysis_code": _analysis_code_description()},
        ),
        (
            "absolute_effects.csv",
            "Absolute effects per 1,000 patients, one row per outcome.",
            ABSOLUTE_COLUMNS,
            ABSOLUTE,
        ),
        (
            "cumulative.csv",
            "Cumulative meta-analysis: per outcome, the primary method (pooled_effects.csv row "
            "with `primary` true) refitted as studies are added in order of year.",
            CUMULATIVE_COLUMNS,
            {**CUMULATIVE, "method": method["method"]},
        ),
        (
            "exposure_adjusted.csv",
            "Exposure-adjusted incidence: events per 100 patient-years of planned follow-up, "
            "one row per outcome, study and role.",
            EXPOSURE_COLUMNS,
            EXPOSURE,
        ),
        (
            "subgroups.csv",
            "Subgroup analyses: per outcome and configured subgroup variable, one row per "
            "subgroup (the primary method fitted within it), one for trials not classified, and "
            "one test row (`subgroup` empty) with Cochran's Q between subgroups.",
            SUBGROUP_COLUMNS,
            {**SUBGROUPS, "method": method["method"]},
        ),
        (
            "posterior_probabilities.csv",
            "Bayesian binomial-normal model: per outcome, prior and threshold, the posterior "
            "probability that the odds ratio exceeds the threshold.",
            POSTERIOR_COLUMNS,
            POSTERIOR,
        ),
        (
            "within_trial_subgroups.csv",
            "Treatment x subgroup interactions estimated inside trials (adverse_events.csv rows "
            "with a `subgroup`): one row per outcome, patient-level variable and non-reference "
            "subgroup, or one line per outcome saying why there is none.",
            WITHIN_TRIAL_COLUMNS,
            WITHIN_TRIAL,
        ),
        (
            "summary_of_findings.csv",
            "GRADE summary of findings (Cochrane Handbook ch. 14): per outcome, one row per "
            "source of the assumed comparator risk, the relative effect, absolute effects per "
            "1,000, computed imprecision and the reviewer's judgements of the other domains.",
            SOF_COLUMNS,
            SUMMARY_OF_FINDINGS,
        ),
        (
            "reporting.csv",
            "The outcome-reporting matrix: one row per study and configured outcome.",
            REPORTING_COLUMNS,
            REPORTING,
        ),
        (
            "studies.csv",
            "One row per study folder: pooled or not, follow-up, kinds of source, data as of, "
            "populations.",
            STUDY_TABLE_COLUMNS,
            STUDY_TABLE,
        ),
        (
            "prisma.csv",
            "The PRISMA 2020 flow of studies, one row per box (long format), from the committed "
            "registry search (data/search/), the selection decisions (data/study_selection.csv) "
            "and the study folders.",
            PRISMA_COLUMNS,
            PRISMA,
        ),
        (
            "characteristics.csv",
            "One row per study and baseline characteristic (characteristics.csv; not pooled), "
            "with the check of its printed percentage.",
            CHARACTERISTIC_COLUMNS,
            CHARACTERISTICS,
        ),
        (
            "ae_signals.csv",
            "The signal screen (screening, not confirmation): every reported adverse-event term "
            "(`k` 0 where no trial gives it for both roles), with false-discovery control "
            "across terms; sorted by `analysis`, then `p_value` (terms without a test last), "
            "then term.",
            SIGNAL_COLUMNS,
            SIGNAL_DESCRIPTIONS,
        ),
    )


def codebook_markdown() -> str:
    """The codebook as Markdown."""
    lines = [
        "# Codebook of the results tables",
        "",
        "Generated by raremeta from the column lists the tables are written with; do not edit.",
        "CSV: UTF-8, comma-separated, empty cell = missing, `true`/`false` booleans, numbers",
        "to 10 significant digits, `inf` only for interval bounds.",
        "",
    ]
    for name, what, columns, descriptions in tables():
        lines += [f"## {name}", "", what, "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| `{c}` | {descriptions[c]} |" for c in columns]
        lines.append("")
    lines += ["## status", "", "| code | meaning |", "| --- | --- |"]
    lines += [
        "| `estimated` | The row has an estimate (its interval or p-value may still be "
        "missing: see `no_confidence_interval`, `no_p_value`). |",
        "| `not_estimable` | The method cannot give a finite estimate from these data. |",
        "| `not_applicable` | The analysis does not apply (e.g. it needs two studies). |",
    ]
    lines += ["", "## reason", "", "| code | status | meaning |", "| --- | --- | --- |"]
    for reason in Reason:
        if reason == Reason.NONE:
            continue
        status = status_of(reason)
        if reason in wording.STUDY_REASONS:
            status = "(a study, in study_effects.csv)"
        lines.append(f"| `{reason}` | {status} | {wording.reason_text(reason)} |")
    lines.append("")
    return "\n".join(lines)
