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
where minus the Hessian is not positive definite it is shifted until it is (Levenberg-Marquardt),
with Fisher scoring (Firth's modified-score step, as logistf) as the last resort, and every step
is halved until l* does not decrease (as logistf; Heinze & Schemper 2002).

l* need not be concave. With theta fixed (at a profile bound especially), a study's intercept can
have two local maxima, one fitting each arm, when an arm has few patients or theta is far from
the data; identical studies can hold Newton on a saddle point. So every maximum that decides a
result (the fit, PL(0), and PL near the bounds) is polished: each study's term of the separable
Jensen minoriser of l* is maximised from both arms' own fits, and studies move to the better
basin (a minorise-maximise step), or failing that the single study whose move most raises l*
does; a saddle is left along a direction of negative curvature; Newton then resumes. The results
agree with a global multi-start search in R where one Newton fit does not (see the tests).

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

from raremeta.stats import registry
from raremeta.stats.results import MethodSpec, PooledEffect, PooledFits, Reason, reasons
from raremeta.stats.two_by_two import Tables, TableStack, as_stack

SPEC = registry.spec("OR", "Firth")

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

    def take(self, rows: NDArray[np.intp]) -> _State:
        return _State(**{name: getattr(self, name)[rows] for name in _State.__dataclass_fields__})


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


def _shifted_solve(st: _State, profile: bool, shift):
    """Solve (-H + shift I) x = score, -H = arrow(a, b, c) + g g' (intercept block only when
    ``profile``), by the arrow structure and Sherman-Morrison; also whether the shifted
    matrix is positive definite (Haynsworth inertia of the arrow part, then the sign of the
    determinant after the rank-one update, which adds at most one positive eigenvalue).
    """
    a = st.a + shift[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if profile:
            g = st.g_alpha
            ai_u, ai_g = st.u_alpha / a, g / a
            denom = 1.0 + (g * ai_g).sum(axis=1)
            x_a = ai_u - ((g * ai_u).sum(axis=1) / denom)[:, None] * ai_g
            x_t = np.zeros(len(denom))
            negative = (a <= 0).sum(axis=1)
        else:
            c = st.c + shift
            x_a, x_t, schur = _arrow_solve(a, st.b, c, st.u_alpha, st.u_theta)
            y_a, y_t, _ = _arrow_solve(a, st.b, c, st.g_alpha, st.g_theta)
            denom = 1.0 + (st.g_alpha * y_a).sum(axis=1) + st.g_theta * y_t
            coef = ((st.g_alpha * x_a).sum(axis=1) + st.g_theta * x_t) / denom
            x_a, x_t = x_a - coef[:, None] * y_a, x_t - coef * y_t
            negative = (a <= 0).sum(axis=1) + (schur <= 0)
    positive = (negative == 0) | ((negative == 1) & (denom < 0))
    positive &= np.all(np.isfinite(x_a), axis=1) & np.isfinite(x_t)
    return x_a, x_t, positive, negative


def _newton_step(st: _State, profile: bool):
    """The Newton step on l* (all parameters, or the intercepts only when ``profile``).

    Where minus the Hessian is not positive definite, a multiple of the identity is added to it
    (Levenberg-Marquardt: 1.5 times the most negative a_i, then quadrupled until positive
    definite), and failing that the step is Fisher scoring (Firth's modified-score step).
    """
    x_a, x_t, positive, _ = _shifted_solve(st, profile, np.zeros(len(st.lstar)))
    if not positive.all():
        rows = np.flatnonzero(~positive)
        sub = st.take(rows)
        shift = 1.5 * np.maximum(0.0, -sub.a.min(axis=1)) + 1e-8 * (1 + np.abs(sub.a).max(axis=1))
        done = np.zeros(len(rows), dtype=bool)
        for _ in range(60):
            s_a, s_t, pos, neg = _shifted_solve(sub, profile, shift)
            good = ~done & (neg == 0) & pos
            x_a[rows[good]], x_t[rows[good]] = s_a[good], s_t[good]
            done |= good
            if done.all():
                break
            shift = np.where(done, shift, 4 * shift)
        if not done.all():
            rest = rows[~done]
            with np.errstate(divide="ignore", invalid="ignore"):
                if profile:
                    f_a, f_t = st.u_alpha[rest] / st.d[rest], np.zeros(len(rest))
                else:
                    f_a, f_t, _ = _arrow_solve(
                        st.d[rest],
                        st.w1[rest],
                        st.w1[rest].sum(axis=1),
                        st.u_alpha[rest],
                        st.u_theta[rest],
                    )
            x_a[rest], x_t[rest] = f_a, f_t
    return x_a, x_t


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


def _study_parts(y1, n1, y2, n2, theta, alpha):
    """l* = sum_i f_i + 1/2 log sum_i s_i: study i's f_i (log-likelihood + 1/2 log D_i) and
    s_i = w_i1 w_i2 / D_i, elementwise.
    """
    eta1 = alpha + theta
    w1 = n1 * special.expit(eta1) * special.expit(-eta1)
    w2 = n2 * special.expit(alpha) * special.expit(-alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = w1 + w2
        f = (
            y1 * eta1
            - n1 * np.logaddexp(0.0, eta1)
            + y2 * alpha
            - n2 * np.logaddexp(0.0, alpha)
            + 0.5 * np.log(d)
        )
        return np.where(np.isfinite(f), f, -np.inf), w1 * w2 / d


def _hop(data: _Data, alpha, theta):
    """Intercepts in better basins, for the rows where some study's intercept has one.

    With theta fixed, a study's intercept can have two local maxima (one fitting each arm: it
    happens with few patients in an arm, or a theta far from the data, as at profile bounds),
    and Newton from a warm start may settle in the worse. Each study's term of the separable
    Jensen minoriser of l* at the current (stationary) point is maximised from each arm's own
    fit (0.5 added to its cells). Moving every study whose term improves is a
    minorise-maximise step (l* increases); failing that, the single study whose move raises l*
    most is moved, if any does. (From those two starts the ascent reached the global maximum of
    every such term on a grid of 0.5 to 1000 patients per arm and |theta| <= 30.) Returns the
    proposed intercepts and which rows have a proposal.
    """
    eta1 = alpha + theta[:, None]
    w1 = data.n1 * special.expit(eta1) * special.expit(-eta1)
    w2 = data.n2 * special.expit(alpha) * special.expit(-alpha)
    s_now = data.on * w1 * w2 / (w1 + w2)
    big_s = s_now.sum(axis=1, keepdims=True)
    share = s_now / big_s
    th = np.broadcast_to(theta[:, None], alpha.shape)
    here = data.on > 0
    counts = (data.y1[here], data.n1[here], data.y2[here], data.n2[here], th[here])
    args = (*counts, share[here])
    current, _, _ = _study_objective(*args, alpha[here])
    f_now, _ = _study_parts(*counts, alpha[here])
    s_here, big_s_here = s_now[here], np.broadcast_to(big_s, alpha.shape)[here]
    best, top = alpha[here], current
    single, gain = alpha[here], np.zeros(len(current))
    for start in (
        np.log((counts[0] + 0.5) / (counts[1] - counts[0] + 0.5)) - counts[4],
        np.log((counts[2] + 0.5) / (counts[3] - counts[2] + 0.5)),
    ):
        end, value = _ascend(args, start)
        better = value > top
        best, top = np.where(better, end, best), np.where(better, value, top)
        f_end, s_end = _study_parts(*counts, end)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = f_end - f_now + 0.5 * np.log1p((s_end - s_here) / big_s_here)
        change = np.where(np.isfinite(change), change, -np.inf)
        better = change > gain
        single, gain = np.where(better, end, single), np.where(better, change, gain)
    tol = 1e-9 * (1 + np.abs(current))
    moved = np.zeros(alpha.shape, dtype=bool)
    moved[here] = top > current + tol
    mm = alpha.copy()
    mm[here] = np.where(top > current + tol, best, alpha[here])
    # the best single move of each row
    gains = np.full(alpha.shape, -np.inf)
    gains[here] = np.where(gain > tol, gain, -np.inf)
    moves = np.zeros(alpha.shape)
    moves[here] = single
    which = np.argmax(gains, axis=1)
    rows = np.arange(len(theta))
    one = alpha.copy()
    one[rows, which] = np.where(
        np.isfinite(gains[rows, which]), moves[rows, which], alpha[rows, which]
    )
    by_mm = moved.any(axis=1)
    by_one = ~by_mm & np.isfinite(gains[rows, which])
    return np.where(by_mm[:, None], mm, one), by_mm | by_one


def _escape(data: _Data, alpha, theta, st: _State):
    """A step off a saddle point of l* in the intercepts, for the rows that sit on one.

    Identical studies keep Newton on their symmetric subspace, which can end at a saddle of
    l* (theta fixed). The intercept block of minus the Hessian is diag(a) + g g'; with two
    non-positive a_i, a_j the direction g_j e_i - g_i e_j (orthogonal to g) has negative
    curvature, and the largest of the steps 1, 1/2, ..., 2^-12 along it, either way, that
    raises l* is taken. Returns the intercepts and which rows moved.
    """
    a = np.where(data.on > 0, st.a, np.inf)
    order = np.argsort(a, axis=1)[:, :2] if a.shape[1] >= 2 else None
    if order is None:
        return alpha, np.zeros(len(theta), dtype=bool)
    rows = np.arange(len(theta))
    i, j = order[:, 0], order[:, 1]
    saddle = (a[rows, i] <= 0) & (a[rows, j] <= 0)
    moved = np.zeros(len(theta), dtype=bool)
    if not saddle.any():
        return alpha, moved
    gi, gj = st.g_alpha[rows, i], st.g_alpha[rows, j]
    both_zero = (gi == 0) & (gj == 0)
    direction = np.zeros_like(alpha)
    direction[rows, i] = np.where(both_zero, 1.0, gj)
    direction[rows, j] = np.where(both_zero, -1.0, -gi)
    direction /= np.abs(direction).max(axis=1, keepdims=True)
    new = alpha.copy()
    todo = saddle.copy()
    for halvings in range(13):
        for sign in (1.0, -1.0):
            if not todo.any():
                return new, moved
            sub = np.flatnonzero(todo)
            trial = alpha[sub] + sign * 2.0**-halvings * direction[sub]
            value = _state(data.take(sub), trial, theta[sub]).lstar
            good = value > st.lstar[sub] + 1e-13 * (1 + np.abs(st.lstar[sub]))
            new[sub[good]] = trial[good]
            moved[sub[good]] = True
            todo[sub[good]] = False
    return new, moved


def _polish(data: _Data, st: _State, alpha, theta, check, profile: bool):
    """Improve the maxima of the rows ``check`` by :func:`_hop` and :func:`_escape`, Newton
    again from each proposal, until no row has one (at most 20 rounds).
    """
    for _ in range(20):
        rows = np.flatnonzero(check)
        if len(rows) == 0:
            break
        sub = data.take(rows)
        proposal, has = _hop(sub, alpha[rows], theta[rows])
        if not has.all():
            stuck = np.flatnonzero(~has)
            at = rows[stuck]
            off, moved = _escape(data.take(at), alpha[at], theta[at], st.take(at))
            proposal[stuck], has[stuck] = off, moved
        rows, proposal = rows[has], proposal[has]
        if len(rows) == 0:
            break
        new_st, new_a, new_t = _maximise(data.take(rows), proposal, theta[rows], profile)
        better = new_st.lstar > st.lstar[rows]
        st = _merge_rows(st, new_st, rows, better)
        alpha[rows[better]], theta[rows[better]] = new_a[better], new_t[better]
        check = np.zeros(len(theta), dtype=bool)
        check[rows[better]] = True
    return st, alpha, theta


def _solve(data: _Data, alpha, theta, profile: bool):
    """:func:`_maximise`, then :func:`_polish` every row."""
    st, alpha, theta = _maximise(data, alpha, theta, profile)
    return _polish(data, st, alpha, theta, np.ones(len(theta), dtype=bool), profile)


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
    it decides a bound) the maximum is polished (:func:`_polish`).
    """
    st, alpha, _ = _maximise(data, alpha, theta, profile=True)
    check = 2 * (lstar_hat - st.lstar) - CHI2_95 > -1.0
    st, alpha, _ = _polish(data, st, alpha, theta.copy(), check, profile=True)
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
    }


def firth_fits(stack: TableStack, spec: MethodSpec = SPEC) -> PooledFits:
    """Firth penalised-likelihood common odds ratio of every meta-analysis of ``stack``.

    Parameters
    ----------
    stack : TableStack
        m meta-analyses of up to k studies; studies where ``stack.present`` is False are
        ignored.
    spec : MethodSpec
        The registry's Firth OR (the engine passes it; there is nothing to choose).

    Returns
    -------
    PooledFits
        One row per meta-analysis: ``method="Firth"``, ``model="common"``; estimate and profile
        penalised-likelihood 95% interval on the odds-ratio scale, ``se`` of the log odds ratio
        (inverse information), p-value of the penalised likelihood-ratio test. Every present
        study is used (``k``), double-zero studies included; nothing is corrected and no
        per-study weight is defined (NaN). A meta-analysis without a present study is not
        estimable (``no_comparable_study``), nor is one without any event (``no_events``):
        there the penalty alone decides the estimate, from the arm sizes, and l* can have two
        equal maxima (0/1 vs 0/15 and 0/2 vs 0/1: odds ratios 1.55 and 4.11, both with
        l* = -2.896060349 in a multi-start R search, tests/reference/firth_no_events.R), so
        which one a fit finds would depend on where it starts.

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
    events = np.where(present, stack.ai + stack.ci, 0.0).sum(axis=1)
    why[(k_used > 0) & (events == 0)] = Reason.NO_EVENTS
    numbers = {
        name: np.full(m, np.nan) for name in ("estimate", "ci_low", "ci_high", "se", "p_value")
    }
    rows = np.flatnonzero((k_used > 0) & (events > 0))
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
    # a bound whose search did not converge is missing, and says so (never silently NaN)
    lost = np.isfinite(numbers["estimate"]) & (
        np.isnan(numbers["ci_low"]) | np.isnan(numbers["ci_high"])
    )
    why[lost & (why == Reason.NONE)] = Reason.NO_CONFIDENCE_INTERVAL
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
        See :func:`firth_fits`; estimated whenever there is at least one study with at least
        one event.

    References
    ----------
    Firth D. Bias reduction of maximum likelihood estimates. Biometrika 1993;80:27-38.
    Heinze G, Schemper M. A solution to the problem of separation in logistic regression.
    Stat Med 2002;21:2409-19. Evrenoglou T, White IR, Afach S, Mavridis D, Chaimani A. Network
    meta-analysis of rare events using penalized likelihood regression. Stat Med
    2022;41:5203-19.
    """
    return firth_fits(as_stack(tables)).row(0)


# ---- any design: the same penalised likelihood for a general logistic model -------------------


@dataclass(frozen=True)
class DesignFit:
    """Firth fit of a logistic model with a general design, and one coefficient profiled.

    ``coef`` and ``se`` are on the logit scale (``se`` from the inverse information at the
    estimate); ``ci_low``/``ci_high`` bound the profiled coefficient (log scale; +-inf when no
    bound is reached within :data:`THETA_LIMIT`, NaN when the search failed); ``p_value`` is the
    penalised likelihood-ratio test of that coefficient = 0; ``lstar`` is l* at the estimate.
    """

    coef: NDArray[np.float64]
    se: NDArray[np.float64]
    lstar: float
    index: int
    ci_low: float
    ci_high: float
    p_value: float


def _design_state(x, y, n, beta):
    """l*, modified score and Fisher information of the design model at ``beta``."""
    eta = x @ beta
    p = special.expit(eta)
    w = n * p * special.expit(-eta)
    info = x.T @ (w[:, None] * x)
    sign, log_det = np.linalg.slogdet(info)
    loglik = float(np.sum(y * eta - n * np.logaddexp(0.0, eta)))
    lstar = loglik + 0.5 * log_det if sign > 0 else -np.inf
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return lstar, None, None
    h = w * np.einsum("ij,jk,ik->i", x, inv, x)
    score = x.T @ (y - n * p + h * (0.5 - p))
    return lstar, score, info


def _design_maximise(x, y, n, beta, free):
    """Maximise l* over the coefficients ``free`` (a boolean mask), the others held fixed: the
    modified-score (Fisher scoring) step of logistf on the free block, the penalty always that
    of the full model, every step halved until l* does not decrease (Heinze & Schemper 2002).
    """
    beta = np.array(beta, dtype=float)
    lstar, score, info = _design_state(x, y, n, beta)
    for _ in range(50 * _MAX_ITER):
        if score is None or np.max(np.abs(score[free]), initial=0.0) <= SCORE_TOL:
            break
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(info[np.ix_(free, free)], score[free])
        size = np.max(np.abs(step))
        factor = min(1.0, _MAX_STEP / size) if size > 0 else 1.0
        for _ in range(_MAX_HALVINGS):
            trial = beta + factor * step
            new = _design_state(x, y, n, trial)
            if new[0] >= lstar - 1e-13 * (1 + abs(lstar)):
                break
            factor /= 2
        else:
            break
        beta, (lstar, score, info) = trial, new
        if factor * size <= STEP_TOL:
            break
    return beta, lstar


def firth_design(
    x: NDArray[np.float64], y: NDArray[np.float64], n: NDArray[np.float64], index: int
) -> DesignFit:
    """Firth penalised-likelihood logistic regression of binomial counts on a design matrix,
    with the profile penalised-likelihood 95% interval and penalised likelihood-ratio p-value
    of one coefficient.

    The model and conventions of :func:`firth` for any design: maximise
    l*(beta) = l(beta) + 1/2 log|X' W X| (Firth 1993; equal for the logit link to brglm2's
    ``type = "AS_mean"`` and ``"MPL_Jeffreys"``); the profile PL(b) = max l* with coefficient
    ``index`` fixed at b, the penalty that of the full model (as logistf, Heinze & Schemper
    2002); the bounds solve 2 (l*hat - PL(b)) = chi2_1(0.95) (Brent's method once a bracket
    is found; +-inf beyond :data:`THETA_LIMIT`); p = P(chi2_1 > 2 (l*hat - PL(0))).

    Parameters
    ----------
    x : array (cells x parameters)
        Full-rank design.
    y, n : array (cells)
        Events and patients of each cell (n >= 1).
    index : int
        The coefficient to profile.

    Returns
    -------
    DesignFit

    References
    ----------
    Firth D. Biometrika 1993;80:27-38. Heinze G, Schemper M. Stat Med 2002;21:2409-19.
    """
    from scipy.optimize import brentq

    x, y, n = (np.asarray(a, dtype=float) for a in (x, y, n))
    free_all = np.ones(x.shape[1], dtype=bool)
    start = np.linalg.lstsq(x, np.log((y + 0.5) / (n - y + 0.5)), rcond=None)[0]
    beta, lstar_hat = _design_maximise(x, y, n, start, free_all)
    _, _, info = _design_state(x, y, n, beta)
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    nuisance = free_all.copy()
    nuisance[index] = False
    cache = {float(beta[index]): beta}

    def profile(b: float) -> float:
        near = min(cache, key=lambda v: abs(v - b))
        begin = cache[near].copy()
        begin[index] = b
        fitted, value = _design_maximise(x, y, n, begin, nuisance)
        cache[b] = fitted
        return value

    def g(b: float) -> float:
        return 2 * (lstar_hat - profile(b)) - CHI2_95

    bounds = []
    for side in (-1.0, 1.0):
        inner, step, bound = float(beta[index]), max(float(se[index]), 0.5), side * np.inf
        while abs(inner) < THETA_LIMIT:
            outer = float(np.clip(inner + side * step, -THETA_LIMIT, THETA_LIMIT))
            if g(outer) > 0:
                bound = brentq(g, min(inner, outer), max(inner, outer), xtol=BOUND_TOL)
                break
            inner, step = outer, 2 * step
        bounds.append(bound)
    lr = max(2 * (lstar_hat - profile(0.0)), 0.0)
    return DesignFit(
        coef=beta,
        se=se,
        lstar=float(lstar_hat),
        index=index,
        ci_low=float(bounds[0]),
        ci_high=float(bounds[1]),
        p_value=float(special.erfc(np.sqrt(lr / 2))),
    )
