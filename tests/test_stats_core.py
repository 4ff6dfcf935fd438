"""Unit and property tests of the statistical core.

Expected numbers of the unit tests come from R: tests/reference/stats_core.csv, written by
tests/reference/make_stats_core_reference.R (metafor 3.8-1, R 4.2.2; each row names the R call).
The property tests check mathematical identities of the estimators on random tables.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
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
from raremeta.stats.results import Reason, Status
from raremeta.stats.two_by_two import Tables

R_VALUES = pd.read_csv(
    Path(__file__).parent / "reference" / "stats_core.csv", keep_default_na=False, na_values=[""]
)
#: R writes 15 significant digits; closed-form values agree to rounding
REL = 1e-10

AURA = Tables.from_counts([4], [177], [0], [88], ["aura-lv"])  # PRES, Xu 2020
LIU = Tables.from_counts([1], [181], [0], [181], ["liu-2015"])  # seizure, Xu 2020


#: What a result must say for each reason a test expects: the one place that reads the notes
#: (switch it to the result's reason code, named like the keys, when results carry one).
def says(result, reason: str) -> bool:
    """True when ``result`` carries ``reason``: a status (``not_estimable``), a reason code
    (``no_comparator_events``, ...), or ``hksj_factor_below_1`` (the raw KNHA factor < 1)."""
    if reason == "not_estimable":
        return result.status == Status.NOT_ESTIMABLE
    if reason == "hksj_factor_below_1":
        return result.hksj_factor < 1
    return result.reason == Reason(reason)


def r_value(case: str, quantity: str) -> float:
    """The value R gave for (case, quantity) in stats_core.csv; NaN where R gives none."""
    row = R_VALUES[(R_VALUES.case == case) & (R_VALUES.quantity == quantity)]
    assert len(row) == 1, f"stats_core.csv has no single row for {case}, {quantity}"
    return float(row.value.iloc[0])


def test_aura_lv_pres_single_study():
    # R: rma.mh(ai=4, n1i=177, ci=0, n2i=88, measure="RD") and rma.peto(...) (stats_core.csv)
    rd = mantel_haenszel(AURA, "RD")
    assert rd.estimate == pytest.approx(r_value("aura_pres", "mh_rd"), rel=REL)
    assert (rd.ci_low, rd.ci_high) == pytest.approx(
        (r_value("aura_pres", "mh_rd_ci_low"), r_value("aura_pres", "mh_rd_ci_high")), rel=REL
    )
    # R's MH OR is NA (sum of b*c/N is 0: the OR is infinite); ours is not estimable and says why
    assert math.isnan(r_value("aura_pres", "mh_or"))
    mh_or = mantel_haenszel(AURA, "OR")
    assert not mh_or.estimable and says(mh_or, "not_estimable"), mh_or
    assert says(mh_or, "no_comparator_events"), mh_or
    # the conditional MLE of a single table with no comparator events is infinite (metafor's
    # rma.glmm(model="CM.EL") stops: "Cannot fit FE model", so there is no R value to compare)
    exact = conditional_mle(AURA)
    assert not exact.estimable and says(exact, "conditional_mle_infinite"), exact
    res = peto(AURA)
    assert (res.estimate, res.ci_low, res.ci_high) == pytest.approx(
        (
            r_value("aura_pres", "peto_or"),
            r_value("aura_pres", "peto_ci_low"),
            r_value("aura_pres", "peto_ci_high"),
        ),
        rel=REL,
    )


def test_liu_seizure_peto():
    # R: exp(coef(rma.peto(ai=1, n1i=181, ci=0, n2i=181))) = 7.38905609893065 (= e^2:
    # O - E = 0.5, V = 0.25)
    assert peto(LIU).estimate == pytest.approx(r_value("liu_seizure", "peto_or"), rel=REL)


def test_mh_or_equals_statsmodels_stratified_table():
    # reference: statsmodels' StratifiedTable (Mantel-Haenszel pooled OR, Robins-Breslow-
    # Greenland standard error), an implementation independent of ours
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
    # the statsmodels trap: effectsize_2proportions(zero_correction=) corrects every study;
    # R: escalc("OR", ai=c(4, 3), n1i=c(177, 50), ci=c(0, 1), n2i=c(88, 52), add=1/2,
    # to="only0") (stats_core.csv)
    t = Tables.from_counts([4, 3], [177, 50], [0, 1], [88, 52])
    eff = study_effects(t, "OR")
    assert eff.corrected.tolist() == [True, False]
    for i in (0, 1):
        assert eff.yi[i] == pytest.approx(r_value("only0", f"yi_{i + 1}"), rel=REL)
        assert eff.vi[i] == pytest.approx(r_value("only0", f"vi_{i + 1}"), rel=REL)


def test_treatment_arm_correction_sums_to_one_and_follows_arm_size():
    # Sweeting, Sutton & Lambert 2004 (Stat Med 23:1351-75), treatment-arm correction: the
    # increments are proportional to the reciprocal of the opposite arm's size and sum to 1,
    # k_T = n_T / (n_T + n_C), k_C = n_C / (n_T + n_C) (as R meta's metabin(incr = "TACC")):
    # AURA-LV 177 vs 88 patients gives 177/265 and 88/265. (The pooled results with this
    # correction are checked against metafor in test_metafor_agreement, IV_/MH_cc_treatment_arm.)
    a, _, c, _, _ = corrected_cells(AURA, 0.5, "treatment_arm")
    assert a[0] == pytest.approx(4 + 177 / 265, rel=1e-12)
    assert c[0] == pytest.approx(88 / 265, rel=1e-12)


def test_dl_tau2_truncated_at_zero():
    # the statsmodels trap: combine_effects(method_re="dl") does not truncate at zero;
    # R: rma(yi=c(0.1, 0.12, 0.11), vi=rep(0.1, 3), method="DL"): tau2 0, QE 0.002
    res = inverse_variance([0.1, 0.12, 0.11], [0.1, 0.1, 0.1], "OR", "random", "DL")
    assert r_value("dl_truncated", "tau2") == 0.0
    assert res.tau2 == 0.0
    assert res.q == pytest.approx(r_value("dl_truncated", "q"), rel=REL)


def test_prediction_interval_uses_t_k_minus_2():
    # R: rma(yi, vi, method="DL") on these four studies; prediction interval
    # estimate -/+ qt(0.975, k - 2) * sqrt(se^2 + tau2) from metafor's estimate, se and tau2,
    # as make_reference.R does for pooled.csv (stats_core.csv, case pi_k4_dl)
    y, v = np.array([0.1, 0.5, -0.2, 0.9]), np.array([0.04, 0.05, 0.03, 0.06])
    res = inverse_variance(y, v, "RD", "random", "DL")
    for field in ("estimate", "se", "tau2", "ci_low", "ci_high", "pi_low", "pi_high"):
        expected = r_value("pi_k4_dl", field)
        assert getattr(res, field) == pytest.approx(expected, rel=REL), field
    assert r_value("pi_k4_dl", "pi_df") == 2  # t on k - 1 = 3 df would give other bounds


def test_hksj_never_narrower_than_wald():
    # R: rma(yi, vi, method="DL") with and without test="knha" (stats_core.csv, hksj_q_below_1):
    # here q < 1, so metafor's raw knha interval is narrower than the Wald interval; the ad hoc
    # interval uses the Wald se with the t quantile on k - 1 df (max(knha se, Wald se) in R)
    y, v = np.array([0.1, 0.12, 0.11, 0.1]), np.array([0.1, 0.1, 0.1, 0.1])
    knha = (r_value("hksj_q_below_1", "knha_ci_low"), r_value("hksj_q_below_1", "knha_ci_high"))
    wald = (r_value("hksj_q_below_1", "wald_ci_low"), r_value("hksj_q_below_1", "wald_ci_high"))
    assert knha[1] - knha[0] < wald[1] - wald[0]  # the reference shows the case it is meant to
    hk = inverse_variance(y, v, "RD", "random", "DL", hksj=True)
    assert (hk.ci_low, hk.ci_high) == pytest.approx(
        (r_value("hksj_q_below_1", "adhoc_ci_low"), r_value("hksj_q_below_1", "adhoc_ci_high")),
        rel=REL,
    )
    assert hk.ci_low <= wald[0] and hk.ci_high >= wald[1]
    assert says(hk, "hksj_factor_below_1"), hk


def test_clopper_pearson_matches_binom_test():
    # R: binom.test(4, 251)$conf.int and binom.test(0, 88)$conf.int[1] (stats_core.csv)
    assert clopper_pearson(4, 251) == pytest.approx(
        (r_value("clopper_pearson", "x4_n251_low"), r_value("clopper_pearson", "x4_n251_high")),
        rel=1e-9,
    )
    assert clopper_pearson(0, 88)[0] == r_value("clopper_pearson", "x0_n88_low") == 0.0


def test_glmm_with_no_events_is_not_estimable():
    # R: rma.glmm(measure="PLO", xi=c(0, 0), ni=c(88, 90), method="ML") stops with "Cannot fit
    # ML model" (stats_core.csv): with no events the likelihood grows as the logit goes to -inf,
    # so there is no estimate to compare; ours must say so rather than return a number
    assert math.isnan(r_value("glmm_no_events", "estimate"))
    res = glmm_rate([0, 0], [88, 90])
    assert math.isnan(res.estimate) and says(res, "not_estimable"), res


# ---- properties (issue 5) ------------------------------------------------------------------
# No expected numbers here: each test checks an identity that holds for the estimator by its
# definition (swapping the arms inverts a ratio and negates a difference; the order of the
# studies does not matter; a double-zero study adds 0 to every Mantel-Haenszel and Peto sum;
# multiplying every count by 4 narrows the intervals), on tables drawn by hypothesis.


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
        if r.estimable and says(r, "no_confidence_interval"):
            assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
        elif r.estimable:
            assert math.isfinite(r.ci_low) and math.isfinite(r.ci_high), r
            assert r.ci_low <= r.estimate <= r.ci_high
        elif r.model == "random" and r.k == 1:
            assert r.status == Status.NOT_APPLICABLE and says(r, "single_study"), r
        else:
            assert says(r, "not_estimable"), r


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
    # found by hypothesis: 0/67 vs 1/1; R: rma.mh(ai=0, n1i=67, ci=1, n2i=1, measure="RD")
    # gives -1 with se NaN (its variance estimate is negative; stats_core.csv)
    r = mantel_haenszel(Tables.from_counts([0], [67], [1], [1]), "RD")
    assert r.estimate == r_value("mh_rd_no_variance", "estimate") == -1
    assert math.isnan(r_value("mh_rd_no_variance", "se"))
    assert math.isnan(r.se) and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert says(r, "no_confidence_interval"), r


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
