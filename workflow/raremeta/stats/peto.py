"""Peto's one-step odds ratio (Yusuf et al. 1985), as metafor ``rma.peto``."""

from __future__ import annotations

import numpy as np

from raremeta.stats import registry
from raremeta.stats.heterogeneity import q_test
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledFits,
    Reason,
    percent,
    reasons,
    wald,
)
from raremeta.stats.two_by_two import Tables, TableStack, as_stack

SPEC = registry.spec("OR", "Peto")


def peto_terms(tables: Tables | TableStack) -> tuple[np.ndarray, np.ndarray]:
    """Observed minus expected events in the CNI arm, and its hypergeometric variance, per study.

    ``O - E = a - n1*(a+c)/N`` and ``V = (a+c)(b+d) n1 n2 / (N^2 (N-1))``; V is the Peto weight.
    Absent studies of a stack have both 0.
    """
    a, b, c, d = tables.ai, tables.bi, tables.ci, tables.di
    n1, n2 = tables.n1i, tables.n2i
    N = n1 + n2
    xt, yt = a + c, b + d
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(N > 1, xt * yt * (n1 / N) * (n2 / N) / (N - 1), 0.0)
    present = tables.present
    return np.where(present, a - xt * n1 / N, 0.0), np.where(present, V, 0.0)


def peto_fits(stack: TableStack, spec: MethodSpec = SPEC) -> PooledFits:
    """Peto one-step odds ratio of every meta-analysis of ``stack`` (see :func:`peto`)."""
    oe, V = peto_terms(stack)
    pos = V > 0
    k = pos.sum(axis=1)
    sum_v = V.sum(axis=1)
    why = reasons(stack.m)
    why[k == 0] = Reason.NO_INFORMATIVE_STUDY
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = oe.sum(axis=1) / sum_v
        se = 1 / np.sqrt(sum_v)
        q = np.maximum(
            0.0,
            np.where(pos, oe**2 / np.where(pos, V, 1.0), 0.0).sum(axis=1)
            - oe.sum(axis=1) ** 2 / sum_v,
        )
    k_yi = (stack.present & ~stack.double_zero).sum(axis=1)
    numbers = wald(beta, se, log_scale=True)
    het = q_test(q, np.where(k > 1, k_yi - 1, 0))
    numbers.update({name: np.where(k > 0, value, np.nan) for name, value in het.items()})
    return PooledFits.make(
        spec,
        why,
        k,
        stack.present.sum(axis=1) - k,
        numbers,
        pos,
        pos & False,
        percent(V, stack.present),
    )


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
    return peto_fits(as_stack(tables)).row(0)
