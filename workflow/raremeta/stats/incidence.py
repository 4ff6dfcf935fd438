"""Pooled per-arm incidence: crude (Clopper-Pearson) and a random-intercept logistic GLMM."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats
from scipy.special import expit, gammaln

from raremeta.stats.results import Z975, PooledRate, Reason, Status

#: Gauss-Hermite points of the adaptive quadrature, as lme4 ``glmer(nAGQ = 7)``, the default of
#: metafor ``rma.glmm`` for measure "PLO".
N_AGQ = 7


def clopper_pearson(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval (Clopper & Pearson 1934), as R ``binom.test``."""
    alpha = 1 - level
    lo = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    hi = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return lo, hi


def crude_rate(events: ArrayLike, n: ArrayLike) -> PooledRate:
    """Summed events over summed patients, with a Clopper-Pearson interval.

    Ignores between-study differences (a naive pooled proportion); reported beside the GLMM.
    """
    x = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    k = len(x)
    if k == 0:
        return PooledRate.missing("crude", Reason.NO_REPORTING_ARM, 0, 0, 0)
    X, N = float(x.sum()), float(m.sum())
    rounded = round(X) != X or round(N) != N
    lo, hi = clopper_pearson(round(X), round(N))
    return PooledRate(
        "crude", Status.ESTIMATED, Reason.NONE, k, X, N, X / N, lo, hi, rounded=rounded
    )


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(N_AGQ)


def _group_loglik(mu: float, tau: float, x: np.ndarray, n: np.ndarray, logc: np.ndarray) -> float:
    """Marginal log-likelihood by adaptive Gauss-Hermite quadrature around each conditional mode.

    Each study's integral over its random intercept ``b ~ N(0, tau^2)`` is centred on the mode
    of the integrand and scaled by its curvature (Liu & Pierce 1994), as lme4 does.
    """
    if tau <= 1e-10:
        eta = np.full_like(x, mu)
        return float(np.sum(logc + x * eta - n * np.logaddexp(0, eta)))
    # conditional modes by Newton iterations (vectorised across studies)
    b = np.zeros_like(x)
    for _ in range(50):
        p = expit(mu + b)
        grad = x - n * p - b / tau**2
        hess = -n * p * (1 - p) - 1 / tau**2
        step = grad / hess
        b -= step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = expit(mu + b)
    sd = 1 / np.sqrt(n * p * (1 - p) + 1 / tau**2)
    nodes = b[:, None] + math.sqrt(2) * sd[:, None] * _GH_NODES[None, :]
    eta = mu + nodes
    log_f = (
        logc[:, None]
        + x[:, None] * eta
        - n[:, None] * np.logaddexp(0, eta)
        - 0.5 * nodes**2 / tau**2
        - 0.5 * math.log(2 * math.pi)
        - math.log(tau)
    )
    log_terms = log_f + _GH_NODES[None, :] ** 2 + np.log(_GH_WEIGHTS)[None, :]
    m = log_terms.max(axis=1, keepdims=True)
    return float(
        np.sum(m[:, 0] + np.log(np.exp(log_terms - m).sum(axis=1)) + np.log(math.sqrt(2) * sd))
    )


def glmm_rate(events: ArrayLike, n: ArrayLike) -> PooledRate:
    """Random-intercept logistic model fitted by maximum likelihood, back-transformed.

    ``x_i ~ Binomial(n_i, expit(mu + b_i))``, ``b_i ~ N(0, tau^2)``; the marginal likelihood is
    integrated by adaptive Gauss-Hermite quadrature with 7 points per study, and the Wald
    interval of mu uses the inverse Hessian of the log-likelihood in (mu, tau). This is metafor
    ``rma.glmm(measure="PLO", method="ML")`` (lme4 ``glmer(nAGQ = 7)``) with ``transf=plogis``.
    With k = 1 the model reduces to a single binomial (tau² = 0).

    Returns
    -------
    PooledRate
        Not estimable (with a note) when every study has no events or every patient had one:
        the maximum is then at mu = -inf or +inf.

    References
    ----------
    Stijnen T, Hamza TH, Özdemir P. Stat Med 2010;29:3046-67. Efthimiou O. Practical guide to
    the meta-analysis of rare events. Evid Based Ment Health 2018;21:72-6.
    """
    x = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    k = len(x)
    X, N = float(x.sum()), float(m.sum())
    if k == 0:
        return PooledRate.missing("GLMM", Reason.NO_REPORTING_ARM, 0, 0, 0)
    if np.any(np.mod(np.concatenate([x, m]), 1) != 0):
        return PooledRate.missing("GLMM", Reason.NON_INTEGER_COUNTS, k, X, N)
    if X == 0:
        return PooledRate.missing("GLMM", Reason.NO_EVENTS, k, X, N)
    if X == N:
        return PooledRate.missing("GLMM", Reason.ALL_EVENTS, k, X, N)
    logc = gammaln(m + 1) - gammaln(x + 1) - gammaln(m - x + 1)
    mu0 = math.log(X / (N - X))
    if k == 1:
        se = 1 / math.sqrt(N * (X / N) * (1 - X / N))
        return PooledRate(
            "GLMM",
            Status.ESTIMATED,
            Reason.NONE,
            1,
            X,
            N,
            float(expit(mu0)),
            float(expit(mu0 - Z975 * se)),
            float(expit(mu0 + Z975 * se)),
            tau2=0.0,
            single_study=True,
        )

    def negll(par: np.ndarray) -> float:
        return -_group_loglik(par[0], abs(par[1]), x, m, logc)

    best = None
    for tau_start in (0.1, 0.5, 1.0):
        fit = optimize.minimize(
            negll,
            np.array([mu0, tau_start]),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
        )
        if best is None or fit.fun < best.fun:
            best = fit
    mu, tau = best.x[0], abs(best.x[1])
    profile0 = optimize.minimize_scalar(
        lambda t: -_group_loglik(t, 0.0, x, m, logc), bracket=(mu0 - 1, mu0 + 1)
    )
    at_zero = -profile0.fun >= -best.fun - 1e-9
    if at_zero:
        mu, tau = float(profile0.x), 0.0
    if tau == 0.0:
        p = expit(mu)
        se = 1 / math.sqrt(N * p * (1 - p))
    else:
        h = 1e-4
        hess = np.zeros((2, 2))
        f = lambda a, b: _group_loglik(a, b, x, m, logc)  # noqa: E731
        pts = np.array([mu, tau])
        for i in range(2):
            for j in range(2):
                e_i = np.eye(2)[i] * h
                e_j = np.eye(2)[j] * h
                hess[i, j] = (
                    f(*(pts + e_i + e_j))
                    - f(*(pts + e_i - e_j))
                    - f(*(pts - e_i + e_j))
                    + f(*(pts - e_i - e_j))
                ) / (4 * h * h)
        cov = np.linalg.inv(-hess)
        se = math.sqrt(cov[0, 0])
    if not math.isfinite(se) or se <= 0:
        return PooledRate.missing("GLMM", Reason.SINGULAR_INFORMATION, k, X, N, tau2=tau**2)
    return PooledRate(
        "GLMM",
        Status.ESTIMATED,
        Reason.NONE,
        k,
        X,
        N,
        float(expit(mu)),
        float(expit(mu - Z975 * se)),
        float(expit(mu + Z975 * se)),
        tau2=tau**2,
        tau2_at_zero=at_zero,
    )
