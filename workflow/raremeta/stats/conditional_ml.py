"""Exact conditional maximum-likelihood common odds ratio (non-central hypergeometric).

Conditioning on both margins of each 2x2 table, the events in the CNI arm follow Fisher's
non-central hypergeometric distribution with the odds ratio as its only parameter, so no
continuity correction is needed and studies with no events (or only events) drop out because
their conditional distribution is degenerate. This is metafor ``rma.glmm(measure="OR",
model="CM.EL", method="EE")``; the Wald interval uses the observed information at the maximum.

When every informative study has the largest (or smallest) count its margins allow, the
likelihood increases without bound: the estimate is infinite and reported as not estimable,
rather than copying an optimiser's runaway value (metafor returns about 2e10 with CI [0, Inf]).

References
----------
Breslow NE, Day NE. Statistical Methods in Cancer Research, vol. I. IARC 1980, section 4.4.
Stijnen T, Hamza TH, Özdemir P. Random effects meta-analysis of event outcome in the framework
of the generalized linear mixed model. Stat Med 2010;29:3046-67.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import optimize

from raremeta.stats import registry
from raremeta.stats.exact_conditional import log_choose
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    Status,
    fits_one_at_a_time,
    wald,
)
from raremeta.stats.two_by_two import Tables, TableStack


class _Study:
    """Support and log base weights of one informative table."""

    def __init__(self, a: int, n1: int, n2: int, t: int):
        lo, hi = max(0, t - n2), min(n1, t)
        self.a = a
        self.u = np.arange(lo, hi + 1, dtype=float)
        self.logw = log_choose(float(n1), self.u) + log_choose(float(n2), t - self.u)
        self.at_max = a == hi
        self.at_min = a == lo

    def moments(self, theta: float) -> tuple[float, float, float]:
        """log-likelihood contribution, E[U] and Var[U] at log OR theta."""
        s = self.logw + self.u * theta
        m = s.max()
        p = np.exp(s - m)
        total = p.sum()
        p /= total
        mean = float(np.sum(p * self.u))
        var = float(np.sum(p * (self.u - mean) ** 2))
        loglik = float(self.logw[int(self.a - self.u[0])] + self.a * theta - m - math.log(total))
        return loglik, mean, var


SPEC = registry.spec("OR", "exact")


def conditional_mle(tables: Tables) -> PooledEffect:
    """Conditional maximum-likelihood common odds ratio (see module docstring).

    Parameters
    ----------
    tables : Tables
        The studies; counts must be whole numbers.

    Returns
    -------
    PooledEffect
        ``method="exact"``, ``model="common"``; ``k`` counts informative studies (at least one
        event and one non-event), ``weights`` are each study's share of the information at the
        estimate. Not estimable, with the reason, when the counts are not whole numbers, no
        study is informative, or the maximum is at an odds ratio of 0 or infinity.
    """
    informative = ~tables.double_zero
    k = int(informative.sum())
    used = tuple(informative.tolist())
    if np.any(np.mod(np.concatenate([tables.ai, tables.n1i, tables.ci, tables.n2i]), 1) != 0):
        missing = PooledEffect.missing(SPEC, Reason.NON_INTEGER_COUNTS, k=0, k_excluded=tables.k)
        return replace(missing, used=(False,) * tables.k, corrected=(False,) * tables.k)
    t = tables.ai + tables.ci
    studies = [
        _Study(int(a), int(n1), int(n2), int(tt))
        for a, n1, n2, tt, keep in zip(
            tables.ai, tables.n1i, tables.n2i, t, informative, strict=True
        )
        if keep
    ]
    if k == 0:
        reason = Reason.NO_INFORMATIVE_STUDY
    elif all(s.at_max for s in studies):
        reason = Reason.CONDITIONAL_MLE_INFINITE
    elif all(s.at_min for s in studies):
        reason = Reason.CONDITIONAL_MLE_ZERO
    else:
        reason = Reason.NONE
    if reason != Reason.NONE:
        missing = PooledEffect.missing(SPEC, reason, k=k, k_excluded=tables.k - k)
        return replace(missing, used=used, corrected=(False,) * tables.k)

    def score(theta: float) -> float:
        return sum(s.a - s.moments(theta)[1] for s in studies)

    lo, hi = -1.0, 1.0
    while score(lo) < 0:
        lo *= 2
    while score(hi) > 0:
        hi *= 2
    theta = optimize.brentq(score, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    info = np.zeros(tables.k)
    info[informative] = [s.moments(theta)[2] for s in studies]
    numbers = wald(theta, 1 / np.sqrt(info.sum()), log_scale=True)
    return PooledEffect(
        SPEC,
        Status.ESTIMATED,
        Reason.NONE,
        k,
        tables.k - k,
        **{name: float(value) for name, value in numbers.items()},
        used=used,
        corrected=(False,) * tables.k,
        weights=tuple((100 * info / info.sum()).tolist()),
    )


def conditional_mle_fits(stack: TableStack, spec: MethodSpec = SPEC) -> PooledFits:
    """:func:`conditional_mle` of every meta-analysis of ``stack`` (one at a time: the exact
    likelihood has no closed form to vectorise).
    """
    return fits_one_at_a_time(stack, SPEC, conditional_mle, Reason.NO_INFORMATIVE_STUDY)
