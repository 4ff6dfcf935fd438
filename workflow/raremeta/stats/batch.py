"""The primary set for many meta-analyses at once, vectorised across meta-analyses.

The scalar core (:mod:`~raremeta.stats.mantel_haenszel`, :mod:`~raremeta.stats.peto`,
:mod:`~raremeta.stats.inverse_variance`) fits one meta-analysis at a time; for k = 10 studies
most of its time is numpy's per-call overhead. Here every fit of the primary set except the
exact conditional-ML odds ratio takes arrays of shape ``(m, k)`` (m meta-analyses of k studies
each) and returns arrays of length m, with the same conventions, the same not-estimable cases
(NaN) and the same numbers as the scalar core (tested to 1e-9; the tau² roots are found by
bisection in lockstep where the scalar core uses Brent's method). Studies a fit leaves out
(double-zero studies for OR and RR) get weight 0, so ``k`` may differ between meta-analyses in
effect though not in shape.

Use it for simulation and benchmarking; the pipeline uses the scalar core, whose results carry
notes (why a value is missing, which studies were corrected).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from raremeta.stats.effect_sizes import effects_from_cells
from raremeta.stats.inverse_variance import _TAU2_MAX
from raremeta.stats.results import Z975

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BatchFit:
    """One method of the primary set for m meta-analyses: arrays of length m, NaN where the
    scalar core gives no value. Estimates and bounds are on the natural scale.
    """

    measure: str
    method: str
    model: str
    tau2_estimator: str
    k: NDArray[np.int64]
    estimate: Array
    ci_low: Array
    ci_high: Array
    se: Array
    p_value: Array
    q: Array
    q_df: Array
    q_p: Array
    i2: Array
    tau2: Array
    tau2_ci_low: Array
    tau2_ci_high: Array
    pi_low: Array
    pi_high: Array

    def to_frame(self):
        """A tidy DataFrame: one row per meta-analysis, the method in the first columns."""
        import pandas as pd

        columns = {f.name: getattr(self, f.name) for f in fields(self)}
        return pd.DataFrame(columns)


#: The fields of BatchFit after the estimate, its CI, se and p-value.
HETEROGENEITY_FIELDS = (
    "q",
    "q_df",
    "q_p",
    "i2",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "pi_low",
    "pi_high",
)


def _nan(m: int) -> Array:
    return np.full(m, np.nan)


def _fit(measure, method, model, estimator, k, beta, se, log_scale, **extra) -> BatchFit:
    m = len(k)
    back = np.exp if log_scale else (lambda x: x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lo, hi = beta - Z975 * se, beta + Z975 * se
        p = np.where(se > 0, 2 * special.ndtr(-np.abs(beta / se)), np.nan)
        values = {
            "estimate": back(beta),
            "ci_low": back(lo),
            "ci_high": back(hi),
            "se": se,
            "p_value": p,
        }
    for name in HETEROGENEITY_FIELDS:
        values[name] = extra.get(name, _nan(m))
    return BatchFit(measure, method, model, estimator, k, **values)


def _cells(ai, n1i, ci, n2i) -> tuple[Array, Array, Array, Array]:
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i))
    if a.ndim != 2 or not (a.shape == n1.shape == c.shape == n2.shape):
        raise ValueError("ai, n1i, ci, n2i must be arrays of the same shape (m, k)")
    return a, n1 - a, c, n2 - c


def _double_zero(a: Array, b: Array, c: Array, d: Array) -> NDArray[np.bool_]:
    """No events in either arm, or only events: no information on a ratio."""
    return ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))


def effects(ai, n1i, ci, n2i, measure: str, drop00: bool | None = None) -> tuple[Array, Array]:
    """Per-study effects and variances, ``escalc(add=1/2, to="only0")``; NaN where dropped."""
    a, b, c, d = _cells(ai, n1i, ci, n2i)
    if drop00 is None:
        drop00 = measure != "RD"
    double_zero = _double_zero(a, b, c, d)
    add = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    yi, vi = effects_from_cells(a + add, b + add, c + add, d + add, measure)
    bad = (double_zero & drop00) | ~np.isfinite(yi) | ~np.isfinite(vi)
    return np.where(bad, np.nan, yi), np.where(bad, np.nan, vi)


def _q_around(yi: Array, vi: Array, beta: Array) -> dict[str, Array]:
    """Cochran's Q of the finite effects around ``beta``, its df, p and I² (MH convention)."""
    ok = np.isfinite(yi)
    k_yi = ok.sum(axis=1)
    w = np.where(ok, 1 / np.where(ok, vi, 1.0), 0.0)
    r = np.where(ok, yi, 0.0) - beta[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.maximum(0.0, (w * r * r).sum(axis=1))
        i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - (k_yi - 1)) / q), 0.0)
    enough = k_yi >= 2
    usable = enough & np.isfinite(beta)
    df = np.maximum(k_yi - 1, 0).astype(float)
    q_p = np.where(usable, special.chdtrc(np.maximum(df, 1), q), np.where(enough, np.nan, 1.0))
    q = np.where(usable, q, np.where(enough, np.nan, 0.0))
    i2 = np.where(usable, i2, np.where(enough, np.nan, 0.0))
    return {"q": q, "q_df": df, "q_p": q_p, "i2": i2}


def mantel_haenszel(ai, n1i, ci, n2i, measure: str) -> BatchFit:
    """MH OR, RR or RD without continuity correction (as :func:`~raremeta.stats.
    mantel_haenszel.mantel_haenszel` with its defaults).
    """
    a, b, c, d = _cells(ai, n1i, ci, n2i)
    n1, n2 = a + b, c + d
    N = n1 + n2
    double_zero = _double_zero(a, b, c, d)
    m = a.shape[0]
    k = np.full(m, a.shape[1]) if measure == "RD" else (~double_zero).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            R_i, S_i = a * d / N, b * c / N
            R, S = R_i.sum(axis=1), S_i.sum(axis=1)
            P, Q = (a + d) / N, (b + c) / N
            beta = np.log(R / S)
            var = 0.5 * (
                (P * R_i).sum(axis=1) / R**2
                + (P * S_i + Q * R_i).sum(axis=1) / (R * S)
                + (Q * S_i).sum(axis=1) / S**2
            )
            estimable = (R > 0) & (S > 0)
        elif measure == "RR":
            R, S = (a * n2 / N).sum(axis=1), (c * n1 / N).sum(axis=1)
            beta = np.log(R / S)
            var = (n1 * n2 * (a + c) / N**2 - a * c / N).sum(axis=1) / (R * S)
            estimable = (a.sum(axis=1) > 0) & (c.sum(axis=1) > 0)
        elif measure == "RD":
            W = (n1 * n2 / N).sum(axis=1)
            beta = (a * n2 / N - c * n1 / N).sum(axis=1) / W
            num = (
                beta[:, None]
                * (c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
            ).sum(axis=1) + (a * (n2 - c) / N + c * (n1 - a) / N).sum(axis=1) / 2
            var = np.where(num > 0, num / W**2, np.nan)  # not positive: estimate without CI
            estimable = np.ones(m, dtype=bool)
        else:
            raise ValueError(f"unknown measure {measure!r}")
    beta = np.where(estimable, beta, np.nan)
    se = np.where(estimable, np.sqrt(var), np.nan)
    yi, vi = effects(ai, n1i, ci, n2i, measure, drop00=True)
    return _fit(
        measure, "MH", "common", "", k, beta, se, measure != "RD", **_q_around(yi, vi, beta)
    )


def peto(ai, n1i, ci, n2i) -> BatchFit:
    """Peto one-step odds ratio (as :func:`~raremeta.stats.peto.peto`)."""
    a, b, c, d = _cells(ai, n1i, ci, n2i)
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(N > 1, xt * yt * (n1 / N) * (n2 / N) / (N - 1), 0.0)
        oe = a - xt * n1 / N
        pos = V > 0
        k = pos.sum(axis=1)
        sum_v = V.sum(axis=1)
        beta = np.where(k > 0, oe.sum(axis=1) / sum_v, np.nan)
        se = np.where(k > 0, 1 / np.sqrt(sum_v), np.nan)
        q = np.maximum(
            0.0,
            np.where(pos, oe**2 / np.where(pos, V, 1.0), 0.0).sum(axis=1)
            - oe.sum(axis=1) ** 2 / sum_v,
        )
        df = (~_double_zero(a, b, c, d)).sum(axis=1) - 1
        i2 = np.where((k > 1) & (q > 0), np.maximum(0.0, 100 * (q - df) / q), 0.0)
        q_df = np.where(k > 1, df, 0).astype(float)
        q_p = np.where(k > 1, special.chdtrc(np.maximum(df, 1), q), 1.0)
    het = {"q": q, "q_df": q_df, "q_p": q_p, "i2": i2}
    het = {name: np.where(k > 0, value, np.nan) for name, value in het.items()}
    return _fit("OR", "Peto", "common", "", k, beta, se, True, **het)


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
            return (w * self.y).sum(axis=1) / sw, np.sqrt(1 / sw)

    def generalised_q(self, tau2: Array, rows=slice(None)) -> Array:
        w = self.weights(tau2, rows)
        y = self.y[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = y - (np.einsum("ij,ij->i", w, y) / w.sum(axis=1))[:, None]
        return np.einsum("ij,ij->i", w * r, r)

    def reml_score(self, tau2: Array, rows=slice(None)) -> Array:
        w = self.weights(tau2, rows)
        y = self.y[rows]
        sw = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = w * (y - (np.einsum("ij,ij->i", w, y) / sw)[:, None])
            return np.einsum("ij,ij->i", r, r) - (sw - np.einsum("ij,ij->i", w, w) / sw)


def _root(f, active: NDArray[np.bool_]) -> Array:
    """Root on [0, inf) of decreasing functions positive at 0, where ``active``; else 0.

    ``f(tau2, rows)`` evaluates the functions of the meta-analyses ``rows`` at ``tau2``. The
    bracket is the scalar core's ([0, 1], the upper end multiplied by 4 while f is positive,
    infinite past 1e6); the root is then found by the Illinois variant of false position for
    all meta-analyses in lockstep, each leaving the loop when its bracket is 1e-15 wide
    (relative) or f is 0 there.
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
        growing = growing[hi[growing] <= _TAU2_MAX]
        f_hi[growing] = f(hi[growing], rows[growing])
        growing = growing[f_hi[growing] > 0]
    infinite = hi > _TAU2_MAX
    out[rows[infinite]] = np.inf
    lo = np.zeros(rows.size)
    f_lo = f(lo, rows)
    root = np.full(rows.size, np.nan)
    side = np.zeros(rows.size)
    todo = np.flatnonzero(~infinite)
    for _ in range(500):
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
        done = (fx == 0) | (hi[todo] - lo[todo] <= 1e-15 * hi[todo])
        root[todo] = np.where(done, np.where(fx == 0, x, 0.5 * (lo[todo] + hi[todo])), np.nan)
        todo = todo[~done]
    root[todo] = 0.5 * (lo[todo] + hi[todo])
    out[rows[~infinite]] = root[~infinite]
    return out


def inverse_variance(
    yi: ArrayLike, vi: ArrayLike, measure: str, model: str, estimator: str = ""
) -> BatchFit:
    """Inverse-variance common or random-effects (DL, REML, PM) fits of many meta-analyses (as
    :func:`~raremeta.stats.inverse_variance.inverse_variance`), with Q, I², tau², its Q-profile
    CI and the prediction interval (t, k - 2 df).
    """
    s = _Studies(np.asarray(yi, dtype=float), np.asarray(vi, dtype=float))
    m, k = len(s.k), s.k
    zero = np.zeros(m)
    # no study, or a study with zero variance: the scalar core reports nothing at all
    usable = (k > 0) & ~np.any(s.ok & (s.v <= 0), axis=1)
    estimable = usable.copy()
    q0 = s.generalised_q(zero)
    df = k - 1
    two = k >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        i2_q = np.where(two & (q0 > 0), np.maximum(0.0, 100 * (q0 - df) / q0), 0.0)
    q = np.where(two, q0, 0.0)
    extra: dict[str, Array] = {
        "q": q,
        "q_df": np.where(two, df, 0).astype(float),
        "q_p": np.where(two, special.chdtrc(np.maximum(df, 1), q0), 1.0),
    }
    if model == "common":
        tau2 = zero
        extra["i2"] = i2_q
    elif model == "random":
        w0 = s.weights(zero)
        sw0 = w0.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = sw0 - (w0 * w0).sum(axis=1) / sw0
        if estimator == "DL":
            with np.errstate(divide="ignore", invalid="ignore"):
                tau2 = np.where(two, np.maximum(0.0, (q0 - df) / c), 0.0)
        elif estimator == "PM":
            tau2 = _root(lambda t, rows: s.generalised_q(t, rows) - df[rows], two & (q0 > df))
        elif estimator == "REML":
            tau2 = _root(s.reml_score, two & (s.reml_score(zero) > 0))
        else:
            raise ValueError(f"unknown tau² estimator {estimator!r}")
        estimable &= np.isfinite(tau2)
        with np.errstate(divide="ignore", invalid="ignore"):
            typical_v = np.where(two, df / c, np.nan)
            extra["i2"] = np.where(two, 100 * tau2 / (typical_v + tau2), 0.0)
        extra["tau2"] = tau2
        dfs = np.maximum(df, 1)
        bounds = []
        for quantile in (0.975, 0.025):
            crit = special.chdtri(dfs, 1 - quantile)
            bounds.append(
                _root(lambda t, rows, c=crit: s.generalised_q(t, rows) - c[rows], two & (q0 > crit))
            )
        extra["tau2_ci_low"] = np.where(two, bounds[0], np.nan)
        extra["tau2_ci_high"] = np.where(two, bounds[1], np.nan)
    else:
        raise ValueError("model must be 'common' or 'random'")
    mu, se = s.fixed(np.where(np.isfinite(tau2), tau2, 0.0))
    mu = np.where(estimable, mu, np.nan)
    se = np.where(estimable, se, np.nan)
    if model == "random":
        three = estimable & (k >= 3)
        crit = special.stdtrit(np.maximum(k - 2, 1), 0.975)
        with np.errstate(invalid="ignore"):
            half = crit * np.sqrt(se**2 + tau2)
        back = np.exp if measure != "RD" else (lambda x: x)
        with np.errstate(over="ignore"):
            extra["pi_low"] = np.where(three, back(mu - half), np.nan)
            extra["pi_high"] = np.where(three, back(mu + half), np.nan)
        for name in ("i2", "tau2", "tau2_ci_low", "tau2_ci_high"):
            extra[name] = np.where(np.isfinite(tau2), extra[name], np.nan)
    for name in extra:
        extra[name] = np.where(usable, extra[name], np.nan)
    return _fit(
        measure,
        "IV",
        model,
        estimator if model == "random" else "",
        k,
        mu,
        se,
        measure != "RD",
        **extra,
    )


def primary_set(ai, n1i, ci, n2i) -> list[BatchFit]:
    """The 16 fits of the primary set without the exact method, in ``PRIMARY_SET`` order."""
    fits = [mantel_haenszel(ai, n1i, ci, n2i, measure) for measure in ("OR", "RR", "RD")]
    fits.append(peto(ai, n1i, ci, n2i))
    per_measure = {m: effects(ai, n1i, ci, n2i, m) for m in ("OR", "RR", "RD")}
    fits += [inverse_variance(*per_measure[m], m, "common") for m in ("OR", "RR", "RD")]
    fits += [
        inverse_variance(*per_measure[m], m, "random", e)
        for m in ("OR", "RR", "RD")
        for e in ("DL", "REML", "PM")
    ]
    return fits


__all__ = ["BatchFit", "effects", "inverse_variance", "mantel_haenszel", "peto", "primary_set"]
