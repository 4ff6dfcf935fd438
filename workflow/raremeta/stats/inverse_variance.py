"""Inverse-variance pooling: common effect and random effects (DL, REML, PM).

As metafor ``rma.uni(yi, vi, method=...)`` on effects from
:func:`~raremeta.stats.effect_sizes.study_effects`. tau² estimators: DerSimonian & Laird (1986),
restricted maximum likelihood (Viechtbauer 2005) and Paule & Mandel (1982); the REML and PM
equations are solved to machine precision (brentq) rather than to metafor's default iteration
tolerance. tau² has a Q-profile confidence interval (Viechtbauer 2007). The prediction interval
uses a t distribution with k - 2 degrees of freedom (Higgins, Thompson & Spiegelhalter 2009;
Cochrane Handbook 10.10.4.3) and needs k >= 3. The Hartung-Knapp-Sidik-Jonkman interval is
offered with the ad hoc variance correction ``max(1, q)`` so that it is never narrower than the
Wald interval (Knapp & Hartung 2003; Röver, Knapp & Friede 2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from raremeta.stats.results import Z975, PooledEffect

TAU2_ESTIMATORS = ("DL", "REML", "PM")
_TAU2_MAX = 1e6


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q with df, p and I², and the I² implied by a given tau²."""

    q: float
    df: int
    q_p: float
    i2_q: float


def _fixed(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, np.ndarray]:
    # dot products rather than np.sum: the root finders call this thousands of times on
    # arrays of ten-odd studies, where numpy's per-call overhead is most of the cost
    w = 1 / (v + tau2)
    sw = float(w.sum())
    mu = float(w.dot(y)) / sw
    return mu, math.sqrt(1 / sw), w


def generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """``sum(w (y - mu)^2)`` with ``w = 1/(v + tau2)``: Cochran's Q at tau2 = 0."""
    mu, _, w = _fixed(y, v, tau2)
    r = y - mu
    return float(w.dot(r * r))


def cochran_q(y: np.ndarray, v: np.ndarray) -> Heterogeneity:
    """Cochran's Q, its chi-square p-value on k - 1 df, and ``I² = max(0, (Q - df) / Q)``."""
    k = len(y)
    if k < 2:
        return Heterogeneity(0.0, 0, 1.0, 0.0)
    q = generalised_q(y, v, 0.0)
    df = k - 1
    return Heterogeneity(
        q, df, float(special.chdtrc(df, q)), max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
    )


def tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian-Laird tau², truncated at zero (statsmodels ``combine_effects`` does not)."""
    k = len(y)
    if k < 2:
        return 0.0
    w = 1 / v
    q = generalised_q(y, v, 0.0)
    return max(0.0, (q - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def _bracket_root(f, lo: float = 0.0) -> float:
    """Root of a function positive at ``lo`` and decreasing towards negative values."""
    hi = max(1.0, lo * 2)
    while f(hi) > 0:
        hi *= 4
        if hi > _TAU2_MAX:
            return math.inf
    return optimize.brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)


def tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    """Paule-Mandel tau²: the root of ``Q_gen(tau2) = k - 1``, or 0 if ``Q(0) <= k - 1``."""
    k = len(y)
    if k < 2:
        return 0.0
    f = lambda t: generalised_q(y, v, t) - (k - 1)  # noqa: E731
    return 0.0 if f(0.0) <= 0 else _bracket_root(f)


def tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """REML tau²: the zero of the restricted-likelihood score on ``[0, inf)``.

    The score is ``(y'PPy - tr(P)) / 2`` with ``P = W - W 1 1' W / sum(W)``.
    """
    k = len(y)
    if k < 2:
        return 0.0

    def score(t: float) -> float:
        w = 1 / (v + t)
        sw = float(w.sum())
        mu = float(w.dot(y)) / sw
        r = w * (y - mu)  # P y
        tr_p = sw - float(w.dot(w)) / sw
        return float(r.dot(r)) - tr_p

    return 0.0 if score(0.0) <= 0 else _bracket_root(score)


def tau2_estimate(y: np.ndarray, v: np.ndarray, estimator: str) -> float:
    """tau² by the named estimator ('DL', 'REML' or 'PM')."""
    return {"DL": tau2_dl, "REML": tau2_reml, "PM": tau2_pm}[estimator](y, v)


def tau2_qprofile_ci(y: np.ndarray, v: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007), as metafor ``confint``.

    The bounds solve ``Q_gen(tau2) = chi2_{k-1}`` quantiles ``1 - alpha/2`` (lower bound) and
    ``alpha/2`` (upper bound); a bound is 0 when ``Q_gen(0)`` is already below its quantile.
    """
    k = len(y)
    if k < 2:
        return math.nan, math.nan
    alpha = 1 - level
    q0 = generalised_q(y, v, 0.0)
    bounds = []
    for quantile in (1 - alpha / 2, alpha / 2):
        crit = special.chdtri(k - 1, 1 - quantile)
        if q0 <= crit:
            bounds.append(0.0)
        else:
            bounds.append(_bracket_root(lambda t, c=crit: generalised_q(y, v, t) - c))
    return bounds[0], bounds[1]


def _scale(measure: str):
    if measure == "RD":
        return lambda x: x
    return lambda x: math.exp(x) if math.isfinite(x) else x


def inverse_variance(
    yi: ArrayLike,
    vi: ArrayLike,
    measure: str,
    model: str = "common",
    tau2_estimator: str = "",
    hksj: bool = False,
) -> PooledEffect:
    """Inverse-variance pooled estimate from per-study effects and variances.

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
    y_all = np.asarray(yi, dtype=float)
    v_all = np.asarray(vi, dtype=float)
    ok = np.isfinite(y_all) & np.isfinite(v_all)
    y, v = y_all[ok], v_all[ok]
    k = len(y)
    back = _scale(measure)
    base = {
        "measure": measure,
        "method": "IV",
        "model": model,
        "tau2_estimator": tau2_estimator if model == "random" else "",
        "k": k,
        "k_excluded": int((~ok).sum()),
        "log_scale": measure != "RD",
    }
    if k == 0:
        return PooledEffect(**base, note="not estimable: no study has an estimable effect")
    if np.any(v <= 0):
        return PooledEffect(**base, note="not estimable: a study has zero sampling variance")
    het = cochran_q(y, v)
    fields = {"q": het.q, "q_df": het.df, "q_p": het.q_p}
    notes = []
    if model == "common":
        mu, se, _ = _fixed(y, v, 0.0)
        fields["i2"] = het.i2_q
        tau2 = 0.0
    elif model == "random":
        if tau2_estimator not in TAU2_ESTIMATORS:
            raise ValueError(f"tau2_estimator must be one of {TAU2_ESTIMATORS}")
        tau2 = tau2_estimate(y, v, tau2_estimator)
        if not math.isfinite(tau2):
            return PooledEffect(**base, note="not estimable: tau² has no finite estimate", **fields)
        mu, se, w = _fixed(y, v, tau2)
        if k == 1:
            notes.append("k = 1: tau² cannot be estimated and is set to 0")
        w0 = 1 / v
        typical_v = (k - 1) / (w0.sum() - (w0**2).sum() / w0.sum()) if k > 1 else math.nan
        fields["i2"] = 100 * tau2 / (typical_v + tau2) if k > 1 else 0.0
        fields["tau2"] = tau2
        fields["tau2_ci_low"], fields["tau2_ci_high"] = tau2_qprofile_ci(y, v)
        if k >= 3:
            crit = special.stdtrit(k - 2, 0.975)
            half = crit * math.sqrt(se**2 + tau2)
            fields["pi_low"], fields["pi_high"] = back(mu - half), back(mu + half)
            fields["pi_method"] = f"t, df = k - 2 = {k - 2} (Higgins 2009)"
        else:
            fields["pi_method"] = "not computed: needs k >= 3"
    else:
        raise ValueError("model must be 'common' or 'random'")
    if hksj:
        if model != "random" or k < 2:
            return PooledEffect(
                **base, note="not estimable: HKSJ needs a random-effects model and k >= 2", **fields
            )
        w = 1 / (v + tau2)
        q_hk = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        if q_hk < 1:
            notes.append(
                f"HKSJ variance factor {q_hk:.3g} < 1 raised to 1 so that the interval "
                "is not narrower than the Wald interval"
            )
        se = math.sqrt(max(1.0, q_hk) / w.sum())
        crit = special.stdtrit(k - 1, 0.975)
        p = float(2 * special.stdtr(k - 1, -abs(mu / se)))
        ci_method = f"HKSJ (ad hoc max(1, q)), t, df = {k - 1}"
    else:
        crit = Z975
        p = float(2 * special.ndtr(-abs(mu / se))) if se > 0 else math.nan
        ci_method = "Wald, normal"
    return PooledEffect(
        **base,
        estimate=back(mu),
        ci_low=back(mu - crit * se),
        ci_high=back(mu + crit * se),
        se=se,
        p_value=p,
        ci_method=ci_method,
        note="; ".join(notes),
        **fields,
    )
