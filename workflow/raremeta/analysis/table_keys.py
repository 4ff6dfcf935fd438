"""Codes and column names that the results tables share with the layers that read them.

Kept free of estimators, so that the report layer (figures, summaries) can read them without
importing scipy: a figure job's start-up is paid once per outcome.
"""

from __future__ import annotations

from enum import StrEnum

from raremeta.stats.registry import weight_columns


class PrimaryRule(StrEnum):
    """Why a row is primary: the code written to the ``primary_rule`` column."""

    CONFIGURED = "configured"
    NO_COMPARABLE_STUDY = "auto_no_comparable_study"
    NO_EVENTS = "auto_no_events"
    MH_OR_FINITE = "auto_mh_or_finite"
    MH_OR_NOT_FINITE = "auto_mh_or_not_finite"


class AnalysisCode(StrEnum):
    """Which sensitivity or subset analysis a row of ``sensitivity.csv`` is: the code written to
    its ``analysis_code`` column (the ``analysis`` column holds its label,
    :data:`raremeta.analysis.wording.ANALYSIS_LABELS`). Each source-of-counts subset is an
    analysis of its own.
    """

    HKSJ = "hksj_interval"
    REVMAN_MH = "revman_mh"
    CONTINUITY_CORRECTION = "continuity_correction"
    LEAVE_ONE_OUT = "leave_one_out"
    PRIMARY_SOURCES = "primary_sources_only"
    PRIMARY_OR_REGISTRY_SOURCES = "primary_or_registry_sources"
    FIRTH_WITHOUT_DOUBLE_ZERO = "firth_without_double_zero"
    MULTI_ARM = "multi_arm_handling"
    #: The Bayesian model under another prior (its variant: the prior's name).
    PRIOR_SENSITIVITY = "prior_sensitivity"
    NO_COMPARABLE_STUDY = "no_comparable_study"


class Caution(StrEnum):
    """A warning about a row's interval that its numbers alone do not show: the code written to
    the ``caution`` column of ``pooled_effects.csv`` and ``sensitivity.csv`` (empty: none).
    Figures and summaries read the code; its words are
    :data:`raremeta.analysis.wording.CAUTION_TEXT`.
    """

    NONE = ""
    #: The interval is a normal (Wald-type) approximation and every study the row used has an
    #: arm without events: the variance treats that arm's proportion, 0, as known exactly, so
    #: the interval is too narrow (Newcombe 1998; Agresti and Caffo 2000).
    WALD_ZERO_ARM = "wald_zero_arm"


class RateSubset(StrEnum):
    """Which arms a row of ``pooled_rates.csv`` pools: the code of its ``subset`` column."""

    #: Every arm of the role that reported the outcome (trials of other comparisons included,
    #: e.g. a CNI arm whose comparator did not report it): not a randomised comparison.
    ALL_ARMS = "all_arms"
    #: The arms of the trials in the outcome's comparison (the studies of its pooled effects).
    COMPARISON = "comparison"


class AssumedRisk(StrEnum):
    """Where a row's assumed comparator risk comes from (the ``absolute_source`` column)."""

    #: config.yaml ``baseline_risk:`` of the outcome (with its source and quote).
    EXTERNAL = "external_baseline"
    #: The trials' own comparator rate: the GLMM (random-intercept logistic) rate over the
    #: comparator arms of the trials in the comparison.
    TRIALS_GLMM = "trials_glmm"
    #: The trials' own comparator rate, crude (events over patients), where the GLMM has none.
    TRIALS_CRUDE = "trials_crude"
    #: No assumed risk: the risk difference pooled directly across the trials (Mantel-Haenszel
    #: weights, Miettinen-Nurminen interval; ``absolute_effects.csv``); the assumed-risk column
    #: shows the crude comparator risk for reference.
    POOLED_RD = "pooled_risk_difference"


#: (measure, method, model, tau2 estimator) -> the study_effects.csv column of its weights.
WEIGHT_COLUMNS = weight_columns()
