"""Exact conditional tests of "odds ratio 1" for many adverse-event terms at once, stratified
by trial: the p-values of R ``mantelhaen.test(exact = TRUE)`` (``fisher.test`` for one trial)
and the mid-p, vectorised over terms.

For each term the CNI-arm events ``a_i`` of its trials, given every margin, are independent
hypergeometric variables under the null; ``T = Σ a_i`` has the convolution of their
distributions (:mod:`raremeta.stats.exact_conditional` explains the conditional model; this
module evaluates the same distribution at ψ = 1 only, which is all a test needs). The
distribution is convolved in linear scale, each trial's hypergeometric probabilities normalised
first, as R's ``d2x2xk`` does. Rare terms (support up to :data:`VECTOR_SPAN` values, most of a
registry's terms) are convolved together: put into buckets by the length of their support,
each bucket trial by trial as arrays (terms x support), so the Python loop runs over trials and
support widths, not terms. Common terms are convolved one at a time with numpy's direct
convolution, where the work is in the convolution itself.

* **Exact p-value**, two-sided by R's rule: the probability of every value of T no more
  probable than the observed one, with R's relative tolerance
  (:data:`~raremeta.stats.exact_conditional.R_REL_ERR`).
* **Mid-p** (Lancaster 1961): twice the smaller one-sided tail with half the probability of
  the observed value, at most 1.

A trial with no events in either arm (or events in every patient) has a one-point distribution
and changes nothing, as in R. A term whose counts are not whole numbers has no test (NaN).

References
----------
Mantel N, Haenszel W. Statistical aspects of the analysis of data from retrospective studies
of disease. J Natl Cancer Inst 1959;22:719-48 (the exact conditional version: Mehta CR, Patel
NR, Gray R. J Am Stat Assoc 1985;80:969-73).
Lancaster HO. Significance tests in discrete distributions. J Am Stat Assoc 1961;56:223-34.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from raremeta.stats.exact_conditional import R_REL_ERR, log_choose
from raremeta.stats.two_by_two import TableStack

#: Terms whose conditional support is at most this long are convolved together as arrays
#: (rare terms: the Python loop is over trials); longer ones one at a time with
#: ``np.convolve`` (common terms: the work is in the convolution, not the loop).
VECTOR_SPAN = 64


@dataclass(frozen=True)
class ExactTests:
    """The exact conditional tests of m terms (arrays of length m).

    Attributes
    ----------
    p_value : ndarray
        Two-sided exact p-value (R's rule); NaN where the counts are not whole numbers.
    p_mid : ndarray
        Two-sided mid-p value; NaN as ``p_value``.
    informative : ndarray of int
        Trials whose conditional distribution has more than one point.
    """

    p_value: NDArray[np.float64]
    p_mid: NDArray[np.float64]
    informative: NDArray[np.int64]


def _convolve(
    lo: NDArray[np.float64],
    width: NDArray[np.int64],
    n1: NDArray[np.float64],
    n2: NDArray[np.float64],
    t: NDArray[np.float64],
    length: int,
) -> NDArray[np.float64]:
    """The null distribution of T for a bucket of terms (rows), as probabilities over
    ``0 .. length - 1`` above each term's smallest value.
    """
    m, k = lo.shape
    dist = np.zeros((m, length))
    dist[:, 0] = 1.0
    filled = 1  # columns of dist that can be non-zero
    for s in range(k):
        w = int(width[:, s].max())
        if w == 1:
            continue
        steps = np.arange(w)
        valid = steps[None, :] < width[:, s, None]
        u = lo[:, s, None] + steps[None, :]
        with np.errstate(invalid="ignore"):
            logw = log_choose(n1[:, s, None], np.where(valid, u, 0.0)) + log_choose(
                n2[:, s, None], np.where(valid, t[:, s, None] - u, 0.0)
            )
        logw = np.where(valid, logw, -np.inf)
        pmf = np.exp(logw - logw.max(axis=1, keepdims=True))
        pmf /= pmf.sum(axis=1, keepdims=True)
        new = np.zeros_like(dist)
        for i in range(w):
            end = min(length, i + filled)  # beyond, every row's products are zero
            new[:, i:end] += dist[:, : end - i] * pmf[:, i, None]
        filled = min(length, filled + w - 1)
        dist = new
    return dist


def _convolve_one(
    lo: NDArray[np.float64],
    width: NDArray[np.int64],
    n1: NDArray[np.float64],
    n2: NDArray[np.float64],
    t: NDArray[np.float64],
) -> NDArray[np.float64]:
    """:func:`_convolve` of one term, trial by trial with ``np.convolve`` (direct, not FFT: the
    small probabilities keep their relative accuracy).
    """
    dist = np.ones(1)
    for s in np.flatnonzero(width > 1):
        u = lo[s] + np.arange(width[s])
        logw = log_choose(n1[s], u) + log_choose(n2[s], t[s] - u)
        pmf = np.exp(logw - logw.max())
        dist = np.convolve(dist, pmf / pmf.sum())
    return dist


def _p_values(
    d: NDArray[np.float64], j: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact (R's rule) and mid-p two-sided p-values of distributions ``d`` (rows) at the
    observed positions ``j``.
    """
    d = d / d.sum(axis=1, keepdims=True)
    index = (np.arange(len(j)), j)
    at = d[index]
    exact = np.minimum(1.0, np.where(d <= (at * R_REL_ERR)[:, None], d, 0.0).sum(axis=1))
    below = np.cumsum(d, axis=1)[index] - at
    above = np.cumsum(d[:, ::-1], axis=1)[:, ::-1][index] - at
    return exact, np.minimum(1.0, 2 * np.minimum(below, above) + at)


def exact_tests(stack: TableStack) -> ExactTests:
    """Exact conditional and mid-p tests of odds ratio 1 for every meta-analysis (term) of
    ``stack``, stratified by study (module docstring).

    Parameters
    ----------
    stack : TableStack
        One row per term, one column per trial; trials not ``present`` are left out.

    Returns
    -------
    ExactTests
        p-values 1 where no trial is informative (T has one value), as R gives.
    """
    present = stack.present
    whole = np.all(
        [
            np.all((np.mod(x, 1) == 0) | ~present, axis=1)
            for x in (stack.ai, stack.n1i, stack.ci, stack.n2i)
        ],
        axis=0,
    )
    a = np.where(present, stack.ai, 0.0)
    c = np.where(present, stack.ci, 0.0)
    n1 = np.where(present, stack.n1i, 1.0)
    n2 = np.where(present, stack.n2i, 1.0)
    t = a + c
    lo = np.maximum(0.0, t - n2)
    hi = np.minimum(n1, t)
    width = np.where(whole[:, None], hi - lo + 1, 1).astype(np.int64)
    informative = (present & (width > 1)).sum(axis=1)
    span = (width - 1).sum(axis=1) + 1
    j = (a - lo).sum(axis=1).astype(np.int64)
    p_value = np.full(stack.m, np.nan)
    p_mid = np.full(stack.m, np.nan)
    short = whole & (span <= VECTOR_SPAN)
    # short supports: buckets of terms whose supports have lengths in (2^(b-1), 2^b]
    bucket = np.ceil(np.log2(span)).astype(int)
    for b in np.unique(bucket[short]):
        rows = np.flatnonzero(short & (bucket == b))
        length = int(span[rows].max())
        d = _convolve(lo[rows], width[rows], n1[rows], n2[rows], t[rows], length)
        p_value[rows], p_mid[rows] = _p_values(d, j[rows])
    # long supports (common terms): one term at a time, numpy's direct convolution
    for row in np.flatnonzero(whole & ~short):
        d = _convolve_one(lo[row], width[row], n1[row], n2[row], t[row])
        p_value[row], p_mid[row] = (x[0] for x in _p_values(d[None, :], j[row : row + 1]))
    return ExactTests(p_value, p_mid, informative)
