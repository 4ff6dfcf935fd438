"""Unit and property tests of the statistical core (numbers from metafor 3.8-1 unless stated)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import StratifiedTable

from raremeta.stats.conditional_ml import conditional_mle
from raremeta.stats.effect_sizes import corrected_cells, study_effects
from raremeta.stats.incidence import clopper_pearson, glmm_rate
from raremeta.stats.inverse_variance import inverse_variance
from raremeta.stats.mantel_haenszel import mantel_haenszel
from raremeta.stats.peto import peto
from raremeta.stats.two_by_two import Tables

AURA = Tables.from_counts([4], [177], [0], [88], ["aura-lv"])  # PRES, Xu 2020
LIU = Tables.from_counts([1], [181], [0], [181], ["liu-2015"])  # seizure, Xu 2020


def test_aura_lv_pres_single_study():
    # metafor: rma.mh(ai=4,n1i=177,ci=0,n2i=88, measure="RD"): 0.0225989, CI 0.0007041 to 0.0444937
    rd = mantel_haenszel(AURA, "RD")
    assert rd.estimate == pytest.approx(4 / 177, rel=1e-12)
    assert (rd.ci_low, rd.ci_high) == pytest.approx((0.000704057137, 0.0444936830), rel=1e-6)
    # MH OR and exact OR are infinite with no comparator events: not estimable, with a reason
    assert not mantel_haenszel(AURA, "OR").estimable
    assert "no comparator events" in mantel_haenszel(AURA, "OR").note
    assert "infinite" in conditional_mle(AURA).note
    # metafor rma.peto: OR 4.5466, CI 0.5608 to 36.8603
    assert peto(AURA).estimate == pytest.approx(4.546619778, rel=1e-8)


def test_liu_seizure_peto():
    # 1/181 vs 0/181: O - E = 0.5, V = 1 x 361 x (1/2)(1/2) / 361 = 0.25, log OR = 2;
    # metafor 3.8-1: exp(coef(rma.peto(ai=1, n1i=181, ci=0, n2i=181))) = 7.38905609893
    assert peto(LIU).estimate == pytest.approx(7.38905609893, rel=1e-10)


def test_mh_or_equals_statsmodels_stratified_table():
    t = Tables.from_counts([4, 1, 3, 2], [177, 181, 50, 60], [1, 2, 1, 0], [88, 181, 52, 30])
    tabs = np.stack(
        [[[a, n1 - a], [c, n2 - c]] for a, n1, c, n2 in zip(t.ai, t.n1i, t.ci, t.n2i, strict=True)],
        axis=2,
    )
    st_ = StratifiedTable(tabs)
    mh = mantel_haenszel(t, "OR")
    assert mh.estimate == pytest.approx(st_.oddsratio_pooled, rel=1e-12)
    assert mh.se == pytest.approx(st_.logodds_pooled_se, rel=1e-12)


def test_only0_correction_touches_only_studies_with_a_zero_cell():
    # the statsmodels trap: effectsize_2proportions(zero_correction=) corrects every study
    t = Tables.from_counts([4, 3], [177, 50], [0, 1], [88, 52])
    eff = study_effects(t, "OR")
    assert eff.corrected.tolist() == [True, False]
    assert eff.yi[1] == pytest.approx(math.log(3 * 51 / (47 * 1)), rel=1e-12)


def test_treatment_arm_correction_sums_to_one_and_follows_arm_size():
    # Sweeting 2004: k_T = n_T / (n_T + n_C), k_C = n_C / (n_T + n_C)
    a, _, c, _, _ = corrected_cells(AURA, 0.5, "treatment_arm")
    assert a[0] == pytest.approx(4 + 177 / 265) and c[0] == pytest.approx(88 / 265)


def test_dl_tau2_truncated_at_zero():
    # the statsmodels trap: combine_effects(method_re="dl") does not truncate at zero
    res = inverse_variance([0.1, 0.12, 0.11], [0.1, 0.1, 0.1], "OR", "random", "DL")
    assert res.tau2 == 0.0


def test_prediction_interval_uses_t_k_minus_2():
    y, v = np.array([0.1, 0.5, -0.2, 0.9]), np.array([0.04, 0.05, 0.03, 0.06])
    res = inverse_variance(y, v, "RD", "random", "DL")
    from scipy import stats

    half = stats.t.ppf(0.975, 2) * math.sqrt(res.se**2 + res.tau2)
    assert res.pi_high - res.estimate == pytest.approx(half, rel=1e-12)
    assert "k - 2" in res.pi_method


def test_hksj_never_narrower_than_wald():
    y, v = np.array([0.1, 0.12, 0.11, 0.1]), np.array([0.1, 0.1, 0.1, 0.1])
    wald = inverse_variance(y, v, "RD", "random", "DL")
    hk = inverse_variance(y, v, "RD", "random", "DL", hksj=True)
    assert hk.ci_high - hk.ci_low >= wald.ci_high - wald.ci_low
    assert "raised to 1" in hk.note


def test_clopper_pearson_matches_binom_test():
    # R 4.2.2: binom.test(4, 251)$conf.int = 0.0043587243758 0.0402982060547
    assert clopper_pearson(4, 251) == pytest.approx((0.0043587243758, 0.0402982060547), rel=1e-9)
    assert clopper_pearson(0, 88)[0] == 0.0


def test_glmm_with_no_events_is_not_estimable():
    res = glmm_rate([0, 0], [88, 90])
    assert math.isnan(res.estimate) and res.note.startswith("not estimable")


# ---- properties (issue 5) ------------------------------------------------------------------


@st.composite
def tables_strategy(draw, min_k=1, max_k=8):
    k = draw(st.integers(min_k, max_k))
    n1 = draw(st.lists(st.integers(1, 300), min_size=k, max_size=k))
    n2 = draw(st.lists(st.integers(1, 300), min_size=k, max_size=k))
    a = [draw(st.integers(0, min(n, 6))) for n in n1]
    c = [draw(st.integers(0, min(n, 6))) for n in n2]
    return Tables.from_counts(a, n1, c, n2)


def all_results(t: Tables):
    out = [mantel_haenszel(t, m) for m in ("OR", "RR", "RD")] + [peto(t), conditional_mle(t)]
    for m in ("OR", "RR", "RD"):
        e = study_effects(t, m)
        out.append(inverse_variance(e.yi, e.vi, m, "common"))
        out += [inverse_variance(e.yi, e.vi, m, "random", est) for est in ("DL", "REML", "PM")]
    return out


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tables_strategy())
def test_every_result_is_finite_or_explains_itself(t):
    for r in all_results(t):
        if r.estimable and "no confidence interval" in r.note:
            assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
        elif r.estimable:
            assert math.isfinite(r.ci_low) and math.isfinite(r.ci_high), r
            assert r.ci_low <= r.estimate <= r.ci_high
        else:
            assert r.note.startswith("not estimable"), r


@SETTINGS
@given(tables_strategy())
def test_swapping_arms_inverts_ratios_and_negates_rd(t):
    s = t.swapped()
    for m in ("OR", "RR"):
        a, b = mantel_haenszel(t, m), mantel_haenszel(s, m)
        if a.estimable:
            assert b.estimate == pytest.approx(1 / a.estimate, rel=1e-9)
    a, b = mantel_haenszel(t, "RD"), mantel_haenszel(s, "RD")
    assert b.estimate == pytest.approx(-a.estimate, abs=1e-12)
    a, b = peto(t), peto(s)
    if a.estimable:
        assert b.estimate == pytest.approx(1 / a.estimate, rel=1e-9)


@SETTINGS
@given(tables_strategy(min_k=2))
def test_study_order_does_not_matter(t):
    order = np.arange(t.k)[::-1]
    r = Tables.from_counts(t.ai[order], t.n1i[order], t.ci[order], t.n2i[order])
    for x, y in zip(all_results(t), all_results(r), strict=True):
        if x.estimable:
            assert y.estimate == pytest.approx(x.estimate, rel=1e-7)


@SETTINGS
@given(tables_strategy(), st.integers(1, 200), st.integers(1, 200))
def test_double_zero_study_leaves_mh_and_peto_ratios_unchanged(t, n1, n2):
    bigger = Tables.from_counts([*t.ai, 0], [*t.n1i, n1], [*t.ci, 0], [*t.n2i, n2])
    for m in ("OR", "RR"):
        x, y = mantel_haenszel(t, m), mantel_haenszel(bigger, m)
        if x.estimable:
            assert y.estimate == pytest.approx(x.estimate, rel=1e-12)
    x, y = peto(t), peto(bigger)
    if x.estimable:
        assert y.estimate == pytest.approx(x.estimate, rel=1e-12)


def test_mh_rd_without_variance_keeps_estimate_and_says_why():
    # found by hypothesis: 0/67 vs 1/1; metafor rma.mh(measure="RD") gives -1 with se NaN
    r = mantel_haenszel(Tables.from_counts([0], [67], [1], [1]), "RD")
    assert r.estimate == -1 and math.isnan(r.ci_low) and "no confidence interval" in r.note


@SETTINGS
@given(tables_strategy())
def test_more_data_narrows_intervals(t):
    big = Tables.from_counts(t.ai * 4, t.n1i * 4, t.ci * 4, t.n2i * 4)
    for m in ("OR", "RR", "RD"):
        x, y = mantel_haenszel(t, m), mantel_haenszel(big, m)
        if math.isnan(x.ci_low) or math.isnan(y.ci_low):
            continue
        if x.estimable and y.estimable and m != "RD":
            assert math.log(y.ci_high / y.ci_low) < math.log(x.ci_high / x.ci_low) + 1e-12
        elif x.estimable and y.estimable:
            assert y.ci_high - y.ci_low <= x.ci_high - x.ci_low + 1e-12
