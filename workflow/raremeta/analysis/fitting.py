"""What is fitted for one outcome: the primary set, the sensitivity variants, leave-one-out and
the other multi-arm handling, each method in one call of the engine over every meta-analysis
it applies to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from raremeta.analysis.methods import (
    Variant,
    configured,
    firth,
    primary_set,
    prior_variants,
    selected,
    sensitivity_variants,
)
from raremeta.analysis.outcome_data import OutcomeData
from raremeta.analysis.table_keys import AnalysisCode
from raremeta.stats import registry
from raremeta.stats.engine import fit_stack
from raremeta.stats.priors import BayesOptions, BinomialNormalPrior
from raremeta.stats.registry import families as all_families
from raremeta.stats.results import MethodSpec, PooledEffect, PooledFits, Reason
from raremeta.stats.two_by_two import Tables, TableStack

#: The per-study estimates that need no continuity correction (``study_effects.csv`` column
#: prefix -> the registry fit of one study alone that gives them): the Firth OR with its profile
#: penalised-likelihood interval, and the crude risk difference (the MH risk difference of one
#: study) with the Miettinen-Nurminen score interval.
SINGLE_STUDY_SPECS: dict[str, MethodSpec] = {
    registry.STUDY_CRUDE_RD: registry.spec("RD", registry.MN),
    registry.STUDY_FIRTH_OR: registry.spec("OR", registry.FIRTH),
}


def single_study_fits(tables: Tables) -> dict[str, PooledFits]:
    """Each study of ``tables`` fitted alone, by every method of :data:`SINGLE_STUDY_SPECS`
    (whatever methods ``config.yaml`` turns on: the columns are always written): one call of
    each kernel over a stack of k one-study meta-analyses, row i for study i.

    A double-zero study has no Firth OR (``no_events``: with no event the penalty alone would
    set the estimate, from the arm sizes; see
    :func:`raremeta.stats.penalised_likelihood.firth_fits`); its crude risk difference is 0 with
    a finite score interval.
    """
    stack = TableStack.of([tables] * tables.k, list(np.eye(tables.k, dtype=bool)))
    return {prefix: fit_stack(stack, spec) for prefix, spec in SINGLE_STUDY_SPECS.items()}


@dataclass(frozen=True)
class OutcomeFits:
    """Every pooled result of one outcome.

    Attributes
    ----------
    primary_set : tuple of PooledEffect
        One per method of the configured primary set, in :func:`primary_set` order; ``k`` and
        ``k_excluded`` count the studies in the comparison (not those that did not report).
    variants : tuple of (Variant, PooledEffect)
        The sensitivity variants of the configured methods.
    leave_one_out : tuple of (str, PooledEffect)
        The primary method without each study in turn (empty with fewer than two studies).
    alternative : PooledEffect or None
        The primary method under the other multi-arm handling; None when no study has more than
        one arm of a role.
    firth_without_double_zero : PooledEffect or None
        The Firth OR of the studies with at least one event (double-zero studies pull the Firth
        estimate toward their allocation ratio); None when Firth is not configured.
    subsets : tuple of (AnalysisCode, PooledEffect, int)
        The primary method on each named subset of the studies, and how many studies the subset
        leaves out (``k_excluded`` keeps its meaning: studies of the subset the method could not
        use); not applicable (:attr:`Reason.NO_STUDY_FROM_SOURCES`) for an empty subset.
    single_study : tuple of (str, PooledFits)
        ``study_effects.csv`` column prefix -> each study of the comparison fitted alone
        (:func:`single_study_fits`; row i is study i of ``data.tables``); empty when no study
        is comparable.
    """

    primary_set: tuple[PooledEffect, ...]
    variants: tuple[tuple[Variant, PooledEffect], ...]
    leave_one_out: tuple[tuple[str, PooledEffect], ...]
    alternative: PooledEffect | None
    firth_without_double_zero: PooledEffect | None = None
    subsets: tuple[tuple[AnalysisCode, PooledEffect, int], ...] = ()
    single_study: tuple[tuple[str, PooledFits], ...] = ()


def fit_outcome(
    data: OutcomeData,
    primary: MethodSpec,
    families: tuple[str, ...] | None = None,
    alternative: OutcomeData | None = None,
    subsets: Mapping[AnalysisCode, np.ndarray] | None = None,
    bayes: BayesOptions | None = None,
    priors: tuple[BinomialNormalPrior, ...] = (),
) -> OutcomeFits:
    """Fit every method one outcome needs.

    The outcome's studies, each leave-one-out subset, each named subset (``subsets``: code ->
    boolean mask over the studies) and the alternative multi-arm data are stacked into one
    :class:`~raremeta.stats.two_by_two.TableStack`; the primary method is fitted to all of them
    in one call, every other method to the full set. ``families`` (default: every registered
    family) are the configured ``methods:``; ``bayes`` the Bayesian model's configured options
    (None: its defaults) and ``priors`` its prior-sensitivity analyses.
    """
    subsets = dict(subsets or {})
    families = all_families() if families is None else families
    specs = tuple(configured(s, bayes) for s in selected(primary_set(), families))
    variants = selected(sensitivity_variants(), families)
    if registry.BAYESIAN in families:
        variants += prior_variants(bayes or BayesOptions(), priors)
    firth_spec = firth()
    t = data.tables
    if t is None:

        def missing(spec: MethodSpec) -> PooledEffect:
            return PooledEffect.missing(spec, Reason.NO_COMPARABLE_STUDY)

        alt = None
        if alternative is not None:
            alt = _alternative(alternative, primary)
        no_dz = missing(firth_spec) if firth_spec in specs else None
        return OutcomeFits(
            tuple(missing(s) for s in specs),
            tuple((v, missing(v.spec)) for v in variants),
            (),
            alt,
            no_dz,
            tuple((name, missing(primary), 0) for name in subsets),
        )
    tables = [t]
    masks = [np.ones(t.k, dtype=bool)]
    if t.k >= 2:
        for i in range(t.k):
            tables.append(t)
            masks.append(np.arange(t.k) != i)
    subset_rows = {}  # subset name -> its meta-analysis in the stack (empty subsets: none)
    for name, mask in subsets.items():
        if mask.any():
            subset_rows[name] = len(tables)
            tables.append(t)
            masks.append(np.asarray(mask, dtype=bool))
    has_alt = alternative is not None and alternative.tables is not None
    if has_alt:
        tables.append(alternative.tables)
        masks.append(np.ones(alternative.tables.k, dtype=bool))
    stack = TableStack.of(tables, masks)
    full = stack.take([0])

    def first(spec: MethodSpec) -> PooledEffect:
        return fit_stack(full, spec).row(0, t.present)

    primary_fits = fit_stack(stack, primary)
    results = {s: (primary_fits.row(0, t.present) if s == primary else first(s)) for s in specs}
    loo = tuple(
        (str(study), primary_fits.row(i + 1, masks[i + 1]))
        for i, study in enumerate(t.labels)
        if t.k >= 2
    )
    alt_result = None
    if alternative is not None:
        alt_result = (
            primary_fits.row(stack.m - 1, np.ones(alternative.tables.k, dtype=bool))
            if has_alt
            else _alternative(alternative, primary)
        )
    subset_fits = tuple(
        (name, primary_fits.row(subset_rows[name], mask), int(t.k - mask.sum()))
        if name in subset_rows
        else (name, PooledEffect.missing(primary, Reason.NO_STUDY_FROM_SOURCES), t.k)
        for name, mask in subsets.items()
    )
    informative = bool((~t.double_zero).any())
    fitted_variants = tuple(
        (v, first(v.spec))
        for v in variants
        if informative or v.code != AnalysisCode.CONTINUITY_CORRECTION
    )
    no_dz = None
    if firth_spec in specs:
        keep = ~t.double_zero
        no_dz = (
            replace(
                fit_stack(TableStack.of([t], [keep]), firth_spec).row(0, t.present),
                k_excluded=int(t.k - keep.sum()),
            )
            if keep.any()
            else PooledEffect.missing(firth_spec, Reason.NO_INFORMATIVE_STUDY, k_excluded=t.k)
        )
    return OutcomeFits(
        tuple(results[s] for s in specs),
        fitted_variants,
        loo,
        alt_result,
        no_dz,
        subset_fits,
        tuple(single_study_fits(t).items()),
    )


def _alternative(alternative: OutcomeData, primary: MethodSpec) -> PooledEffect:
    if alternative.tables is None:
        return PooledEffect.missing(primary, Reason.NO_COMPARABLE_STUDY)
    return fit_stack(TableStack.of([alternative.tables]), primary).row(0)


def cumulative_order(labels: list[str], years: Mapping[str, int | None]) -> list[int]:
    """Positions of ``labels`` (comparison ids) in cumulative order: by ``years`` (the study's
    year; missing years last), ties and missing years by comparison id (which begins with the
    study id).

    >>> cumulative_order(["b", "a", "c", "d"], {"a": 2015, "b": 2015, "c": None, "d": 2010})
    [3, 1, 0, 2]
    """

    def key(i: int) -> tuple[bool, int, str]:
        year = years.get(labels[i])
        return (year is None, year or 0, labels[i])

    return sorted(range(len(labels)), key=key)


def cumulative_fits(
    tables: Tables, primary: MethodSpec, years: Mapping[str, int | None]
) -> tuple[tuple[str, PooledEffect], ...]:
    """Cumulative meta-analysis (Lau et al. 1992): ``primary`` (the outcome's primary method,
    chosen once on all the studies) refitted on the first 1, 2, ..., k studies of
    :func:`cumulative_order`, in one call of the engine over the stacked subsets (as
    leave-one-out is fitted in :func:`fit_outcome`).

    Returns
    -------
    tuple of (str, PooledEffect)
        One per step: the comparison id added at that step, and the fit up to it.

    References
    ----------
    Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC. Cumulative
    meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med
    1992;327:248-54.
    """
    order = cumulative_order(list(tables.labels), years)
    masks = []
    for step in range(1, tables.k + 1):
        mask = np.zeros(tables.k, dtype=bool)
        mask[order[:step]] = True
        masks.append(mask)
    fits = subset_fits(tables, primary, masks)
    return tuple((str(tables.labels[order[step]]), fits[step]) for step in range(tables.k))


def subset_fits(
    tables: Tables, spec: MethodSpec, masks: list[np.ndarray]
) -> tuple[PooledEffect, ...]:
    """``spec`` fitted to each subset of the studies of ``tables`` (``masks``: boolean masks
    over its studies, none empty), in one call of the engine over the stacked subsets: the one
    mechanism behind the cumulative meta-analysis (:func:`cumulative_fits`) and the subgroup
    fits (:mod:`raremeta.analysis.subgroups`). Row i's per-study masks (``used``, weights) are
    over the studies of ``masks[i]``, in ``tables`` order.
    """
    if not masks:
        return ()
    fits = fit_stack(TableStack.of([tables] * len(masks), masks), spec)
    return tuple(fits.row(i, masks[i]) for i in range(len(masks)))
