"""Mantel-Haenszel pooled odds ratio, risk ratio and risk difference (common effect).

As metafor ``rma.mh``: no continuity correction inside the MH sums by default, so double-zero
studies add nothing to OR and RR (and count for RD). Variances: Robins, Breslow & Greenland (1986)
for log OR, Greenland & Robins (1985) for log RR, Sato, Greenland & Robins (1989) for RD. The
heterogeneity Q is Cochran's, computed from the per-study ``escalc(add=1/2, to="only0",
drop00=TRUE)`` effects around the MH estimate, as metafor does. The MH odds ratio equals
statsmodels ``StratifiedTable.oddsratio_pooled`` (tested); the RR and RD estimators and the
RD variance are not in statsmodels.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from raremeta.stats.effect_sizes import corrected_cells, study_effects
from raremeta.stats.results import PooledEffect, wald_fields
from raremeta.stats.two_by_two import Tables


def mh_weights(tables: Tables, measure: str) -> np.ndarray:
    """The Mantel-Haenszel weight of each study (unnormalised), for the forest plot and tables.

    OR: ``b*c/N``; RR: ``c*n1/N``; RD: ``n1*n2/N``.
    """
    b, c = tables.bi, tables.ci
    N = tables.n1i + tables.n2i
    if measure == "OR":
        return b * c / N
    if measure == "RR":
        return c * tables.n1i / N
    return tables.n1i * tables.n2i / N


def _heterogeneity(tables: Tables, measure: str, beta: float) -> dict:
    eff = study_effects(tables, measure, add=0.5, drop00=True)
    ok = np.isfinite(eff.yi)
    k_yi = int(ok.sum())
    if not math.isfinite(beta) or k_yi < 2:
        return {
            "q": math.nan if k_yi >= 2 else 0.0,
            "q_df": max(k_yi - 1, 0),
            "q_p": math.nan if k_yi >= 2 else 1.0,
            "i2": math.nan if k_yi >= 2 else 0.0,
        }
    w = 1 / eff.vi[ok]
    q = max(0.0, float(np.sum(w * (eff.yi[ok] - beta) ** 2)))
    df = k_yi - 1
    return {
        "q": q,
        "q_df": df,
        "q_p": float(special.chdtrc(df, q)),
        "i2": max(0.0, 100 * (q - df) / q) if q > 0 else 0.0,
    }


def mantel_haenszel(
    tables: Tables, measure: str, add: float = 0.0, kind: str = "constant"
) -> PooledEffect:
    """Mantel-Haenszel common-effect estimate.

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
        With ``note`` saying why the estimate is missing when it is not estimable (MH OR needs
        ``sum(a*d/N) > 0`` and ``sum(b*c/N) > 0``; MH RR needs events in both groups).

    References
    ----------
    Greenland S, Robins JM. Estimation of a common effect parameter from sparse follow-up data.
    Biometrics 1985;41:55-68. Robins J, Breslow N, Greenland S. Estimators of the Mantel-Haenszel
    variance consistent in both sparse data and large-strata limiting models. Biometrics
    1986;42:311-23. Sato T, Greenland S, Robins JM. On the variance estimator for the
    Mantel-Haenszel risk difference. Biometrics 1989;45:1323-4.
    """
    k_all = tables.k
    notes = []
    if add > 0:
        keep = ~tables.double_zero if measure != "RD" else np.ones(k_all, dtype=bool)
        used = tables.subset(keep)
        a, b, c, d, corrected = corrected_cells(used, add, kind)
        correction = (
            f"{add:g} added inside the MH sums to every cell of studies with a zero cell"
            if kind == "constant"
            else "treatment-arm correction (Sweeting 2004) inside the MH sums"
        )
        if corrected.any():
            notes.append(f"{int(corrected.sum())} study/studies corrected")
    else:
        used = tables
        a, b, c, d = tables.ai, tables.bi, tables.ci, tables.di
        correction = "none"
    n1, n2 = a + b, c + d
    N = n1 + n2
    dz = used.double_zero
    k_dz = int(tables.double_zero.sum())
    if measure == "RD":
        k = used.k
        excluded = k_all - k
    else:
        k = int((~dz).sum())
        excluded = k_all - k
        if k_dz:
            notes.append(f"{k_dz} double-zero study/studies add nothing to the MH {measure}")
    base = {
        "measure": measure,
        "method": "MH",
        "model": "common",
        "k": k,
        "k_excluded": excluded,
        "correction": correction,
    }
    if measure == "OR":
        R_i, S_i = a * d / N, b * c / N
        R, S = R_i.sum(), S_i.sum()
        if R == 0 or S == 0:
            why = (
                "not estimable: no comparator events in any study (sum of b*c/N is 0), so the MH "
                "odds ratio is infinite"
                if S == 0 and R > 0
                else "not estimable: no CNI events in any study (sum of a*d/N is 0)"
                if R == 0 and S > 0
                else "not estimable: no events in any study"
            )
            return PooledEffect(
                **base, note="; ".join([why, *notes]), **_heterogeneity(tables, measure, math.nan)
            )
        P, Q = (a + d) / N, (b + c) / N
        beta = math.log(R / S)
        se = math.sqrt(
            0.5
            * (
                (P * R_i).sum() / R**2
                + (P * S_i + Q * R_i).sum() / (R * S)
                + (Q * S_i).sum() / S**2
            )
        )
    elif measure == "RR":
        R, S = (a * n2 / N).sum(), (c * n1 / N).sum()
        if a.sum() == 0 or c.sum() == 0:
            why = (
                "not estimable: no comparator events in any study, so the MH risk ratio is infinite"
                if c.sum() == 0 and a.sum() > 0
                else "not estimable: no CNI events in any study"
                if a.sum() == 0 and c.sum() > 0
                else "not estimable: no events in any study"
            )
            return PooledEffect(
                **base, note="; ".join([why, *notes]), **_heterogeneity(tables, measure, math.nan)
            )
        beta = math.log(R / S)
        se = math.sqrt((n1 * n2 * (a + c) / N**2 - a * c / N).sum() / (R * S))
    elif measure == "RD":
        W = (n1 * n2 / N).sum()
        beta = float((a * n2 / N - c * n1 / N).sum() / W)
        num = beta * (c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
        num = num.sum() + (a * (n2 - c) / N + c * (n1 - a) / N).sum() / 2
        if num <= 0:
            notes.append(
                "no confidence interval: the Sato variance is not positive (every arm has either "
                "no events or only events), as in metafor, which returns NaN"
            )
            return PooledEffect(
                **base,
                estimate=beta,
                note="; ".join(notes),
                log_scale=False,
                **_heterogeneity(tables, measure, beta),
            )
        se = math.sqrt(num / W**2)
    else:
        raise ValueError(f"unknown measure {measure!r}")
    return PooledEffect(
        **base,
        **wald_fields(beta, se, log_scale=measure != "RD"),
        note="; ".join(notes),
        log_scale=measure != "RD",
        **_heterogeneity(tables, measure, beta),
    )
