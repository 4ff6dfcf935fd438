"""The methods paragraph, generated from what ran: the configuration, the methods that produced
rows in the results tables, and the software the workflow imported, with versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from raremeta.analysis.configuration import bayes_options, sensitivity_priors
from raremeta.analysis.table_keys import AnalysisCode
from raremeta.analysis.wording import (
    ANALYSIS_SENTENCES,
    MEASURE_WORDS,
    METHOD_WORDS,
    METHODS_REASON_TEXT,
    RANDOM_EFFECTS_WORDS,
    in_roles,
    method_label,
    short_reason,
    subgroup_variable_words,
)
from raremeta.io.analysis_config import AnalysisConfig
from raremeta.stats.priors import describe
from raremeta.stats.registry import BAYESIAN, RANDOM
from raremeta.stats.results import Reason, Status

#: The primary-method rule of ``primary: auto`` (README, "Choice of primary method").
AUTO_RULE = (
    "with no events in any arm the Mantel-Haenszel risk difference with the "
    "Miettinen-Nurminen interval; when the Mantel-Haenszel odds ratio is finite and positive, "
    "that odds ratio; otherwise the Firth odds ratio (never the Peto odds ratio)"
)
#: Why the rule, which depends on the data, is acceptable (README, "Choice of primary method").
AUTO_RULE_CAVEAT = (
    "The rule depends on the data (one comparator event in a trial without any would switch a "
    "headline from the Firth to the Mantel-Haenszel odds ratio); it looks only at which counts "
    "are zero, never at an estimate, each branch takes the estimator recommended for such data "
    "(Cochrane Handbook 10.4.4.2; Bradburn et al. 2007; Evrenoglou et al. 2022), and all of "
    "them and the exact conditional analysis are reported side by side."
)


@dataclass(frozen=True)
class RunFacts:
    """What ran and what produced an estimate, read from the results tables.

    Attributes
    ----------
    estimated : tuple of str
        Methods (registry names) with at least one estimated row in ``pooled_effects.csv``.
    not_estimated : dict
        Methods that ran without any estimate -> the reasons of their rows.
    random_effects_estimated : bool
        Whether any random-effects row produced an estimate.
    random_effects_reasons : tuple of str
        The reasons of the random-effects rows when none did.
    measures_not_estimated : dict
        (method, measure) -> reasons, for the measures without any estimate of a method that
        estimated another (e.g. the MH odds ratio and risk ratio beside the MH risk difference).
    no_comparison : tuple of str
        Outcomes (ids) that no trial reported in both arms: nothing was pooled for them, and
        their rows say nothing about what the methods can do with data.
    analyses : tuple of str
        Sensitivity ``analysis_code`` values with at least one estimated row.
    not_applicable : dict
        Sensitivity analyses without any estimate -> the reasons of their rows.
    """

    estimated: tuple[str, ...]
    not_estimated: dict[str, tuple[str, ...]]
    random_effects_estimated: bool
    random_effects_reasons: tuple[str, ...]
    analyses: tuple[str, ...]
    not_applicable: dict[str, tuple[str, ...]]
    no_comparison: tuple[str, ...] = ()
    measures_not_estimated: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def run_facts(pooled: pd.DataFrame, sensitivity: pd.DataFrame) -> RunFacts:
    """:class:`RunFacts` of the rows of ``pooled_effects.csv`` and ``sensitivity.csv``."""

    def split(table: pd.DataFrame, column: str) -> tuple[tuple, dict]:
        done = table["status"] == Status.ESTIMATED
        yes = tuple(dict.fromkeys(table.loc[done, column]))
        no = {
            name: tuple(dict.fromkeys(str(r) for r in rows["reason"].fillna("")))
            for name, rows in table[~table[column].isin(yes)].groupby(column, sort=False)
        }
        return yes, no

    empty = pooled.groupby("outcome", sort=False)["reason"].agg(
        lambda r: bool((r == Reason.NO_COMPARABLE_STUDY).all())
    )
    no_comparison = tuple(empty.index[empty])
    pooled = pooled[~pooled["outcome"].isin(no_comparison)]
    sensitivity = sensitivity[~sensitivity["outcome"].isin(no_comparison)]
    estimated, not_estimated = split(pooled, "method")
    pairs = pooled.assign(pair=list(zip(pooled["method"], pooled["measure"], strict=True)))
    _, missing_pairs = split(pairs[pairs["method"].isin(estimated)], "pair")
    # frequentist random-effects rows (a between-study variance estimator); not the Bayesian
    random = pooled[(pooled["model"] == RANDOM) & (pooled["method"] != BAYESIAN)]
    analyses, not_applicable = split(
        sensitivity[sensitivity["analysis_code"] != AnalysisCode.NO_COMPARABLE_STUDY],
        "analysis_code",
    )
    random_done = bool((random["status"] == Status.ESTIMATED).any())
    return RunFacts(
        estimated,
        not_estimated,
        random_done,
        () if random_done else tuple(dict.fromkeys(random["reason"].fillna("").map(str))),
        analyses,
        not_applicable,
        no_comparison,
        missing_pairs,
    )


def _unique(texts) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def _join(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _why(reasons: tuple[str, ...]) -> str:
    return _join(
        _unique(METHODS_REASON_TEXT.get(Reason(r), short_reason(r)) if r else "" for r in reasons)
    )


def _as_of_sentence(data_as_of: str | None) -> str:
    """The paragraph's first sentence: the date of the data (none when ``data_as_of`` is None)."""
    if data_as_of is None:
        return ""
    if not data_as_of:
        return "No study folder states the date of its data. "
    return (
        f"Data are as of {data_as_of}, the latest date of extraction from the sources or of the "
        "registry data release among the study folders. "
    )


def _primary_sentence(config: AnalysisConfig) -> str:
    """How the primary estimate was chosen: the rule (pre-specified only under a registered
    protocol) and the explicitly configured rows.
    """
    protocol = config.protocol
    source = (
        "config.yaml"
        if protocol is None
        else f"the protocol pre-specified in {protocol.registration} ({protocol.date})"
    )
    parts = []
    if any(o.primary is None for o in config.outcomes):
        where = (
            "the rule in config.yaml"
            if protocol is None
            else f"the rule pre-specified in protocol {protocol.registration} ({protocol.date})"
        )
        parts.append(
            f"The primary estimate of each outcome was chosen by {where}: {AUTO_RULE}. "
            + AUTO_RULE_CAVEAT
        )
    chosen = sorted({o.primary.key for o in config.outcomes if o.primary is not None})
    if chosen:
        rows = "; ".join(method_label(*key) for key in chosen)
        parts.append(f"The primary estimate was set in {source}: {rows}.")
    return " ".join(parts)


def _subgroup_sentence(config: AnalysisConfig) -> str:
    """What the subgroup analyses were, when config.yaml lists any."""
    if not config.subgroups:
        return ""
    names = [subgroup_variable_words(v) for v in config.subgroups]
    return (
        f"Subgroups by {_join(names)} (drugs mapped to a controlled vocabulary in config.yaml) "
        "were analysed with each outcome's primary method within each subgroup and compared "
        "with Cochran's Q between the subgroup estimates (fixed-effect, on the log scale; not "
        "computed where the method gives no Wald standard error); subgroups of trials are "
        "observational comparisons. Effects of patient-level characteristics are estimated "
        "only within trials that report adverse events by subgroup, with a one-stage "
        "Firth-penalised logistic model (trial-specific intercepts, treatment and subgroup "
        "effects, and a common treatment-by-subgroup term; Fisher et al. 2017), never by "
        "comparing subgroups across trials. "
    )


def _bayesian_sentence(config: AnalysisConfig) -> str:
    """The Bayesian model's priors and thresholds, when config.yaml runs it."""
    if BAYESIAN not in config.methods:
        return ""
    options = bayes_options(config)
    others = "; ".join(f"{p.name} ({describe(p)})" for p in sensitivity_priors(config))
    thresholds = ", ".join(f"{t:g}" for t in options.thresholds)
    main = options.prior
    return (
        "The Bayesian binomial-normal model (logit risks mu_i -/+ (theta + tau u_i)/2, "
        "u_i ~ N(0, 1); binomial likelihood of each arm, no continuity correction, double-zero "
        f"trials included) used the priors {describe(main)} (every scale a standard deviation; "
        "by default those of Günhan, Röver and Friede 2020, which put 95% of the prior odds ratio "
        "between 1/250 and 250), was integrated numerically (adaptive grid with an error "
        "check) and reported the posterior median odds ratio with its equal-tailed 95% credible "
        f"interval and the posterior probabilities that the odds ratio exceeds {thresholds}; "
        f"the priors of its sensitivity analyses were {others}. "
    )


def methods_paragraph(
    config: AnalysisConfig,
    facts: RunFacts,
    software: dict[str, str],
    versions: dict[str, str],
    data_as_of: str | None = None,
    example_judgements: bool = False,
) -> str:
    """A methods paragraph naming the methods that produced an estimate, once the configured
    analyses that could not (with why), and the software imported.

    Parameters
    ----------
    config : AnalysisConfig
        Outcomes, their terms and primary methods, multi-arm handling, role labels, protocol.
    facts : RunFacts
        What ran and what produced an estimate (:func:`run_facts`); each method's sentence
        comes from :data:`raremeta.analysis.wording.METHOD_WORDS` (a method without words is an
        error, never a silently missing sentence).
    software : dict
        Citable packages the workflow imported, with versions.
    versions : dict
        ``python_minor``, ``raremeta`` and ``snakemake`` versions.
    data_as_of : str, optional
        The latest date of the studies' data (ISO); empty when no study states one; None to
        leave the sentence out.
    example_judgements : bool
        Whether the GRADE judgements are the shipped examples (the sentence says so).
    """
    roles = config.role_labels
    outcomes = "; ".join(f"{o.label} ({', '.join(o.terms)})" for o in config.outcomes)
    arms = (
        "arms of the same role within a trial were combined by summing events and patients "
        "(Cochrane Handbook 23.3.4)"
        if config.multi_arm == "combine"
        else "each CNI arm was compared with the comparator, whose events and patients were "
        "divided evenly among the comparisons (Cochrane Handbook 23.3.4)"
    )
    ran = set(facts.estimated) | set(facts.not_estimated)
    unknown = ran - set(METHOD_WORDS)
    if unknown:
        raise KeyError(f"no words for method(s) {sorted(unknown)}: add them to METHOD_WORDS")
    silent = (set(facts.analyses) | set(facts.not_applicable)) - set(ANALYSIS_SENTENCES)
    if silent:
        raise KeyError(f"no methods sentence for analyses {sorted(silent)}: add them to wording")

    def sentence(name: str) -> str:
        words = METHOD_WORDS[METHOD_WORDS[name].sentence_with or name]
        if not facts.random_effects_estimated and words.common_sentence:
            return words.common_sentence
        return words.sentence

    estimated = set(facts.estimated)
    methods = _unique(sentence(n) for n in METHOD_WORDS if n in estimated)
    covered = {METHOD_WORDS[n].sentence_with or n for n in estimated}
    missing = {
        n: why
        for n, why in facts.not_estimated.items()
        if (METHOD_WORDS[n].sentence_with or n) not in covered
    }
    sens = _unique(ANALYSIS_SENTENCES[c] for c in ANALYSIS_SENTENCES if c in facts.analyses)
    by_reason: dict[str, list[str]] = {}
    if not facts.random_effects_estimated and facts.random_effects_reasons:
        by_reason.setdefault(_why(facts.random_effects_reasons), []).append(RANDOM_EFFECTS_WORDS)
    for code in ANALYSIS_SENTENCES:
        if code in facts.not_applicable:
            text = ANALYSIS_SENTENCES[code]
            reasons = _why(facts.not_applicable[code])
            if text not in sens and text not in by_reason.get(reasons, []):
                by_reason.setdefault(reasons, []).append(text)
    not_applicable = " ".join(
        f"Not applicable with these data, {why}: {_join(what)}." for why, what in by_reason.items()
    )
    unestimable: dict[str, list[str]] = {}
    for n, why in missing.items():
        words = METHOD_WORDS[METHOD_WORDS[n].sentence_with or n]
        unestimable.setdefault(_why(why), []).append(words.sentence)
    for (name, measure), why in facts.measures_not_estimated.items():
        words = f"the {METHOD_WORDS[name].label.split(',')[0]} {MEASURE_WORDS[measure]}"
        unestimable.setdefault(_why(why), []).append(words)
    not_estimable = " ".join(
        f"Not estimable with these data, {why}: {_join(what)}." for why, what in unestimable.items()
    )
    labels = {o.id: o.label for o in config.outcomes}
    none = [labels.get(o, o).lower() for o in facts.no_comparison]
    either = ", ".join(none[:-1]) + " or " + none[-1] if len(none) > 1 else "".join(none)
    nothing = (
        f"No trial reported {either} in both arms (see the reporting matrix); nothing was "
        f"pooled for {'it' if len(none) == 1 else 'them'}. "
        if none
        else ""
    )
    packages = ", ".join(f"{name} {version}" for name, version in software.items())
    text = (
        _as_of_sentence(data_as_of)
        + "Each count was recorded with the kind of source it came from (the trial's own "
        "report, registry results, or a letter or review) and each trial's follow-up where its "
        "source states it; counts are patients with at least one event over that follow-up, "
        "not adjusted for its length. "
        "Adverse-event terms were mapped to outcomes ignoring case, spacing and hyphenation: "
        f"{outcomes}. Outcomes not reported for an arm were treated as missing, never as zero; "
        f"{arms}. {nothing}For each outcome{' with a comparison' if none else ''} we "
        f"computed {_join(methods)}. Per-arm incidence was pooled "
        "crudely (Clopper-Pearson) and with a random-intercept logistic model (Stijnen, Hamza "
        f"and Özdemir 2010). {_primary_sentence(config)} "
        + (f"Sensitivity analyses used {_join(sens)}. " if sens else "")
        + (f"{not_estimable} " if not_estimable else "")
        + (f"{not_applicable} " if not_applicable else "")
        + _bayesian_sentence(config)
        + "A cumulative meta-analysis refitted each outcome's primary method as trials were "
        "added in order of year (ties and missing years by study id). "
        + _subgroup_sentence(config)
        + "Where follow-up was stated, incidence was also expressed per 100 patient-years of "
        "planned follow-up (exact Poisson intervals). "
        + "The certainty of the evidence was rated with GRADE (Cochrane Handbook chapter "
        "14): absolute effects per 1,000 from the primary relative effect at an assumed "
        "comparator risk (an external baseline risk where configured, else the trials' own), "
        "or the risk difference pooled directly where that risk is 0; imprecision computed "
        "from the risk difference's interval, thresholds of appreciable harm and benefit, the "
        "optimal information size and the number of events (GRADE 6; GRADE guidance 34 and "
        "35; three levels for a relative interval from below 1/2 to above 2, this analysis's "
        "convention); risk of bias, inconsistency, indirectness and publication bias "
        + (
            "from the example judgements shipped with the pipeline, not a review team's "
            "assessment (data/certainty.yaml). "
            if example_judgements
            else "judged by the reviewers (data/certainty.yaml). "
        )
        + "Choices follow the Cochrane Handbook (chapter 10), Bradburn et al. (2007) and "
        f"Efthimiou (2018). Analyses used raremeta {versions['raremeta']} (Python "
        f"{versions['python_minor']}; {packages}; Snakemake {versions['snakemake']})."
    )
    return in_roles(text, roles)
