"""The method registry: what each pooling method is, statistically, in one place.

An entry (:class:`Method`) holds a method's identity: its name (the ``method`` code of the
results tables and of ``config.yaml``), the ``methods:`` family that turns it on, the measures
and models it fits, its kernel (as an import path, so that reading the registry imports no
scipy: figure jobs read it too), how it treats zero cells (whether double-zero studies enter,
whether a continuity correction can apply), how its study weights are named, and codes for the
kinds of its estimate, interval and p-value. Everything else is derived from the registry:
engine dispatch (:func:`raremeta.stats.engine.fit_stack`), the primary set, configuration
checks, the rows figures and summaries show, the methods text and the codebook. Words for each
method live in one table keyed by these names (:data:`raremeta.analysis.wording.METHOD_WORDS`),
R calls for the benchmark in another (``bench/r_calls.py``); tests check that both cover every
entry.

Adding a method is adding an entry here, its kernel (``kernel(stack, spec) -> PooledFits``) and
its words (README, "Adding a method"); tests/test_method_registry.py adds a toy one at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from raremeta.stats.results import Correction, MethodSpec

#: The method names used as identifiers outside this module.
MH = "MH"
PETO = "Peto"
IV = "IV"
CONDITIONAL_ML = "exact"
EXACT_CONDITIONAL = "exact-conditional"
MID_P = "mid-p"
FIRTH = "Firth"
MN = "MN"
BAYESIAN = "Bayesian"

COMMON = "common"
RANDOM = "random"
#: Between-study variance estimators of random-effects models, in table order.
TAU2_ESTIMATORS = ("DL", "REML", "PM")
#: Effect measures, in table order.
MEASURES = ("OR", "RR", "RD")
#: ``study_effects.csv`` column prefixes of per-study intervals that need no continuity
#: correction: the study's own Firth OR with its profile penalised-likelihood interval, and its
#: crude risk difference with the Miettinen-Nurminen score interval.
STUDY_FIRTH_OR = "or_firth"
STUDY_CRUDE_RD = "rd_crude"


class ZeroCells(StrEnum):
    """What a method does about zero cells (Sweeting, Sutton & Lambert 2004)."""

    #: Its likelihood or weights need no continuity correction (Peto, exact, Firth, MN).
    NOT_NEEDED = "not_needed"
    #: A correction, when asked for, is added inside the pooled sums (MH; RevMan adds 0.5).
    INSIDE_SUMS = "inside_sums"
    #: Studies with a zero cell get a correction before their effect is computed (IV).
    PER_STUDY = "per_study"


class EstimateKind(StrEnum):
    """What the pooled estimate is."""

    MANTEL_HAENSZEL = "mantel_haenszel"
    PETO = "peto"
    INVERSE_VARIANCE = "inverse_variance"
    CONDITIONAL_ML = "conditional_ml"
    MEDIAN_UNBIASED = "median_unbiased"
    PENALISED_ML = "penalised_ml"
    POSTERIOR_MEDIAN = "posterior_median"
    OTHER = "other"


class IntervalKind(StrEnum):
    """How the interval is computed (HKSJ, a variant of a random-effects Wald interval, is
    marked on the :class:`~raremeta.stats.results.MethodSpec`).
    """

    WALD = "wald"
    EXACT_CONDITIONAL = "exact_conditional"
    MID_P = "mid_p"
    PROFILE_PENALISED = "profile_penalised"
    SCORE = "score"
    #: An equal-tailed Bayesian credible interval.
    CREDIBLE = "credible"
    OTHER = "other"


class PValueKind(StrEnum):
    """How the p-value is computed."""

    WALD = "wald"
    EXACT_CONDITIONAL = "exact_conditional"
    MID_P = "mid_p"
    PENALISED_LR = "penalised_lr"
    SCORE = "score"
    NONE = "none"
    OTHER = "other"


#: A fit of a method: (measure, model, tau2 estimator).
Fit = tuple[str, str, str]


@dataclass(frozen=True)
class Method:
    """One pooling method.

    Attributes
    ----------
    name : str
        The ``method`` code in the results tables and ``config.yaml`` (``primary.method``).
    family : str
        The entry of ``config.yaml`` ``methods:`` that turns the method on.
    kernel : str
        ``"module:function"``; the function takes ``(stack, spec)`` and returns
        :class:`~raremeta.stats.results.PooledFits`.
    fits : tuple of (measure, model, tau2 estimator)
        The rows of the primary set (``pooled_effects.csv``), in table order.
    zero_cells : ZeroCells
        Whether and how a continuity correction can apply.
    double_zero_measures : frozenset of str
        The measures for which double-zero studies enter the method (their events and patients
        count in the pooled row's totals).
    weights : str or None
        The ``study_effects.csv`` weight column, as a template with ``{measure}`` and
        ``{estimator}`` (``common`` for a common-effect model), lower case; None when the method
        defines no study weights.
    weights_drawn : str or None
        For a method without weights of its own: the method whose weights the forest plot
        draws beside it (the conditional ML OR: Peto's, its one-step approximation; the MN row:
        MH's, whose estimate it shares).
    estimate, interval, p_value : EstimateKind, IntervalKind, PValueKind
        What the estimate, interval and p-value are.
    shown : tuple of (measure, model, tau2 estimator, rank)
        Rows shown beside the primary estimate in forest plots and summaries, by rank.
    fallback : int or None
        Rank among the rows a summary falls back on when the primary row has no estimate
        (None: never; the Peto OR is biased with unbalanced arms).
    companion : bool
        Shown right after the primary row with its own sentence (the exact conditional OR).
    extra_columns : tuple of str
        Result columns of the method appended to ``pooled_effects.csv`` (values from the
        kernel's ``extra`` numbers).
    variants : tuple of (analysis code, variant code, MethodSpec)
        Sensitivity analyses the method adds (their words: ``wording.ANALYSIS_WORDS``).
    one_at_a_time : bool
        True when the kernel fits one meta-analysis at a time (the benchmark times it apart).
    study_intervals : tuple of (measure, column prefix)
        Per measure, the ``study_effects.csv`` columns whose per-study estimate and interval
        match the pooled method's handling of zero cells (:func:`study_interval_prefix`); a
        measure not listed uses the 0.5-corrected columns (``or``, ``rr``, ``rd``).
    """

    name: str
    family: str
    kernel: str
    fits: tuple[Fit, ...]
    zero_cells: ZeroCells
    double_zero_measures: frozenset[str]
    weights: str | None
    estimate: EstimateKind
    interval: IntervalKind
    p_value: PValueKind
    weights_drawn: str | None = None
    shown: tuple[tuple[str, str, str, int], ...] = ()
    fallback: int | None = None
    companion: bool = False
    extra_columns: tuple[str, ...] = ()
    variants: tuple[tuple[str, str, MethodSpec], ...] = field(default=())
    one_at_a_time: bool = False
    study_intervals: tuple[tuple[str, str], ...] = ()

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures the method estimates, in table order."""
        return tuple(dict.fromkeys(measure for measure, _, _ in self.fits))

    @property
    def models(self) -> tuple[str, ...]:
        """The models the method fits."""
        return tuple(dict.fromkeys(model for _, model, _ in self.fits))

    def specs(self) -> tuple[MethodSpec, ...]:
        """The method's rows of the primary set, with its default continuity correction."""
        return tuple(spec(measure, self.name, model, est) for measure, model, est in self.fits)

    def weight_column(self, key: tuple[str, str, str, str]) -> str | None:
        """The ``study_effects.csv`` column of the weights of the fit ``key`` (measure, method,
        model, tau2 estimator), or None.
        """
        if self.weights is None:
            return None
        measure, _, _, estimator = key
        return self.weights.format(measure=measure.lower(), estimator=(estimator or COMMON).lower())


def _fits(measures, models=((COMMON, ""),)) -> tuple[Fit, ...]:
    return tuple((m, model, est) for model, est in models for m in measures)


#: The registry, in the order of the rows of ``pooled_effects.csv``.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            MH,
            MH,
            "raremeta.stats.mantel_haenszel:mantel_haenszel_fits",
            _fits(MEASURES),
            ZeroCells.INSIDE_SUMS,
            frozenset({"RD"}),
            "weight_mh_{measure}",
            EstimateKind.MANTEL_HAENSZEL,
            IntervalKind.WALD,
            PValueKind.WALD,
            shown=(("OR", COMMON, "", 3),),
            study_intervals=(("OR", STUDY_FIRTH_OR), ("RD", STUDY_CRUDE_RD)),
        ),
        Method(
            PETO,
            PETO,
            "raremeta.stats.peto:peto_fits",
            _fits(("OR",)),
            ZeroCells.NOT_NEEDED,
            frozenset(),
            "weight_peto",
            EstimateKind.PETO,
            IntervalKind.WALD,
            PValueKind.WALD,
            shown=(("OR", COMMON, "", 7),),
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
        Method(
            IV,
            IV,
            "raremeta.stats.inverse_variance:inverse_variance_stack_fits",
            _fits(MEASURES) + tuple((m, RANDOM, e) for m in MEASURES for e in TAU2_ESTIMATORS),
            ZeroCells.PER_STUDY,
            frozenset({"RD"}),
            "weight_iv_{measure}_{estimator}",
            EstimateKind.INVERSE_VARIANCE,
            IntervalKind.WALD,
            PValueKind.WALD,
            shown=(("OR", RANDOM, "REML", 8),),
        ),
        Method(
            CONDITIONAL_ML,
            "exact",
            "raremeta.stats.conditional_ml:conditional_mle_fits",
            _fits(("OR",)),
            ZeroCells.NOT_NEEDED,
            frozenset(),
            None,
            EstimateKind.CONDITIONAL_ML,
            IntervalKind.WALD,
            PValueKind.WALD,
            weights_drawn=PETO,
            shown=(("OR", COMMON, "", 6),),
            one_at_a_time=True,
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
        Method(
            EXACT_CONDITIONAL,
            "exact",
            "raremeta.stats.exact_conditional:exact_conditional_fits",
            _fits(("OR",)),
            ZeroCells.NOT_NEEDED,
            frozenset(),
            None,
            EstimateKind.MEDIAN_UNBIASED,
            IntervalKind.EXACT_CONDITIONAL,
            PValueKind.EXACT_CONDITIONAL,
            shown=(("OR", COMMON, "", 1),),
            fallback=2,
            companion=True,
            one_at_a_time=True,
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
        Method(
            MID_P,
            "exact",
            "raremeta.stats.exact_conditional:exact_conditional_fits",
            _fits(("OR",)),
            ZeroCells.NOT_NEEDED,
            frozenset(),
            None,
            EstimateKind.MEDIAN_UNBIASED,
            IntervalKind.MID_P,
            PValueKind.MID_P,
            shown=(("OR", COMMON, "", 5),),
            one_at_a_time=True,
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
        Method(
            FIRTH,
            FIRTH,
            "raremeta.stats.penalised_likelihood:firth_fits",
            _fits(("OR",)),
            ZeroCells.NOT_NEEDED,
            frozenset({"OR"}),
            None,
            EstimateKind.PENALISED_ML,
            IntervalKind.PROFILE_PENALISED,
            PValueKind.PENALISED_LR,
            shown=(("OR", COMMON, "", 2),),
            fallback=1,
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
        Method(
            MN,
            MN,
            "raremeta.stats.score_interval:miettinen_nurminen_fits",
            _fits(("RD",)),
            ZeroCells.NOT_NEEDED,
            frozenset({"RD"}),
            None,
            EstimateKind.MANTEL_HAENSZEL,
            IntervalKind.SCORE,
            PValueKind.SCORE,
            weights_drawn=MH,
            shown=(("RD", COMMON, "", 4),),
            fallback=3,
            study_intervals=(("RD", STUDY_CRUDE_RD),),
        ),
        Method(
            BAYESIAN,
            BAYESIAN,
            "raremeta.stats.binomial_normal:bayesian_fits",
            _fits(("OR",), ((RANDOM, ""),)),
            ZeroCells.NOT_NEEDED,
            frozenset({"OR"}),
            None,
            EstimateKind.POSTERIOR_MEDIAN,
            IntervalKind.CREDIBLE,
            PValueKind.NONE,
            extra_columns=("posterior_error",),
            one_at_a_time=True,
            study_intervals=(("OR", STUDY_FIRTH_OR),),
        ),
    )
}


def method(name: str) -> Method:
    """The registry entry of ``name``.

    Raises
    ------
    KeyError
        With the known names, when ``name`` is not registered.
    """
    try:
        return METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; registered: {', '.join(METHODS)}") from None


def families() -> tuple[str, ...]:
    """The families of ``config.yaml`` ``methods:``, in registry order."""
    return tuple(dict.fromkeys(m.family for m in METHODS.values()))


def spec(
    measure: str,
    name: str,
    model: str = COMMON,
    tau2_estimator: str = "",
    add: float | None = None,
    correction: Correction | str = Correction.CONSTANT,
    hksj: bool = False,
) -> MethodSpec:
    """A :class:`MethodSpec` with the method's default continuity correction: 0.5 per study
    with a zero cell where the method corrects per study (IV, as metafor ``escalc``), none
    otherwise; none at all where the method needs none.
    """
    zero_cells = method(name).zero_cells
    if add is None:
        add = 0.5 if zero_cells == ZeroCells.PER_STUDY else 0.0
    if zero_cells == ZeroCells.NOT_NEEDED or add == 0:
        add, correction = 0.0, Correction.NONE
    return MethodSpec(
        measure,
        name,
        model,
        tau2_estimator if model == RANDOM else "",
        float(add),
        Correction(correction),
        hksj,
    )


def primary_set() -> tuple[MethodSpec, ...]:
    """Every row of the primary set (``pooled_effects.csv``), in table order."""
    return tuple(s for m in METHODS.values() for s in m.specs())


def weight_columns() -> dict[tuple[str, str, str, str], str]:
    """(measure, method, model, tau2 estimator) -> its ``study_effects.csv`` weight column, in
    column order (by method, then measure, then common before random by estimator).
    """
    out = {}
    for m in METHODS.values():
        if m.weights is None:
            continue
        keys = sorted(
            (s.key for s in m.specs()),
            key=lambda k: (MEASURES.index(k[0]), ("", *TAU2_ESTIMATORS).index(k[3])),
        )
        out.update({key: m.weight_column(key) for key in keys})
    return out


def drawn_weight_column(key: tuple[str, str, str, str]) -> str | None:
    """The weight column a forest plot draws for the fit ``key``: the method's own, or the one
    of the method it borrows them from (:attr:`Method.weights_drawn`); None when there is none.
    """
    entry = method(key[1])
    if entry.weights is None and entry.weights_drawn is not None:
        key = (key[0], entry.weights_drawn, key[2], key[3])
        entry = method(entry.weights_drawn)
    column = entry.weight_column(key)
    return column if column in weight_columns().values() else None


def study_interval_prefix(measure: str, method: str) -> str:
    """The ``study_effects.csv`` column prefix (``{prefix}``, ``{prefix}_ci_low``,
    ``{prefix}_ci_high``) of the per-study estimates and intervals that match the pooled
    method ``method`` on ``measure``: a method that handles a zero cell without adding 0.5
    (MH, Peto, exact, Firth; MN) gets per-study intervals that do not add it either
    (:data:`STUDY_FIRTH_OR`, :data:`STUDY_CRUDE_RD`); any other row the 0.5-corrected columns
    (``or``, ``rr``, ``rd``), as inverse variance computes them.

    Raises
    ------
    KeyError
        When ``method`` is not registered.
    """
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; registered: {', '.join(METHODS)}")
    return dict(METHODS[method].study_intervals).get(measure, measure.lower())


def shown_keys() -> list[tuple[str, str, str, str]]:
    """The rows shown beside the primary estimate, by rank."""
    ranked = [
        (rank, (measure, m.name, model, est))
        for m in METHODS.values()
        for measure, model, est, rank in m.shown
    ]
    return [key for _, key in sorted(ranked)]


def fallback_keys() -> list[tuple[str, str, str, str]]:
    """The rows a summary may fall back on when the primary row has no estimate, by rank."""
    ranked = sorted(
        (m for m in METHODS.values() if m.fallback is not None), key=lambda m: m.fallback
    )
    return [m.specs()[0].key for m in ranked]


def companion_keys() -> list[tuple[str, str, str, str]]:
    """The rows shown right after the primary row (:attr:`Method.companion`)."""
    return [m.specs()[0].key for m in METHODS.values() if m.companion]


#: The rows of the ``primary: auto`` rule (README, "Choice of primary method").
MH_OR = ("OR", MH, COMMON, "")
FIRTH_OR = ("OR", FIRTH, COMMON, "")
MN_RD = ("RD", MN, COMMON, "")
#: The fit whose between-study statistics a forest plot and a summary report, on the primary
#: row's measure: inverse variance, random effects, REML.
HETEROGENEITY = (IV, RANDOM, "REML")
