"""Bayesian random-effects meta-analysis of odds ratios: the binomial-normal hierarchical model
of Smith, Spiegelhalter & Thomas (1995) with the weakly informative priors of Günhan, Röver &
Friede (2020), computed by deterministic numerical integration (no Monte Carlo).

Model, for study i with r_c of n_c events in the comparator arm and r_t of n_t in the CNI arm::

    logit p_c,i = mu_i - (theta + tau u_i) / 2,   logit p_t,i = mu_i + (theta + tau u_i) / 2,
    r_c,i ~ Bin(n_c,i, p_c,i),  r_t,i ~ Bin(n_t,i, p_t,i),  u_i ~ N(0, 1),

with priors mu_i ~ N(m_mu, s_mu²), theta ~ N(m_theta, s_theta²) and tau half-normal or
half-Cauchy (:mod:`raremeta.stats.priors`). No continuity correction; double-zero studies enter
with their binomial likelihood. The odds ratio is exp(theta).

Computation. With d_i = theta + tau u_i each study contributes

    L_i(theta, tau) = integral of g_i(d) N(d; theta, tau²) dd,
    g_i(d) = integral of Bin(r_c | n_c, expit(mu - d/2)) Bin(r_t | n_t, expit(mu + d/2))
             N(mu; m_mu, s_mu²) dmu.

1. **g_i(d), the baseline integrated out.** The log integrand in mu is strictly concave (binomial
   log-likelihoods in the logit plus a normal log density), so it has one mode, found by a
   safeguarded Newton iteration, and its level sets at 1, 4, 12, 24 and 40 below the mode on each
   side bracket the mass (strong concavity with modulus 1/s_mu² bounds where they lie). Gauss-
   Legendre rules on the ten pieces between them integrate the narrow peak of an arm with events
   and the long, prior-driven tail of an arm without events alike; a zero-event arm's integrand
   is far from Gaussian, which is where a low-order Gauss-Hermite rule centred at the mode fails.
   The error check compares the rule with one of twice the order.
2. **log g_i(d) on a grid.** g_i is log-concave in d (Prékopa's theorem: the integrand is jointly
   log-concave in (mu, d)); log g_i is tabulated on a uniform grid over where it lies within 50 of
   its maximum and interpolated by a cubic spline. The grid is halved until the spline agrees
   with direct values at the midpoints (the error check).
3. **L_i(theta, tau).** tau = 0: g_i(theta). tau below a quarter of the narrowest g_i's width: a
   20-node Gauss-Hermite rule in u (the integrand is smooth on the scale of the nodes). Otherwise
   the trapezoidal rule in d on a grid finer than both tau and g_i's width, whose error for a
   smooth integrand falls like exp(-2 pi² (width / step)²).
4. **The posterior of (theta, tau)** on a grid uniform in theta and in v, tau = a sinh(v) (a the
   tau prior's scale: uniform near 0, logarithmic in the tail, so a half-Cauchy's long tail is
   covered), with Simpson's rule in both directions. A first pass over the priors' ranges
   (theta within 8 prior standard deviations; tau up to the prior's 1 - 1e-9 quantile) finds
   where the posterior lies; later passes zoom into where the marginal densities exceed 1e-13 of
   their maxima. The grid is refined until the reported quantities computed on it and on its
   every-second node (Simpson's error falls as h⁴) agree within the tolerance; the largest of
   those differences is reported as the fit's error estimate.
5. **Summaries** from cubic splines of the marginal densities, integrated exactly: the posterior
   median of the odds ratio and its equal-tailed 95% credible interval (not MetaStan's default
   shortest interval), P(OR > t) for each threshold t, and the posterior median of tau.

References
----------
Smith TC, Spiegelhalter DJ, Thomas A. Bayesian approaches to random-effects meta-analysis: a
comparative study. Stat Med 1995;14:2685-99.
Günhan BK, Röver C, Friede T. Random-effects meta-analysis of few studies involving rare
events. Res Synth Methods 2020;11:74-90.
Prékopa A. On logarithmic concave measures and functions. Acta Sci Math 1973;34:335-43.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import interpolate, special

from raremeta.stats.priors import BayesOptions, BinomialNormalPrior, TauFamily
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    fits_one_at_a_time,
    status_of,
)
from raremeta.stats.two_by_two import Tables, TableStack

#: Levels below the mode (in the log integrand over mu) that split the integration range.
_LEVELS = (1.0, 4.0, 12.0, 24.0, 40.0)
#: Gauss-Legendre order per piece (and twice it for the error check).
_ORDER = 12
#: log g below its maximum by more than this counts as outside its support.
_SUPPORT_DROP = 50.0
#: The spline of log g must match direct values within this (absolute, in log g) at the
#: midpoints of its grid, where log g is within _SPLINE_REGION of its maximum.
_SPLINE_TOL = 1e-6
_SPLINE_REGION = 30.0
#: Gauss-Hermite order for small tau.
_GH_ORDER = 20
#: Marginal densities below this fraction of their maximum lie outside the zoomed grid.
_ZOOM = 1e-13
#: Tolerance of the grid-resolution check (log OR quantiles, probabilities, relative tau).
TOLERANCE = 1e-5


@dataclass(frozen=True)
class Posterior:
    """Posterior summaries of the binomial-normal model.

    Attributes
    ----------
    theta_median, theta_low, theta_high : float
        Posterior median and equal-tailed 95% credible limits of theta (the log odds ratio).
    tau_median : float
        Posterior median of tau.
    probabilities : tuple of (float, float)
        (t, P(OR > t)) for each threshold t.
    error : float
        The largest difference between the reported quantities and the same quantities on the
        grid's every-second node (an upper bound on the grid error; Simpson's error falls as
        h⁴, so the reported values are about 16 times closer).
    quadrature_error : float
        The largest relative difference of g_i between the Gauss-Legendre rule and one of twice
        its order, at the nodes of the spline grid's midpoints check.
    spline_error : float
        The largest absolute difference of log g_i between its spline and direct values at the
        midpoints of its grid (within 30 of its maximum).
    edge_density : float
        The largest marginal density at an outer edge of the final grid (theta both sides, tau
        the upper end), relative to its maximum: the truncation of the grid.
    nodes : tuple of (int, int)
        The theta and tau nodes of the final grid.
    """

    theta_median: float
    theta_low: float
    theta_high: float
    tau_median: float
    probabilities: tuple[tuple[float, float], ...]
    error: float
    quadrature_error: float
    spline_error: float
    edge_density: float
    nodes: tuple[int, int] = field(default=(0, 0))

    def probability(self, threshold: float) -> float:
        """P(OR > threshold)."""
        return dict(self.probabilities)[threshold]


# ---- step 1: the baseline mu integrated out --------------------------------------------------


class _Studies:
    """Unique studies' counts as column vectors (U x 1) and the prior of mu."""

    def __init__(self, rt, nt, rc, nc, m0: float, s: float) -> None:
        self.rt, self.nt, self.rc, self.nc = (
            np.asarray(x, float)[:, None] for x in (rt, nt, rc, nc)
        )
        self.m0, self.s = m0, s

    def terms(self, mu, d):
        """The log integrand in mu (up to a constant), its first and second derivatives."""
        et, ec = mu + d / 2, mu - d / 2
        z = (mu - self.m0) / self.s
        f = (
            -self.rt * np.logaddexp(0, -et)
            - (self.nt - self.rt) * np.logaddexp(0, et)
            - self.rc * np.logaddexp(0, -ec)
            - (self.nc - self.rc) * np.logaddexp(0, ec)
            - 0.5 * z * z
        )
        pt, pc = special.expit(et), special.expit(ec)
        f1 = self.rt - self.nt * pt + self.rc - self.nc * pc - z / self.s
        f2 = -self.nt * pt * (1 - pt) - self.nc * pc * (1 - pc) - 1 / self.s**2
        return f, f1, f2

    def value(self, mu, d):
        """The log integrand at quadrature nodes: ``mu`` pieces x U x N x nodes."""
        rt, nt, rc, nc = (x[..., None] for x in (self.rt, self.nt, self.rc, self.nc))
        et, ec = mu + d / 2, mu - d / 2
        z = (mu - self.m0) / self.s
        return (
            -rt * np.logaddexp(0, -et)
            - (nt - rt) * np.logaddexp(0, et)
            - rc * np.logaddexp(0, -ec)
            - (nc - rc) * np.logaddexp(0, ec)
            - 0.5 * z * z
        )


def _solve_decreasing(fun, lo, hi, x0, tol: float = 1e-10, iterations: int = 200):
    """Root of a decreasing function on [lo, hi] (fun(lo) >= 0 >= fun(hi)) by Newton steps
    kept inside the shrinking bracket (bisection where a step would leave it), to ``tol``
    (relative). The roots only place the quadrature's pieces, so they need no more.
    """
    x = np.clip(x0, lo, hi)
    for _ in range(iterations):
        v, dv = fun(x)
        lo = np.where(v > 0, x, lo)
        hi = np.where(v > 0, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = x - v / dv
        outside = ~np.isfinite(new) | (new <= lo) | (new >= hi)
        new = np.where(outside, (lo + hi) / 2, new)
        done = np.abs(new - x) <= tol * (1 + np.abs(x))
        x = new
        if done.all():
            break
    return x


def _log_g(studies: _Studies, d: NDArray, order: int = _ORDER) -> NDArray:
    """log g_i(d) (up to a constant per study) for studies (U) x d (U x N or N)."""
    d = np.broadcast_to(d, np.broadcast_shapes(studies.rt.shape, np.shape(d)))
    s = studies.s
    n = studies.nt + studies.nc
    r = studies.rt + studies.rc
    bound = s * s * n + 1.0
    start = np.broadcast_to(np.log((r + 0.5) / (n - r + 0.5)), d.shape)

    def slope(mu):
        _, f1, f2 = studies.terms(mu, d)
        return f1, f2

    mode = _solve_decreasing(slope, studies.m0 - bound, studies.m0 + bound, start, tol=1e-7)
    fm, _, f2m = studies.terms(mode, d)
    width = 1 / np.sqrt(-f2m)
    points = [mode]
    for side in (1.0, -1.0):
        for level in _LEVELS:
            reach = s * math.sqrt(2 * level)

            def drop(t, side=side, level=level):
                f, f1, _ = studies.terms(mode + side * t, d)
                return f - fm + level, side * f1

            t = _solve_decreasing(
                drop,
                np.zeros_like(mode),
                np.full_like(mode, reach),
                width * math.sqrt(2 * level),
                tol=1e-4,
            )
            points.append(mode + side * t)
    edges = np.sort(np.stack(points), axis=0)  # 11 x U x N
    x, w = np.polynomial.legendre.leggauss(order)
    a, b = edges[:-1], edges[1:]
    half = (b - a) / 2
    mid = (a + b) / 2
    nodes = mid[..., None] + half[..., None] * x  # 10 x U x N x order
    f = studies.value(nodes, d[None, ..., None])
    total = np.sum(half[..., None] * w * np.exp(f - fm[None, ..., None]), axis=(0, -1))
    return fm + np.log(total)


# ---- steps 2 and 3: log g on a grid, L(theta, tau) ----------------------------------------


@dataclass(frozen=True)
class _Surface:
    """log g of each study tabulated on its own uniform grid over its support (the same number
    of nodes for every study, at positions s in [0, 1] of its range), with their splines.
    """

    lo: NDArray  # U
    hi: NDArray  # U
    log_g: NDArray  # N x U
    peak: NDArray  # U: max log g
    width: float  # narrowest g width (1 / sqrt(-(log g)'') at the maximum)
    spline_error: float
    quadrature_error: float
    spline: interpolate.CubicSpline = field(repr=False)

    def __call__(self, x: NDArray) -> NDArray:
        """g / max g of every study at x (any shape): shape x.shape + (U,); 0 outside each
        study's range (where g is below e^-50 of its maximum).
        """
        flat = np.ravel(x)[:, None]
        s = (flat - self.lo) / (self.hi - self.lo)  # P x U
        inside = (s >= 0) & (s <= 1)
        n = self.log_g.shape[0]
        index = np.clip(np.floor(s * (n - 1)).astype(np.int64), 0, n - 2)
        t = s - index / (n - 1)
        columns = np.arange(self.log_g.shape[1])
        c = self.spline.c
        value = c[0][index, columns]
        for j in (1, 2, 3):
            value = value * t + c[j][index, columns]
        out = np.where(inside, np.exp(np.minimum(value - self.peak, 0.0)), 0.0)
        return out.reshape(*np.shape(x), self.log_g.shape[1])


def _support(studies: _Studies) -> tuple[NDArray, NDArray]:
    """Each study's d range outside which its log g is more than _SUPPORT_DROP below its
    maximum, from log g at geometric steps out from its corrected log odds ratio
    (log-concavity makes the first step below the drop a bound).
    """
    centre = np.log(
        (studies.rt + 0.5)
        * (studies.nc - studies.rc + 0.5)
        / ((studies.nt - studies.rt + 0.5) * (studies.rc + 0.5))
    )  # U x 1
    steps = np.concatenate([-(2.0 ** np.arange(10, -2, -1)), [0.0], 2.0 ** np.arange(-1, 11)])
    d = centre + steps  # U x S
    values = _log_g(studies, d)
    keep = values >= values.max(axis=1, keepdims=True) - _SUPPORT_DROP
    index = np.arange(steps.size)
    first = np.where(keep, index, steps.size).min(axis=1)
    last = np.where(keep, index, -1).max(axis=1)
    rows = np.arange(len(d))
    lo = d[rows, np.maximum(first - 1, 0)]
    hi = d[rows, np.minimum(last + 1, steps.size - 1)]
    return lo, hi


def _surface(studies: _Studies, lo: NDArray, hi: NDArray, tol: float = _SPLINE_TOL) -> _Surface:
    """log g tabulated on [lo_i, hi_i] per study, the grids halved until their splines pass
    the check (``tol``: a loose one for the passes that only find where the posterior lies).
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    span = (hi - lo)[:, None]
    n = 33
    s = np.linspace(0.0, 1.0, n)
    values = _log_g(studies, lo[:, None] + s * span).T  # N x U
    while True:
        spline = interpolate.CubicSpline(s, values, axis=0)
        mid = (s[:-1] + s[1:]) / 2
        direct = _log_g(studies, lo[:, None] + mid * span).T
        region = direct >= values.max(axis=0) - _SPLINE_REGION
        error = float(np.max(np.abs(spline(mid) - direct), where=region, initial=0.0))
        merged = np.empty((2 * n - 1, values.shape[1]))
        merged[0::2], merged[1::2] = values, direct
        values, n = merged, 2 * n - 1
        s = np.linspace(0.0, 1.0, n)
        if error <= tol or n > 2**14:
            break
    peak = values.max(axis=0)
    # the quadrature check: twice the Gauss-Legendre order at a subset of the grid
    sample = lo[:, None] + s[:: max(1, n // 32)] * span
    coarse = _log_g(studies, sample)
    fine = _log_g(studies, sample, order=2 * _ORDER)
    relevant = fine >= peak[:, None] - _SPLINE_REGION
    quad_error = float(np.max(np.abs(np.expm1(coarse - fine)), where=relevant, initial=0.0))
    # narrowest width from the curvature at each study's maximum
    h = (hi - lo) / (n - 1)
    j = np.clip(np.argmax(values, axis=0), 1, n - 2)
    cols = np.arange(values.shape[1])
    curvature = (values[j - 1, cols] - 2 * values[j, cols] + values[j + 1, cols]) / h**2
    widths = np.maximum(1 / np.sqrt(np.maximum(-curvature, 1e-12)), 4 * h)
    spline = interpolate.CubicSpline(s, values, axis=0)
    return _Surface(lo, hi, values, peak, float(widths.min()), error, quad_error, spline)


def _likelihood(surface: _Surface, theta: NDArray, tau: NDArray) -> NDArray:
    """Sum over studies of log L_i(theta, tau) (relative to each study's max g): Ntheta x Ntau."""
    out = np.empty((theta.size, tau.size))
    x, w = np.polynomial.hermite_e.hermegauss(_GH_ORDER)
    w = w / w.sum()
    with np.errstate(divide="ignore"):
        for j, t in enumerate(tau):
            if t == 0:
                lik = surface(theta)
            elif t <= surface.width / 4:
                lik = np.einsum("tqu,q->tu", surface(theta[:, None] + t * x), w)
            else:
                step = min(surface.width, t) / 2.5
                lo = max(theta[0] - 8 * t, surface.lo.min())
                hi = min(theta[-1] + 8 * t, surface.hi.max())
                if hi <= lo:
                    out[:, j] = -np.inf
                    continue
                m = int(math.ceil((hi - lo) / step)) + 1
                d = np.linspace(lo, hi, m)
                h = d[1] - d[0] if m > 1 else 0.0
                kernel = np.exp(-0.5 * ((d[:, None] - theta[None, :]) / t) ** 2)
                kernel *= h / (t * math.sqrt(2 * math.pi))
                kernel[[0, -1]] /= 2
                lik = kernel.T @ surface(d)
            out[:, j] = np.log(np.maximum(lik, 0)).sum(axis=1)
    return out


# ---- steps 4 and 5: the posterior grid and its summaries ----------------------------------


def _simpson(n: int, h: float) -> NDArray:
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return w * h / 3


def _log_prior_tau(tau: NDArray, prior: BinomialNormalPrior) -> NDArray:
    s = prior.tau.scale
    if prior.tau.family == TauFamily.HALF_CAUCHY:
        return np.log(2 / (math.pi * s)) - np.log1p((tau / s) ** 2)
    return np.log(2 / (s * math.sqrt(2 * math.pi))) - 0.5 * (tau / s) ** 2


def _cdf(x: NDArray, density: NDArray):
    """The normalised CDF of a cubic spline through ``density`` on ``x``."""
    antiderivative = interpolate.CubicSpline(x, density).antiderivative()
    total = float(antiderivative(x[-1]))
    return antiderivative, total


def _quantile(cdf, total: float, x: NDArray, p: float) -> float:
    roots = cdf.solve(p * total, extrapolate=False)
    roots = roots[(roots >= x[0]) & (roots <= x[-1])]
    return float(roots[0]) if roots.size else float(x[0] if p < 0.5 else x[-1])


def _summaries(post: NDArray, theta: NDArray, v: NDArray, a: float, thresholds) -> NDArray:
    """theta quantiles (2.5, 50, 97.5%), tau median and P(theta > log t), from the posterior
    density on the grid (Simpson's rule for the marginals).
    """
    w_theta = _simpson(theta.size, theta[1] - theta[0])
    w_v = _simpson(v.size, v[1] - v[0])
    f_theta = post @ w_v
    f_v = w_theta @ post
    cdf, total = _cdf(theta, f_theta)
    q = [_quantile(cdf, total, theta, p) for p in (0.025, 0.5, 0.975)]
    cdf_v, total_v = _cdf(v, f_v)
    tau = a * math.sinh(_quantile(cdf_v, total_v, v, 0.5))
    probs = []
    for t in thresholds:
        x = math.log(t)
        below = 0.0 if x <= theta[0] else (total if x >= theta[-1] else float(cdf(x)))
        probs.append(1 - below / total)
    return np.array([*q, tau, *probs])


def _grid_posterior(surface, prior, theta, v, a):
    tau = a * np.sinh(v)
    log_post = _likelihood(surface, theta, tau)
    log_post += (-0.5 * ((theta - prior.theta.mean) / prior.theta.sd) ** 2)[:, None]
    log_post += (_log_prior_tau(tau, prior) + np.log(a * np.cosh(v)))[None, :]
    return np.exp(log_post - np.max(log_post))


def _zoom(x: NDArray, density: NDArray, keep_start: bool) -> tuple[float, float]:
    above = np.flatnonzero(density >= _ZOOM * density.max())
    first = 0 if keep_start else max(above[0] - 1, 0)
    last = min(above[-1] + 1, x.size - 1)
    return float(x[first]), float(x[last])


def posterior(
    rt, nt, rc, nc, options: BayesOptions = BayesOptions(), tolerance: float = TOLERANCE
) -> Posterior:
    """The posterior of the binomial-normal model for one meta-analysis (module docstring).

    Parameters
    ----------
    rt, nt, rc, nc : array_like
        Events and patients of the CNI (treatment) and comparator arms, one entry per study.
    options : BayesOptions
        The priors and the odds-ratio thresholds of the posterior probabilities.
    tolerance : float
        The grid is refined until the reported quantities agree within this with their values
        on the grid's every-second node (log odds ratio quantiles and probabilities absolute,
        the median of tau relative).
    """
    prior = options.prior
    counts = np.unique(np.column_stack([rt, nt, rc, nc]).astype(float), axis=0)
    studies = _Studies(*counts.T, prior.mu.mean, prior.mu.sd)
    a = prior.tau.scale
    theta_lo = prior.theta.mean - 8 * prior.theta.sd
    theta_hi = prior.theta.mean + 8 * prior.theta.sd
    v_hi = math.asinh(prior.tau.quantile(1 - 1e-9) / a)
    support = _support(studies)

    def surface_for(tol: float) -> _Surface:
        reach = 8 * a * math.sinh(v_hi)
        lo = np.maximum(support[0], theta_lo - reach)
        hi = np.minimum(support[1], theta_hi + reach)
        return _surface(studies, lo, np.maximum(hi, lo + 1e-6), tol)

    n_theta, n_v = 161, 81
    for _ in range(3):  # zoom into where the posterior lies
        surface = surface_for(1e-2)
        theta = np.linspace(theta_lo, theta_hi, n_theta)
        v = np.linspace(0.0, v_hi, n_v)
        post = _grid_posterior(surface, prior, theta, v, a)
        new_theta = _zoom(theta, post @ _simpson(n_v, v[1] - v[0]), keep_start=False)
        new_v = _zoom(v, _simpson(n_theta, theta[1] - theta[0]) @ post, keep_start=True)
        shrink = (new_theta[1] - new_theta[0]) / (theta_hi - theta_lo)
        (theta_lo, theta_hi), v_hi = new_theta, new_v[1]
        if shrink > 0.5:
            break
    surface = surface_for(_SPLINE_TOL)
    while True:  # refine until the every-second-node check passes
        theta = np.linspace(theta_lo, theta_hi, n_theta)
        v = np.linspace(0.0, v_hi, n_v)
        post = _grid_posterior(surface, prior, theta, v, a)
        fine = _summaries(post, theta, v, a, options.thresholds)
        coarse = _summaries(post[::2, ::2], theta[::2], v[::2], a, options.thresholds)
        diff = np.abs(fine - coarse)
        diff[3] /= max(fine[3], 1e-12)
        error = float(diff.max())
        if error <= tolerance or n_theta > 2000:
            break
        n_theta, n_v = 2 * n_theta - 1, 2 * n_v - 1
    f_theta = post @ _simpson(n_v, v[1] - v[0])
    f_v = _simpson(n_theta, theta[1] - theta[0]) @ post
    edge = max(f_theta[0], f_theta[-1]) / f_theta.max()
    edge = max(edge, f_v[-1] / f_v.max())
    return Posterior(
        float(fine[1]),
        float(fine[0]),
        float(fine[2]),
        float(fine[3]),
        tuple(zip(options.thresholds, (float(p) for p in fine[4:]), strict=True)),
        error,
        surface.quadrature_error,
        surface.spline_error,
        float(edge),
        (n_theta, n_v),
    )
