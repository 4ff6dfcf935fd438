"""Inverse-variance pooling: common effect and random effects (DL, REML, PM).

As metafor ``rma.uni(yi, vi, method=...)`` on effects from
:func:`~raremeta.stats.effect_sizes.study_effects`. tau² estimators: DerSimonian & Laird (1986),
restricted maximum likelihood (Viechtbauer 2005) and Paule & Mandel (1982); the REML and PM
equations are solved to machine precision rather than to metafor's default iteration tolerance.
tau² has a Q-profile confidence interval (Viechtbauer 2007). The prediction interval uses a t
distribution with k - 2 degrees of freedom (Higgins, Thompson & Spiegelhalter 2009; Cochrane
Handbook 10.10.4.3) and needs k >= 3. The Hartung-Knapp-Sidik-Jonkman interval is offered with
the ad hoc variance correction ``max(1, q)`` so that it is never narrower than the Wald interval
(Knapp & Hartung 2003; Röver, Knapp & Friede 2015).

Every function works on m meta-analyses at once: effects and variances of shape (m, k), NaN for
a study a meta-analysis leaves out. :func:`inverse_variance` is the one-meta-analysis façade.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from raremeta.stats.effect_sizes import study_effects
from raremeta.stats.heterogeneity import i2_from_tau2, q_test
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    percent,
    reasons,
    wald,
)
from raremeta.stats.two_by_two import TableStack

Array = NDArray[np.float64]
TAU2_ESTIMATORS = ("DL", "REML", "PM")
#: tau² above this is taken as infinite (no finite root); the bracket starts at [0, 1].
TAU2_MAX = 1e6
#: A tau² root is accepted when its bracket is this narrow, relative to its upper end.
ROOT_RTOL = 1e-15
ROOT_MAXITER = 500


class _Studies:
    """Finite effects of m meta-analyses; a left-out study has variance inf (weight 0)."""

    def __init__(self, yi: Array, vi: Array):
        self.ok = np.isfinite(yi) & np.isfinite(vi)
        self.y = np.where(self.ok, yi, 0.0)
        self.v = np.where(self.ok, vi, np.inf)
        self.k = self.ok.sum(axis=1)

    def weights(self, tau2: Array, rows=slice(None)) -> Array:
        return 1 / (self.v[rows] + tau2[:, None])

    def fixed(self, tau2: Array) -> tuple[Array, Array]:
        """Weighted mean and its standard error at ``tau2``."""
        w = self.weights(tau2)
        sw = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.einsum("ij,ij->i", w, self.y) / sw, np.sqrt(1 / sw)

    def generalised_q(self, tau2: Array, rows=slice(None)) -> Array:
        """``sum(w (y - mu)^2)`` with ``w = 1/(v + tau2)``: Cochran's Q at tau2 = 0."""
        w = self.weights(tau2, rows)
        y = self.y[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = y - (np.einsum("ij,ij->i", w, y) / w.sum(axis=1))[:, None]
        return np.einsum("ij,ij->i", w * r, r)

    def reml_score(self, tau2: Array, rows=slice(None)) -> Array:
        """Twice the restricted-likelihood score, ``y'PPy - tr(P)``."""
        w = self.weights(tau2, rows)
        y = self.y[rows]
        sw = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = w * (y - (np.einsum("ij,ij->i", w, y) / sw)[:, None])
            return np.einsum("ij,ij->i", r, r) - (sw - np.einsum("ij,ij->i", w, w) / sw)


def half_line_root(f, active: NDArray[np.bool_]) -> Array:
    """Root on [0, inf) of decreasing functions positive at 0, where ``active``; else 0.

    ``f(tau2, rows)`` evaluates the functions of the meta-analyses ``rows`` at ``tau2``. The
    bracket starts at [0, 1], its upper end multiplied by 4 while f is positive (infinite past
    :data:`TAU2_MAX`); the root is then found by the Illinois variant of false position for all
    meta-analyses in lockstep, each leaving the loop when its bracket is :data:`ROOT_RTOL` wide
    (relative) or f is 0 there (Dowell & Jarratt 1971).
    """
    out = np.zeros(len(active))
    rows = np.flatnonzero(active)
    if rows.size == 0:
        return out
    hi = np.ones(rows.size)
    f_hi = f(hi, rows)
    growing = np.flatnonzero(f_hi > 0)
    while growing.size:
        hi[growing] *= 4
        growing = growing[hi[growing] <= TAU2_MAX]
        f_hi[growing] = f(hi[growing], rows[growing])
        growing = growing[f_hi[growing] > 0]
    infinite = hi > TAU2_MAX
    out[rows[infinite]] = np.inf
    lo = np.zeros(rows.size)
    f_lo = f(lo, rows)
    root = np.full(rows.size, np.nan)
    side = np.zeros(rows.size)
    todo = np.flatnonzero(~infinite)
    for _ in range(ROOT_MAXITER):
        if not todo.size:
            break
        a, b, fa, fb = lo[todo], hi[todo], f_lo[todo], f_hi[todo]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = b - fb * (b - a) / (fb - fa)
        inside = (x > a) & (x < b)
        x = np.where(inside, x, 0.5 * (a + b))
        fx = f(x, rows[todo])
        up = fx > 0  # the root lies above x
        # Illinois: an end kept twice in a row has its function value halved
        f_hi[todo] = np.where(up & (side[todo] > 0), 0.5 * fb, fb)
        f_lo[todo] = np.where(~up & (side[todo] < 0), 0.5 * fa, fa)
        lo[todo] = np.where(up, x, a)
        f_lo[todo] = np.where(up, fx, f_lo[todo])
        hi[todo] = np.where(up, b, x)
        f_hi[todo] = np.where(up, f_hi[todo], fx)
        side[todo] = np.where(up, 1.0, -1.0)
        done = (fx == 0) | (hi[todo] - lo[todo] <= ROOT_RTOL * hi[todo])
        root[todo] = np.where(done, np.where(fx == 0, x, 0.5 * (lo[todo] + hi[todo])), np.nan)
        todo = todo[~done]
    root[todo] = 0.5 * (lo[todo] + hi[todo])
    out[rows[~infinite]] = root[~infinite]
    return out


def tau2_estimate(s: _Studies, estimator: str, q0: Array) -> Array:
    """tau² of every meta-analysis by ``estimator`` (0 with fewer than two studies).

    DL: ``max(0, (Q - (k-1)) / (sum w - sum w² / sum w))``, truncated at zero (statsmodels
    ``combine_effects`` does not truncate). PM: the root of ``Q_gen(tau²) = k - 1``, or 0 if
    ``Q <= k - 1``. REML: the zero of the restricted-likelihood score on ``[0, inf)``.
    """
    m, df = len(s.k), s.k - 1
    two = s.k >= 2
    zero = np.zeros(m)
    if estimator == "DL":
        w0 = s.weights(zero)
        sw0 = w0.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = sw0 - (w0 * w0).sum(axis=1) / sw0
            return np.where(two, np.maximum(0.0, (q0 - df) / c), 0.0)
    if estimator == "PM":
        return half_line_root(lambda t, rows: s.generalised_q(t, rows) - df[rows], two & (q0 > df))
    if estimator == "REML":
        return half_line_root(s.reml_score, two & (s.reml_score(zero) > 0))
    raise ValueError(f"tau2_estimator must be one of {TAU2_ESTIMATORS}")


def tau2_qprofile_ci(s: _Studies, q0: Array, level: float = 0.95) -> tuple[Array, Array]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007), as metafor ``confint``.

    The bounds solve ``Q_gen(tau2) = chi2_{k-1}`` quantiles ``1 - alpha/2`` (lower bound) and
    ``alpha/2`` (upper bound); a bound is 0 when ``Q_gen(0)`` is already below its quantile. NaN
    with fewer than two studies.
    """
    alpha = 1 - level
    two = s.k >= 2
    dfs = np.maximum(s.k - 1, 1)
    bounds = []
    for quantile in (1 - alpha / 2, alpha / 2):
        crit = special.chdtri(dfs, 1 - quantile)
        root = half_line_root(
            lambda t, rows, c=crit: s.generalised_q(t, rows) - c[rows], two & (q0 > crit)
        )
        bounds.append(np.where(two, root, np.nan))
    return bounds[0], bounds[1]


def inverse_variance_fits(
    yi: ArrayLike, vi: ArrayLike, spec: MethodSpec, present: ArrayLike | None = None
) -> PooledFits:
    """Inverse-variance fits of ``spec`` for m meta-analyses of effects ``yi`` (m x k).

    ``present`` marks the studies of each meta-analysis (default: every entry); a present study
    with a NaN effect is excluded (e.g. a double-zero study for a ratio).
    """
    s = _Studies(np.asarray(yi, dtype=float), np.asarray(vi, dtype=float))
    present = np.ones(s.ok.shape, dtype=bool) if present is None else np.asarray(present, bool)
    m, k = len(s.k), s.k
    zero = np.zeros(m)
    why = reasons(m)
    why[np.any(s.ok & (s.v <= 0), axis=1)] = Reason.ZERO_SAMPLING_VARIANCE
    why[k == 0] = Reason.NO_ESTIMABLE_STUDY
    q0 = s.generalised_q(zero)
    numbers = q_test(np.where(k >= 2, q0, 0.0), k - 1)
    numbers.pop("i2")
    if spec.model == "common":
        tau2 = zero
        numbers["i2"] = q_test(q0, k - 1)["i2"]
    elif spec.model == "random":
        tau2 = tau2_estimate(s, spec.tau2_estimator, q0)
        finite = np.isfinite(tau2)
        why[(why == Reason.NONE) & ~finite] = Reason.TAU2_NOT_FINITE
        # one study: no between-study variance to estimate, a random-effects model is moot
        why[(why == Reason.NONE) & (k == 1)] = Reason.SINGLE_STUDY
        numbers["tau2"] = tau2
        numbers["tau2_ci_low"], numbers["tau2_ci_high"] = tau2_qprofile_ci(s, q0)
        numbers["i2"] = np.where(finite, i2_from_tau2(tau2, s.weights(zero)), np.nan)
    else:
        raise ValueError("model must be 'common' or 'random'")
    tau2 = np.where(np.isfinite(tau2), tau2, 0.0)
    mu, se_wald = s.fixed(tau2)
    se = se_wald
    if spec.hksj:
        why[(why == Reason.NONE) & ((spec.model != "random") | (k < 2))] = Reason.SINGLE_STUDY
        w = s.weights(tau2)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.einsum("ij,ij->i", w, (s.y - mu[:, None]) ** 2) / (k - 1)
            se = np.sqrt(np.maximum(1.0, factor) / w.sum(axis=1))
        df = np.maximum(k - 1, 1)
        crit = special.stdtrit(df, 0.975)
        numbers.update(wald(mu, se, spec.log_scale, crit))
        with np.errstate(divide="ignore", invalid="ignore"):
            numbers["p_value"] = 2 * special.stdtr(df, -np.abs(mu / se))
        numbers["hksj_factor"] = factor
    else:
        numbers.update(wald(mu, se, spec.log_scale))
    if spec.model == "random":
        crit = special.stdtrit(np.maximum(k - 2, 1), 0.975)
        with np.errstate(invalid="ignore"):
            half = crit * np.sqrt(se_wald**2 + tau2)
        back = np.exp if spec.log_scale else (lambda x: x)
        with np.errstate(over="ignore"):
            numbers["pi_low"] = np.where(k >= 3, back(mu - half), np.nan)
            numbers["pi_high"] = np.where(k >= 3, back(mu + half), np.nan)
    # no study, or a study with zero variance: nothing at all, not even Q
    nothing = (why == Reason.NO_ESTIMABLE_STUDY) | (why == Reason.ZERO_SAMPLING_VARIANCE)
    for name in numbers:
        numbers[name] = np.where(nothing, np.nan, numbers[name])
    return PooledFits.make(
        spec,
        why,
        k,
        present.sum(axis=1) - k,
        numbers,
        s.ok,
        np.zeros(s.ok.shape, dtype=bool),
        percent(s.weights(tau2), present),
    )


def inverse_variance_stack_fits(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """The inverse-variance fits of ``spec`` from the 2x2 tables of ``stack``: each study's
    effect with ``spec.add`` and ``spec.correction`` (metafor ``escalc(add, to="only0")``,
    double-zero studies dropped for ratios), then :func:`inverse_variance_fits`; the returned
    ``corrected`` mask says which studies got the correction.
    """
    eff = study_effects(stack, spec.measure, add=spec.add, kind=str(spec.correction))
    fits = inverse_variance_fits(eff.yi, eff.vi, spec, stack.present)
    return replace(fits, corrected=eff.corrected & fits.used)


def inverse_variance(
    yi: ArrayLike,
    vi: ArrayLike,
    measure: str,
    model: str = "common",
    tau2_estimator: str = "",
    hksj: bool = False,
) -> PooledEffect:
    """Inverse-variance pooled estimate of one meta-analysis from per-study effects.

    Parameters
    ----------
    yi, vi : array_like
        Per-study effects (log OR, log RR or RD) and variances; NaN entries are left out.
    measure : {'OR', 'RR', 'RD'}
        The measure, so the result can be put back on the natural scale.
    model : {'common', 'random'}
        Common-effect (metafor "EE"/"FE") or random-effects model.
    tau2_estimator : {'DL', 'REML', 'PM'}
        Needed for ``model="random"``.
    hksj : bool
        Use the Hartung-Knapp-Sidik-Jonkman interval with the ad hoc correction (random only):
        ``se = sqrt(max(1, q) / sum(w))`` with ``q = sum(w (y - mu)^2) / (k - 1)`` and a
        t distribution with k - 1 df.

    Returns
    -------
    PooledEffect
        Estimate, Wald CI (or HKSJ), p-value, Q, I², tau² with its Q-profile CI and the
        prediction interval (random effects, k >= 3).

    References
    ----------
    DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials 1986;7:177-88.
    Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand
    1982;87:377-85. Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in
    the random-effects model. J Educ Behav Stat 2005;30:261-93. Viechtbauer W. Confidence
    intervals for the amount of heterogeneity in meta-analysis. Stat Med 2007;26:37-52. Higgins
    JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects meta-analysis. J R Stat
    Soc A 2009;172:137-59.
    """
    if model == "random" and tau2_estimator not in TAU2_ESTIMATORS:
        raise ValueError(f"tau2_estimator must be one of {TAU2_ESTIMATORS}")
    spec = MethodSpec(measure, "IV", model, tau2_estimator if model == "random" else "", hksj=hksj)
    y = np.atleast_2d(np.asarray(yi, dtype=float))
    v = np.atleast_2d(np.asarray(vi, dtype=float))
    return inverse_variance_fits(y, v, spec).row(0)


__all__ = [
    "TAU2_ESTIMATORS",
    "inverse_variance",
    "inverse_variance_fits",
    "inverse_variance_stack_fits",
    "tau2_estimate",
    "tau2_qprofile_ci",
]
