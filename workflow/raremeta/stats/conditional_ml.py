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

import numpy as np
from scipy import optimize
from scipy.special import gammaln

from raremeta.stats.results import PooledEffect, wald_fields
from raremeta.stats.two_by_two import Tables


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


class _Study:
    """Support and log base weights of one informative table."""

    def __init__(self, a: int, n1: int, n2: int, t: int):
        lo, hi = max(0, t - n2), min(n1, t)
        self.a = a
        self.u = np.arange(lo, hi + 1, dtype=float)
        self.logw = _log_choose(float(n1), self.u) + _log_choose(float(n2), t - self.u)
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
        event and one non-event). Not estimable, with the reason, when no study is informative
        or the maximum is at an infinite odds ratio.
    """
    base = {
        "measure": "OR",
        "method": "exact",
        "model": "common",
        "correction": "none (not needed)",
    }
    if np.any(np.mod(np.concatenate([tables.ai, tables.n1i, tables.ci, tables.n2i]), 1) != 0):
        return PooledEffect(
            **base,
            k=0,
            k_excluded=tables.k,
            note="not estimable: the exact method needs whole-number counts",
        )
    t = tables.ai + tables.ci
    informative = ~tables.double_zero
    studies = [
        _Study(int(a), int(n1), int(n2), int(tt))
        for a, n1, n2, tt, keep in zip(
            tables.ai, tables.n1i, tables.n2i, t, informative, strict=True
        )
        if keep
    ]
    k = len(studies)
    base.update(k=k, k_excluded=tables.k - k)
    notes = []
    if tables.k - k:
        notes.append(
            f"{tables.k - k} study/studies without events (or with only events) carry "
            "no conditional information"
        )
    if k == 0:
        return PooledEffect(**base, note="; ".join(["not estimable: no informative study", *notes]))
    if all(s.at_max for s in studies):
        return PooledEffect(
            **base,
            note="; ".join(
                [
                    "not estimable: the conditional MLE of the odds ratio is infinite (every "
                    "informative study has all its events in the CNI arm, e.g. no comparator "
                    "events)",
                    *notes,
                ]
            ),
        )
    if all(s.at_min for s in studies):
        return PooledEffect(
            **base,
            note="; ".join(
                [
                    "not estimable: the conditional MLE of the odds ratio is 0 (every informative "
                    "study has all its events in the comparator arm)",
                    *notes,
                ]
            ),
        )

    def score(theta: float) -> float:
        return sum(s.a - s.moments(theta)[1] for s in studies)

    lo, hi = -1.0, 1.0
    while score(lo) < 0:
        lo *= 2
    while score(hi) > 0:
        hi *= 2
    theta = optimize.brentq(score, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    info = sum(s.moments(theta)[2] for s in studies)
    se = 1 / math.sqrt(info)
    return PooledEffect(
        **base,
        **wald_fields(theta, se, log_scale=True),
        note="; ".join(notes),
    )
