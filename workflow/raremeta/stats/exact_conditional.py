"""Exact conditional inference for a common odds ratio: median-unbiased estimate, exact
(Cornfield) and mid-p intervals, exact and mid-p p-values.

Given both margins of every 2x2 table, the CNI-arm events ``a_i`` of the informative studies
(at least one event and one non-event) are independent non-central hypergeometric variables
with the common odds ratio ψ as their only parameter; ``T = Σ a_i`` is sufficient for ψ. Its
distribution is the convolution of the studies' distributions:

    P(T = u; ψ) = c(u) ψ^u / Σ_v c(v) ψ^v,
    c(u) = Σ_{Σ u_i = u} Π_i C(n1_i, u_i) C(n2_i, t_i - u_i)

The base weights ``c(u)`` are convolved once, exactly, in log space (no normal approximation,
no underflow for any k or study size); every tail probability at any ψ is then one weighted
sum, and each interval bound is the root of a monotone tail equation solved to 1e-12 on the
log scale.

* **Exact interval** (Cornfield 1956), as R ``fisher.test`` (k = 1) and
  ``mantelhaen.test(exact = TRUE)``: ψ_L solves P(T ≥ t; ψ_L) = α/2 and ψ_U solves
  P(T ≤ t; ψ_U) = α/2, with ψ_L = 0 at t = t_min and ψ_U = ∞ at t = t_max.
* **Exact p-value**, two-sided by R's rule: the probability at ψ = 1 of every value of T no more
  probable than the observed one (relative tolerance 1e-7). It is not the test the interval
  inverts, so the two can disagree near 0.05 (3/10 vs 0/20: p = 0.030, interval [0.92, ∞)).
* **Mid-p interval and p-value** (Lancaster 1961; Mehta & Walsh 1992): half of the probability
  of the observed value counts in each tail; p is twice the smaller one-sided mid-p.
* **Median-unbiased estimate** (Birnbaum 1964; Hirji, Tsiatis & Mehta 1989; LogXact, Stata
  ``exlogistic``): the log-scale midpoint of the roots of P(T ≥ t; ψ) = ½ and
  P(T ≤ t; ψ) = ½; at t = t_max only the first root exists and is the estimate, at t = t_min only
  the second. It is finite whenever any study is informative, unlike the conditional MLE, and
  is reported by both the exact and the mid-p rows.

References
----------
Cornfield J. A statistical problem arising from retrospective studies. Proc Third Berkeley Symp
1956;4:135-48.
Hirji KF, Tsiatis AA, Mehta CR. Median unbiased estimation for binary data. Am Stat
1989;43:7-11.
Mehta CR, Walsh SJ. Comparison of exact, mid-p, and Mantel-Haenszel confidence intervals for
the common odds ratio across several 2x2 contingency tables. Am Stat 1992;46:146-50.
Agresti A. Exact inference for categorical data: recent advances and continuing controversies.
Stat Med 2001;20:2709-22.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy.special import gammaln, logsumexp

from raremeta.stats import registry
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    Status,
    fits_one_at_a_time,
)
from raremeta.stats.two_by_two import Tables, TableStack

#: The exact (Cornfield) and mid-p rows.
EXACT_SPEC = registry.spec("OR", "exact-conditional")
MID_P_SPEC = registry.spec("OR", "mid-p")
#: Relative tolerance of R's two-sided exact p-value (``mantelhaen.test``, ``fisher.test``).
R_REL_ERR = 1 + 1e-7
_LOG_HALF = math.log(0.5)


def log_choose(n: NDArray[np.float64] | float, k: NDArray[np.float64]) -> NDArray[np.float64]:
    """The log of C(n, k), elementwise."""
    return gammaln(np.asarray(n) + 1) - gammaln(k + 1) - gammaln(np.asarray(n) - k + 1)


@dataclass(frozen=True)
class ConditionalDistribution:
    """The distribution of T = Σ a_i over the informative studies, given every margin.

    Attributes
    ----------
    t_min : int
        The smallest value T can take (its support is ``t_min .. t_min + len(log_c) - 1``).
    log_c : ndarray
        log of the base weights c(u) (the probabilities at ψ = 1, unnormalised).
    t : int
        The observed value of T.
    """

    t_min: int
    log_c: NDArray[np.float64]
    t: int

    @property
    def t_max(self) -> int:
        """The largest value T can take."""
        return self.t_min + len(self.log_c) - 1

    @property
    def _j(self) -> int:
        return self.t - self.t_min

    def log_pmf(self, theta: float) -> NDArray[np.float64]:
        """The log of P(T = u; ψ = exp(theta)) over the support."""
        s = self.log_c + np.arange(len(self.log_c)) * theta
        return s - logsumexp(s)

    def log_tails(self, theta: float) -> tuple[float, float, float]:
        """The logs of P(T < t), P(T = t) and P(T > t) at log OR ``theta`` (a tail that
        underflows relative to the mode is -inf; the tail equations are solved where the tails
        are 0.025 or 0.5, far from underflow).
        """
        s = self.log_c + np.arange(len(self.log_c)) * theta
        p = np.exp(s - s.max())
        j = self._j
        with np.errstate(divide="ignore"):
            tails = np.log([p[:j].sum(), p[j], p[j + 1 :].sum()]) - math.log(p.sum())
        return float(tails[0]), float(tails[1]), float(tails[2])

    def log_upper(self, theta: float) -> float:
        """The log of P(T ≥ t): increasing in theta."""
        _, at, above = self.log_tails(theta)
        return float(np.logaddexp(at, above))

    def log_lower(self, theta: float) -> float:
        """The log of P(T ≤ t): decreasing in theta."""
        below, at, _ = self.log_tails(theta)
        return float(np.logaddexp(below, at))

    def log_mid_upper(self, theta: float) -> float:
        """The log of (P(T > t) + P(T = t)/2): increasing in theta."""
        _, at, above = self.log_tails(theta)
        return float(np.logaddexp(at + _LOG_HALF, above))

    def log_mid_lower(self, theta: float) -> float:
        """The log of (P(T < t) + P(T = t)/2): decreasing in theta."""
        below, at, _ = self.log_tails(theta)
        return float(np.logaddexp(below, at + _LOG_HALF))


def conditional_distribution(
    ai: NDArray[np.float64], n1i: NDArray[np.float64], ci: NDArray[np.float64], n2i: NDArray
) -> ConditionalDistribution:
    """Convolve the informative studies' non-central hypergeometric base weights in log space.

    Parameters
    ----------
    ai, n1i, ci, n2i : ndarray
        Whole-number counts of the informative studies (0 < a_i + c_i < n1_i + n2_i).
    """
    log_c = np.zeros(1)
    t_min = 0
    t_obs = 0
    order = np.argsort(np.minimum(n1i, ai + ci) - np.maximum(0, ai + ci - n2i), kind="stable")
    for i in order:
        a, n1, n2, t = int(ai[i]), int(n1i[i]), int(n2i[i]), int(ai[i] + ci[i])
        lo, hi = max(0, t - n2), min(n1, t)
        u = np.arange(lo, hi + 1, dtype=float)
        lw = log_choose(float(n1), u) + log_choose(float(n2), t - u)
        out = np.full(len(log_c) + len(lw) - 1, -math.inf)
        for j, w in enumerate(lw):
            seg = out[j : j + len(log_c)]
            np.logaddexp(seg, log_c + w, out=seg)
        log_c = out
        t_min += lo
        t_obs += a
    return ConditionalDistribution(t_min, log_c, t_obs)


def _solve(f, target: float, increasing: bool) -> float:
    """The root of ``f(theta) = target`` for a tail probability ``f`` (on the log scale) that
    is monotone in the log OR ``theta``, increasing or decreasing as stated.

    The bracket grows from [-1, 1] in steps that double, on the side the direction says; a tail
    that underflows (-inf) counts as far below the target, and brentq then solves to 1e-12.
    """
    sign = 1.0 if increasing else -1.0

    def g(theta: float) -> float:  # increasing in theta, finite
        return float(np.clip(sign * (f(theta) - target), -1e300, 1e300))

    lo, hi = -1.0, 1.0
    for side in (-1, 1):
        step = 1.0
        while (g(lo) > 0) if side < 0 else (g(hi) < 0):
            step *= 2
            if step > 2.0**20:  # pragma: no cover - a tail of a finite support reaches any level
                raise ArithmeticError("exact conditional tail equation has no bracket")
            if side < 0:
                lo -= step
            else:
                hi += step
    return optimize.brentq(g, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500)


@dataclass(frozen=True)
class ExactInference:
    """Everything the exact and mid-p rows report, on the odds-ratio scale."""

    median_unbiased: float
    exact_ci: tuple[float, float]
    exact_p: float
    mid_p_ci: tuple[float, float]
    mid_p: float


def exact_inference(dist: ConditionalDistribution, alpha: float = 0.05) -> ExactInference:
    """Median-unbiased estimate, exact and mid-p intervals and p-values (module docstring)."""
    at_min, at_max = dist.t == dist.t_min, dist.t == dist.t_max
    half = math.log(alpha / 2)
    roots = []
    if not at_min:
        roots.append(_solve(dist.log_upper, _LOG_HALF, True))
    if not at_max:
        roots.append(_solve(dist.log_lower, _LOG_HALF, False))
    median_unbiased = math.exp(sum(roots) / len(roots))
    exact_ci = (
        0.0 if at_min else math.exp(_solve(dist.log_upper, half, True)),
        math.inf if at_max else math.exp(_solve(dist.log_lower, half, False)),
    )
    mid_ci = (
        0.0 if at_min else math.exp(_solve(dist.log_mid_upper, half, True)),
        math.inf if at_max else math.exp(_solve(dist.log_mid_lower, half, False)),
    )
    pmf = np.exp(dist.log_pmf(0.0))
    exact_p = float(min(1.0, pmf[pmf <= pmf[dist.t - dist.t_min] * R_REL_ERR].sum()))
    mid_p = min(1.0, 2 * math.exp(min(dist.log_mid_upper(0.0), dist.log_mid_lower(0.0))))
    return ExactInference(median_unbiased, exact_ci, exact_p, mid_ci, mid_p)


@lru_cache(maxsize=64)
def _inference(ai: tuple, n1i: tuple, ci: tuple, n2i: tuple) -> ExactInference:
    """:func:`exact_inference` of these counts, cached so that the exact and the mid-p rows of
    one meta-analysis share a single convolution and root search.
    """
    arrays = (np.array(x, dtype=float) for x in (ai, n1i, ci, n2i))
    return exact_inference(conditional_distribution(*arrays))


def _missing(spec: MethodSpec, reason: Reason, k: int, used: NDArray[np.bool_], total: int):
    return replace(
        PooledEffect.missing(spec, reason, k=k, k_excluded=total - k),
        used=tuple(used.tolist()),
        corrected=(False,) * total,
        weights=(math.nan,) * total,
    )


def exact_conditional(tables: Tables, spec: MethodSpec = EXACT_SPEC) -> PooledEffect:
    """The exact (``spec.method == "exact-conditional"``) or mid-p row of one meta-analysis.

    Returns
    -------
    PooledEffect
        The median-unbiased odds ratio with the exact or mid-p interval and p-value; ``k``
        counts the informative studies (double-zero studies have a degenerate conditional
        distribution and are left out), ``se`` and ``weights`` are undefined (NaN). Not
        estimable when the counts are not whole numbers (a split comparator) or no study is
        informative.
    """
    if spec not in (EXACT_SPEC, MID_P_SPEC):
        raise ValueError(f"not an exact conditional method: {spec}")
    informative = ~tables.double_zero
    k = int(informative.sum())
    counts = np.concatenate([tables.ai, tables.n1i, tables.ci, tables.n2i])
    if np.any(np.mod(counts, 1) != 0):
        return _missing(spec, Reason.NON_INTEGER_COUNTS, 0, np.zeros(tables.k, bool), tables.k)
    if k == 0:
        return _missing(spec, Reason.NO_INFORMATIVE_STUDY, 0, informative, tables.k)
    m = informative
    res = _inference(
        *(tuple(x[m].tolist()) for x in (tables.ai, tables.n1i, tables.ci, tables.n2i))
    )
    ci, p = (res.exact_ci, res.exact_p) if spec == EXACT_SPEC else (res.mid_p_ci, res.mid_p)
    return PooledEffect(
        spec,
        Status.ESTIMATED,
        Reason.NONE,
        k,
        tables.k - k,
        estimate=res.median_unbiased,
        ci_low=ci[0],
        ci_high=ci[1],
        p_value=p,
        used=tuple(informative.tolist()),
        corrected=(False,) * tables.k,
        weights=(math.nan,) * tables.k,
    )


def exact_conditional_fits(stack: TableStack, spec: MethodSpec = EXACT_SPEC) -> PooledFits:
    """:func:`exact_conditional` of every meta-analysis of ``stack`` (one at a time)."""
    return fits_one_at_a_time(stack, spec, lambda tables: exact_conditional(tables, spec))
