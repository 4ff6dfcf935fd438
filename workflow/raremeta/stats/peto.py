"""Peto's one-step odds ratio (Yusuf et al. 1985), as metafor ``rma.peto``."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from raremeta.stats.results import PooledEffect, wald_fields
from raremeta.stats.two_by_two import Tables


def peto_terms(tables: Tables) -> tuple[np.ndarray, np.ndarray]:
    """Observed minus expected events in the CNI arm, and its hypergeometric variance, per study.

    ``O - E = a - n1*(a+c)/N`` and ``V = (a+c)(b+d) n1 n2 / (N^2 (N-1))``; V is the Peto weight.
    """
    a, b, c, d = tables.ai, tables.bi, tables.ci, tables.di
    n1, n2 = tables.n1i, tables.n2i
    N = n1 + n2
    xt, yt = a + c, b + d
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(N > 1, xt * yt * (n1 / N) * (n2 / N) / (N - 1), 0.0)
    return a - xt * n1 / N, V


def peto(tables: Tables) -> PooledEffect:
    """Peto one-step odds ratio: ``exp(sum(O - E) / sum(V))`` with variance ``1 / sum(V)``.

    Studies with no events (or only events) have V = 0 and add nothing. The Q statistic is
    ``sum((O-E)^2/V) - sum(O-E)^2/sum(V)`` on the studies with V > 0, with df = k - 1 where k
    counts studies that are not double-zero (as metafor).

    Peto's method is biased when the arms are unbalanced or the effect is large (Greenland &
    Salvan 1990; Bradburn et al. 2007, *Stat Med* 26:53).

    References
    ----------
    Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Beta blockade during and after myocardial
    infarction: an overview of the randomized trials. Prog Cardiovasc Dis 1985;27:335-71.
    """
    oe, V = peto_terms(tables)
    pos = V > 0
    k = int(pos.sum())
    base = {
        "measure": "OR",
        "method": "Peto",
        "model": "common",
        "k": k,
        "k_excluded": tables.k - k,
        "correction": "none (not needed)",
    }
    if k == 0:
        return PooledEffect(
            **base, note="not estimable: no study has both patients with and without the event"
        )
    sumV = V.sum()
    beta = oe.sum() / sumV
    se = 1 / math.sqrt(sumV)
    k_yi = int((~tables.double_zero).sum())
    q = max(0.0, float((oe[pos] ** 2 / V[pos]).sum() - oe.sum() ** 2 / sumV))
    if k > 1:
        df = k_yi - 1
        het = {
            "q": q,
            "q_df": df,
            "q_p": float(special.chdtrc(df, q)),
            "i2": max(0.0, 100 * (q - df) / q) if q > 0 else 0.0,
        }
    else:
        het = {"q": q, "q_df": 0, "q_p": 1.0, "i2": 0.0}
    notes = []
    if tables.k - k:
        notes.append(
            f"{tables.k - k} study/studies without events (or with only events) add nothing"
        )
    return PooledEffect(
        **base,
        **wald_fields(beta, se, log_scale=True),
        note="; ".join(notes),
        **het,
    )
