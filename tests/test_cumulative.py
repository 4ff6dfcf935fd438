"""Cumulative meta-analysis (issue 21, item 4): the primary method refitted as trials are
added in order of year, ties and missing years by id (missing last).

Expected values: ``tests/reference/cumulative.R`` (metafor ``cumul()`` of ``rma.mh`` for the MH
OR; brglm2 refits for the Firth OR), committed as ``tests/reference/cumulative.csv``; and the
seed's committed ``pooled_effects.csv`` primary rows.
"""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from conftest import ROOT

from raremeta.analysis.fitting import cumulative_fits, cumulative_order
from raremeta.analysis.primary_rule import FIRTH_OR, MH_OR
from raremeta.analysis.result_tables import CUMULATIVE_COLUMNS
from raremeta.stats.results import Status
from raremeta.stats.two_by_two import Tables

with open(ROOT / "tests/reference/cumulative.csv", encoding="utf-8") as f:
    R = list(csv.DictReader(f))

#: The four hand-made trials of cumulative.R (ids, years, CNI events/n, comparator events/n).
IDS = ["trial-a", "trial-b", "trial-c", "trial-d"]
YEARS = {"trial-a": 2012, "trial-b": 2010, "trial-c": 2012, "trial-d": None}
TABLES = Tables.from_counts([2, 3, 1, 4], [50, 100, 30, 80], [1, 1, 2, 0], [48, 98, 31, 79], IDS)


def test_order_by_year_then_id_missing_last():
    # 2010 first; the 2012 tie by id (a before c); no year last
    assert [IDS[i] for i in cumulative_order(IDS, YEARS)] == [
        "trial-b",
        "trial-a",
        "trial-c",
        "trial-d",
    ]
    assert [r["study_added"] for r in R] == ["trial-b", "trial-a", "trial-c", "trial-d"]


def test_mh_matches_metafor_cumul():
    steps = cumulative_fits(TABLES, MH_OR, YEARS)
    assert len(steps) == 4
    for (study, result), ref in zip(steps, R, strict=True):
        assert study == ref["study_added"]
        assert result.k == int(ref["k"])
        for ours, name in (
            (result.estimate, "mh_estimate"),
            (result.ci_low, "mh_ci_low"),
            (result.ci_high, "mh_ci_high"),
            (result.p_value, "mh_p_value"),
        ):
            assert ours == pytest.approx(float(ref[name]), rel=1e-8), (study, name)


def test_firth_matches_brglm2_refits():
    steps = cumulative_fits(TABLES, FIRTH_OR, YEARS)
    for (study, result), ref in zip(steps, R, strict=True):
        assert study == ref["study_added"]
        assert result.estimate == pytest.approx(float(ref["firth_estimate"]), rel=1e-6), study
    # step 1 is one trial: Firth = OR with 0.5 added to every cell, (3.5 x 97.5)/(97.5 x 1.5)
    assert steps[0][1].estimate == pytest.approx(3.5 * 97.5 / (97.5 * 1.5), rel=1e-8)


def test_seed_steps_equal_primary_rows():
    """Each seed outcome has at most one trial: its one step is the pooled_effects primary row
    (or, with no comparable trial, one row without a step, not estimated).
    """
    cumulative = pd.read_csv(ROOT / "results/tables/cumulative.csv")
    pooled = pd.read_csv(ROOT / "results/tables/pooled_effects.csv")
    studies = pd.read_csv(ROOT / "results/tables/studies.csv")
    assert list(cumulative.columns) == CUMULATIVE_COLUMNS
    primary = pooled[pooled["primary"]].set_index("outcome")
    assert sorted(cumulative["outcome"]) == sorted(primary.index)
    year_of = dict(zip(studies["study"], studies["year"], strict=True))
    for row in cumulative.to_dict("records"):
        p = primary.loc[row["outcome"]]
        assert (row["measure"], row["method"], row["model"]) == (
            p["measure"],
            p["method"],
            p["model"],
        )
        assert row["k"] == p["k"]
        if p["status"] != Status.ESTIMATED:
            assert math.isnan(row["step"]) and row["status"] == p["status"]
            continue
        assert row["step"] == 1
        assert row["study_added"] == p["studies"]
        assert row["year"] == year_of[row["study_added"]]
        for c in ("estimate", "ci_low", "ci_high", "p_value"):
            assert row[c] == pytest.approx(p[c], rel=1e-9), (row["outcome"], c)
