"""Mantel-Haenszel pooled odds ratio, risk ratio and risk difference (common effect).

As metafor ``rma.mh``: no continuity correction inside the MH sums by default, so double-zero
studies add nothing to OR and RR (and count for RD). Variances: Robins, Breslow & Greenland (1986)
for log OR, Greenland & Robins (1985) for log RR, Sato, Greenland & Robins (1989) for RD. The
heterogeneity Q is Cochran's, computed from the per-study ``escalc(add=1/2, to="only0",
drop00=TRUE)`` effects around the MH estimate, as metafor does. The MH odds ratio equals
statsmodels ``StratifiedTable.oddsratio_pooled`` (tested); the RR and RD estimators and the
RD variance are not in statsmodels.

One kernel fits m meta-analyses at once (arrays m x k); :func:`mantel_haenszel` is its
one-meta-analysis façade.
"""

from __future__ import annotations

import numpy as np

from raremeta.stats import registry
from raremeta.stats.effect_sizes import corrected_cells, study_effects
from raremeta.stats.heterogeneity import q_around
from raremeta.stats.results import (
    Correction,
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    percent,
    reasons,
    wald,
)
from raremeta.stats.two_by_two import Tables, TableStack, as_stack


def _why(cni: np.ndarray, comparator: np.ndarray) -> np.ndarray:
    """Reason when a sum is zero: no comparator events, no CNI events, or none at all."""
    out = reasons(len(cni))
    out[(comparator == 0) & (cni > 0)] = Reason.NO_COMPARATOR_EVENTS
    out[(cni == 0) & (comparator > 0)] = Reason.NO_CNI_EVENTS
    out[(cni == 0) & (comparator == 0)] = Reason.NO_EVENTS
    return out


def mantel_haenszel_fits(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """The MH estimate of ``spec.measure`` for every meta-analysis of ``stack``.

    With ``spec.add > 0`` the correction is added inside the MH sums to every cell of studies
    with a zero cell, and double-zero studies are left out for OR and RR (as RevMan does).
    """
    measure = spec.measure
    present, double_zero = stack.present, stack.double_zero
    m = stack.m
    if spec.add > 0:
        used = present & (~double_zero if measure != "RD" else True)
        a, b, c, d, corrected = corrected_cells(stack, spec.add, str(spec.correction))
        corrected &= used
    else:
        used = present.copy()
        a, b, c, d = stack.ai, stack.bi, stack.ci, stack.di
        corrected = np.zeros(a.shape, dtype=bool)
    a, b, c, d = (np.where(used, x, 0.0) for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    N = np.where(used, n1 + n2, 1.0)
    k = used.sum(axis=1) if measure == "RD" else (used & ~double_zero).sum(axis=1)
    why = reasons(m)
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
            why = _why(R, S)
            weights = b * c / N
        elif measure == "RR":
            R, S = (a * n2 / N).sum(axis=1), (c * n1 / N).sum(axis=1)
            beta = np.log(R / S)
            var = (n1 * n2 * (a + c) / N**2 - a * c / N).sum(axis=1) / (R * S)
            why = _why(a.sum(axis=1), c.sum(axis=1))
            weights = c * n1 / N
        elif measure == "RD":
            W = (n1 * n2 / N).sum(axis=1)
            beta = (a * n2 / N - c * n1 / N).sum(axis=1) / W
            num = (
                beta[:, None]
                * (c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
            ).sum(axis=1) + (a * (n2 - c) / N + c * (n1 - a) / N).sum(axis=1) / 2
            # not positive (every arm has no events or only events): an estimate without CI
            var = np.where(num > 0, num / W**2, np.nan)
            why[~(num > 0)] = Reason.NO_CONFIDENCE_INTERVAL
            weights = n1 * n2 / N
        else:
            raise ValueError(f"unknown measure {measure!r}")
    # a variance that is not positive (e.g. every patient of every arm had the event) gives an
    # estimate without an interval, never a zero-width one
    with np.errstate(invalid="ignore"):
        why[(why == Reason.NONE) & ~(var > 0)] = Reason.NO_CONFIDENCE_INTERVAL
    estimable = (why == Reason.NONE) | (why == Reason.NO_CONFIDENCE_INTERVAL)
    beta = np.where(estimable, beta, np.nan)
    numbers = wald(beta, np.where(estimable, np.sqrt(var), np.nan), spec.log_scale)
    eff = study_effects(stack, measure, add=0.5, drop00=True)
    numbers.update(q_around(eff.yi, eff.vi, beta))
    weight_used = used & (~double_zero if measure != "RD" else True)
    return PooledFits.make(
        spec,
        why,
        k,
        present.sum(axis=1) - k,
        numbers,
        weight_used,
        corrected,
        percent(np.where(weight_used, weights, 0.0), present),
    )


def mantel_haenszel(
    tables: Tables, measure: str, add: float = 0.0, kind: str = "constant"
) -> PooledEffect:
    """Mantel-Haenszel common-effect estimate of one meta-analysis.

    Parameters
    ----------
    tables : Tables
        The studies (CNI arm first).
    measure : {'OR', 'RR', 'RD'}
        Effect measure.
    add : float
        Continuity correction *inside* the MH sums, added to every cell of studies with a zero
        cell (double-zero studies are then left out, as RevMan does). 0 (default) is the metafor
        convention; 0.5 reproduces RevMan. See :func:`~raremeta.stats.effect_sizes.corrected_cells`
        for ``kind``.
    kind : {'constant', 'treatment_arm'}
        Kind of continuity correction when ``add > 0``.

    Returns
    -------
    PooledEffect
        Not estimable, with the reason, when the MH OR's ``sum(a*d/N)`` or ``sum(b*c/N)`` is 0
        or the MH RR has no events in a group; an MH RD whose Sato variance is not positive has
        an estimate without interval (reason ``no_confidence_interval``).

    References
    ----------
    Greenland S, Robins JM. Estimation of a common effect parameter from sparse follow-up data.
    Biometrics 1985;41:55-68. Robins J, Breslow N, Greenland S. Estimators of the Mantel-Haenszel
    variance consistent in both sparse data and large-strata limiting models. Biometrics
    1986;42:311-23. Sato T, Greenland S, Robins JM. On the variance estimator for the
    Mantel-Haenszel risk difference. Biometrics 1989;45:1323-4.
    """
    spec = registry.spec(measure, "MH", add=add, correction=Correction(kind))
    return mantel_haenszel_fits(as_stack(tables), spec).row(0)
