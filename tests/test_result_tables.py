"""The results tables' columns added for issue 20: ``caution``, per-study intervals without a
continuity correction (``rd_crude*``, ``or_firth*``), weights only of estimated rows, pooled
rates over the trials in the comparison (``subset``), ``ci_method`` only with an interval,
grammatical study counts and ``in_comparison`` of studies.csv.
"""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from conftest import ROOT

from raremeta.analysis import wording
from raremeta.analysis.fitting import fit_outcome
from raremeta.analysis.outcome_data import OutcomeData, outcomes_in_comparison
from raremeta.analysis.primary_rule import choose_primary
from raremeta.analysis.result_tables import caution, pooled_effects, pooled_rates
from raremeta.analysis.table_keys import Caution, RateSubset
from raremeta.io.analysis_config import load_config
from raremeta.io.results_reading import read_harmonised
from raremeta.stats import registry
from raremeta.stats.two_by_two import Tables
from raremeta.steps.pool import outcome_tables

#: tests/reference/study_intervals.R: case -> quantity -> value
R = {}
with open(ROOT / "tests/reference/study_intervals.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        R.setdefault(row["case"], {})[row["quantity"]] = float(row["value"])


@pytest.fixture(scope="module")
def seed() -> dict[str, dict[str, pd.DataFrame]]:
    """The seed project's tables of each outcome, from its committed harmonised counts."""
    config = load_config(ROOT / "config.yaml")
    processed = ROOT / "data/processed"
    frame = read_harmonised(processed / "harmonised.csv")
    alt = read_harmonised(processed / "harmonised_alternative_multi_arm.csv")
    return {o: outcome_tables(frame, alt, config, o) for o in ("pres", "seizure")}


def _row(frame: pd.DataFrame, **keys) -> pd.Series:
    hit = frame
    for column, value in keys.items():
        hit = hit[hit[column] == value]
    assert len(hit) == 1, keys
    return hit.iloc[0]


# ---- item 1: caution ----------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["pres", "seizure"])
def test_the_mh_risk_difference_of_a_zero_arm_is_cautioned(seed, outcome):
    # AURA-LV 4/177 vs 0/88 (pres) and Liu 1/181 vs 0/181 (seizure): the only study has an arm
    # without events, and the MH RD interval is Wald (normal): wald_zero_arm
    row = _row(seed[outcome]["pooled"], measure="RD", method="MH", model="common")
    assert row["status"] == "estimated"
    assert row["caution"] == Caution.WALD_ZERO_ARM == "wald_zero_arm"


@pytest.mark.parametrize("method", ["MN", "Firth", "exact-conditional", "mid-p"])
def test_a_score_exact_or_profile_interval_is_not_cautioned(seed, method):
    # the same zero arm, but a score (MN), exact, mid-p or profile penalised interval
    frame = seed["pres"]["pooled"]
    row = _row(frame, method=method)
    assert row["status"] == "estimated"
    assert row["caution"] == ""


def test_rows_without_an_interval_are_not_cautioned(seed):
    frame = seed["pres"]["pooled"]
    # MH OR not estimable (no comparator events), IV random not applicable (one study)
    assert set(frame.loc[frame["status"] != "estimated", "caution"]) == {""}


def test_sensitivity_rows_carry_the_caution(seed):
    sens = seed["pres"]["sensitivity"]
    # RevMan-style MH OR of AURA-LV (0.5 inside the sums): a Wald interval, one study, zero arm
    row = _row(sens, analysis_code="revman_mh", measure="OR")
    assert row["caution"] == "wald_zero_arm"
    # the Firth OR without double zeros: profile interval
    assert _row(sens, analysis_code="firth_without_double_zero")["caution"] == ""


def test_one_study_with_events_in_both_arms_lifts_the_caution():
    # AURA-LV 4/177 vs 0/88 beside a study with 3/50 vs 1/60: not every study has a zero arm
    tables = Tables.from_counts([4, 3], [177, 50], [0, 1], [88, 60], ["aura", "both"])
    data = OutcomeData("x", tables)
    primary = choose_primary(tables, None)
    frame = pooled_effects(data, fit_outcome(data, primary.spec), primary)
    row = _row(frame, measure="RD", method="MH", model="common")
    assert row["status"] == "estimated"
    assert row["caution"] == ""
    # and AURA-LV alone again gets it (the rule reads the studies the row used)
    alone = OutcomeData("x", tables.subset([True, False]))
    primary = choose_primary(alone.tables, None)
    frame = pooled_effects(alone, fit_outcome(alone, primary.spec), primary)
    assert _row(frame, measure="RD", method="MH", model="common")["caution"] == "wald_zero_arm"


def test_caution_checks_the_mask_against_the_tables():
    tables = Tables.from_counts([4, 3], [177, 50], [0, 1], [88, 60], ["aura", "both"])
    data = OutcomeData("x", tables)
    fits = fit_outcome(data, registry.spec("OR", "Firth"))
    mh_rd = next(r for r in fits.primary_set if r.spec.key == ("RD", "MH", "common", ""))
    with pytest.raises(ValueError, match="2 studies in the row's mask, 1 in its tables"):
        caution(mh_rd, tables.subset([True, False]))


def test_every_caution_has_words():
    assert set(wording.CAUTION_TEXT) == {c for c in Caution if c != Caution.NONE}


# ---- items 2 and A: per-study intervals without a continuity correction ---------------------


@pytest.mark.parametrize(
    ("outcome", "study", "case"),
    [("pres", "aura-lv", "aura_lv_pres"), ("seizure", "liu-2015", "liu_seizure")],
)
@pytest.mark.parametrize(
    "column",
    [
        "rd_crude",
        "rd_crude_ci_low",
        "rd_crude_ci_high",
        "or_firth",
        "or_firth_ci_low",
        "or_firth_ci_high",
    ],
)
def test_study_intervals_match_r(seed, outcome, study, case, column):
    # tests/reference/study_intervals.R (brglm2 AS_mean + own profile l*; own MN score)
    row = _row(seed[outcome]["studies"], study=study)
    assert row[column] == pytest.approx(R[case][column], rel=1e-7)


def test_aura_lv_crude_rd_is_its_difference_of_proportions(seed):
    # 4/177 - 0/88 = 0.02259887 (by hand); the MN interval of one study is the one of
    # absolute_effects.csv: -19.69927822 and 56.74711589 per 1,000
    row = _row(seed["pres"]["studies"], study="aura-lv")
    assert row["rd_crude"] == pytest.approx(4 / 177, rel=1e-12)
    assert 1000 * row["rd_crude_ci_low"] == pytest.approx(-19.69927822, rel=1e-8)
    assert 1000 * row["rd_crude_ci_high"] == pytest.approx(56.74711589, rel=1e-8)
    # the rd column keeps its meaning: 0.5 added to every cell, 4.5/178 - 0.5/89
    assert row["rd"] == pytest.approx(4.5 / 178 - 0.5 / 89, rel=1e-12)


def test_aura_lv_firth_or_is_the_pooled_firth_row(seed):
    # k = 1: the study's own Firth OR is the pooled Firth row, 4.59 [0.48, 611]
    study = _row(seed["pres"]["studies"], study="aura-lv")
    pooled = _row(seed["pres"]["pooled"], method="Firth")
    for suffix in ("", "_ci_low", "_ci_high"):
        assert study[f"or_firth{suffix}"] == pytest.approx(
            pooled["estimate" if not suffix else suffix[1:]], rel=1e-9
        )
    assert round(study["or_firth"], 2) == 4.59
    assert (round(study["or_firth_ci_low"], 2), round(study["or_firth_ci_high"])) == (0.48, 611)


def test_a_study_with_events_in_both_arms_matches_r():
    # 3/50 vs 1/60 (tests/reference/study_intervals.R, case both_arms_events)
    from raremeta.analysis.fitting import single_study_fits

    tables = Tables.from_counts([3, 0], [50, 74], [1, 0], [60, 76], ["both", "double-zero"])
    fits = single_study_fits(tables)
    ref = R["both_arms_events"]
    for prefix, fit in fits.items():
        assert fit.estimate[0] == pytest.approx(ref[prefix], rel=1e-7)
        assert fit.ci_low[0] == pytest.approx(ref[f"{prefix}_ci_low"], rel=1e-7)
        assert fit.ci_high[0] == pytest.approx(ref[f"{prefix}_ci_high"], rel=1e-7)
    # a double-zero study (0/74 vs 0/76): no Firth OR (no events: the penalty alone would
    # decide); its crude RD is 0 - 0 = 0
    assert math.isnan(fits["or_firth"].estimate[1])
    assert fits["rd_crude"].estimate[1] == 0


def test_studies_not_in_the_comparison_have_no_study_intervals(seed):
    row = _row(seed["pres"]["studies"], study="mok-2016")
    assert row[["rd_crude", "or_firth", "or_firth_ci_low"]].isna().all()


@pytest.mark.parametrize(
    ("measure", "method", "prefix"),
    [
        ("OR", "MH", "or_firth"),
        ("OR", "Peto", "or_firth"),
        ("OR", "exact", "or_firth"),
        ("OR", "exact-conditional", "or_firth"),
        ("OR", "mid-p", "or_firth"),
        ("OR", "Firth", "or_firth"),
        ("RD", "MH", "rd_crude"),
        ("RD", "MN", "rd_crude"),
        ("OR", "IV", "or"),
        ("RR", "IV", "rr"),
        ("RD", "IV", "rd"),
        ("RR", "MH", "rr"),
    ],
)
def test_study_interval_prefix(measure, method, prefix):
    # the brief of issue 20 (item A): the per-study intervals that match each pooled row
    assert registry.study_interval_prefix(measure, method) == prefix


def test_every_study_interval_prefix_is_a_column_with_words(seed):
    columns = set(seed["pres"]["studies"].columns)
    for m in registry.METHODS.values():
        for measure in registry.MEASURES:
            prefix = registry.study_interval_prefix(measure, m.name)
            assert {prefix, f"{prefix}_ci_low", f"{prefix}_ci_high"} <= columns
            assert prefix in wording.STUDY_INTERVAL_WORDS
    assert wording.STUDY_INTERVAL_WORDS["or_firth"] == "Firth"
    assert wording.STUDY_INTERVAL_WORDS["rd_crude"] == "Miettinen-Nurminen"


def test_unknown_method_has_no_study_prefix():
    with pytest.raises(KeyError, match="unknown method 'nope'"):
        registry.study_interval_prefix("OR", "nope")


# ---- item 3: weights only for estimated rows ----------------------------------------------


def test_weights_only_for_estimated_rows(seed):
    row = _row(seed["pres"]["studies"], study="aura-lv")
    # random effects with one study (not applicable): no weights
    for column in ("weight_iv_or_dl", "weight_iv_or_reml", "weight_iv_rd_pm"):
        assert math.isnan(row[column])
    # MH OR and RR not estimable (no comparator events): no weights
    assert math.isnan(row["weight_mh_or"]) and math.isnan(row["weight_mh_rr"])
    # estimated rows of one study: 100% (its weight over the total of its own)
    for column in ("weight_mh_rd", "weight_iv_or_common", "weight_peto"):
        assert row[column] == pytest.approx(100, rel=1e-12)


# ---- item 5: ci_method only with an interval; study counts in English ---------------------


def test_ci_method_is_empty_without_an_interval(seed):
    for table in ("pooled", "sensitivity"):
        frame = seed["pres"][table]
        assert set(frame.loc[frame["status"] != "estimated", "ci_method"]) == {""}
    row = _row(seed["pres"]["pooled"], measure="RD", method="MH")
    assert row["ci_method"] == "Wald, normal"


def test_one_study_is_singular(seed):
    sens = seed["pres"]["sensitivity"]
    row = _row(sens, analysis_code="revman_mh", measure="OR")
    assert row["note"] == "1 study corrected"
    text = " ".join(seed["pres"]["pooled"]["correction"]) + " ".join(sens["correction"])
    assert "(1 of 1 study)" in text
    assert "studies)" not in text and "study/studies" not in text
    assert "study/studies" not in " ".join(sens["note"])


@pytest.mark.parametrize(
    ("n", "what", "text"),
    [
        (1, "study", "1 study"),
        (2, "study", "2 studies"),
        (1, "double-zero study", "1 double-zero study"),
        (3, "double-zero study", "3 double-zero studies"),
    ],
)
def test_study_counts(n, what, text):
    assert wording._studies(n, what) == text


# ---- item B: pooled rates over the trials in the comparison --------------------------------


def test_pres_rates_over_the_comparison(seed):
    rates = seed["pres"]["rates"]
    # all arms: AURA-LV 4/177 and Mok's tacrolimus 0/74 = 4/251; comparison: AURA-LV only
    all_arms = _row(rates, role="cni", method="crude", subset="all_arms")
    assert (all_arms["events"], all_arms["n"], all_arms["k"]) == (4, 251, 2)
    comparison = _row(rates, role="cni", method="crude", subset="comparison")
    assert (comparison["events"], comparison["n"], comparison["k"]) == (4, 177, 1)
    assert comparison["estimate"] == pytest.approx(4 / 177, rel=1e-12)
    # binom.test(4, 177)$conf.int (tests/reference/study_intervals.R)
    assert comparison["ci_low"] == pytest.approx(R["aura_lv_pres"]["risk_cni_ci_low"], rel=1e-8)
    assert comparison["ci_high"] == pytest.approx(R["aura_lv_pres"]["risk_cni_ci_high"], rel=1e-8)
    # existing rows first, in their order
    assert list(rates["subset"]) == ["all_arms"] * 4 + ["comparison"] * 4
    assert set(rates["subset"]) == set(RateSubset)


def test_comparison_rates_without_a_comparable_study():
    data = OutcomeData("x", None)
    rates = pooled_rates(data)
    comparison = rates[rates["subset"] == "comparison"]
    assert len(comparison) == 4
    assert set(comparison["reason"]) == {"no_comparable_study"}
    assert set(comparison["status"]) == {"not_estimable"}


# ---- item 4: which comparisons a study enters ----------------------------------------------


def test_in_comparison_of_the_seed_studies():
    # data/processed/harmonised.csv: AURA-LV reports PRES in both arms (seizure in neither),
    # Liu 2015 seizure in both (PRES in neither), Mok PRES in the tacrolimus arm only
    with open(ROOT / "data/processed/harmonised.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    outcomes = ["pres", "seizure"]
    found = {
        study: outcomes_in_comparison([r for r in rows if r["study"] == study], outcomes)
        for study in ("aura-lv", "liu-2015", "mok-2016")
    }
    assert found == {"aura-lv": ["pres"], "liu-2015": ["seizure"], "mok-2016": []}


def test_in_comparison_follows_config_order():
    rows = [
        {"outcome": o, "comparison": "s", "role": role, "reported": "true"}
        for o in ("b", "a")
        for role in ("cni", "comparator")
    ]
    assert outcomes_in_comparison(rows, ["a", "b", "c"]) == ["a", "b"]
