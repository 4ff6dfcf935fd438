"""Result types of the statistical core: frozen dataclasses and enums, no text, no pandas.

Every pooled result says whether it was estimated (:class:`Status`) and, when not, why
(:class:`Reason`, a stable snake_case code). What was done to the data is carried as per-study
boolean masks (``used``, ``corrected``) and the :class:`MethodSpec` that ran; the words for all
of it are rendered in one place outside the core (:mod:`raremeta.analysis.wording`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from raremeta.stats.priors import BayesOptions
from raremeta.stats.two_by_two import Tables, TableStack

NAN = math.nan
#: scipy.stats.norm.ppf(0.975)
Z975 = 1.959963984540054


class Status(StrEnum):
    """Whether a result has an estimate."""

    ESTIMATED = "estimated"
    NOT_ESTIMABLE = "not_estimable"
    NOT_APPLICABLE = "not_applicable"


class Reason(StrEnum):
    """Why a result is not estimated (or, for :attr:`NO_CONFIDENCE_INTERVAL`, has no interval).

    The values are the codes written to the results tables; they never change meaning.
    """

    NONE = ""
    NO_COMPARABLE_STUDY = "no_comparable_study"
    NO_COMPARATOR_EVENTS = "no_comparator_events"
    NO_CNI_EVENTS = "no_cni_events"
    NO_EVENTS = "no_events"
    NO_INFORMATIVE_STUDY = "no_informative_study"
    CONDITIONAL_MLE_INFINITE = "conditional_mle_infinite"
    CONDITIONAL_MLE_ZERO = "conditional_mle_zero"
    NON_INTEGER_COUNTS = "non_integer_counts"
    NO_ESTIMABLE_STUDY = "no_estimable_study"
    ZERO_SAMPLING_VARIANCE = "zero_sampling_variance"
    TAU2_NOT_FINITE = "tau2_not_finite"
    SINGLE_STUDY = "single_study"
    NO_CONFIDENCE_INTERVAL = "no_confidence_interval"
    NO_P_VALUE = "no_p_value"
    NO_REPORTING_ARM = "no_reporting_arm"
    ALL_EVENTS = "every_patient_had_event"
    SINGULAR_INFORMATION = "singular_information"
    NO_MULTI_ARM_STUDY = "no_multi_arm_study"
    METHOD_NOT_CONFIGURED = "method_not_configured"
    NOT_REPORTED_EITHER_ARM = "not_reported_either_arm"
    NOT_REPORTED_CNI = "not_reported_cni_arm"
    NOT_REPORTED_COMPARATOR = "not_reported_comparator_arm"
    NO_STUDY_FROM_SOURCES = "no_study_from_sources"
    FOLLOW_UP_NOT_STATED = "follow_up_not_stated"
    #: A subgroup of subgroups.csv with one trial: its estimate is that trial's.
    ONE_TRIAL_SUBGROUP = "one_trial_subgroup"
    #: A subgroup variable with fewer than two subgroups among the outcome's trials.
    ONE_SUBGROUP = "one_subgroup"
    #: Fewer than two subgroups have an estimate and a standard error for the test.
    FEWER_THAN_TWO_ESTIMABLE_SUBGROUPS = "fewer_than_two_estimable_subgroups"
    #: The primary method's interval is not a Wald interval, so its subgroup estimates have no
    #: standard error for the test between subgroups.
    NO_WALD_STANDARD_ERROR = "no_wald_standard_error"
    #: Trials without a value of a study-level subgroup variable (study.yaml ``subgroups:``).
    NOT_CLASSIFIED = "not_classified"
    #: config.yaml lists no subgroup variable.
    NO_SUBGROUP_VARIABLE = "no_subgroup_variable"
    NO_SUBGROUP_COUNTS = "no_subgroup_counts"
    NO_WITHIN_TRIAL_CONTRAST = "no_within_trial_contrast"
    INTERACTION_NOT_IDENTIFIED = "interaction_not_identified"


#: Reasons under which a result still has an estimate.
ESTIMATED_REASONS = frozenset(
    {Reason.NONE, Reason.NO_CONFIDENCE_INTERVAL, Reason.NO_P_VALUE, Reason.ONE_TRIAL_SUBGROUP}
)
#: Reasons that make a result not applicable rather than not estimable.
NOT_APPLICABLE_REASONS = frozenset(
    {
        Reason.SINGLE_STUDY,
        Reason.NO_MULTI_ARM_STUDY,
        Reason.METHOD_NOT_CONFIGURED,
        Reason.NO_STUDY_FROM_SOURCES,
        Reason.ONE_SUBGROUP,
        Reason.NO_WALD_STANDARD_ERROR,
        Reason.NOT_CLASSIFIED,
        Reason.NO_SUBGROUP_VARIABLE,
    }
)


def status_of(reason: Reason) -> Status:
    """The status a reason implies."""
    if reason in ESTIMATED_REASONS:
        return Status.ESTIMATED
    if reason in NOT_APPLICABLE_REASONS:
        return Status.NOT_APPLICABLE
    return Status.NOT_ESTIMABLE


class RateMethod(StrEnum):
    """How a per-arm incidence is pooled (the ``method`` of ``pooled_rates.csv``)."""

    CRUDE = "crude"
    GLMM = "GLMM"


class Correction(StrEnum):
    """Kind of continuity correction (Sweeting, Sutton & Lambert 2004)."""

    NONE = "none"
    CONSTANT = "constant"
    TREATMENT_ARM = "treatment_arm"


@dataclass(frozen=True)
class MethodSpec:
    """One pooling method, as the engine runs it.

    Attributes
    ----------
    measure : {'OR', 'RR', 'RD'}
    method : str
        A name of the method registry (:mod:`raremeta.stats.registry`).
    model : {'common', 'random'}
    tau2_estimator : {'', 'DL', 'REML', 'PM'}
    add : float
        Continuity correction: for MH added inside the sums (0 = none, the metafor convention;
        0.5 = RevMan); for IV added to the cells of each study with a zero cell before its effect
        is computed (0.5 by default, as metafor ``escalc``). Ignored by Peto and exact.
    correction : Correction
        ``CONSTANT`` (``add`` to every cell) or ``TREATMENT_ARM`` (Sweeting 2004); ``NONE``
        when ``add`` is 0 or the method needs no correction.
    hksj : bool
        Hartung-Knapp-Sidik-Jonkman interval (random effects), with the ad hoc variance factor
        ``max(1, q)`` (Knapp & Hartung 2003; Röver, Knapp & Friede 2015).
    bayes : BayesOptions or None
        The priors and probability thresholds of the Bayesian method (None: its defaults, and
        for every other method).
    """

    measure: str
    method: str
    model: str = "common"
    tau2_estimator: str = ""
    add: float = 0.0
    correction: Correction = Correction.NONE
    hksj: bool = False
    bayes: BayesOptions | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(measure, method, model, tau2_estimator): the key of a row in the pooled table."""
        return (self.measure, self.method, self.model, self.tau2_estimator)

    @property
    def log_scale(self) -> bool:
        """True for ratio measures, which are pooled on the log scale."""
        return self.measure != "RD"


def _tuple(values) -> tuple:
    return tuple(np.asarray(values).tolist())


@dataclass(frozen=True)
class PooledEffect:
    """One pooled comparative estimate, on the natural scale (OR, RR or RD).

    Estimates are NaN unless ``status`` is estimated; ``reason`` then says why. ``k`` counts
    the studies the method used, ``k_excluded`` those of the input it left out (``used`` marks
    which). ``corrected`` marks the studies whose cells received ``spec``'s continuity
    correction; ``weights`` are each study's weight in percent (NaN where undefined).
    ``hksj_factor`` is the raw Knapp-Hartung variance factor q before ``max(1, q)``.
    """

    spec: MethodSpec
    status: Status
    reason: Reason
    k: int = 0
    k_excluded: int = 0
    estimate: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    p_value: float = NAN
    se: float = NAN
    tau2: float = NAN
    tau2_ci_low: float = NAN
    tau2_ci_high: float = NAN
    i2: float = NAN
    q: float = NAN
    q_df: float = NAN
    q_p: float = NAN
    pi_low: float = NAN
    pi_high: float = NAN
    hksj_factor: float = NAN
    used: tuple[bool, ...] = field(default=(), repr=False)
    corrected: tuple[bool, ...] = field(default=(), repr=False)
    weights: tuple[float, ...] = field(default=(), repr=False)
    extra: tuple[tuple[str, float], ...] = ()

    @property
    def measure(self) -> str:
        """'OR', 'RR' or 'RD'."""
        return self.spec.measure

    @property
    def method(self) -> str:
        """The method's name in the registry (:mod:`raremeta.stats.registry`)."""
        return self.spec.method

    @property
    def model(self) -> str:
        """'common' or 'random'."""
        return self.spec.model

    @property
    def tau2_estimator(self) -> str:
        """'DL', 'REML', 'PM', or empty for a common-effect model."""
        return self.spec.tau2_estimator

    @property
    def estimable(self) -> bool:
        """True when the estimate is a finite number."""
        return math.isfinite(self.estimate)

    @classmethod
    def missing(cls, spec: MethodSpec, reason: Reason, k: int = 0, k_excluded: int = 0):
        """A result without an estimate, for ``reason``."""
        return cls(spec, status_of(reason), reason, k=k, k_excluded=k_excluded)


#: The per-meta-analysis number fields of PooledEffect, in order.
NUMBER_FIELDS = (
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "se",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "i2",
    "q",
    "q_df",
    "q_p",
    "pi_low",
    "pi_high",
    "hksj_factor",
)
#: Fields kept when there is no estimate: the heterogeneity of the studies around it.
KEPT_WHEN_NOT_ESTIMATED = frozenset({"q", "q_df", "q_p", "i2"})
#: Fields that describe between-study variation: undefined (NaN) with fewer than two studies.
HETEROGENEITY_FIELDS = frozenset(
    {"tau2", "tau2_ci_low", "tau2_ci_high", "i2", "q", "q_df", "q_p", "pi_low", "pi_high"}
)


@dataclass(frozen=True)
class PooledFits:
    """One method fitted to m meta-analyses of up to k studies: arrays of length m (or m x k).

    The vectorised form of :class:`PooledEffect`; :meth:`row` gives one meta-analysis.
    """

    spec: MethodSpec
    reason: NDArray[np.object_]
    k: NDArray[np.int64]
    k_excluded: NDArray[np.int64]
    numbers: dict[str, NDArray[np.float64]]
    used: NDArray[np.bool_]
    corrected: NDArray[np.bool_]
    weights: NDArray[np.float64]
    extra: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.k)

    def __getattr__(self, name: str):
        numbers = self.__dict__.get("numbers", {})
        if name in numbers:
            return numbers[name]
        raise AttributeError(name)

    @property
    def status(self) -> NDArray[np.object_]:
        """The :class:`Status` of each meta-analysis."""
        return np.array([status_of(r) for r in self.reason], dtype=object)

    def row(self, i: int, present: NDArray[np.bool_] | None = None) -> PooledEffect:
        """Meta-analysis ``i`` as a :class:`PooledEffect` (masks cut to ``present`` studies)."""
        cut = slice(None)
        if present is not None:  # a mask over the first len(present) columns of the stack
            cut = np.zeros(self.used.shape[1], dtype=bool)
            cut[: len(present)] = present
        reason = Reason(self.reason[i])
        return PooledEffect(
            self.spec,
            status_of(reason),
            reason,
            int(self.k[i]),
            int(self.k_excluded[i]),
            **{name: float(self.numbers[name][i]) for name in NUMBER_FIELDS},
            used=_tuple(self.used[i][cut]),
            corrected=_tuple(self.corrected[i][cut]),
            weights=_tuple(self.weights[i][cut]),
            extra=tuple((name, float(values[i])) for name, values in self.extra.items()),
        )

    @classmethod
    def make(
        cls,
        spec: MethodSpec,
        reason: NDArray[np.object_],
        k: NDArray[np.int64],
        k_excluded: NDArray[np.int64],
        numbers: dict[str, NDArray[np.float64]],
        used: NDArray[np.bool_],
        corrected: NDArray[np.bool_],
        weights: NDArray[np.float64],
        extra: dict[str, NDArray[np.float64]] | None = None,
    ) -> PooledFits:
        """Build the fits; number fields not in ``numbers`` are NaN, every number of a
        meta-analysis that is not estimated (see :data:`ESTIMATED_REASONS`) is NaN too, and so
        are the heterogeneity fields of a meta-analysis of fewer than two studies. ``extra``
        holds the numbers of a method's own result columns
        (:attr:`raremeta.stats.registry.Method.extra_columns`).
        """
        m = len(k)
        estimated = np.isin(reason, list(ESTIMATED_REASONS))
        several = np.asarray(k) >= 2
        full = {}
        for name in NUMBER_FIELDS:
            values = np.asarray(numbers.get(name, np.full(m, NAN)), dtype=float)
            keep = estimated | (name in KEPT_WHEN_NOT_ESTIMATED)
            if name in HETEROGENEITY_FIELDS:
                keep = keep & several
            full[name] = np.where(keep, values, NAN)
        return cls(
            spec,
            reason,
            np.asarray(k),
            np.asarray(k_excluded),
            full,
            used,
            corrected,
            weights,
            {name: np.asarray(v, dtype=float) for name, v in (extra or {}).items()},
        )

    @classmethod
    def from_rows(cls, spec: MethodSpec, rows: list[PooledEffect], k: int) -> PooledFits:
        """Stack per-meta-analysis results (masks padded with False / NaN to ``k`` studies)."""

        def pad(values: tuple, fill) -> list:
            return list(values) + [fill] * (k - len(values))

        return cls(
            spec,
            np.array([r.reason for r in rows], dtype=object),
            np.array([r.k for r in rows], dtype=np.int64),
            np.array([r.k_excluded for r in rows], dtype=np.int64),
            {name: np.array([getattr(r, name) for r in rows], float) for name in NUMBER_FIELDS},
            np.array([pad(r.used, False) for r in rows], dtype=bool).reshape(len(rows), k),
            np.array([pad(r.corrected, False) for r in rows], dtype=bool).reshape(len(rows), k),
            np.array([pad(r.weights, NAN) for r in rows], dtype=float).reshape(len(rows), k),
            {
                name: np.array([dict(r.extra).get(name, NAN) for r in rows], dtype=float)
                for name in dict.fromkeys(name for r in rows for name, _ in r.extra)
            },
        )


def spread(row: PooledEffect, keep: NDArray[np.bool_]) -> PooledEffect:
    """``row``, fitted to the studies where ``keep`` is true, with its per-study masks spread
    over every study of the stack row (False / NaN for the others).
    """

    def out(values: tuple, fill) -> tuple:
        full = [fill] * len(keep)
        for j, value in zip(np.flatnonzero(keep), values, strict=False):
            full[j] = value
        return tuple(full)

    return replace(
        row,
        used=out(row.used, False),
        corrected=out(row.corrected, False),
        weights=out(row.weights, NAN),
    )


def fits_one_at_a_time(
    stack: TableStack,
    spec: MethodSpec,
    fit_one: Callable[[Tables], PooledEffect],
    empty: Reason = Reason.NO_COMPARABLE_STUDY,
) -> PooledFits:
    """``fit_one`` applied to each meta-analysis of ``stack`` (its present studies), for the
    methods without a vectorised kernel; a meta-analysis with no study is missing for ``empty``.
    """
    rows = []
    for i in range(stack.m):
        keep = stack.present[i]
        if not keep.any():
            rows.append(PooledEffect.missing(spec, empty))
            continue
        tables = Tables.from_counts(
            stack.ai[i][keep], stack.n1i[i][keep], stack.ci[i][keep], stack.n2i[i][keep]
        )
        rows.append(spread(fit_one(tables), keep))
    return PooledFits.from_rows(spec, rows, stack.ai.shape[1])


def reasons(m: int) -> NDArray[np.object_]:
    """An array of m :attr:`Reason.NONE` to fill in (np.full would store plain strings)."""
    out = np.empty(m, dtype=object)
    out[:] = Reason.NONE
    return out


def wald(beta, se, log_scale: bool, crit=Z975) -> dict[str, NDArray[np.float64]]:
    """Estimate, CI, se and two-sided p from ``beta`` and ``se`` (arrays or floats).

    ``beta`` is on the analysis scale (log OR / log RR, or RD); estimate and CI are returned on
    the natural scale. The p-value is normal unless ``crit`` comes with a t distribution (see
    :func:`raremeta.stats.inverse_variance.inverse_variance`). NaN where ``se`` is not positive.
    """
    from scipy import special  # here: the result types are read by the report layer too,
    # which should not pay scipy's import (about 0.25 s per figure job)

    beta = np.asarray(beta, dtype=float)
    se = np.asarray(se, dtype=float)
    back = np.exp if log_scale else (lambda x: x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = se > 0
        return {
            "estimate": back(beta),
            "ci_low": np.where(ok, back(beta - crit * se), np.nan),
            "ci_high": np.where(ok, back(beta + crit * se), np.nan),
            "se": np.where(ok, se, np.nan),
            "p_value": np.where(ok, 2 * special.ndtr(-np.abs(beta / se)), np.nan),
        }


def percent(weights: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Weights as percentages of their row's total: 0 for a present study without a finite
    weight, NaN for an absent one and for every study of a row whose total is 0.
    """
    w = np.where(present & np.isfinite(weights), weights, 0.0)
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present & (total > 0), 100 * w / total, np.nan)


@dataclass(frozen=True)
class PooledRate:
    """A pooled per-arm incidence (proportion of patients with the event).

    ``tau2_at_zero`` says that the GLMM's between-study variance was estimated at its boundary,
    ``single_study`` that the GLMM reduced to one binomial proportion, ``rounded`` that an
    interval used rounded counts (a split comparator gives non-integer counts).
    """

    method: RateMethod
    status: Status
    reason: Reason
    k: int
    events: float
    n: float
    estimate: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    tau2: float = NAN
    tau2_at_zero: bool = False
    single_study: bool = False
    rounded: bool = False

    @classmethod
    def missing(cls, method: RateMethod, reason: Reason, k: int, events: float, n: float, **extra):
        """A rate without an estimate, for ``reason``."""
        return cls(method, status_of(reason), reason, k, events, n, **extra)


class Rating(StrEnum):
    """A GRADE domain's rating: how many levels it takes the certainty down."""

    NOT_SERIOUS = "not serious"
    SERIOUS = "serious"
    VERY_SERIOUS = "very serious"
    #: Imprecision only (GRADE guidance 34 and 35): three levels.
    EXTREMELY_SERIOUS = "extremely serious"

    @property
    def levels(self) -> int:
        """Levels down: 0, 1, 2 or 3."""
        return list(Rating).index(self)

    @classmethod
    def of_levels(cls, levels: int) -> Rating:
        """The rating that takes the certainty ``levels`` down (0-3)."""
        return list(cls)[levels]


class Certainty(StrEnum):
    """The overall GRADE certainty of a body of evidence."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very low"
    #: A domain was not assessed (or imprecision could not be rated): no overall rating.
    NOT_STATED = "not stated"
