"""Cochran's Q between subgroups: the test of a categorical moderator on subgroup estimates.

Pure functions of numbers; which subgroup estimates may enter (their interval kind) is decided
by the caller from the method registry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from raremeta.stats.results import Z975


@dataclass(frozen=True)
class BetweenTest:
    """Cochran's Q between subgroups.

    Attributes
    ----------
    q : float
        The between-subgroup heterogeneity statistic.
    df : int
        Degrees of freedom: the number of subgroups entering the test minus one.
    p_value : float
        Upper tail of the chi-square distribution with ``df`` degrees of freedom at ``q``.
    """

    q: float
    df: int
    p_value: float


def se_from_interval(ci_low: float, ci_high: float, log_scale: bool, crit: float = Z975) -> float:
    """The standard error behind a symmetric Wald 95% interval: (log(hi) - log(lo)) / (2 z)
    on the log scale (ratios), (hi - lo) / (2 z) otherwise; NaN when a bound is not finite.

    Only valid for an interval that is symmetric on the analysis scale (Wald: MH, IV, Peto);
    a profile-likelihood, score or exact interval has no such standard error.

    >>> round(se_from_interval(0.5, 2.0, log_scale=True), 6)
    0.353653
    """
    if log_scale:
        if not (ci_low > 0 and ci_high > 0):
            return math.nan
        lo, hi = math.log(ci_low), math.log(ci_high)
    else:
        lo, hi = ci_low, ci_high
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return math.nan
    return (hi - lo) / (2 * crit)


def q_between(estimates: Sequence[float], ses: Sequence[float]) -> BetweenTest:
    """Cochran's Q between subgroups on the subgroup estimates (analysis scale: log OR or
    log RR, or RD) and their standard errors: Q = sum w_g (y_g - y_w)^2 with w_g = 1 / se_g^2
    and y_w the inverse-variance weighted mean; df = G - 1; p from the chi-square distribution.

    This is the fixed-effect meta-regression on the subgroup factor (metafor
    ``rma(yi, sei = sei, mods = ~ factor(group), method = "FE")``, test of moderators QM, when
    each group is one estimate) and R meta's test for subgroup differences
    (``update(m, subgroup = ...)``, ``Q.b``).

    Parameters
    ----------
    estimates, ses : sequence of float
        One per subgroup (at least two), every se finite and positive.

    Raises
    ------
    ValueError
        With fewer than two subgroups or a standard error that is not finite and positive.

    References
    ----------
    Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis. Wiley,
    2009, chapter 19 (Q between subgroups). Deeks JJ, Higgins JPT, Altman DG. Cochrane Handbook
    for Systematic Reviews of Interventions, version 6.4, section 10.11.3.1.

    Examples
    --------
    Two subgroups, log OR 0 and log 2 with se 0.5 each: weights 4 and 4, mean log(2)/2,
    Q = 2 x 4 x (log(2)/2)^2 = 2 log(2)^2 = 0.960906 on 1 df.

    >>> test = q_between([0.0, math.log(2)], [0.5, 0.5])
    >>> round(test.q, 6), test.df
    (0.960906, 1)
    """
    from scipy.special import chdtrc  # the chi-squared survival function (chi2.sf's)

    if len(estimates) != len(ses) or len(estimates) < 2:
        raise ValueError("Q between subgroups needs two or more subgroups, one se each")
    if not all(math.isfinite(s) and s > 0 for s in ses) or not all(
        math.isfinite(y) for y in estimates
    ):
        raise ValueError("every subgroup needs a finite estimate and a positive standard error")
    weights = [1 / s**2 for s in ses]
    mean = sum(w * y for w, y in zip(weights, estimates, strict=True)) / sum(weights)
    q = sum(w * (y - mean) ** 2 for w, y in zip(weights, estimates, strict=True))
    df = len(estimates) - 1
    return BetweenTest(q, df, float(chdtrc(df, q)))
