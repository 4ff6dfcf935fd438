"""The one entry point of the statistical core: a method (:class:`MethodSpec`) fitted to many
meta-analyses at once (:func:`fit_stack`) or to one (:func:`fit`, a façade over the same kernels).

The closed-form and random-effects methods (MH, Peto, IV common, DL, REML, PM, HKSJ), the Firth
penalised likelihood and the Miettinen-Nurminen score interval are numpy kernels over arrays of
shape (meta-analyses x studies); the exact conditional methods (conditional ML, median-unbiased
with exact and mid-p intervals) run one meta-analysis at a time.
"""

from __future__ import annotations

from dataclasses import replace

from raremeta.stats.conditional_ml import conditional_mle_fits
from raremeta.stats.effect_sizes import study_effects
from raremeta.stats.exact_conditional import exact_conditional_fits
from raremeta.stats.inverse_variance import inverse_variance_fits
from raremeta.stats.mantel_haenszel import mantel_haenszel_fits
from raremeta.stats.penalised_likelihood import firth_fits
from raremeta.stats.peto import peto_fits
from raremeta.stats.results import MethodSpec, PooledEffect, PooledFits
from raremeta.stats.score_interval import miettinen_nurminen_fits
from raremeta.stats.two_by_two import Tables, TableStack, as_stack


def fit_stack(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """Fit ``spec`` to every meta-analysis of ``stack``.

    IV methods pool the per-study effects of :func:`~raremeta.stats.effect_sizes.study_effects`
    with ``spec.add`` and ``spec.correction`` (metafor ``escalc(add, to="only0")``, double-zero
    studies dropped for ratios); the returned ``corrected`` mask says which studies got it.
    """
    if spec.method == "MH":
        return mantel_haenszel_fits(stack, spec)
    if spec.method == "Peto":
        return peto_fits(stack, spec)
    if spec.method == "exact":
        return conditional_mle_fits(stack)
    if spec.method in ("exact-conditional", "mid-p"):
        return exact_conditional_fits(stack, spec)
    if spec.method == "Firth":
        return firth_fits(stack)
    if spec.method == "MN":
        return miettinen_nurminen_fits(stack)
    if spec.method == "IV":
        eff = study_effects(stack, spec.measure, add=spec.add, kind=str(spec.correction))
        fits = inverse_variance_fits(eff.yi, eff.vi, spec, stack.present)
        return replace(fits, corrected=eff.corrected & fits.used)
    raise ValueError(f"unknown method {spec.method!r}")


def fit(tables: Tables, spec: MethodSpec) -> PooledEffect:
    """Fit ``spec`` to one meta-analysis."""
    return fit_stack(as_stack(tables), spec).row(0)
