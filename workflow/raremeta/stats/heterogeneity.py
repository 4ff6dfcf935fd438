"""Cochran's Q, its p-value and I², for many meta-analyses at once (one formula each).

Q on k - 1 degrees of freedom against a chi-square distribution (Cochran 1954); I² from Q as
``max(0, (Q - df) / Q)`` (Higgins & Thompson 2002) for the common-effect methods, and from tau²
and the typical within-study variance ``(k - 1) / (sum(w) - sum(w²) / sum(w))`` for random
effects, as metafor reports it (Higgins & Thompson 2002, equation 9).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]


def i2_from_q(q: Array, df: Array) -> Array:
    """``100 * max(0, (Q - df) / Q)``; 0 where Q is 0, NaN where Q is NaN."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - df) / q), 0.0)
    return np.where(np.isnan(q), np.nan, i2)


def i2_from_tau2(tau2: Array, w: Array) -> Array:
    """I² implied by tau² and the typical within-study variance of weights ``w`` (m x k).

    ``w`` is zero for studies a meta-analysis leaves out; rows with fewer than two studies get 0.
    """
    k = (w > 0).sum(axis=-1)
    sw = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        typical_v = (k - 1) / (sw - (w * w).sum(axis=-1) / sw)
        return np.where(k >= 2, 100 * tau2 / (typical_v + tau2), 0.0)


def q_test(q: Array, df: Array) -> dict[str, Array]:
    """Q, its df, chi-square p-value and I², with the conventions for fewer than two studies.

    Where ``df`` is 0 (one study): Q as given, p = 1, I² = 0. Where Q is NaN (no estimate to
    centre it on): NaN throughout but df.
    """
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    one = df <= 0
    return {
        "q": q,
        "q_df": np.maximum(df, 0.0),
        "q_p": np.where(
            one, np.where(np.isnan(q), np.nan, 1.0), special.chdtrc(np.maximum(df, 1), q)
        ),
        "i2": np.where(one, np.where(np.isnan(q), np.nan, 0.0), i2_from_q(q, df)),
    }


def q_around(yi: Array, vi: Array, beta: Array) -> dict[str, Array]:
    """Cochran's Q of the finite effects ``yi`` (m x k) around ``beta`` (m), with its test.

    The heterogeneity of the MH methods, as metafor ``rma.mh``: from the per-study effects of
    ``escalc(add=1/2, to="only0", drop00=TRUE)`` around the MH estimate. NaN where two or more
    studies have effects but ``beta`` is not finite; 0 (p = 1) with fewer than two.
    """
    ok = np.isfinite(yi)
    k_yi = ok.sum(axis=-1)
    w = np.where(ok, 1 / np.where(ok, vi, 1.0), 0.0)
    r = np.where(ok, yi, 0.0) - np.asarray(beta)[..., None]
    with np.errstate(invalid="ignore"):
        q = np.maximum(0.0, (w * r * r).sum(axis=-1))
    q = np.where(k_yi >= 2, np.where(np.isfinite(beta), q, np.nan), 0.0)
    return q_test(q, k_yi - 1)
