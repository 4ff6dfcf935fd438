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
   log-likelihoods in the logit plus a normal log density), so it has one mode, found by
   Newton steps inside a bracket, and the points 40 below it on each side bound the mass
   (strong concavity with modulus 1/s_mu² puts them within s_mu sqrt(80) of the mode). Gauss-
   Legendre rules on pieces growing geometrically from the mode (1, 3, 9, ... curvature widths)
   integrate the narrow peak of an arm with events and the long, prior-driven tail of an arm
   without events alike; a zero-event arm's integrand is far from Gaussian, which is where a
   low-order Gauss-Hermite rule centred at the mode fails. The error check compares the rules
   with rules of twice their order.
2. **Where the posterior lies.** g_i is log-concave in d (Prékopa's theorem: the integrand is
   jointly log-concave in (mu, d)); log g_i is tabulated on a grid over where it lies within 50
   of its maximum and interpolated by a cubic spline, loosely, for the passes that only find
   where the posterior of (theta, tau) lies (below).
3. **L_i(theta, tau) on the final grid.** Over the final grid's d range log g_i is
   interpolated through its values at Chebyshev points (barycentric formula), their number
   doubled until the interpolant matches the values at the new points within 1e-9 everywhere
   on the range (log g_i is analytic, so this converges geometrically: 129 points for 200
   trials instead of about 600 direct evaluations); g_i then comes from the interpolant at the
   theta nodes and on a uniform d grid. tau = 0: g_i(theta). tau of one d
   step or more: the trapezoidal rule in d, whose error for a Gaussian kernel of sd tau is about
   2 exp(-2 pi² (tau / step)²) (3e-9 at one step). 0 < tau < one step: L is analytic in tau², so
   a polynomial in tau² through tau = 0 and the trapezoidal values at 1 to 3 steps. The d step
   starts at a quarter of the narrowest g_i's width and is halved until that interpolation
   changes by less than 1e-6 when its last node is left out (the error check).
4. **The posterior of (theta, tau)** on a grid uniform in v, tau = a sinh(v) (a the tau
   prior's scale: uniform near 0, logarithmic in the tail, so a half-Cauchy's long tail is
   covered), and in the passes that locate it uniform in theta, in the final one uniform in x,
   theta = c + b sinh(x) (c the located peak, b its half-width: dense at the peak, spread out in
   the tails), with Simpson's rule in both directions. A first pass over the priors' ranges
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
Berrut JP, Trefethen LN. Barycentric Lagrange interpolation. SIAM Rev 2004;46:501-17.
Prékopa A. On logarithmic concave measures and functions. Acta Sci Math 1973;34:335-43.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy import interpolate, special

from raremeta.stats.priors import BayesOptions, BinomialNormalPrior, TauFamily, probability_key
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    fits_one_at_a_time,
    status_of,
)
from raremeta.stats.two_by_two import Tables, TableStack

#: How far below its mode the log integrand over mu is integrated (beyond: e^-40 and less).
_DROP = 40.0
#: Pieces on each side of the mode (geometrically growing, the last ending at the drop).
_PIECES = 7
#: Gauss-Legendre order per piece (and twice it for the error check).
_ORDER = 10
#: log g below its maximum by more than this counts as outside its support.
_SUPPORT_DROP = 50.0
#: The spline of log g that locates the posterior must match direct values within this
#: (absolute, in log g) at the midpoints of its grid, where log g is within _SPLINE_REGION of
#: its maximum; it only locates the posterior, so the check is loose.
_SPLINE_TOL = 1e-2
_SPLINE_REGION = 30.0
#: The Chebyshev interpolant of log g on the final grid's d range must match direct values
#: within this everywhere on the range (absolute in log g, so relative in g); beyond
#: _CHEB_MAX points g is evaluated directly instead.
_CHEB_TOL = 1e-9
_CHEB_MAX = 1025
#: Gauss-Hermite order for small tau in the passes that locate the posterior.
_GH_ORDER = 20
#: Marginal densities below this fraction of their maximum lie outside the zoomed grid.
_ZOOM = 1e-13
#: Tolerance of the grid-resolution check (log OR quantiles, probabilities, relative tau).
TOLERANCE = 1e-5
#: The grid stops refining beyond this many theta nodes (its error estimate then says so).
_MAX_NODES = 2000
#: The final grid widens while a marginal density at an outer edge exceeds this fraction of
#: its maximum.
_EDGE_TOL = 1e-6
#: A fit whose largest error estimate exceeds this is reported with
#: ``integration_tolerance_not_met`` (its estimate is kept).
REPORTED_TOLERANCE = 1e-4


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
        The largest relative error of g_i on the final grid: the difference between the
        Gauss-Legendre rules and rules of twice their order at 16 nodes of the d grid, or the
        Chebyshev interpolant's largest deviation from direct values, whichever is larger.
    interpolation_error : float
        The largest change of L_i(theta, tau) for tau below one d step (interpolated in tau²)
        when the interpolation leaves out its last node, relative to the study's largest L_i.
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
    interpolation_error: float
    edge_density: float
    nodes: tuple[int, int] = field(default=(0, 0))

    def probability(self, threshold: float) -> float:
        """P(OR > threshold)."""
        return dict(self.probabilities)[threshold]


# ---- step 1: the baseline mu integrated out --------------------------------------------------


class _Studies:
    """Unique studies' counts as column vectors (U x 1), how many studies have each, and the
    prior of mu.
    """

    def __init__(self, rt, nt, rc, nc, m0: float, s: float, multiplicity=None) -> None:
        self.rt, self.nt, self.rc, self.nc = (
            np.asarray(x, float)[:, None] for x in (rt, nt, rc, nc)
        )
        self.m0, self.s = m0, s
        #: How many studies have these counts (each contributes its own factor L_i).
        self.multiplicity = (
            np.ones(self.rt.shape[0]) if multiplicity is None else np.asarray(multiplicity, float)
        )


@dataclass(frozen=True)
class _Pairs:
    """(study, d) pairs as flat arrays: the counts of the pair's study and its d."""

    rt: NDArray
    nt: NDArray
    rc: NDArray
    nc: NDArray
    d: NDArray
    m0: float
    s: float

    @classmethod
    def of(cls, studies: _Studies, d: NDArray) -> tuple[_Pairs, tuple[int, ...]]:
        """Every study with every d (``d``: U x N or N), and the shape (U, N) of the pairs."""
        shape = np.broadcast_shapes(studies.rt.shape, np.shape(d))
        flat = (
            np.broadcast_to(x, shape).ravel()
            for x in (studies.rt, studies.nt, studies.rc, studies.nc, d)
        )
        return cls(*flat, studies.m0, studies.s), shape

    def take(self, index: NDArray) -> _Pairs:
        return _Pairs(
            *(x[index] for x in (self.rt, self.nt, self.rc, self.nc, self.d)), self.m0, self.s
        )

    def log_integrand(self, mu: NDArray) -> NDArray:
        """The log integrand at ``mu`` (pairs, or pairs x nodes with the pairs first)."""
        extra = (slice(None),) + (None,) * (np.ndim(mu) - 1)
        counts = (x[extra] for x in (self.d, self.rt, self.nt, self.rc, self.nc))
        return _log_integrand(mu, *counts, self.m0, self.s)

    def terms(self, mu: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """The log integrand in mu (up to a constant), its first and second derivatives."""
        f = self.log_integrand(mu)
        z = (mu - self.m0) / self.s
        pt, pc = special.expit(mu + self.d / 2), special.expit(mu - self.d / 2)
        f1 = self.rt - self.nt * pt + self.rc - self.nc * pc - z / self.s
        f2 = -self.nt * pt * (1 - pt) - self.nc * pc * (1 - pc) - 1 / self.s**2
        return f, f1, f2


def _softplus(x: NDArray) -> NDArray:
    """log(1 + e^x): log1p(exp(x)), a quarter of np.logaddexp's time, where exp cannot
    overflow (below 700 everywhere, the case in practice); np.logaddexp otherwise.
    """
    if np.size(x) and np.max(x) > 700.0:
        return np.logaddexp(0.0, x)
    return np.log1p(np.exp(x))


def _log_integrand(mu, d, rt, nt, rc, nc, m0: float, s: float):
    """log[Bin(r_t | n_t, expit(mu + d/2)) Bin(r_c | n_c, expit(mu - d/2)) N(mu; m0, s²)] up
    to a constant: r log p + (n - r) log(1 - p) = r eta - n log(1 + e^eta) for each arm.
    """
    et, ec = mu + d / 2, mu - d / 2
    z = (mu - m0) / s
    return rt * et - nt * _softplus(et) + rc * ec - nc * _softplus(ec) - 0.5 * z * z


def _solve_decreasing(fun, lo, hi, x0, tol: float = 1e-10, iterations: int = 200):
    """Roots of decreasing functions on [lo, hi] (fun(lo) >= 0 >= fun(hi)) by Newton steps
    kept inside the shrinking brackets (bisection where a step would leave one), to ``tol``
    (relative). The roots only place the quadrature's pieces, so they need no more.

    ``fun(index, x)`` gives the values and derivatives of the functions ``index`` (flat) at
    ``x``; only those not yet converged are evaluated in each step.
    """
    x = np.clip(x0, lo, hi).astype(float)
    lo = np.broadcast_to(lo, x.shape).astype(float)
    hi = np.broadcast_to(hi, x.shape).astype(float)
    active = np.arange(x.size)
    for _ in range(iterations):
        xa, la, ha = x[active], lo[active], hi[active]
        v, dv = fun(active, xa)
        la = np.where(v > 0, xa, la)
        ha = np.where(v > 0, ha, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = xa - v / dv
        outside = ~np.isfinite(new) | (new <= la) | (new >= ha)
        new = np.where(outside, (la + ha) / 2, new)
        x[active], lo[active], hi[active] = new, la, ha
        active = active[np.abs(new - xa) > tol * (1 + np.abs(xa))]
        if not active.size:
            break
    return x


def _log_g(studies: _Studies, d: NDArray, order: int = _ORDER) -> NDArray:
    """Log g_i(d) (up to a constant per study) for studies (U) x d (U x N or N).

    The mode of the log integrand in mu is found by Newton steps inside a bracket, from the
    rare-event approximation log(r / (n_t e^(d/2) + n_c e^(-d/2))); the points where it lies
    40 below the mode bound the range (strong concavity with modulus 1/s_mu² puts them within
    s_mu sqrt(80) of the mode); pieces grow geometrically from the mode (1, 3, 9, ... times the
    curvature width, the last ending at the bound), so that a narrow peak and a long tail are
    both integrated by Gauss-Legendre rules of ``order`` nodes. Each side has as many pieces as
    its longest range needs.
    """
    pairs, shape = _Pairs.of(studies, d)
    s = studies.s
    bound = s * s * (pairs.nt + pairs.nc) + 1.0
    scale = np.logaddexp(np.log(pairs.nt) + pairs.d / 2, np.log(pairs.nc) - pairs.d / 2)
    start = np.log(np.maximum(pairs.rt + pairs.rc, 0.5)) - scale

    def slope(index, mu):
        _, f1, f2 = pairs.take(index).terms(mu)
        return f1, f2

    mode = _solve_decreasing(slope, studies.m0 - bound, studies.m0 + bound, start, tol=1e-7)
    fm, _, f2m = pairs.terms(mode)
    width = 1 / np.sqrt(-f2m)
    reach = s * math.sqrt(2 * _DROP)
    x, w = np.polynomial.legendre.leggauss(order)
    total = np.zeros_like(mode)
    for side in (1.0, -1.0):

        def drop(index, t, side=side):
            f, f1, _ = pairs.take(index).terms(mode[index] + side * t)
            return f - fm[index] + _DROP, side * f1

        t = _solve_decreasing(drop, 0.0, reach, width * math.sqrt(2 * _DROP), tol=1e-3)
        longest = float(np.max(t / width))
        pieces = min(_PIECES, max(2, math.ceil(math.log(max(longest, 1.0)) / math.log(3)) + 2))
        growth = np.array([0.0, *(3.0**j for j in range(pieces - 1))])  # 0, 1, 3, 9, ...
        offsets = np.minimum(width[:, None] * growth, t[:, None])  # pairs x pieces
        offsets = np.concatenate([offsets, t[:, None]], axis=1)
        a, b = offsets[:, :-1], offsets[:, 1:]
        half = (b - a) / 2
        nodes = (mode[:, None] + side * (a + b) / 2)[..., None] + side * half[..., None] * x
        f = pairs.log_integrand(nodes)  # pairs x pieces x order
        total += np.einsum("pkq,pk,q->p", np.exp(f - fm[:, None, None]), half, w)
    return (fm + np.log(total)).reshape(shape)


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
    spline: interpolate.CubicSpline = field(repr=False)
    multiplicity: NDArray = field(repr=False)

    def __call__(self, x: NDArray) -> NDArray:
        """The ratio g / max g of every study at x (any shape): shape x.shape + (U,); 0 outside each
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
    """Log g tabulated on [lo_i, hi_i] per study, the grids halved until their splines pass
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
    # narrowest width from the curvature at each study's maximum
    h = (hi - lo) / (n - 1)
    j = np.clip(np.argmax(values, axis=0), 1, n - 2)
    cols = np.arange(values.shape[1])
    curvature = (values[j - 1, cols] - 2 * values[j, cols] + values[j + 1, cols]) / h**2
    widths = np.maximum(1 / np.sqrt(np.maximum(-curvature, 1e-12)), 4 * h)
    spline = interpolate.CubicSpline(s, values, axis=0)
    return _Surface(lo, hi, values, peak, float(widths.min()), spline, studies.multiplicity)


def _likelihood(surface: _Surface, theta: NDArray, tau: NDArray) -> NDArray:
    """Sum over studies of log L_i(theta, tau) (relative to each study's max g): Ntheta x Ntau.

    g is interpolated once on a uniform d grid of step h, 1/2.5 of the narrowest g's width,
    for the trapezoidal rule at every tau of h or more (error about 2 exp(-2 pi² (tau / h)²),
    5e-9 at tau = h); smaller tau by Gauss-Hermite rules.
    """
    out = np.empty((theta.size, tau.size))
    x, w = np.polynomial.hermite_e.hermegauss(_GH_ORDER)
    w = w / w.sum()
    h = surface.width / 2.5
    reach = _KERNEL * float(np.max(tau, initial=0.0))
    lo = max(theta[0] - reach, surface.lo.min())
    hi = min(theta[-1] + reach, surface.hi.max())
    d = np.linspace(lo, hi, math.ceil((hi - lo) / h) + 1) if hi > lo else np.empty(0)
    g = surface(d).T if d.size > 1 else None  # U x Nd
    with np.errstate(divide="ignore"):
        for j, t in enumerate(tau):
            if t == 0:
                lik = surface(theta)
            elif t < h:
                lik = np.einsum("tqu,q->tu", surface(theta[:, None] + t * x), w)
            elif g is None:
                out[:, j] = -np.inf
                continue
            else:
                lik = _gaussian_smooth(g, d, theta, t, d[1] - d[0]).T
            out[:, j] = np.log(np.maximum(lik, 0)) @ surface.multiplicity
    return out


@dataclass(frozen=True)
class _LogG:
    """log g of every study on [lo, hi]: the barycentric interpolant through its values at
    Chebyshev points of the second kind (Berrut & Trefethen 2004), or, where that did not
    converge, evaluated directly.
    """

    studies: _Studies
    lo: float
    hi: float
    nodes: NDArray | None  # N
    values: NDArray | None  # U x N
    error: float  # the interpolant's largest deviation from direct values (absolute, in log g)

    def __call__(self, x: NDArray) -> NDArray:
        """Log g of every study at the points ``x`` (U x len(x))."""
        x = np.asarray(x, float)
        if self.nodes is None:
            return _log_g(self.studies, x)
        return self.values @ _barycentric_basis(self.nodes, x).T


def _chebyshev_points(lo: float, hi: float, n: int) -> NDArray:
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * np.arange(n) / (n - 1))


def _barycentric_basis(nodes: NDArray, x: NDArray) -> NDArray:
    """The barycentric interpolation weights (len(x) x N) at ``x`` of Chebyshev points of the
    second kind ``nodes`` (their weights (-1)^j, halved at both ends).
    """
    w = (-1.0) ** np.arange(nodes.size)
    w[[0, -1]] /= 2
    diff = x[:, None] - nodes[None, :]
    exact = diff == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        c = w / diff
    hit = exact.any(axis=1)
    c[hit] = exact[hit]
    return c / c.sum(axis=1, keepdims=True)


def _log_g_interpolant(studies: _Studies, lo: float, hi: float) -> _LogG:
    """Log g of every study on [lo, hi] by Chebyshev interpolation, the points doubled (17, 33,
    65, ...; each set holds the last) until the interpolant through the last set matches the
    values at the new points within _CHEB_TOL everywhere on [lo, hi]; log g is analytic, so
    this converges geometrically. Beyond _CHEB_MAX points: direct evaluation.
    """
    n = 17
    nodes = _chebyshev_points(lo, hi, n)
    values = _log_g(studies, nodes)
    while True:
        fine = _chebyshev_points(lo, hi, 2 * n - 1)
        new = _log_g(studies, fine[1::2])
        error = float(np.max(np.abs(values @ _barycentric_basis(nodes, fine[1::2]).T - new)))
        merged = np.empty((values.shape[0], fine.size))
        merged[:, 0::2], merged[:, 1::2] = values, new
        nodes, values, n = fine, merged, fine.size
        if error <= _CHEB_TOL:
            return _LogG(studies, lo, hi, nodes, values, error)
        if n > _CHEB_MAX:
            return _LogG(studies, lo, hi, None, None, 0.0)


@dataclass(frozen=True)
class _Direct:
    """g of every study on a uniform d grid of step ``step``, each study scaled by ``peak``,
    its log g's maximum on the grid; g from ``log_g`` (a Chebyshev interpolant matching direct
    values within _CHEB_TOL, or direct evaluation).
    """

    log_g: _LogG
    d: NDArray  # Nd
    g: NDArray  # U x Nd
    peak: NDArray  # U x 1
    step: float
    quadrature_error: float
    width: float  # the narrowest g's width

    @property
    def studies(self) -> _Studies:
        return self.log_g.studies

    def at(self, x: NDArray) -> NDArray:
        """G / exp(peak) of every study at the points ``x`` (U x len(x))."""
        return np.exp(self.log_g(x) - self.peak)

    def halved(self) -> _Direct:
        """The grid with its midpoints added (g evaluated at them only)."""
        mid = (self.d[:-1] + self.d[1:]) / 2
        d = np.empty(2 * self.d.size - 1)
        d[0::2], d[1::2] = self.d, mid
        g = np.empty((self.g.shape[0], d.size))
        g[:, 0::2], g[:, 1::2] = self.g, self.at(mid)
        return replace(self, d=d, g=g, step=self.step / 2)


def _direct(studies: _Studies, lo: float, hi: float, step: float, width: float) -> _Direct:
    """G on a grid of step ``step`` over [lo, hi], with the quadrature check (twice the
    Gauss-Legendre order at 16 points) and the interpolation check of log g.
    """
    log_g = _log_g_interpolant(studies, lo, hi)
    d = np.linspace(lo, hi, max(2, math.ceil((hi - lo) / step) + 1))
    values = log_g(d)
    peak = values.max(axis=1, keepdims=True)
    sample = d[:: max(1, d.size // 16)]
    coarse = _log_g(studies, sample)
    fine = _log_g(studies, sample, order=2 * _ORDER)
    relevant = fine >= peak - _SPLINE_REGION
    quad_error = float(np.max(np.abs(np.expm1(coarse - fine)), where=relevant, initial=0.0))
    error = max(quad_error, math.expm1(log_g.error))
    return _Direct(log_g, d, np.exp(values - peak), peak, float(d[1] - d[0]), error, width)


#: The Gaussian kernel is cut at this many standard deviations (mass beyond: 2e-9 at 6).
_KERNEL = 6.5
#: The d step is halved until the interpolation below one step changes by less than this.
_INTERPOLATION_TOL = 1e-6
#: Multiples of the d step at which the trapezoidal rule is evaluated for the interpolation in
#: tau² below one step (with tau = 0, where L = g exactly).
_AUXILIARY = (1.0, 1.5, 2.0, 2.5, 3.0)


def _lagrange(x: NDArray, nodes: NDArray) -> NDArray:
    """Lagrange weights (len(x) x len(nodes)) of the polynomial through ``nodes``."""
    w = np.ones((x.size, nodes.size))
    for j, xj in enumerate(nodes):
        for m, xm in enumerate(nodes):
            if m != j:
                w[:, j] *= (x - xm) / (xj - xm)
    return w


def _gaussian_smooth(g: NDArray, d: NDArray, theta: NDArray, t: float, h: float) -> NDArray:
    """The trapezoidal rule for the integral of g(d) N(d; theta, t²) dd, g on the uniform grid
    ``d`` of step ``h`` (U x Nd), at each theta (U x Ntheta), the kernel cut at _KERNEL
    standard deviations. A kernel spanning a small part of the grid (small tau) is applied as a
    band, to the nodes within its cut of each theta only; a wide one as a matrix product.
    """
    scale = h / (t * math.sqrt(2 * math.pi))
    lo = np.maximum(np.ceil((theta - _KERNEL * t - d[0]) / h), 0).astype(np.int64)
    hi = np.minimum(np.floor((theta + _KERNEL * t - d[0]) / h), d.size - 1).astype(np.int64)
    band = int(np.max(hi - lo, initial=0)) + 1
    if 8 * band >= d.size:
        z = (d[:, None] - theta[None, :]) / t
        return g @ (np.exp(-0.5 * z * z) * scale)
    index = lo[:, None] + np.arange(band)  # Ntheta x band
    inside = index <= hi[:, None]
    index = np.minimum(index, d.size - 1)
    z = (d[index] - theta[:, None]) / t
    kernel = np.where(inside, np.exp(-0.5 * z * z) * scale, 0.0)
    return np.einsum("utb,tb->ut", g[:, index], kernel)


def _likelihood_direct(
    direct: _Direct, theta: NDArray, tau: NDArray, base: NDArray
) -> tuple[NDArray, float]:
    """Sum over studies of log L_i(theta, tau) (Ntheta x Ntau).

    tau = 0: ``base``, g at theta evaluated directly (``direct.at(theta)``). tau of a d step or
    more: the trapezoidal rule on the d grid, whose error for a Gaussian kernel of sd tau is
    about 2 exp(-2 pi² (tau / step)²) (3e-9 at one step), less for a smooth g. 0 < tau < one
    step: the polynomial in tau² (L is analytic in tau²) through tau = 0 and the trapezoidal
    values at 1, 1.5, 2, 2.5 and 3 steps. Also returns the largest change of those interpolated
    values when the last node is left out, relative to each study's largest L (the error
    check).
    """
    d, g, step = direct.d, direct.g, direct.step
    weight = direct.studies.multiplicity

    def trapezoid(t: float) -> NDArray:
        # every m-th node: the step m * step stays within a third of both tau and the
        # narrowest g's width, so the rule's error stays below about exp(-2 pi² 9)
        m = max(1, int(min(direct.width, t) / (3 * step)))
        first = max(0, math.floor((theta[0] - _KERNEL * t - d[0]) / step))
        last = min(d.size, math.ceil((theta[-1] + _KERNEL * t - d[0]) / step) + 1)
        first -= first % m
        near = slice(first, last, m)
        return _gaussian_smooth(g[:, near], d[near], theta, t, m * step)

    out = np.empty((theta.size, tau.size))
    small = [j for j, t in enumerate(tau) if 0 < t < step]
    interp_error = 0.0
    with np.errstate(divide="ignore"):
        if small:
            aux_tau = step * np.array(_AUXILIARY)
            values = np.stack([base, *(trapezoid(t) for t in aux_tau)])  # 6 x U x Ntheta
            nodes = np.concatenate([[0.0], aux_tau**2])
            x = tau[small] ** 2
            full = np.einsum("sn,nut->sut", _lagrange(x, nodes), values)
            fewer = np.einsum("sn,nut->sut", _lagrange(x, nodes[:-1]), values[:-1])
            largest = values.max(axis=(0, 2))[None, :, None]
            interp_error = float(np.max(np.abs(full - fewer) / largest))
            for i, j in enumerate(small):
                out[:, j] = weight @ np.log(np.maximum(full[i], 0))
        for j, t in enumerate(tau):
            if t == 0:
                out[:, j] = weight @ np.log(base)
            elif t >= step:
                out[:, j] = weight @ np.log(np.maximum(trapezoid(t), 0))
    return out, interp_error


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


@dataclass(frozen=True)
class _Axis:
    """theta = centre + scale sinh(x): nodes uniform in x are dense near the centre and spread
    out in the tails (a narrow peak with wide tails, as few trials with many events give,
    needs far fewer nodes than on a uniform theta grid); ``scale`` None: theta = x.
    """

    centre: float = 0.0
    scale: float | None = None

    def theta(self, x):
        return x if self.scale is None else self.centre + self.scale * np.sinh(x)

    def x(self, theta: float) -> float:
        return theta if self.scale is None else math.asinh((theta - self.centre) / self.scale)

    def log_jacobian(self, x):
        return 0.0 * x if self.scale is None else np.log(self.scale * np.cosh(x))


def _summaries(
    post: NDArray, x: NDArray, v: NDArray, a: float, thresholds, axis: _Axis = _Axis()
) -> NDArray:
    """Theta quantiles (2.5, 50, 97.5%), tau median and P(theta > log t), from the posterior
    density on the grid in (x, v) (Simpson's rule for the marginals).
    """
    w_x = _simpson(x.size, x[1] - x[0])
    w_v = _simpson(v.size, v[1] - v[0])
    f_x = post @ w_v
    f_v = w_x @ post
    cdf, total = _cdf(x, f_x)
    q = [float(axis.theta(_quantile(cdf, total, x, p))) for p in (0.025, 0.5, 0.975)]
    cdf_v, total_v = _cdf(v, f_v)
    tau = a * math.sinh(_quantile(cdf_v, total_v, v, 0.5))
    probs = []
    for t in thresholds:
        at = axis.x(math.log(t))
        below = 0.0 if at <= x[0] else (total if at >= x[-1] else float(cdf(at)))
        probs.append(1 - below / total)
    return np.array([*q, tau, *probs])


def _grid_posterior(likelihood, prior, x, v, a, axis: _Axis = _Axis()):
    tau = a * np.sinh(v)
    theta = axis.theta(x)
    log_post = likelihood(theta, tau)
    log_post += (-0.5 * ((theta - prior.theta.mean) / prior.theta.sd) ** 2 + axis.log_jacobian(x))[
        :, None
    ]
    log_post += (_log_prior_tau(tau, prior) + np.log(a * np.cosh(v)))[None, :]
    return np.exp(log_post - np.max(log_post))


def _zoom(x: NDArray, density: NDArray, keep_start: bool) -> tuple[float, float]:
    above = np.flatnonzero(density >= _ZOOM * density.max())
    first = 0 if keep_start else max(above[0] - 1, 0)
    last = min(above[-1] + 1, x.size - 1)
    return float(x[first]), float(x[last])


def posterior(
    rt, nt, rc, nc, options: BayesOptions | None = None, tolerance: float = TOLERANCE
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
    options = options or BayesOptions()
    prior = options.prior
    # studies with the same counts are computed once and counted as often as they occur
    counts, multiplicity = np.unique(
        np.column_stack([rt, nt, rc, nc]).astype(float), axis=0, return_counts=True
    )
    studies = _Studies(*counts.T, prior.mu.mean, prior.mu.sd, multiplicity)
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

    # zoom into where the posterior lies, with g interpolated loosely (one spline, over the
    # priors' range, serves every pass); a coarse grid is enough: the node nearest a narrow
    # peak is kept with its neighbours
    surface = surface_for(_SPLINE_TOL)
    n_theta, n_v = 61, 31
    for _ in range(4):
        theta = np.linspace(theta_lo, theta_hi, n_theta)
        v = np.linspace(0.0, v_hi, n_v)
        post = _grid_posterior(partial(_likelihood, surface), prior, theta, v, a)
        new_theta = _zoom(theta, post @ _simpson(n_v, v[1] - v[0]), keep_start=False)
        new_v = _zoom(v, _simpson(n_theta, theta[1] - theta[0]) @ post, keep_start=True)
        shrink = (new_theta[1] - new_theta[0]) / (theta_hi - theta_lo)
        (theta_lo, theta_hi), v_hi = new_theta, new_v[1]
        if shrink > 0.5:
            break
    # the final grid: g evaluated directly, on a d grid whose step starts at a quarter of the
    # narrowest g's width (reused as the theta grid is refined) and at the theta nodes; the
    # ranges widen while a marginal density at an outer edge exceeds _EDGE_TOL of its maximum
    # nodes dense where the last zoom pass put the peak (its half-maximum half-width; at
    # least a thousandth of the range), spreading out in the tails
    f_zoom = post @ _simpson(n_v, v[1] - v[0])
    half = theta[f_zoom >= f_zoom.max() / 2]
    peak = float(theta[np.argmax(f_zoom)])
    axis = _Axis(peak, max((half[-1] - half[0]) / 2, theta[1] - theta[0], 1e-3))
    for _ in range(4):
        n_theta, n_v = 81, 41
        reach = _KERNEL * a * math.sinh(v_hi)
        lo = max(theta_lo - reach, float(np.min(support[0])))
        hi = min(theta_hi + reach, float(np.max(support[1])))
        direct = _direct(
            studies, min(lo, theta_lo), max(hi, theta_hi), surface.width / 4, surface.width
        )
        x_range = (axis.x(theta_lo), axis.x(theta_hi))
        x = np.linspace(*x_range, n_theta)
        theta = axis.theta(x)
        base = direct.at(theta)
        for _ in range(8):  # halve the d step until the small-tau interpolation is stable,
            # probed below one step whatever tau nodes the grid will have
            probe = direct.step * np.array([0.0, 0.25, 0.5, 0.75])
            _, interpolation = _likelihood_direct(direct, theta, probe, base)
            if interpolation <= _INTERPOLATION_TOL:
                break
            direct = direct.halved()
        while True:  # refine until the every-second-node check passes
            if theta.size != n_theta:  # g at the new (odd) theta nodes only
                x = np.linspace(*x_range, n_theta)
                theta = axis.theta(x)
                grown = np.empty((base.shape[0], n_theta))
                grown[:, 0::2], grown[:, 1::2] = base, direct.at(theta[1::2])
                base = grown
            v = np.linspace(0.0, v_hi, n_v)
            checks = {}

            def likelihood(theta, tau, checks=checks, base=base, direct=direct):
                out, checks["interpolation"] = _likelihood_direct(direct, theta, tau, base)
                return out

            post = _grid_posterior(likelihood, prior, x, v, a, axis)
            fine = _summaries(post, x, v, a, options.thresholds, axis)
            coarse = _summaries(post[::2, ::2], x[::2], v[::2], a, options.thresholds, axis)
            diff = np.abs(fine - coarse)
            diff[3] /= max(fine[3], 1e-12)
            error = float(diff.max())
            if error <= tolerance or n_theta > _MAX_NODES:
                break
            n_theta, n_v = 2 * n_theta - 1, 2 * n_v - 1
        f_theta = post @ _simpson(n_v, v[1] - v[0]) / np.exp(axis.log_jacobian(x))
        f_v = _simpson(n_theta, x[1] - x[0]) @ post
        edges = (f_theta[0] / f_theta.max(), f_theta[-1] / f_theta.max(), f_v[-1] / f_v.max())
        if max(edges) <= _EDGE_TOL:
            break
        span = theta_hi - theta_lo
        theta_lo -= span / 2 if edges[0] > _EDGE_TOL else 0.0
        theta_hi += span / 2 if edges[1] > _EDGE_TOL else 0.0
        v_hi *= 1.5 if edges[2] > _EDGE_TOL else 1.0
    edge = max(edges)
    return Posterior(
        float(fine[1]),
        float(fine[0]),
        float(fine[2]),
        float(fine[3]),
        tuple(zip(options.thresholds, (float(p) for p in fine[4:]), strict=True)),
        error,
        direct.quadrature_error,
        checks.get("interpolation", 0.0),
        float(edge),
        (n_theta, n_v),
    )


def bayesian_fits(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """The kernel of the method registry: :func:`posterior` for each meta-analysis of
    ``stack`` (``spec.bayes``: the priors and thresholds; None: the defaults).

    Every present study is used, double-zero studies included; with no event in any study
    there is no estimate (``no_events``: the posterior would be the prior's, narrowed by the
    arm sizes alone). The estimate is the posterior
    median of the odds ratio, the interval its equal-tailed 95% credible interval, ``tau2`` the
    square of the posterior median of tau (reported for two studies or more: with one study
    tau's posterior is its prior); there is no p-value. ``extra`` holds the posterior
    probabilities (:func:`raremeta.stats.priors.probability_key`), the posterior median of tau
    and the error estimates of the computation.
    """
    options = spec.bayes or BayesOptions()

    def fit_one(tables: Tables) -> PooledEffect:
        ai, n1, ci, n2 = (
            np.asarray(x, float) for x in (tables.ai, tables.n1i, tables.ci, tables.n2i)
        )
        if not np.all(np.isclose([ai, ci], np.round([ai, ci]))):
            return PooledEffect.missing(spec, Reason.NON_INTEGER_COUNTS, k=tables.k)
        if not (ai + ci).any():  # no event at all: the prior alone would decide it
            return PooledEffect.missing(spec, Reason.NO_EVENTS, k=tables.k)
        post = posterior(np.round(ai), n1, np.round(ci), n2, options)
        error = max(post.error, post.quadrature_error, post.interpolation_error, post.edge_density)
        reason = Reason.INTEGRATION_TOLERANCE_NOT_MET if error > REPORTED_TOLERANCE else Reason.NONE
        return PooledEffect(
            spec,
            status_of(reason),
            reason,
            k=tables.k,
            estimate=math.exp(post.theta_median),
            ci_low=math.exp(post.theta_low),
            ci_high=math.exp(post.theta_high),
            tau2=post.tau_median**2 if tables.k >= 2 else math.nan,
            used=(True,) * tables.k,
            corrected=(False,) * tables.k,
            weights=(math.nan,) * tables.k,
            extra=(
                *((probability_key(t), p) for t, p in post.probabilities),
                ("tau_median", post.tau_median),
                ("posterior_error", error),
            ),
        )

    return fits_one_at_a_time(stack, spec, fit_one)
