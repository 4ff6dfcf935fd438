"""Penalised-likelihood (Firth) logistic regression for the common odds ratio.

The model of R meta's ``metabin(method = "LRP")`` (Evrenoglou et al. 2022), without its
phi-inflated random variant: an arm-level binomial likelihood with a fixed intercept alpha_i per
study and a common log odds ratio theta,

    logit p_i1 = alpha_i + theta   (CNI arm, ai events of n1i),
    logit p_i2 = alpha_i           (comparator, ci events of n2i),

fitted by maximising the penalised log-likelihood l*(alpha, theta) = l + 1/2 log|I(alpha, theta)|,
I the Fisher information of the whole model (Firth 1993: the Jeffreys-prior penalty). The penalty
keeps the estimate finite whatever the zeros, so no continuity correction is needed and every
study is used, double-zero studies included (they pull the estimate toward their allocation
ratio). With one study the estimate is the odds ratio after adding 1/2 to every cell.

Structure used throughout (O(k) per iteration, no k x k matrix): with w_ij = n_ij p_ij (1 - p_ij)
and D_i = w_i1 + w_i2, the information is an arrow matrix whose Schur complement for theta is
S = sum_i w_i1 w_i2 / D_i, so |I| = S prod_i D_i; the hat values are
h_i1 = w_i1 (1/D_i + (w_i2/D_i)^2 / S) and h_i2 = w_i2 (1/D_i + (w_i1/D_i)^2 / S), and the
gradient of l* is Firth's modified score sum (y - n p + h (1/2 - p)) x. The Hessian of l* is an
arrow matrix plus a rank-one term, so Newton steps are solved exactly in O(k) (Sherman-Morrison);
where it is not negative definite the step falls back to Fisher scoring (Firth's modified-score
iteration, as logistf), and every step is halved until l* does not decrease (Heinze & Schemper
2002).

The standard error of the log odds ratio is 1/sqrt(S) at the estimate (inverse information). The
interval is the profile penalised-likelihood interval of Heinze & Schemper (2002):
PL(theta) = max over alpha of l*(alpha, theta), theta fixed and the penalty that of the full model
(not a refit with theta as an offset), and the bounds solve 2 (l*(hat) - PL(theta)) = chi2_1(0.95).
The p-value is the penalised likelihood-ratio test of theta = 0. The meta-analyses of a stack are
fitted, and their bounds found, together (arrays m x k); a bound not reached within |theta| <= 50
is reported as 0 or infinity.

References
----------
Firth D. Bias reduction of maximum likelihood estimates. Biometrika 1993;80:27-38.
Heinze G, Schemper M. A solution to the problem of separation in logistic regression. Stat Med
2002;21:2409-19.
Evrenoglou T, White IR, Afach S, Mavridis D, Chaimani A. Network meta-analysis of rare events
using penalized likelihood regression. Stat Med 2022;41:5203-19.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from raremeta.stats.results import MethodSpec, PooledEffect, PooledFits, Reason, reasons
from raremeta.stats.two_by_two import Tables, TableStack, as_stack

SPEC = MethodSpec.of("OR", "Firth")

#: scipy.stats.chi2.ppf(0.95, 1)
CHI2_95 = 3.841458820694124
#: Largest |log odds ratio| searched for a profile bound; beyond it the bound is 0 or infinity.
THETA_LIMIT = 50.0
#: Modified score (gradient of l*) below which a fit has converged.
SCORE_TOL = 1e-10
#: Newton step (in the parameters) below which a fit has converged (roundoff level).
STEP_TOL = 1e-12
#: Tolerance on the log odds ratio of a profile bound.
BOUND_TOL = 1e-10
_MAX_ITER = 200
_MAX_HALVINGS = 40
_MAX_STEP = 5.0  # largest Newton step in any parameter, as logistf's maxstep


@dataclass(frozen=True)
class _Data:
    """Arm counts of r meta-analyses (r x k); ``on`` is 1.0 for present studies, else 0.0."""

    y1: NDArray[np.float64]
    n1: NDArray[np.float64]
    y2: NDArray[np.float64]
    n2: NDArray[np.float64]
    on: NDArray[np.float64]

    def take(self, rows: NDArray[np.intp]) -> _Data:
        return _Data(self.y1[rows], self.n1[rows], self.y2[rows], self.n2[rows], self.on[rows])


@dataclass(frozen=True)
class _State:
    """l*, its gradient (modified score) and the pieces of its Hessian at (alpha, theta)."""

    lstar: NDArray[np.float64]  # r
    u_alpha: NDArray[np.float64]  # r x k
    u_theta: NDArray[np.float64]  # r
    s: NDArray[np.float64]  # r, Schur complement of the information for theta
    # negative Hessian = arrow(a, b, c) + g g' (a, b, g_alpha: r x k; c, g_theta: r)
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    c: NDArray[np.float64]
    g_alpha: NDArray[np.float64]
    g_theta: NDArray[np.float64]
    # the information itself: arrow(d, w1, sum w1)
    d: NDArray[np.float64]
    w1: NDArray[np.float64]


def _state(data: _Data, alpha: NDArray, theta: NDArray) -> _State:
    """Penalised log-likelihood, modified score and Hessian at (alpha, theta), r rows at once."""
    on = data.on
    eta1 = alpha + theta[:, None]
    eta2 = alpha
    p1, q1 = special.expit(eta1), special.expit(-eta1)
    p2, q2 = special.expit(eta2), special.expit(-eta2)
    w1, w2 = data.n1 * p1 * q1, data.n2 * p2 * q2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = w1 + w2
        loglik = (
            on
            * (
                data.y1 * eta1
                - data.n1 * np.logaddexp(0.0, eta1)
                + data.y2 * eta2
                - data.n2 * np.logaddexp(0.0, eta2)
            )
        ).sum(axis=1)
        f1, f2 = w1 / d, w2 / d  # shares of the study's information
        s = (on * w1 * f2).sum(axis=1)
        log_det = (on * np.log(d)).sum(axis=1) + np.log(s)
        lstar = loglik + 0.5 * log_det
        lstar = np.where(np.isfinite(lstar), lstar, -np.inf)
        inv_s = (1.0 / s)[:, None]
        h1 = w1 * (1.0 / d + f2**2 * inv_s)
        h2 = w2 * (1.0 / d + f1**2 * inv_s)
        r1 = on * (data.y1 - data.n1 * p1 + h1 * (0.5 - p1))
        r2 = on * (data.y2 - data.n2 * p2 + h2 * (0.5 - p2))
        # derivatives of w in its own linear predictor
        dw1, dw2 = w1 * (q1 - p1), w2 * (q2 - p2)
        ddw1 = w1 * ((q1 - p1) ** 2 - 2 * p1 * q1)
        ddw2 = w2 * ((q2 - p2) ** 2 - 2 * p2 * q2)
        # Hessian in (eta1, eta2) of 0.5 log D_i + 0.5 s_i / S, s_i = w1 w2 / D (S held fixed)
        e1, e2 = dw1 / d, dw2 / d
        f11 = 0.5 * (ddw1 / d - e1**2) + 0.5 * inv_s * f2**2 * (ddw1 - 2 * dw1 * e1)
        f22 = 0.5 * (ddw2 / d - e2**2) + 0.5 * inv_s * f1**2 * (ddw2 - 2 * dw2 * e2)
        f12 = -0.5 * e1 * e2 + inv_s * f1 * f2 * dw1 * e2
        # gradient of S, scaled so that the rank-one part of -Hessian is g g'
        gs1, gs2 = f2**2 * dw1, f1**2 * dw2
        scale = 1.0 / (np.sqrt(2.0) * s)[:, None]
        a = np.where(on > 0, d - (f11 + 2 * f12 + f22), 1.0)
        b = on * (w1 - (f11 + f12))
        c = (on * (w1 - f11)).sum(axis=1)
        g_alpha = on * (gs1 + gs2) * scale
        g_theta = (on * gs1).sum(axis=1) * scale[:, 0]
    return _State(
        lstar,
        r1 + r2,
        r1.sum(axis=1),
        s,
        a,
        b,
        c,
        g_alpha,
        g_theta,
        np.where(on > 0, d, 1.0),
        on * w1,
    )


def _arrow_solve(a, b, c, r_alpha, r_theta):
    """Solve [[diag(a), b], [b', c]] x = r for r rows at once; the Schur complement too."""
    ba = b / a
    schur = c - (b * ba).sum(axis=1)
    x_theta = (r_theta - (ba * r_alpha).sum(axis=1)) / schur
    return (r_alpha - b * x_theta[:, None]) / a, x_theta, schur


def _newton_step(st: _State, profile: bool):
    """The Newton step on l* (all parameters, or the intercepts only when ``profile``), with a
    Fisher-scoring step where the negative Hessian is not positive definite.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if profile:
            ok = np.all(st.a > 0, axis=1)
            a = np.where(ok[:, None], st.a, st.d)
            g = np.where(ok[:, None], st.g_alpha, 0.0)
            # Sherman-Morrison on diag(a) + g g'
            ai_u, ai_g = st.u_alpha / a, g / a
            coef = (g * ai_u).sum(axis=1) / (1.0 + (g * ai_g).sum(axis=1))
            return ai_u - coef[:, None] * ai_g, np.zeros(len(coef))
        x_a, x_t, schur = _arrow_solve(st.a, st.b, st.c, st.u_alpha, st.u_theta)
        ok = np.all(st.a > 0, axis=1) & (schur > 0)
        y_a, y_t, _ = _arrow_solve(st.a, st.b, st.c, st.g_alpha, st.g_theta)
        coef = ((st.g_alpha * x_a).sum(axis=1) + st.g_theta * x_t) / (
            1.0 + (st.g_alpha * y_a).sum(axis=1) + st.g_theta * y_t
        )
        n_a, n_t = x_a - coef[:, None] * y_a, x_t - coef * y_t
        f_a, f_t, _ = _arrow_solve(st.d, st.w1, st.w1.sum(axis=1), st.u_alpha, st.u_theta)
        ok &= np.all(np.isfinite(n_a), axis=1) & np.isfinite(n_t)
        return np.where(ok[:, None], n_a, f_a), np.where(ok, n_t, f_t)


def _maximise(data: _Data, alpha, theta, profile: bool):
    """Maximise l* over (alpha, theta), or over alpha with theta fixed when ``profile``.

    Newton (see :func:`_newton_step`) with step-halving on l*, every row at once; returns the
    state at the maximum with the parameters.
    """
    alpha, theta = np.array(alpha, dtype=float), np.array(theta, dtype=float)
    st = _state(data, alpha, theta)
    stuck = np.zeros(len(theta), dtype=bool)  # no ascent left above roundoff
    for _ in range(_MAX_ITER):
        score = np.abs(st.u_alpha).max(axis=1, initial=0.0)
        if not profile:
            score = np.maximum(score, np.abs(st.u_theta))
        active = (score > SCORE_TOL) & ~stuck
        if not active.any():
            break
        step_a, step_t = _newton_step(st, profile)
        size = np.maximum(np.abs(step_a).max(axis=1, initial=0.0), np.abs(step_t))
        rows = np.flatnonzero(active)
        step_a, step_t, size = step_a[rows], step_t[rows], size[rows]
        factor = np.minimum(1.0, _MAX_STEP / np.where(size > 0, size, 1.0))
        sub = data.take(rows)
        old = st.lstar[rows]
        tol = 1e-13 * (1.0 + np.abs(old))
        accepted = np.zeros(len(rows), dtype=bool)
        new_a, new_t = alpha[rows], theta[rows]
        new_st = None
        for _ in range(_MAX_HALVINGS):
            trial_a = alpha[rows] + factor[:, None] * step_a
            trial_t = theta[rows] + factor * step_t
            trial = _state(sub, trial_a, trial_t)
            good = ~accepted & (trial.lstar >= old - tol)
            new_a[good], new_t[good] = trial_a[good], trial_t[good]
            new_st = _merge(new_st, trial, good)
            accepted |= good
            if accepted.all():
                break
            factor = np.where(accepted, factor, factor / 2)
        alpha[rows], theta[rows] = new_a, new_t
        st = _merge_rows(st, new_st, rows, accepted)
        # a rejected step, or one at roundoff level: converged as far as doubles allow
        stuck[rows] = ~accepted | (factor * size <= STEP_TOL)
    return st, alpha, theta


def _study_objective(y1, n1, y2, n2, theta, share, alpha):
    """Study i's term of the separable minoriser of l* in alpha_i (theta fixed), and its first
    two derivatives: l_i + 1/2 log D_i + 1/2 share_i log(w_i1 w_i2 / D_i), where share_i =
    s_i / S at the current point (Jensen: log S >= sum share_i log(s_i / share_i) + const).
    Arrays of any one shape, elementwise.
    """
    eta1 = alpha + theta
    p1, q1 = special.expit(eta1), special.expit(-eta1)
    p2, q2 = special.expit(alpha), special.expit(-alpha)
    w1, w2 = n1 * p1 * q1, n2 * p2 * q2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = w1 + w2
        value = (
            y1 * eta1
            - n1 * np.logaddexp(0.0, eta1)
            + y2 * alpha
            - n2 * np.logaddexp(0.0, alpha)
            + 0.5 * (1 - share) * np.log(d)
            + 0.5 * share * (np.log(w1) + np.log(w2))
        )
        value = np.where(np.isfinite(value), value, -np.inf)
        dd = w1 * (q1 - p1) + w2 * (q2 - p2)
        ddd = w1 * ((q1 - p1) ** 2 - 2 * p1 * q1) + w2 * ((q2 - p2) ** 2 - 2 * p2 * q2)
        slope = (
            y1
            - n1 * p1
            + y2
            - n2 * p2
            + 0.5 * (1 - share) * dd / d
            + 0.5 * share * ((q1 - p1) + (q2 - p2))
        )
        curve = -d + 0.5 * (1 - share) * (ddd / d - (dd / d) ** 2) - share * (p1 * q1 + p2 * q2)
    return value, slope, curve


def _ascend(args: tuple, alpha):
    """Maximise the minoriser terms ``_study_objective(*args, alpha)`` elementwise from
    ``alpha`` (1-D arrays): Newton, a unit gradient step where the term is not concave, steps
    halved until the term does not decrease; only unfinished elements are recomputed.
    """
    alpha = alpha.copy()
    value, slope, curve = _study_objective(*args, alpha)
    todo = np.flatnonzero(np.abs(slope) > SCORE_TOL)
    for _ in range(_MAX_ITER):
        if todo.size == 0:
            break
        sub = tuple(x[todo] for x in args)
        g, c, v, x = slope[todo], curve[todo], value[todo], alpha[todo]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(c < 0, -g / np.where(c < 0, c, -1.0), np.sign(g))
        step = np.clip(step, -2.0, 2.0)
        pending = np.arange(todo.size)
        moved = np.zeros(todo.size, dtype=bool)
        for _ in range(_MAX_HALVINGS):
            trial = x[pending] + step[pending]
            tv, tg, tc = _study_objective(*(y[pending] for y in sub), trial)
            good = tv >= v[pending] - 1e-13 * (1 + np.abs(v[pending]))
            hit = todo[pending[good]]
            alpha[hit], value[hit], slope[hit], curve[hit] = (
                trial[good],
                tv[good],
                tg[good],
                tc[good],
            )
            moved[pending[good]] = np.abs(step[pending[good]]) > STEP_TOL
            pending = pending[~good]
            if pending.size == 0:
                break
            step[pending] /= 2
        todo = todo[moved & (np.abs(slope[todo]) > SCORE_TOL)]
    return alpha, value


def _hop(data: _Data, alpha, theta):
    """Move each study's intercept to the better basin of its minoriser term, if it has one.

    With theta fixed, a study's intercept can have two local maxima (one fitting each arm: it
    happens with few patients in an arm, or a theta far from the data, as at profile bounds),
    and Newton from a warm start may settle in the worse. Each study's term of the separable
    Jensen minoriser of l* at the current (stationary) point is maximised from each arm's own
    fit (0.5 added to its cells); moving the studies whose term improves on its value at the
    current intercept is a minorise-maximise step, so l* increases. Returns the intercepts and
    which rows moved. (From those two starts the ascent reached the global maximum of every
    such term on a grid of 0.5 to 1000 patients per arm and |theta| <= 30.)
    """
    eta1 = alpha + theta[:, None]
    w1 = data.n1 * special.expit(eta1) * special.expit(-eta1)
    w2 = data.n2 * special.expit(alpha) * special.expit(-alpha)
    s_i = data.on * w1 * w2 / (w1 + w2)
    share = s_i / s_i.sum(axis=1, keepdims=True)
    th = np.broadcast_to(theta[:, None], alpha.shape)
    here = data.on > 0
    args = (data.y1[here], data.n1[here], data.y2[here], data.n2[here], th[here], share[here])
    current, _, _ = _study_objective(*args, alpha[here])
    best, top = alpha[here], current
    for start in (
        np.log((args[0] + 0.5) / (args[1] - args[0] + 0.5)) - args[4],
        np.log((args[2] + 0.5) / (args[3] - args[2] + 0.5)),
    ):
        end, value = _ascend(args, start)
        better = value > top
        best, top = np.where(better, end, best), np.where(better, value, top)
    moved = top > current + 1e-9 * (1 + np.abs(current))
    new = alpha.copy()
    new[here] = np.where(moved, best, alpha[here])
    rows = np.zeros(alpha.shape, dtype=bool)
    rows[here] = moved
    return new, rows.any(axis=1)


def _solve(data: _Data, alpha, theta, profile: bool):
    """:func:`_maximise`, then :func:`_hop` and maximise again until no study changes basin."""
    st, alpha, theta = _maximise(data, alpha, theta, profile)
    for _ in range(10):
        hopped, moved = _hop(data, alpha, theta)
        if not moved.any():
            break
        rows = np.flatnonzero(moved)
        new_st, new_a, new_t = _maximise(data.take(rows), hopped[rows], theta[rows], profile)
        better = new_st.lstar > st.lstar[rows]
        st = _merge_rows(st, new_st, rows, better)
        alpha[rows[better]], theta[rows[better]] = new_a[better], new_t[better]
        if not better.any():
            break
    return st, alpha, theta


def _merge(base: _State | None, new: _State, pick: NDArray[np.bool_]) -> _State:
    """``new`` where ``pick`` (rows), ``base`` elsewhere."""
    if base is None:
        return new
    out = {}
    for name in _State.__dataclass_fields__:
        x, y = getattr(base, name), getattr(new, name)
        mask = pick if x.ndim == 1 else pick[:, None]
        out[name] = np.where(mask, y, x)
    return _State(**out)


def _merge_rows(
    st: _State, new: _State, rows: NDArray[np.intp], accepted: NDArray[np.bool_]
) -> _State:
    """``st`` with rows ``rows[accepted]`` replaced by the matching rows of ``new``."""
    out = {}
    for name in _State.__dataclass_fields__:
        x = getattr(st, name).copy()
        x[rows[accepted]] = getattr(new, name)[accepted]
        out[name] = x
    return _State(**out)


def _start(data: _Data) -> tuple[NDArray, NDArray]:
    """Starting values: comparator logits and the 0.5-corrected Mantel-Haenszel log OR."""
    on = data.on
    alpha = np.log((data.y2 + 0.5) / (data.n2 - data.y2 + 0.5)) * on
    a, b = data.y1 + 0.5, data.n1 - data.y1 + 0.5
    c, d = data.y2 + 0.5, data.n2 - data.y2 + 0.5
    big_n = a + b + c + d
    theta = np.log((on * a * d / big_n).sum(axis=1) / (on * b * c / big_n).sum(axis=1))
    return alpha, np.where(np.isfinite(theta), theta, 0.0)


def _profile_at(data: _Data, alpha, theta, lstar_hat):
    """PL(theta) of every row: the state at the maximising intercepts, and those intercepts.

    Newton from ``alpha`` (the intercepts of the previous theta) can stay in a basin that is no
    longer the best; wherever the profile deviance is near or above the chi2 threshold (where
    it decides a bound), :func:`_hop` looks for a better basin and Newton restarts from it.
    """
    st, alpha, _ = _maximise(data, alpha, theta, profile=True)
    check = 2 * (lstar_hat - st.lstar) - CHI2_95 > -1.0
    for _ in range(10):
        rows = np.flatnonzero(check)
        if len(rows) == 0:
            break
        hopped, moved = _hop(data.take(rows), alpha[rows], theta[rows])
        rows, hopped = rows[moved], hopped[moved]
        if len(rows) == 0:
            break
        new_st, new_a, _ = _maximise(data.take(rows), hopped, theta[rows], profile=True)
        better = new_st.lstar > st.lstar[rows]
        st = _merge_rows(st, new_st, rows, better)
        alpha[rows[better]] = new_a[better]
        check[:] = False
        check[rows[better]] = True
    return st, alpha


def _profile_bounds(data: _Data, alpha_hat, theta_hat, lstar_hat, se, side):
    """Solve 2 (l*hat - PL(theta)) = chi2 on ``side`` (-1 lower, +1 upper) of every row.

    Safeguarded Newton on g(theta) = 2 (l*hat - PL(theta)) - chi2, whose derivative is
    -2 times the theta component of the modified score at the profiled intercepts (envelope
    theorem), kept inside a bracket that is expanded outward until g changes sign; bisection
    when a Newton step would leave it. The intercepts are carried from one theta to the next
    (see :func:`_profile_at`). Rows without a sign change up to |theta| = 50 get side * inf.
    """
    r = len(theta_hat)
    side = np.asarray(side, dtype=float)
    limit = side * THETA_LIMIT
    inside = theta_hat.copy()  # g < 0 here
    outside = limit.copy()  # g > 0 here once ``bracketed``
    bracketed = np.zeros(r, dtype=bool)
    x = np.clip(theta_hat + side * np.sqrt(CHI2_95) * se, -THETA_LIMIT, THETA_LIMIT)
    x = np.where(np.isfinite(x), x, theta_hat + side)
    alpha = alpha_hat.copy()
    root = np.full(r, np.nan)
    todo = np.ones(r, dtype=bool)
    for _ in range(_MAX_ITER):
        rows = np.flatnonzero(todo)
        if len(rows) == 0:
            break
        st, alpha[rows] = _profile_at(data.take(rows), alpha[rows], x[rows], lstar_hat[rows])
        g = 2 * (lstar_hat[rows] - st.lstar) - CHI2_95
        slope = -2 * st.u_theta
        xr = x[rows]
        out = g > 0
        inside[rows] = np.where(out, inside[rows], xr)
        outside[rows] = np.where(out, xr, outside[rows])
        bracketed[rows] |= out
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xr - g / slope
        lo = np.minimum(inside[rows], outside[rows])
        hi = np.maximum(inside[rows], outside[rows])
        width = hi - lo
        valid = (side[rows] * slope > 0) & (newton > lo) & (newton < hi) & np.isfinite(newton)
        # not yet bracketed: Newton may aim no farther than doubling the distance from theta_hat
        reach = theta_hat[rows] + 2 * (xr - theta_hat[rows])
        far = side[rows] * (newton - reach) > 0
        valid &= bracketed[rows] | ~far
        expand = np.clip(reach, -THETA_LIMIT, THETA_LIMIT)
        bisect = 0.5 * (lo + hi)
        nxt = np.where(valid, newton, np.where(bracketed[rows], bisect, expand))
        converged = (valid & (np.abs(newton - xr) < BOUND_TOL)) | (
            bracketed[rows] & (width < BOUND_TOL)
        )
        hopeless = ~bracketed[rows] & ~out & (np.abs(xr) >= THETA_LIMIT)
        root[rows] = np.where(converged, nxt, root[rows])
        root[rows] = np.where(hopeless, side[rows] * np.inf, root[rows])
        x[rows] = nxt
        todo[rows] = ~(converged | hopeless)
    return root


def _fit_rows(data: _Data) -> dict[str, NDArray[np.float64]]:
    """Estimate, profile interval, se and penalised LR p-value of every row (r >= 1 studies)."""
    alpha0, theta0 = _start(data)
    st, alpha, theta = _solve(data, alpha0, theta0, profile=False)
    se = 1.0 / np.sqrt(st.s)
    r = len(theta)
    twice = np.concatenate([np.arange(r), np.arange(r)])
    bounds = _profile_bounds(
        data.take(twice),
        alpha[twice],
        theta[twice],
        st.lstar[twice],
        se[twice],
        side=np.repeat([-1.0, 1.0], r),
    )
    lower, upper = bounds[:r], bounds[r:]
    null, _, _ = _solve(data, alpha, np.zeros(r), profile=True)
    lr = np.maximum(2 * (st.lstar - null.lstar), 0.0)
    return {
        "estimate": np.exp(theta),
        "ci_low": np.exp(lower),
        "ci_high": np.exp(upper),
        "se": se,
        "p_value": special.erfc(np.sqrt(lr / 2)),
        "log_or": theta,
    }


def firth_fits(stack: TableStack) -> PooledFits:
    """Firth penalised-likelihood common odds ratio of every meta-analysis of ``stack``.

    Parameters
    ----------
    stack : TableStack
        m meta-analyses of up to k studies; studies where ``stack.present`` is False are
        ignored.

    Returns
    -------
    PooledFits
        One row per meta-analysis: ``method="Firth"``, ``model="common"``; estimate and profile
        penalised-likelihood 95% interval on the odds-ratio scale, ``se`` of the log odds ratio
        (inverse information), p-value of the penalised likelihood-ratio test. Every present
        study is used (``k``), double-zero studies included; nothing is corrected and no
        per-study weight is defined (NaN). A meta-analysis without a present study is not
        estimable (``no_comparable_study``).

    References
    ----------
    Firth D. Biometrika 1993;80:27-38. Heinze G, Schemper M. Stat Med 2002;21:2409-19.
    Evrenoglou T et al. Stat Med 2022;41:5203-19.
    """
    present = np.asarray(stack.present, dtype=bool)
    m, k = present.shape
    k_used = present.sum(axis=1)
    why = reasons(m)
    why[k_used == 0] = Reason.NO_COMPARABLE_STUDY
    numbers = {
        name: np.full(m, np.nan) for name in ("estimate", "ci_low", "ci_high", "se", "p_value")
    }
    rows = np.flatnonzero(k_used > 0)
    if len(rows):
        on = present[rows].astype(float)
        data = _Data(
            np.where(on > 0, stack.ai[rows], 0.0),
            np.where(on > 0, stack.n1i[rows], 1.0),
            np.where(on > 0, stack.ci[rows], 0.0),
            np.where(on > 0, stack.n2i[rows], 1.0),
            on,
        )
        fitted = _fit_rows(data)
        for name, values in numbers.items():
            values[rows] = fitted[name]
    return PooledFits.make(
        SPEC,
        why,
        k_used.astype(np.int64),
        np.zeros(m, dtype=np.int64),
        numbers,
        present.copy(),
        np.zeros((m, k), dtype=bool),
        np.full((m, k), np.nan),
    )


def firth(tables: Tables) -> PooledEffect:
    """Firth penalised-likelihood common odds ratio of one meta-analysis.

    Parameters
    ----------
    tables : Tables
        The studies (CNI arm first); counts may be non-integer (a split comparator).

    Returns
    -------
    PooledEffect
        See :func:`firth_fits`; estimated whenever there is at least one study, even with no
        events at all.

    References
    ----------
    Firth D. Bias reduction of maximum likelihood estimates. Biometrika 1993;80:27-38.
    Heinze G, Schemper M. A solution to the problem of separation in logistic regression.
    Stat Med 2002;21:2409-19. Evrenoglou T, White IR, Afach S, Mavridis D, Chaimani A. Network
    meta-analysis of rare events using penalized likelihood regression. Stat Med
    2022;41:5203-19.
    """
    return firth_fits(as_stack(tables)).row(0)
