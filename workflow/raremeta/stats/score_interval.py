"""Risk difference with the Miettinen-Nurminen score interval, stratified over the studies.

The estimate is the Mantel-Haenszel risk difference, ``sum w_i (p1_i - p2_i) / sum w_i`` with
``w_i = n1_i n2_i / N_i`` (simply ``p1 - p2`` for one study). Its 95% interval is the set of
differences ``delta`` that the stratified score test does not reject (Miettinen & Nurminen
1985)::

    Z(delta) = sum w_i (d_i - delta) / sqrt(sum w_i^2 V_i(delta)),
    V_i(delta) = [p1~(1 - p1~)/n1_i + p2~(1 - p2~)/n2_i] * N_i/(N_i - 1),

where ``p1~ = p2~ + delta`` is the stratum's maximum likelihood estimate restricted to the
difference ``delta``, in closed form from the Miettinen-Nurminen / Farrington-Manning cubic, and
each stratum has its own ``N/(N - 1)`` factor. Double-zero studies are included (their difference
is 0 but they carry weight and variance) and tables are never collapsed. The p-value is the score
test at ``delta = 0``, which is the Cochran-Mantel-Haenszel test without continuity correction:
there ``w_i^2 V_i(0)`` is the hypergeometric variance ``n1 n2 m1 m0 / (N^2 (N - 1))`` and
``sum w_i d_i = sum (a_i - E a_i)``.

statsmodels' ``confint_proportions_2indep(method="score", compare="diff")`` is not used: its
restricted MLE has ``x2 * delta`` where the cubic has ``n2 * delta`` (56/70 vs 48/80 gives
[0.0526, 0.3440] instead of Newcombe's [0.0528, 0.3382]) and it fails on arms without events.

One kernel fits m meta-analyses at once (arrays m x k); :func:`miettinen_nurminen` is its
one-meta-analysis façade.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from raremeta.stats import registry
from raremeta.stats.inverse_variance import half_line_root
from raremeta.stats.results import (
    Z975,
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    percent,
    reasons,
)
from raremeta.stats.two_by_two import Tables, TableStack, as_stack

Array = NDArray[np.float64]
SPEC = registry.spec("RD", "MN")


def _small_root(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> Array:
    """``p2~`` in ``[0, e]``, ``e = 1 - delta``, for ``0 <= delta <= 1``.

    On ``(0, e)`` the log-likelihood's derivative has the sign of the cubic
    ``N p^3 + L2 p^2 + L1 p + L0`` (``L0 = c delta e``) and decreases (the log-likelihood is
    concave): the maximum is where the cubic turns from positive to negative, or an end.

    A zero cell puts an exact root at an end of ``[0, e]``, where the trigonometric formula
    cannot tell it from a root next to it when ``e`` is small; the cubic is then divided by it
    and the maximum taken from the quadratic left, in closed form: with ``c = 0`` the cubic is
    ``p Q(p)``, ``Q = N p^2 + B p + K``, ``B = -(a + n1 e + n2 (1 - 2 delta))``,
    ``K = a - delta (n1 + n2 e) = e (n1 - n2 delta) - b`` (the maximum is 0 if ``K <= 0``, else
    the smaller root of Q below e, else e); with ``b = 0`` it is ``(e - p) R(p)``,
    ``R = -N p^2 + B' p + c delta``, ``B' = n1 + c - n2 delta`` (the maximum is the larger root
    of R, or e). Otherwise :func:`_trig_root`.
    """
    arrays = np.broadcast_arrays(delta, a, n1, c, n2)
    shape = arrays[0].shape
    delta, a, n1, c, n2 = (x.ravel() for x in arrays)
    out = np.empty(delta.shape)
    e = 1 - delta
    zero_b, zero_c = a == n1, c == 0
    i = np.flatnonzero(~(zero_b | zero_c))
    out[i] = _trig_root(delta[i], e[i], a[i], n1[i], c[i], n2[i])
    with np.errstate(divide="ignore", invalid="ignore"):
        # c = 0: p Q(p); the smaller root of Q where both are positive (K > 0, B < 0)
        i = np.flatnonzero(zero_c & ~zero_b)
        d, ei, ai, m1, m2 = delta[i], e[i], a[i], n1[i], n2[i]
        B = -(ai + m1 * ei + m2 * (1 - 2 * d))
        K = np.where(d > 0.5, ei * (m1 - m2 * d) - (m1 - ai), ai - d * (m1 + m2 * ei))
        disc = B * B - 4 * (m1 + m2) * K
        positive = (K > 0) & (B < 0) & (disc >= 0)
        smaller = 2 * K / (np.sqrt(np.maximum(disc, 0.0)) - B)
        out[i] = np.where(K <= 0, 0.0, np.where(positive, np.minimum(smaller, ei), ei))
        # b = 0: (e - p) R(p); the larger root of R, computed without cancellation
        i = np.flatnonzero(zero_b)
        d, ei, ci, m1, m2 = delta[i], e[i], c[i], n1[i], n2[i]
        B = np.where(d > 0.5, (m1 + ci - m2) + m2 * ei, m1 + ci - m2 * d)
        root = np.sqrt(B * B + 4 * (m1 + m2) * ci * d)
        larger = np.where(B >= 0, (B + root) / (2 * (m1 + m2)), 2 * ci * d / (root - B))
        out[i] = np.clip(np.nan_to_num(larger), 0.0, ei)
    return out.reshape(shape)


def _trig_root(delta: Array, e: Array, a: Array, n1: Array, c: Array, n2: Array) -> Array:
    """The maximum of :func:`_small_root` by the trigonometric formula (flat arrays).

    The coefficients are written in ``delta`` for ``delta <= 1/2`` and in ``e`` above, as
    ``L2 = d - a - (n1 + 2 n2) e`` and ``L1 = n2 e^2 + (n1 - n2 + 2 c) e - b - c`` (b, d the
    non-events): the same polynomial, but the first form loses the digits of ``L1`` to
    cancellation as ``delta`` nears 1 and the roots crowd into ``[0, e]``.
    """
    N, C = n1 + n2, a + c
    L2 = (n1 + 2 * n2) * delta - N - C
    L1 = (n2 * delta - N - 2 * c) * delta + C
    far = np.flatnonzero(delta > 0.5)
    if far.size:
        ef, af, cf, m1, m2 = e[far], a[far], c[far], n1[far], n2[far]
        L2[far] = (m2 - cf) - af - (m1 + 2 * m2) * ef
        L1[far] = (m2 * ef + m1 - m2 + 2 * cf) * ef - (m1 - af) - cf
    L0 = c * delta * e
    shift = L2 / (3 * N)
    v = shift * shift * shift - L1 * L2 / (6 * N * N) + L0 / (2 * N)  # no slow pow(x, 3)
    u = np.copysign(np.sqrt(np.maximum(shift * shift - L1 / (3 * N), 0.0)), v)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u != 0, v / (u * u * u), 0.0)
    w = (np.pi + np.arccos(np.clip(ratio, -1.0, 1.0))) / 3
    p = 2 * u * np.cos(w) - shift

    def cubic(q):
        return ((N * q + L2) * q + L1) * q + L0

    # one Newton step, kept where it lowers the residual (arccos loses digits by a double root)
    residual = cubic(p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        step = p - residual / ((3 * N * p + 2 * L2) * p + L1)
        better = np.isfinite(step) & (np.abs(cubic(step)) < np.abs(residual))
    return np.clip(np.where(better, step, p), 0.0, e)


def _minority(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> tuple[Array, ...]:
    """``(delta, a, c, flipped)`` with events and non-events exchanged where events are the
    majority (``delta`` to ``-delta``): the likelihood and ``V`` are unchanged, and the
    proportions sought are then small, so that ``1 - p`` keeps its digits.
    """
    flip = 2 * (a + c) > n1 + n2
    return np.where(flip, -delta, delta), np.where(flip, n1 - a, a), np.where(flip, n2 - c, c), flip


def _turned(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> tuple[Array, ...]:
    """``(small, big, 1 - small, 1 - big, n_small, n_big, swapped)`` for events the minority.

    The arms are exchanged where ``delta < 0`` (``delta`` to ``-delta``, the likelihood
    unchanged), so that the root sought is the proportion ``small`` of one arm in
    ``[0, 1 - |delta|]`` (:func:`_small_root`) and the other three follow without cancellation:
    ``big = small + |delta|``, ``1 - big = (1 - |delta|) - small`` and ``1 - small``.
    """
    swap = delta < 0
    big_x, small_x = np.where(swap, c, a), np.where(swap, a, c)
    big_n, small_n = np.where(swap, n2, n1), np.where(swap, n1, n2)
    dl = np.abs(delta)
    small = _small_root(dl, big_x, big_n, small_x, small_n)
    return small, small + dl, 1 - small, (1 - dl) - small, small_n, big_n, swap


def _variance(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> Array:
    """:func:`score_variance` of strata whose events are the minority (see :func:`_minority`)."""
    small, big, small_c, big_c, small_n, big_n, _ = _turned(delta, a, n1, c, n2)
    N = n1 + n2
    return (big * big_c / big_n + small * small_c / small_n) * (N / (N - 1))


def restricted_mle(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> tuple[Array, Array]:
    """Maximum likelihood ``(p1~, p2~)`` of two binomials restricted to ``p1~ - p2~ = delta``.

    ``p2~`` is the admissible root of ``L3 p^3 + L2 p^2 + L1 p + L0 = 0`` with ``L3 = N``,
    ``L2 = (n1 + 2 n2) delta - N - C``, ``L1 = (n2 delta - N - 2 c) delta + C`` and
    ``L0 = c delta (1 - delta)`` (``C = a + c``, ``N = n1 + n2``), by the trigonometric
    formula of Miettinen & Nurminen (1985, appendix): ``p2~ = 2 u cos(w) - L2 / (3 L3)`` with
    ``v = (L2 / 3 L3)^3 - L1 L2 / (6 L3^2) + L0 / (2 L3)``, ``u = sign(v) sqrt((L2 / 3 L3)^2 -
    L1 / (3 L3))`` and ``w = (pi + arccos(v / u^3)) / 3``.

    Edge cases. The problem is first turned by the symmetries of the likelihood (exchanging
    the arms, or events and non-events, turns ``delta`` into ``-delta``) so that the root sought
    is the smallest proportion, in ``[0, 1 - |delta|]``, whatever the sign of ``delta``
    (:func:`_turned`, :func:`_minority`); the other proportion and both complements then follow
    without cancellation. Near ``delta = +/-1`` the roots crowd into that interval: the
    coefficients are written in ``1 - |delta|`` there (:func:`_trig_root`). A zero cell puts an
    exact root at an end of the interval, which the trigonometric formula cannot resolve from
    one next to it: the cubic is divided by it and the maximum read off the quadratic left, in
    closed form (:func:`_small_root`); so a stratum without events has ``p2~ = max(0, -delta)``
    and one with events in every patient ``p2~ = min(1, 1 - delta)``, exactly. Otherwise the
    arccos argument is clipped to [-1, 1] (rounding), ``v / u^3`` is 0 when ``u = 0`` (a triple
    root, ``-L2 / 3 L3`` whatever the sign), one Newton step polishes the root where it lowers
    the cubic's residual, and the root is clipped into the admissible range
    ``max(0, -delta) <= p2~ <= min(1, 1 - delta)``. Every proportion and its complement keep
    nearly full relative precision (checked against a 60-digit bisection in the tests). Arrays
    broadcast; counts may be non-integer.

    References
    ----------
    Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-26.
    Farrington CP, Manning G. Test statistics and sample size formulae for comparative binomial
    trials with null hypothesis of non-zero risk difference or non-unity relative risk. Stat Med
    1990;9:1447-54.
    """
    dl, x1, x2, flip = _minority(delta, a, n1, c, n2)
    small, big, small_c, big_c, _, _, swap = _turned(dl, x1, n1, x2, n2)
    p1, q1 = np.where(swap, small, big), np.where(swap, small_c, big_c)
    p2, q2 = np.where(swap, big, small), np.where(swap, big_c, small_c)
    return np.where(flip, q1, p1), np.where(flip, q2, p2)


def score_variance(delta: Array, a: Array, n1: Array, c: Array, n2: Array) -> Array:
    """The stratum's variance of ``p1 - p2`` at the restricted MLE, ``V(delta) =
    [p1~ (1 - p1~) / n1 + p2~ (1 - p2~) / n2] N / (N - 1)`` (Miettinen & Nurminen 1985).
    """
    dl, x1, x2, _ = _minority(delta, a, n1, c, n2)
    return _variance(dl, x1, n1, x2, n2)


class _Strata:
    """The studies of m meta-analyses as the score statistic needs them (absent: weight 0)."""

    def __init__(self, stack: TableStack):
        present = stack.present
        # an absent study becomes 0/1 vs 0/1 with weight 0: finite terms that add nothing
        self.a = np.where(present, stack.ai, 0.0)
        self.n1 = np.where(present, stack.n1i, 1.0)
        self.c = np.where(present, stack.ci, 0.0)
        self.n2 = np.where(present, stack.n2i, 1.0)
        N = self.n1 + self.n2
        self.w = np.where(present, self.n1 * self.n2 / N, 0.0)
        self.d = self.a / self.n1 - self.c / self.n2
        self.sum_w = self.w.sum(axis=1)
        # the strata with events the majority, turned once for all deltas (see _minority)
        flip = 2 * (self.a + self.c) > N
        self.sign = np.where(flip, -1.0, 1.0)
        self.x1, self.x2 = (
            np.where(flip, self.n1 - self.a, self.a),
            np.where(flip, self.n2 - self.c, self.c),
        )

    def estimate(self) -> Array:
        """The Mantel-Haenszel risk difference (NaN without a study)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.einsum("ij,ij->i", self.w, self.d) / self.sum_w

    def z(self, delta: Array, rows: NDArray[np.intp]) -> Array:
        """The score statistic ``Z(delta)`` of the meta-analyses ``rows`` (0 where it is 0/0)."""
        dl = delta[:, None]
        n1, n2, w = self.n1[rows], self.n2[rows], self.w[rows]
        var = _variance(self.sign[rows] * dl, self.x1[rows], n1, self.x2[rows], n2)
        num = np.einsum("ij,ij->i", w, self.d[rows] - dl)
        den = np.einsum("ij,ij->i", w * w, var)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                den > 0, num / np.sqrt(den), np.where(num == 0, 0.0, np.sign(num) * np.inf)
            )

    def z0(self) -> Array:
        """``Z(0)`` in closed form, the signed root of the CMH statistic (NaN where 0/0)."""
        N = self.n1 + self.n2
        events = self.a + self.c
        oe = np.where(self.w > 0, self.a - self.n1 * events / N, 0.0)
        var = np.where(
            self.w > 0, self.n1 * self.n2 * events * (N - events) / (N**2 * (N - 1)), 0.0
        )
        den = var.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, oe.sum(axis=1) / np.sqrt(den), np.nan)


def score_bounds(strata: _Strata, estimate: Array, crit: float = Z975) -> tuple[Array, Array]:
    """The roots of ``Z(delta) = +crit`` below ``estimate`` and ``Z(delta) = -crit`` above it.

    Both bounds of all m meta-analyses are found in one call of the Illinois root finder of
    :mod:`~raremeta.stats.inverse_variance` (its bracket is 1e-15 wide, relative, in ``t``; in
    ``delta`` far below 1e-12), on the half-line ``t >= 0`` mapped onto ``[estimate, -1]`` and
    ``[estimate, 1]`` by ``delta = estimate -/+ (1 +/- estimate) (1 - exp(-t))``. There
    ``crit -/+ Z(delta(t))`` is positive at ``t = 0`` and falls as ``t`` grows: ``Z`` tends to
    ``+/-inf`` as ``delta`` tends to -1 or 1, where every restricted variance vanishes (``t``
    past 37 is ``delta = +/-1`` in floating point, where ``Z`` is infinite, so the finder always
    has a bracket). A bound is -1 or 1 when the estimate is, NaN without an estimate.
    """
    m = len(estimate)
    est = np.concatenate([estimate, estimate])
    toward = np.concatenate([-np.ones(m), np.ones(m)])  # lower bound: toward -1; upper: toward 1
    span = np.where(np.isfinite(est), 1 - toward * est, 0.0)
    active = span > 0

    def delta_at(t: Array, rows: NDArray[np.intp]) -> Array:
        frac = -np.expm1(-t)
        return est[rows] + toward[rows] * span[rows] * frac

    def f(t: Array, rows: NDArray[np.intp]) -> Array:
        return crit + toward[rows] * strata.z(delta_at(t, rows), rows % m)

    t = half_line_root(f, active)
    everything = np.arange(2 * m)
    bounds = np.where(active, delta_at(t, everything), est)
    return bounds[:m], bounds[m:]


def miettinen_nurminen_fits(stack: TableStack, spec: MethodSpec = SPEC) -> PooledFits:
    """The Miettinen-Nurminen risk difference of every meta-analysis of ``stack``.

    See :func:`miettinen_nurminen`. Absent studies contribute nothing.
    """
    present = stack.present
    k = present.sum(axis=1)
    strata = _Strata(stack)
    why = reasons(stack.m)
    estimate = np.where(k > 0, strata.estimate(), np.nan)
    low, high = score_bounds(strata, estimate)
    z0 = strata.z0()
    why[(k > 0) & ~np.isfinite(z0)] = Reason.NO_P_VALUE
    why[k == 0] = Reason.NO_COMPARABLE_STUDY
    numbers = {
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "p_value": 2 * special.ndtr(-np.abs(z0)),
    }
    return PooledFits.make(
        SPEC,
        why,
        k,
        np.zeros(stack.m, dtype=np.int64),
        numbers,
        present.copy(),
        np.zeros(present.shape, dtype=bool),
        percent(strata.w, present),
    )


def miettinen_nurminen(tables: Tables) -> PooledEffect:
    """Mantel-Haenszel risk difference with the stratified Miettinen-Nurminen score interval.

    Parameters
    ----------
    tables : Tables
        The studies (CNI arm first); counts may be non-integer (a split comparator).

    Returns
    -------
    PooledEffect
        ``estimate`` the MH risk difference (``p1 - p2`` for one study), ``ci_low``/``ci_high``
        the 95% score interval (clipped to [-1, 1] when the estimate is at -1 or 1), ``p_value``
        the score test of ``delta = 0`` (= CMH without continuity correction). No Wald standard
        error (``se`` NaN) and no heterogeneity statistics. Every study is used, double-zero ones
        included; ``weights`` are the MH weights ``n1 n2 / N`` in percent. With no events in any
        study (or events in every patient) ``Z(0)`` is 0/0: the estimate (0) and its interval
        are reported, ``p_value`` is NaN and the reason ``no_p_value``.

    References
    ----------
    Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-26.
    Farrington CP, Manning G. Test statistics and sample size formulae for comparative binomial
    trials with null hypothesis of non-zero risk difference or non-unity relative risk. Stat Med
    1990;9:1447-54. Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-90 (method 6).
    """
    if tables.k == 0:
        return PooledEffect.missing(SPEC, Reason.NO_COMPARABLE_STUDY)
    return miettinen_nurminen_fits(as_stack(tables)).row(0)


__all__ = [
    "SPEC",
    "miettinen_nurminen",
    "miettinen_nurminen_fits",
    "restricted_mle",
    "score_variance",
]
