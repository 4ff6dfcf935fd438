"""Tests of the Miettinen-Nurminen score interval for the (Mantel-Haenszel) risk difference.

Expected numbers come from outside this package, each with its source: Newcombe's Table II
(method 6), R PropCIs, SAS as quoted by the cicalc tests, the issue's seed, and R's
``mantelhaen.test`` for the p-value. The remaining tests check identities of the method.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special

from raremeta.stats.results import Z975, PooledEffect, Reason, Status
from raremeta.stats.score_interval import (
    SPEC,
    miettinen_nurminen,
    miettinen_nurminen_fits,
    restricted_mle,
    score_variance,
)
from raremeta.stats.two_by_two import Tables, TableStack


def mn(a, n1, c, n2) -> PooledEffect:
    return miettinen_nurminen(Tables.from_counts(a, n1, c, n2))


def z_score(t: Tables, delta: float) -> float:
    """Z(delta) written out study by study, from the module's stratum variance only."""
    num = den = 0.0
    for a, n1, c, n2 in zip(t.ai, t.n1i, t.ci, t.n2i, strict=True):
        w = n1 * n2 / (n1 + n2)
        num += w * (a / n1 - c / n2 - delta)
        den += w * w * float(score_variance(np.array(delta), a, n1, c, n2))
    return num / math.sqrt(den)


# ---- published values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "n1", "c", "n2", "low", "high"),
    [
        # Newcombe RG. Interval estimation for the difference between independent proportions:
        # comparison of eleven methods. Stat Med 1998;17:873-90, Table II, method 6
        # (Miettinen-Nurminen), at its printed precision. Rows as transcribed in the tests of
        # R cicalc (GSK-Biostatistics/cicalc tests/testthat/test-prop_ci_mn.R, "matches the
        # values in the paper") and R ratesci (petelaud/ratesci tests/testthat/test3.R,
        # "Newcombe RD example (d)", scoreci(5, 56, 0, 29, skew = FALSE)).
        (56, 70, 48, 80, 0.0528, 0.3382),
        (9, 10, 3, 10, 0.1700, 0.8406),
        (5, 56, 0, 29, -0.0326, 0.1933),
        (10, 10, 0, 20, 0.7156, 1.0000),
    ],
)
def test_newcombe_table_ii_method_6(a, n1, c, n2, low, high):
    r = mn([a], [n1], [c], [n2])
    assert r.estimate == pytest.approx(a / n1 - c / n2, abs=1e-15)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (low, high)


def test_not_statsmodels_score_interval():
    # statsmodels 0.15 confint_proportions_2indep(56, 70, 48, 80, method="score",
    # compare="diff") gives [0.0526, 0.3440]: its restricted MLE has x2*delta where the
    # Miettinen-Nurminen cubic has n2*delta. Newcombe's printed [0.0528, 0.3382] is right.
    r = mn([56], [70], [48], [80])
    assert abs(r.ci_high - 0.3440) > 5e-3 and abs(r.ci_low - 0.0526) > 1e-4


def test_propcis_diffscoreci():
    # R PropCIs: diffscoreci(x1 = 7, n1 = 34, x2 = 1, n2 = 34, conf.level = 0.95)
    # -> 0.0270416 0.3452912 (printed to 7 digits)
    r = mn([7], [34], [1], [34])
    assert r.ci_low == pytest.approx(0.0270416, abs=5e-8)
    assert r.ci_high == pytest.approx(0.3452912, abs=5e-8)


def test_pres_seed_of_the_issue():
    # The issue's seed, AURA-LV PRES 4/177 vs 0/88: Miettinen-Nurminen [-0.020, 0.057]
    # (printed precision; the issue took it from an independent computation)
    r = mn([4], [177], [0], [88])
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (-0.020, 0.057)
    assert r.estimate == pytest.approx(4 / 177, abs=1e-15)


def test_sas_zero_comparator_events():
    # SAS PROC FREQ Miettinen-Nurminen interval for 3/83 vs 0/46, [-0.043, 0.101], as quoted
    # in R cicalc tests/testthat/test-prop_ci_mn.R ("Test 0 response", "Expected values from SAS")
    r = mn([3], [83], [0], [46])
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (-0.043, 0.101)


#: R 4.2.2, mantelhaen.test(x, correct = FALSE)$p.value with the 2 x 2 x K array
#: x[, , i] = matrix(c(a[i], c[i], n1[i] - a[i], n2[i] - c[i]), 2), printed with digits = 15:
CMH_R = [
    # (a, n1, c, n2), p
    (([4, 1, 0], [177, 181, 50], [0, 0, 0], [88, 181, 50]), 0.0850486887622985),
    (([21, 11, 8], [464, 165, 69], [26, 25, 11], [453, 174, 70]), 0.0263063282083292),
    (([3, 0, 5, 2], [40, 25, 60, 33], [1, 2, 0, 2], [38, 27, 61, 30]), 0.204007717427485),
]


@pytest.mark.parametrize(("counts", "p"), CMH_R)
def test_p_value_is_cmh_without_correction(counts, p):
    r = mn(*counts)
    assert r.p_value == pytest.approx(p, rel=1e-10)
    assert r.reason == Reason.NONE and r.status == Status.ESTIMATED


# ---- identities --------------------------------------------------------------------------------


@st.composite
def tables_strategy(draw, min_k=1, max_k=6, integer=True):
    k = draw(st.integers(min_k, max_k))
    rows = []
    for _ in range(k):
        if integer:
            n1, n2 = draw(st.integers(1, 200)), draw(st.integers(1, 200))
            a, c = draw(st.integers(0, n1)), draw(st.integers(0, n2))
        else:  # a comparator split between 2 to 4 comparisons: non-integer counts
            n1, n2 = draw(st.integers(1, 200)), draw(st.integers(1, 200))
            a, c = draw(st.integers(0, n1)), draw(st.integers(0, n2))
            share = draw(st.integers(2, 4))
            n2, c = n2 / share, c / share
        rows.append((a, n1, c, n2))
    a, n1, c, n2 = zip(*rows, strict=True)
    return Tables.from_counts(a, n1, c, n2)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at_critical_value(t: Tables, bound: float, target: float) -> bool:
    """Z(bound) = target to 1e-9, or, where Z is too steep for that (a bound within ~1e-7 of
    -1 or 1 moves Z by more than 1e-9 per floating-point step), the root lies within 4 steps."""
    if abs(z_score(t, bound) - target) <= 1e-9:
        return True
    step = 4 * np.spacing(bound)
    return (z_score(t, bound - step) - target) * (z_score(t, bound + step) - target) <= 0


def check_bounds(t: Tables):
    r = miettinen_nurminen(t)
    assert r.status == Status.ESTIMATED
    assert -1 <= r.ci_low <= r.estimate <= r.ci_high <= 1
    if r.ci_low > -1:
        assert at_critical_value(t, r.ci_low, Z975)
    else:
        assert r.estimate == -1
    if r.ci_high < 1:
        assert at_critical_value(t, r.ci_high, -Z975)
    else:
        assert r.estimate == 1


@SETTINGS
@given(tables_strategy())
def test_z_at_each_bound_is_the_critical_value(t):
    check_bounds(t)


@SETTINGS
@given(tables_strategy(integer=False))
def test_z_at_each_bound_with_non_integer_counts(t):
    check_bounds(t)


@SETTINGS
@given(tables_strategy(min_k=2))
def test_cmh_identity_at_zero(t):
    # at delta = 0 the restricted MLE is the pooled proportion, so w^2 V is the hypergeometric
    # variance n1 n2 m1 m0 / (N^2 (N - 1)) and sum w (p1 - p2) = sum (a - E a): Z(0)^2 is the
    # CMH statistic without continuity correction
    a, n1, c, n2 = t.ai, t.n1i, t.ci, t.n2i
    N, m1 = n1 + n2, a + c
    w = n1 * n2 / N
    p1, p2 = restricted_mle(np.zeros(t.k), a, n1, c, n2)
    assert p1 == pytest.approx(m1 / N, abs=1e-12) and p2 == pytest.approx(m1 / N, abs=1e-12)
    hyper = n1 * n2 * m1 * (N - m1) / (N**2 * (N - 1))
    wv = w**2 * (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * N / (N - 1)
    assert wv == pytest.approx(hyper, rel=1e-9, abs=1e-15)
    assert (w * (a / n1 - c / n2)).sum() == pytest.approx((a - n1 * m1 / N).sum(), abs=1e-9)
    r = miettinen_nurminen(t)
    if hyper.sum() > 0:
        cmh = (a - n1 * m1 / N).sum() ** 2 / hyper.sum()
        assert r.p_value == pytest.approx(special.chdtrc(1, cmh), rel=1e-9, abs=1e-300)
        assert z_score(t, 0.0) ** 2 == pytest.approx(cmh, rel=1e-9, abs=1e-12)
    else:
        assert math.isnan(r.p_value) and r.reason == Reason.NO_P_VALUE


def reference_variance(delta, a, n1, c, n2) -> tuple[float, float, float]:
    """(p1~, p2~, V(delta)) to 60 digits: the inputs as exact decimals, the restricted maximum
    found by bisection on the sign of the log-likelihood's derivative (which decreases: the
    log-likelihood is concave), written out from the binomial likelihood, not from the cubic's
    coefficients."""
    with localcontext() as ctx:
        ctx.prec = 60
        return _reference_variance(*(Decimal(float(x)) for x in (delta, a, n1, c, n2)))


def _reference_variance(delta, a, n1, c, n2) -> tuple[float, float, float]:
    low, high = max(Decimal(0), -delta), min(Decimal(1), 1 - delta)

    def slope_sign(p2):  # p1 (1 - p1) p2 (1 - p2) times the derivative in p2
        p1 = p2 + delta
        return (a - n1 * p1) * p2 * (1 - p2) + (c - n2 * p2) * p1 * (1 - p1)

    tiny = (high - low) * Decimal("1e-45")
    if slope_sign(low + tiny) <= 0:
        p2 = low
    elif slope_sign(high - tiny) >= 0:
        p2 = high
    else:
        lo, hi = low, high
        for _ in range(180):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if slope_sign(mid) > 0 else (lo, mid)
        p2 = (lo + hi) / 2
    p1 = p2 + delta
    N = n1 + n2
    V = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * N / (N - 1)
    return float(p1), float(p2), float(V)


@pytest.mark.parametrize("seed", range(3))
def test_restricted_mle_against_a_60_digit_reference(seed):
    # zero cells, every patient with the event, non-integer counts, and delta near 0 and +/-1
    # (down to 1e-13 from them): every proportion and the variance to full double precision
    rng = np.random.default_rng(seed)
    for i in range(150):
        n1 = rng.integers(1, 60) + (rng.random() if i % 3 == 0 else 0.0)
        n2 = rng.integers(1, 60) + (rng.random() if i % 5 == 0 else 0.0)
        a = [0.0, n1, rng.integers(0, int(n1) + 1), rng.random() * n1][i % 4]
        c = [0.0, rng.integers(0, int(n2) + 1), n2, 0.0][(i // 4) % 4]
        a, c = min(a, n1), min(c, n2)
        delta = [
            rng.uniform(-1, 1),
            1 - 10 ** -rng.uniform(1, 13),
            -1 + 10 ** -rng.uniform(1, 13),
            0.0,
            rng.uniform(-1e-6, 1e-6),
        ][i % 5]
        args = (np.array(delta), float(a), float(n1), float(c), float(n2))
        p1, p2 = (float(x) for x in restricted_mle(*args))
        r1, r2, V = reference_variance(delta, a, n1, c, n2)
        assert p1 == pytest.approx(r1, rel=1e-12, abs=1e-15)
        assert p2 == pytest.approx(r2, rel=1e-12, abs=1e-15)
        assert float(score_variance(*args)) == pytest.approx(V, rel=1e-13, abs=1e-300)


@SETTINGS
@given(tables_strategy())
def test_swapping_arms_negates_everything(t):
    x, y = miettinen_nurminen(t), miettinen_nurminen(t.swapped())
    assert y.estimate == pytest.approx(-x.estimate, abs=1e-12)
    assert y.ci_low == pytest.approx(-x.ci_high, abs=1e-9)
    assert y.ci_high == pytest.approx(-x.ci_low, abs=1e-9)
    if math.isfinite(x.p_value):
        assert y.p_value == pytest.approx(x.p_value, rel=1e-9)


def test_absent_studies_contribute_nothing():
    t = Tables.from_counts(
        [4, 1, 0, 3, 9], [177, 181, 50, 40, 12], [0, 0, 0, 1, 2], [88, 181, 50, 38, 11]
    )
    keep = np.array([True, False, True, True, False])
    short = Tables.from_counts([2], [30], [1], [35])
    stack = TableStack.of([t, t, short], masks=[keep, np.ones(5, bool), np.ones(1, bool)])
    fits = miettinen_nurminen_fits(stack)
    expected_used = [keep, np.ones(5, bool), np.array([True, False, False, False, False])]
    for i, tables in enumerate([t.subset(keep), t, short]):
        alone, row = miettinen_nurminen(tables), fits.row(i)
        for name in ("estimate", "ci_low", "ci_high", "p_value"):
            assert getattr(row, name) == pytest.approx(getattr(alone, name), rel=1e-12, abs=1e-15)
        assert row.k == alone.k == tables.k and row.k_excluded == 0
        used = np.asarray(row.used)
        assert used.tolist() == expected_used[i].tolist()
        weights = np.asarray(row.weights)
        assert weights[used] == pytest.approx(np.asarray(alone.weights), rel=1e-12)
        assert np.all(np.isnan(weights[~used]))


def test_double_zero_studies_are_included_not_collapsed():
    t = Tables.from_counts([4, 1], [177, 181], [0, 0], [88, 181])
    with_dz = Tables.from_counts([4, 1, 0], [177, 181, 50], [0, 0, 0], [88, 181, 50])
    x, y = miettinen_nurminen(t), miettinen_nurminen(with_dz)
    w = np.array([177 * 88 / 265, 181 * 181 / 362, 50 * 50 / 100])
    assert y.k == 3 and y.used == (True, True, True)
    assert y.weights == pytest.approx(tuple(100 * w / w.sum()), rel=1e-12)
    # its d = 0 pulls the MH estimate toward 0 by its weight
    assert y.estimate == pytest.approx(x.estimate * w[:2].sum() / w.sum(), rel=1e-12)
    assert (y.ci_low, y.ci_high) != pytest.approx((x.ci_low, x.ci_high), abs=1e-6)
    # never collapsed: the pooled single table gives another interval
    pooled = mn([5], [408], [0], [319])
    assert (y.ci_low, y.ci_high) != pytest.approx((pooled.ci_low, pooled.ci_high), abs=1e-6)


@pytest.mark.parametrize(
    "counts",
    [
        ([0], [10], [0], [20]),
        ([0, 0, 0], [10, 40, 7], [0, 0, 0], [20, 38, 9]),
        ([10, 3], [10, 3], [20, 5], [20, 5]),  # every patient had the event
        ([0, 3], [10, 3], [0, 5], [20, 5]),  # no events in one study, only events in the other
    ],
)
def test_no_p_value_without_events_but_estimate_and_interval(counts):
    r = mn(*counts)
    assert r.status == Status.ESTIMATED and r.reason == Reason.NO_P_VALUE
    assert r.estimate == 0 and math.isnan(r.p_value)
    assert -1 < r.ci_low < 0 < r.ci_high < 1
    check_bounds(Tables.from_counts(*counts))


@pytest.mark.parametrize("c", [0.99999, 0.9921875, 1 - 1e-9])
def test_bound_next_to_minus_one(c):
    # non-integer counts put the estimate next to -1 and its lower bound closer still; the
    # bound is found (not clipped) inside [-1, estimate]
    r = mn([0], [2], [c], [1])
    assert -1 <= r.ci_low < r.estimate < r.ci_high < 1
    assert r.ci_low + 1 < (r.estimate + 1) / 2


def test_estimate_at_the_boundary_clips_its_bound():
    hi = mn([10], [10], [0], [20])
    assert hi.estimate == 1 and hi.ci_high == 1 and hi.ci_low < 1
    lo = mn([0, 0], [10, 4], [10, 6], [10, 6])
    assert lo.estimate == -1 and lo.ci_low == -1 and lo.ci_high > -1


def test_fields_of_the_result():
    t = Tables.from_counts([4, 1, 0], [177, 181, 50], [0, 0, 0], [88, 181, 50])
    r = miettinen_nurminen(t)
    assert r.spec == SPEC and r.measure == "RD" and r.method == "MN"
    assert r.k == 3 and r.k_excluded == 0
    assert r.used == (True, True, True) and r.corrected == (False, False, False)
    w = t.n1i * t.n2i / (t.n1i + t.n2i)
    assert r.weights == pytest.approx(tuple(100 * w / w.sum()), rel=1e-12)
    for name in ("se", "tau2", "tau2_ci_low", "tau2_ci_high", "i2", "q", "q_df", "q_p"):
        assert math.isnan(getattr(r, name)), name
    for name in ("pi_low", "pi_high", "hksj_factor"):
        assert math.isnan(getattr(r, name)), name


def test_empty_meta_analysis():
    r = miettinen_nurminen(Tables.from_counts([], [], [], []))
    assert r.reason == Reason.NO_COMPARABLE_STUDY and r.status == Status.NOT_ESTIMABLE
    t = Tables.from_counts([1], [10], [0], [10])
    fits = miettinen_nurminen_fits(
        TableStack.of([t, t], masks=[np.ones(1, bool), np.zeros(1, bool)])
    )
    assert fits.reason.tolist() == [Reason.NONE, Reason.NO_COMPARABLE_STUDY]
    assert fits.k.tolist() == [1, 0]
    assert math.isnan(fits.estimate[1]) and math.isnan(fits.ci_low[1])


def test_stack_equals_one_by_one():
    rng = np.random.default_rng(7)
    tables = []
    for _ in range(40):
        k = rng.integers(1, 6)
        n1, n2 = rng.integers(1, 150, k), rng.integers(1, 150, k)
        a = rng.binomial(n1, rng.choice([0.0, 0.02, 0.3, 1.0]))
        c = rng.binomial(n2, rng.choice([0.0, 0.02, 0.3]))
        tables.append(Tables.from_counts(a, n1, c, n2))
    fits = miettinen_nurminen_fits(TableStack.of(tables))
    for i, t in enumerate(tables):
        alone, row = miettinen_nurminen(t), fits.row(i, present=np.ones(t.k, bool))
        assert row.reason == alone.reason
        for name in ("estimate", "ci_low", "ci_high", "p_value"):
            assert getattr(row, name) == pytest.approx(
                getattr(alone, name), rel=1e-12, abs=1e-15, nan_ok=True
            )
