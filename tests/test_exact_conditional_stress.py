"""Exact conditional inference on common (not rare) and extreme tables.

The rare-event cases are pinned to R in test_rare_event_reference.py. Here single tables of
every shape (strong effects, events in most patients, thousands of patients) are compared with
an independent implementation: scipy 1.17 ``scipy.stats.contingency.odds_ratio(kind=
"conditional").confidence_interval()`` (Cornfield's interval, as R ``fisher.test``) and
``scipy.stats.fisher_exact`` (R's two-sided rule). Tables with several strata, for which scipy
has no exact method, are checked for what must hold whatever the data: the search finds a
bracket, the interval contains the median-unbiased estimate and the mid-p interval lies inside
the exact one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import fisher_exact
from scipy.stats.contingency import odds_ratio

from raremeta.stats.exact_conditional import EXACT_SPEC, MID_P_SPEC, exact_conditional
from raremeta.stats.two_by_two import Tables


def _tables(seed: int, k: int) -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        n1, n2 = (int(x) for x in rng.integers(1, 3000, 2))
        p1, p2 = rng.uniform(0, 1, 2) ** rng.choice([0.3, 1, 4], 2)
        out.append((int(rng.binomial(n1, p1)), n1, int(rng.binomial(n2, p2)), n2))
    return out


# two tables that made an earlier bracket search fail (found in review), then random ones
SINGLE = [(9, 358, 176, 379), (2055, 2070, 0, 511), *_tables(20261125, 120)]


@pytest.mark.parametrize("table", SINGLE, ids=lambda t: "-".join(map(str, t)))
def test_single_table_equals_scipy(table):
    a, n1, c, n2 = table
    if a + c in (0, n1 + n2):
        pytest.skip("degenerate margins: no exact inference (tested elsewhere)")
    ours = exact_conditional(Tables.from_counts([a], [n1], [c], [n2]), EXACT_SPEC)
    counts = [[a, n1 - a], [c, n2 - c]]
    ci = odds_ratio(counts, kind="conditional").confidence_interval(0.95)
    for mine, theirs in ((ours.ci_low, ci.low), (ours.ci_high, ci.high)):
        if theirs in (0.0, math.inf):
            assert mine == theirs
        else:
            assert mine == pytest.approx(theirs, rel=1e-8)
    assert ours.p_value == pytest.approx(fisher_exact(counts).pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("seed", range(20))
def test_several_strata_of_any_shape_always_give_a_bracketed_answer(seed):
    rows = _tables(1000 + seed, 1 + seed % 7)
    tables = Tables.from_counts(*zip(*rows, strict=True))
    exact = exact_conditional(tables, EXACT_SPEC)
    mid = exact_conditional(tables, MID_P_SPEC)
    if exact.k == 0:
        pytest.skip("no informative stratum")
    assert exact.ci_low <= exact.estimate <= exact.ci_high
    assert exact.ci_low <= mid.ci_low <= mid.estimate <= mid.ci_high <= exact.ci_high
    assert 0 <= mid.p_value <= 1 and 0 <= exact.p_value <= 1
