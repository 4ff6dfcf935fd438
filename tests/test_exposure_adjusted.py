"""Exposure-adjusted incidence (issue 21, item 5): events per 100 patient-years of planned
follow-up with an exact Poisson interval, checked against hand computations and R."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from raremeta.analysis.exposure import EXPOSURE_COLUMNS, exposure_adjusted
from raremeta.analysis.outcome_data import OutcomeData
from raremeta.io.raw_studies import Role
from raremeta.stats.person_time import poisson_exact_interval, rate_per_100py
from raremeta.stats.two_by_two import Tables

NAN = math.nan


def test_rate_per_100py_matches_hand_and_r():
    # 177 patients x 48 weeks / 52 = 8496 / 52 = 163.3846154 patient-years;
    # 100 x 4 / 163.3846154 = 2.448210923 per 100 PY.
    # R 4.2.2: poisson.test(4, 177 * 48 / 52)$conf.int = 0.00667055078, 0.06268392315 (per PY),
    # i.e. 0.667055078 and 6.268392315 per 100 PY.
    rate = rate_per_100py(4, 177, 48)
    assert rate.patient_years == pytest.approx(163.3846154, rel=1e-9)
    assert rate.rate_per_100py == pytest.approx(2.448210923, rel=1e-9)
    assert rate.ci_low == pytest.approx(0.667055078, rel=1e-8)
    assert rate.ci_high == pytest.approx(6.268392315, rel=1e-8)


def test_zero_events_upper_bound_by_hand():
    # x = 0: lower 0; upper chi2(0.975, 2) / 2 = -ln(0.025) = 3.688879454 events;
    # 88 patients x 48 / 52 = 81.23076923 PY, so 100 x 3.688879454 / 81.23076923 = 4.541234176
    # (R: poisson.test(0, 88 * 48 / 52)$conf.int[2] = 0.04541234176 per PY).
    assert poisson_exact_interval(0) == (0.0, pytest.approx(3.688879454, rel=1e-9))
    rate = rate_per_100py(0, 88, 48)
    assert (rate.rate_per_100py, rate.ci_low) == (0.0, 0.0)
    assert rate.ci_high == pytest.approx(4.541234176, rel=1e-8)


def test_no_follow_up_gives_no_rate():
    rate = rate_per_100py(4, 177, NAN)
    assert math.isnan(rate.patient_years) and math.isnan(rate.rate_per_100py)


def _data(follow_up: dict[str, float]) -> OutcomeData:
    """Two trials in the comparison (a: 4/177 vs 0/88; b: 1/50 vs 2/50) and one (c) whose
    comparator arm did not report the outcome."""
    counts = {
        "a": {Role.CNI: (4.0, 177.0), Role.COMPARATOR: (0.0, 88.0)},
        "b": {Role.CNI: (1.0, 50.0), Role.COMPARATOR: (2.0, 50.0)},
        "c": {Role.CNI: (0.0, 74.0), Role.COMPARATOR: (NAN, 76.0)},
    }
    tables = Tables.from_counts([4, 1], [177, 50], [0, 2], [88, 50], ["a", "b"])
    labels = {"a": "A 2019", "b": "B 2020", "c": "C 2016"}
    return OutcomeData("pres", tables, counts=counts, labels=labels, follow_up_weeks=follow_up)


def test_table_rows_reasons_and_follow_up_note():
    table = exposure_adjusted(_data({"a": 48.0, "b": 24.0, "c": NAN}))
    assert list(table.columns) == EXPOSURE_COLUMNS
    rows = {(r.study, r.role): r for r in table.itertuples()}
    assert len(rows) == 6
    a = rows[("a", "cni")]
    assert (a.status, a.reason, a.ci_method) == ("estimated", "", "exact Poisson (Garwood)")
    assert a.rate_per_100py == pytest.approx(2.448210923, rel=1e-9)  # as above
    # b: 50 x 24 / 52 = 23.07692308 PY; 100 x 2 / 23.07692308 = 8.666666667 per 100 PY
    b = rows[("b", "comparator")]
    assert b.patient_years == pytest.approx(23.07692308, rel=1e-9)
    assert b.rate_per_100py == pytest.approx(8.666666667, rel=1e-9)
    # c states no follow-up: not estimable and why; its comparator arm did not report it
    c = rows[("c", "cni")]
    assert (c.status, c.reason) == ("not_estimable", "follow_up_not_stated")
    assert c.note.startswith("not estimable: no follow-up is stated for these counts")
    assert math.isnan(c.rate_per_100py) and math.isnan(c.patient_years)
    assert rows[("c", "comparator")].reason == "not_reported_comparator_arm"
    # a (48 weeks) and b (24 weeks) differ: every row of the outcome says so
    assert all("different planned follow-up (24, 48 weeks)" in r.note for r in rows.values())
    assert all("ignores the difference" in r.note for r in rows.values())


def test_same_follow_up_has_no_pooling_note():
    table = exposure_adjusted(_data({"a": 48.0, "b": 48.0, "c": 24.0}))  # c not in comparison
    assert not any("different planned follow-up" in n for n in table.note)
    assert table.loc[table.study == "a", "note"].iloc[0].startswith("per 100 patient-years")


def test_outcome_without_study_says_why_in_one_line():
    table = exposure_adjusted(OutcomeData("seizure", None))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row.status, row.reason) == ("not_estimable", "no_reporting_arm")
    assert row.note.startswith("no study has this outcome")


def test_seed_states_no_follow_up_so_every_row_says_why(seed_results):
    # data/raw/*/study.yaml of the seed state no follow-up: PRES in AURA-LV (both arms) and
    # Mok 2016 (comparator arm not reported), seizures in Liu 2015 (two arms each): 6 rows;
    # TMA and hypertension (config.yaml) have no study: one line each saying so
    table = pd.read_csv(seed_results / "results/tables/exposure_adjusted.csv")
    assert list(table.columns) == EXPOSURE_COLUMNS
    assert len(table) == 8
    assert set(table.status) == {"not_estimable"}
    assert table.rate_per_100py.isna().all() and table.follow_up_weeks.isna().all()
    assert table.note.notna().all()
    assert sorted(table.reason) == [
        *["follow_up_not_stated"] * 5,
        *["no_reporting_arm"] * 2,
        "not_reported_comparator_arm",
    ]
