"""Pooled per-arm incidence: crude (Clopper-Pearson) and a random-intercept logistic GLMM."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import betaincinv, expit, gammaln

from raremeta.stats.results import Z975, PooledRate, RateMethod, Reason, Status

#: Gauss-Hermite points of the adaptive quadrature, as lme4 ``glmer(nAGQ = 7)``, the default of
#: metafor ``rma.glmm`` for measure "PLO".
N_AGQ = 7


def clopper_pearson(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval (Clopper & Pearson 1934), as R ``binom.test``.

    The beta quantiles come from ``scipy.special.betaincinv`` (what ``scipy.stats.beta.ppf``
    computes, without importing scipy.stats: half a second of every pool job's start-up).
    """
    alpha = 1 - level
    lo = 0.0 if x == 0 else float(betaincinv(x, n - x + 1, alpha / 2))
    hi = 1.0 if x == n else float(betaincinv(x + 1, n - x, 1 - alpha / 2))
    return lo, hi


def crude_rate(events: ArrayLike, n: ArrayLike) -> PooledRate:
    """Summed events over summed patients, with a Clopper-Pearson interval.

    Ignores between-study differences (a naive pooled proportion); reported beside the GLMM.
    """
    x = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    k = len(x)
    if k == 0:
        return PooledRate.missing(RateMethod.CRUDE, Reason.NO_REPORTING_ARM, 0, 0, 0)
    X, N = float(x.sum()), float(m.sum())
    rounded = round(X) != X or round(N) != N
    lo, hi = clopper_pearson(round(X), round(N))
    return PooledRate(
        RateMethod.CRUDE, Status.ESTIMATED, Reason.NONE, k, X, N, X / N, lo, hi, rounded=rounded
    )


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(N_AGQ)
_GH_LOG_W = _GH_NODES**2 + np.log(_GH_WEIGHTS)

#: the conditional modes are solved to this step (Newton's last step makes them exact to rounding)
MODE_TOL = 1e-10
#: tau at or below which the model is the binomial one (tau = 0)
TAU_ZERO = 1e-10
#: log-spaced grid of tau on which the profile likelihood is evaluated to bracket its maximum
TAU_GRID = np.geomspace(0.01, 20.0, 34)
#: mu is maximised (per tau) to this step, the profile over log tau to this step
MU_TOL, LOG_TAU_TOL = 1e-9, 1e-9
#: difference step in mu for the mu search
_MU_STEP = 1e-4


def _conditional_modes(
    mu: np.ndarray, tau: np.ndarray, x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mode of each study's integrand over its random intercept, and minus its curvature there.

    The log integrand ``x (mu + b) - n log(1 + e^(mu + b)) - b² / (2 tau²)`` is strictly concave
    in b, so its derivative ``g(b) = x - n expit(mu + b) - b / tau²`` decreases and has one root.
    The root solves ``b = tau² (x - n expit(mu + b))``, so it lies between 0 and
    ``tau² (x - n expit(mu))`` and, for 0 < x < n, also between 0 and ``logit(x / n) - mu``
    (where the binomial part of g is 0). Inside that bracket, Newton steps that leave it or do
    not halve the step before last are replaced by bisection (``rtsafe``, Numerical Recipes
    9.4), so each study's search converges whatever the start. (Plain Newton from b = 0 is not
    safe: for a large study with many events and a large tau its first step lands where the
    curvature is nearly 0 and the iterates then cycle between about +-5,000.)

    ``mu`` and ``tau`` (> 0) broadcast against the study arrays ``x`` and ``n``.
    """
    x, n = np.broadcast_arrays(x, n, mu + tau)[:2]
    inv_s2 = 1 / tau**2
    c = (x - n * expit(mu)) / inv_s2
    lo, hi = np.minimum(0.0, c), np.maximum(0.0, c)
    inner = (x > 0) & (x < n)
    with np.errstate(divide="ignore"):
        own = np.where(inner, np.log(x) - np.log(n - x) - mu, 0.0)
    lo = np.where(inner, np.maximum(lo, np.minimum(0.0, own)), lo)
    hi = np.where(inner, np.minimum(hi, np.maximum(0.0, own)), hi)
    # start between the prior mode 0 and the study's own (smoothed) logit, by their precisions
    w = (x + 0.5) * (n - x + 0.5) / (n + 1)
    b = np.clip((np.log(x + 0.5) - np.log(n - x + 0.5) - mu) * w / (w + inv_s2), lo, hi)
    dx = dx_old = hi - lo
    done = np.zeros(b.shape, dtype=bool)
    for _ in range(400):
        p, q = expit(mu + b), expit(-(mu + b))
        g = x - n * p - b * inv_s2
        curv = n * p * q + inv_s2
        lo = np.where(g > 0, b, lo)
        hi = np.where(g < 0, b, hi)
        step = g / curv
        newton = b + step
        bisect = (newton <= lo) | (newton >= hi) | (np.abs(2 * step) > dx_old)
        bisect &= np.abs(step) > MODE_TOL
        b_new = np.where(done, b, np.where(bisect, 0.5 * (lo + hi), newton))
        dx_old, dx = dx, np.abs(b_new - b)
        b = b_new
        done |= dx <= MODE_TOL
        if done.all():
            break
    else:  # pragma: no cover - the bracket at least halves every other step
        raise RuntimeError("conditional modes did not converge")
    p, q = expit(mu + b), expit(-(mu + b))
    return b, n * p * q + inv_s2


def _logliks(
    mu: ArrayLike, tau: ArrayLike, x: np.ndarray, n: np.ndarray, logc: np.ndarray
) -> np.ndarray:
    """Marginal log-likelihood at each of several points (``mu`` and ``tau`` broadcast).

    Adaptive Gauss-Hermite quadrature with :data:`N_AGQ` points per study, centred on the mode
    of the study's integrand and scaled by its curvature there (Liu & Pierce 1994), as lme4.
    Even in tau; tau <= :data:`TAU_ZERO` is the binomial model.
    """
    mu, tau = np.broadcast_arrays(np.asarray(mu, dtype=float), np.abs(np.asarray(tau, float)))
    shape = mu.shape
    mu, tau = mu.reshape(-1, 1), tau.reshape(-1, 1)
    out = np.sum(logc + x * mu - n * np.logaddexp(0, mu), axis=1)
    pos = tau[:, 0] > TAU_ZERO
    if pos.any():
        mu, tau = mu[pos], tau[pos]
        b, curv = _conditional_modes(mu, tau, x, n)
        sd = 1 / np.sqrt(curv)
        nodes = b[..., None] + math.sqrt(2) * sd[..., None] * _GH_NODES
        eta = mu[..., None] + nodes
        log_terms = (
            logc[:, None]
            + x[:, None] * eta
            - n[:, None] * np.logaddexp(0, eta)
            - 0.5 * (nodes / tau[..., None]) ** 2
            - np.log(tau * math.sqrt(2 * math.pi))[..., None]
            + _GH_LOG_W
        )
        top = log_terms.max(axis=-1)
        per_study = (
            top
            + np.log(np.exp(log_terms - top[..., None]).sum(axis=-1))
            + np.log(sd * math.sqrt(2))
        )
        out[pos] = per_study.sum(axis=1)
    return out.reshape(shape)


def _group_loglik(mu: float, tau: float, x: np.ndarray, n: np.ndarray, logc: np.ndarray) -> float:
    """Marginal log-likelihood of the GLMM at (mu, tau) by 7-point adaptive quadrature.

    ``logc`` is ``log choose(n, x)``: this is the full binomial log-likelihood, lme4's
    ``logLik`` (which for ``nAGQ > 1`` leaves out the saturated model's log-likelihood
    ``sum(dbinom(x, n, x / n, log = TRUE))``) plus that saturated log-likelihood.
    """
    return float(_logliks(mu, tau, x, n, logc))


def _best_mu(
    tau: np.ndarray, mu: np.ndarray, x: np.ndarray, n: np.ndarray, logc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each tau, the mu that maximises the log-likelihood, and that maximum.

    The marginal likelihood is log-concave in mu (the integrand is jointly log-concave in mu and
    b; Prékopa 1973), so Newton steps on central differences, capped at 2 and halved until the
    log-likelihood does not fall, climb to the one maximum. Vectorised across tau values.
    """
    tau, mu = np.array(tau, dtype=float), np.array(mu, dtype=float)
    best = np.full(mu.shape, -np.inf)
    step = np.zeros(mu.shape)
    cand = mu.copy()
    active = np.ones(mu.shape, dtype=bool)
    stencil = np.array([-_MU_STEP, 0.0, _MU_STEP])
    for _ in range(200):
        i = np.flatnonzero(active)
        f = _logliks(cand[i, None] + stencil, tau[i, None], x, n, logc)
        up = f[:, 1] >= best[i]
        d1 = (f[:, 2] - f[:, 0]) / (2 * _MU_STEP)
        d2 = (f[:, 2] - 2 * f[:, 1] + f[:, 0]) / _MU_STEP**2
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = np.where(d2 < 0, -d1 / d2, np.sign(d1) * 2.0)
        mu[i] = np.where(up, cand[i], mu[i])
        best[i] = np.where(up, f[:, 1], best[i])
        step[i] = np.where(up, np.clip(newton, -2.0, 2.0), step[i] / 2)
        active[i] = np.abs(step[i]) > MU_TOL
        if not active.any():
            break
        cand[i] = mu[i] + step[i]
    return mu, best


def _fit_ml(x: np.ndarray, n: np.ndarray, logc: np.ndarray, mu0: float) -> tuple[float, float]:
    """Maximum likelihood (mu, tau) with tau > 0, by the profile likelihood of tau.

    The profile (mu maximised at each tau) is evaluated on :data:`TAU_GRID`, extended upwards
    while it still rises at the top; its maximum is then polished over log tau between the
    neighbours of the best grid point (Brent), and kept only if at least as likely as every grid
    point.
    """
    taus = TAU_GRID.copy()
    mus, lls = _best_mu(taus, np.full(taus.shape, mu0), x, n, logc)
    while np.argmax(lls) == len(taus) - 1 and taus[-1] < 1e4:
        mu, ll = _best_mu(taus[-1:] * 2, mus[-1:], x, n, logc)
        taus, mus, lls = np.append(taus, taus[-1] * 2), np.append(mus, mu), np.append(lls, ll)
    i = int(np.argmax(lls))
    lower = math.log(taus[i - 1]) if i > 0 else math.log(1e-6)
    upper = math.log(taus[min(i + 1, len(taus) - 1)])
    last = {"mu": mus[i : i + 1]}

    def neg_profile(log_tau: float) -> float:
        mu, ll = _best_mu(np.array([math.exp(log_tau)]), last["mu"], x, n, logc)
        last["mu"] = mu
        return -float(ll[0])

    polish = optimize.minimize_scalar(
        neg_profile, bounds=(lower, upper), method="bounded", options={"xatol": LOG_TAU_TOL}
    )
    tau = math.exp(polish.x)
    mu, ll = _best_mu(np.array([tau]), last["mu"], x, n, logc)
    if ll[0] < lls[i]:
        return float(mus[i]), float(taus[i])
    return float(mu[0]), tau


def _hessian(f, point: np.ndarray, h: float = 2e-3) -> np.ndarray:
    """Hessian of ``f`` by central differences with one Richardson extrapolation (error O(h^4)).

    ``f`` takes a batch of points, one per row, and returns their values.
    """
    d = len(point)
    eye = np.eye(d)
    pairs = [(i, j) for i in range(d) for j in range(i + 1)]
    signs = ((1, 1), (1, -1), (-1, 1), (-1, -1))

    def central(step: float) -> np.ndarray:
        # f(+e_i+e_j) - f(+e_i-e_j) - f(-e_i+e_j) + f(-e_i-e_j), over 4 step² (i = j: step 2 step)
        offsets = [si * eye[i] + sj * eye[j] for i, j in pairs for si, sj in signs]
        values = f(point + step * np.array(offsets)).reshape(len(pairs), 4)
        hess = np.empty((d, d))
        for (i, j), (pp, pm, mp, mm) in zip(pairs, values, strict=True):
            hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4 * step**2)
        return hess

    return (4 * central(h / 2) - central(h)) / 3


def glmm_rate(events: ArrayLike, n: ArrayLike) -> PooledRate:
    """Random-intercept logistic model fitted by maximum likelihood, back-transformed.

    ``x_i ~ Binomial(n_i, expit(mu + b_i))``, ``b_i ~ N(0, tau^2)``; the marginal likelihood is
    integrated by adaptive Gauss-Hermite quadrature with 7 points per study around safeguarded
    conditional modes, maximised through the profile likelihood of tau (:func:`_fit_ml`), and
    the Wald interval of mu uses the inverse Hessian of the log-likelihood in (mu, tau)
    (Richardson-extrapolated differences). This is metafor
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
        return PooledRate.missing(RateMethod.GLMM, Reason.NO_REPORTING_ARM, 0, 0, 0)
    if np.any(np.mod(np.concatenate([x, m]), 1) != 0):
        return PooledRate.missing(RateMethod.GLMM, Reason.NON_INTEGER_COUNTS, k, X, N)
    if X == 0:
        return PooledRate.missing(RateMethod.GLMM, Reason.NO_EVENTS, k, X, N)
    if X == N:
        return PooledRate.missing(RateMethod.GLMM, Reason.ALL_EVENTS, k, X, N)
    logc = gammaln(m + 1) - gammaln(x + 1) - gammaln(m - x + 1)
    mu0 = math.log(X / (N - X))
    if k == 1:
        se = 1 / math.sqrt(N * (X / N) * (1 - X / N))
        return PooledRate(
            RateMethod.GLMM,
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

    mu, tau = _fit_ml(x, m, logc, mu0)
    # tau = 0 (the binomial model, maximum at mu0) when it is at least as likely
    ll0 = _group_loglik(mu0, 0.0, x, m, logc)
    at_zero = ll0 >= _group_loglik(mu, tau, x, m, logc) - 1e-9
    if at_zero:
        mu, tau = mu0, 0.0
        p = X / N
        se = 1 / math.sqrt(N * p * (1 - p))
    else:
        hess = _hessian(lambda par: _logliks(par[:, 0], par[:, 1], x, m, logc), np.array([mu, tau]))
        try:
            var = float(np.linalg.inv(-hess)[0, 0])
        except np.linalg.LinAlgError:
            var = math.nan
        se = math.sqrt(var) if var > 0 else math.nan
    if not math.isfinite(se) or se <= 0:
        why = Reason.SINGULAR_INFORMATION
        return PooledRate.missing(RateMethod.GLMM, why, k, X, N, tau2=tau**2)
    return PooledRate(
        RateMethod.GLMM,
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
