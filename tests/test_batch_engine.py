"""The vectorised primary set (raremeta.stats.batch) equals the scalar core, fit by fit and
field by field, on rare-event meta-analyses with zero cells, double-zero studies and k = 1 to 12
(the scalar core is itself tested against metafor in test_metafor_agreement.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from raremeta.analysis.result_tables import PRIMARY_SET, run_method
from raremeta.stats import batch
from raremeta.stats.two_by_two import Tables

FIELDS = ("estimate", "ci_low", "ci_high", "se", "p_value", *batch.HETEROGENEITY_FIELDS)


def simulate(m: int, k: int, seed: int) -> tuple[np.ndarray, ...]:
    """m meta-analyses of k studies: risks 0.1%-20%, arms of 5 to 300, many zero cells."""
    rng = np.random.default_rng(seed)
    n1 = rng.integers(5, 300, (m, k)).astype(float)
    n2 = rng.integers(5, 300, (m, k)).astype(float)
    p2 = np.exp(rng.uniform(np.log(0.001), np.log(0.2), (m, 1)))
    p1 = np.minimum(0.9, p2 * np.exp(rng.normal(0.5, 0.8, (m, 1)) + rng.normal(0, 0.5, (m, k))))
    ai, ci = rng.binomial(n1.astype(int), p1), rng.binomial(n2.astype(int), p2)
    # a few meta-analyses with every patient an event in one arm, or no events at all
    ai[0], ci[0] = 0, 0
    ai[1] = n1[1]
    return ai.astype(float), n1, ci.astype(float), n2


def _close(ours: float, theirs: float, rel: float) -> bool:
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    if math.isinf(theirs) or math.isinf(ours):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 10, 12])
def test_batch_equals_scalar_core(k):
    ai, n1, ci, n2 = simulate(150, k, seed=k)
    fits = batch.primary_set(ai, n1, ci, n2)
    keys = [key for key in PRIMARY_SET if key[1] != "exact"]
    assert [(f.measure, f.method, f.model, f.tau2_estimator) for f in fits] == keys
    failures = []
    for i in range(len(ai)):
        tables = Tables.from_counts(ai[i], n1[i], ci[i], n2[i])
        for key, fit in zip(keys, fits, strict=True):
            scalar = run_method(tables, *key)
            assert int(fit.k[i]) == scalar.k, (i, key)
            # bisection (batch) and Brent (scalar) stop at different points within 1e-14
            rel = 1e-7 if key[3] in ("REML", "PM") else 1e-9
            for name in FIELDS:
                if not _close(float(getattr(fit, name)[i]), float(getattr(scalar, name)), rel):
                    failures.append((i, key, name, getattr(fit, name)[i], getattr(scalar, name)))
    assert not failures, failures[:5]


def test_batch_fit_to_frame_has_one_row_per_meta_analysis():
    ai, n1, ci, n2 = simulate(7, 4, seed=1)
    frame = batch.peto(ai, n1, ci, n2).to_frame()
    assert len(frame) == 7 and list(frame.columns[:4]) == [
        "measure",
        "method",
        "model",
        "tau2_estimator",
    ]


def test_batch_refuses_arrays_of_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        batch.peto(np.zeros((2, 3)), np.ones((2, 3)), np.zeros((2, 2)), np.ones((2, 3)))
