"""Subgroup analyses (issue 21, item 2): the primary method within each subgroup and Cochran's
Q between subgroups (``subgroups.csv``).

Expected values: ``tests/reference/subgroups.R`` (metafor ``rma.mh`` per subgroup and
``rma(yi, sei, mods = ~ factor(group), method = "FE")`` for Q), committed as
``tests/reference/subgroups.csv``, on seven hand-made rare-event trials and on metafor's
``dat.bcg`` by allocation; hand computations written in the tests; the seed's counts
(``data/raw/*/adverse_events.csv``: PRES is compared in AURA-LV only, seizure in Liu 2015 only).
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace

import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raremeta.analysis.outcome_data import OutcomeData
from raremeta.analysis.primary_rule import FIRTH_OR, MH_OR
from raremeta.analysis.subgroups import (
    NOT_CLASSIFIED,
    SUBGROUP_COLUMNS,
    classify,
    subgroup_table,
)
from raremeta.io.analysis_config import load_config, parse_config
from raremeta.io.errors import InvalidInputError
from raremeta.io.raw_studies import Role
from raremeta.stats.subgroup_test import q_between, se_from_interval
from raremeta.stats.two_by_two import Tables

CONFIG = load_config(ROOT / "config.yaml")

with open(ROOT / "tests/reference/subgroups.csv", encoding="utf-8") as f:
    R = list(csv.DictReader(f))

#: The data sets of subgroups.R: (ids, group, CNI events, CNI n, comparator events, n).
RARE = (
    [f"t{i}" for i in range(1, 8)],
    ["A", "A", "A", "B", "B", "C", "C"],
    [2, 0, 1, 3, 1, 0, 2],
    [100, 60, 80, 120, 90, 70, 110],
    [0, 0, 1, 1, 1, 2, 3],
    [98, 61, 79, 118, 92, 71, 108],
)
# metadat dat.bcg (as R prints it): tpos, tneg, cpos, cneg and alloc of trials 1-13
_BCG = [
    (4, 119, 11, 128, "random"),
    (6, 300, 29, 274, "random"),
    (3, 228, 11, 209, "random"),
    (62, 13536, 248, 12619, "random"),
    (33, 5036, 47, 5761, "alternate"),
    (180, 1361, 372, 1079, "alternate"),
    (8, 2537, 10, 619, "random"),
    (505, 87886, 499, 87892, "random"),
    (29, 7470, 45, 7232, "random"),
    (17, 1699, 65, 1600, "systematic"),
    (186, 50448, 141, 27197, "systematic"),
    (5, 2493, 3, 2338, "systematic"),
    (27, 16886, 29, 17825, "systematic"),
]
BCG = (
    [f"bcg{i}" for i in range(1, 14)],
    [g for *_, g in _BCG],
    [tp for tp, *_ in _BCG],
    [tp + tn for tp, tn, *_ in _BCG],
    [cp for _, _, cp, _, _ in _BCG],
    [cp + cn for _, _, cp, cn, _ in _BCG],
)


def table_of(dataset, primary=MH_OR, variable="group", subgroups_of=None) -> pd.DataFrame:
    ids, groups, ai, n1i, ci, n2i = dataset
    data = OutcomeData("x", Tables.from_counts(ai, n1i, ci, n2i, ids))
    study_subgroups = subgroups_of or {i: {variable: g} for i, g in zip(ids, groups, strict=True)}
    config = replace(CONFIG, subgroups=(variable,))
    return subgroup_table(data, primary, config, None, study_subgroups)


def test_bcg_counts_are_metafors():
    # R: sum(dat.bcg$tpos) = 1065, sum(dat.bcg$cpos) = 1510, table(dat.bcg$alloc):
    # alternate 2, random 7, systematic 4
    assert sum(BCG[2]) == 1065 and sum(BCG[4]) == 1510
    assert [BCG[1].count(g) for g in ("alternate", "random", "systematic")] == [2, 7, 4]


@pytest.mark.parametrize(("name", "dataset"), [("rare", RARE), ("bcg", BCG)])
def test_subgroups_match_metafor(name, dataset):
    table = table_of(dataset)
    assert list(table.columns) == SUBGROUP_COLUMNS
    ref = [r for r in R if r["dataset"] == name]
    assert list(table["subgroup"]) == [r["subgroup"] if r["subgroup"] else "" for r in ref]
    for (_, row), r in zip(table.iterrows(), ref, strict=True):
        assert row["k"] == int(r["k"])
        if r["subgroup"]:
            assert row["status"] == "estimated" and row["method"] == "MH"
            for column in ("estimate", "ci_low", "ci_high", "p_value"):
                assert row[column] == pytest.approx(float(r[column]), rel=1e-6), column
        else:
            assert row["status"] == "estimated" and row["reason"] == ""
            assert row["q_between"] == pytest.approx(float(r["q_between"]), rel=1e-6)
            assert row["q_df"] == int(r["q_df"]) == 2
            assert row["p_between"] == pytest.approx(float(r["p_between"]), rel=1e-6)
            assert "observational" in row["note"]


def test_q_between_by_hand():
    # log OR 0 and log 2, se 0.5 each: weights 4 and 4, weighted mean log(2)/2,
    # Q = 4 (log 2 / 2)^2 x 2 = log(2)^2 / 2 x 4 = 0.960906; chi-square 1 df p = 0.326870
    test = q_between([0.0, math.log(2)], [0.5, 0.5])
    assert test.q == pytest.approx(2 * math.log(2) ** 2, rel=1e-12)
    assert test.df == 1
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(test.q / 2)), rel=1e-12)
    with pytest.raises(ValueError):
        q_between([0.0], [0.5])


def test_se_from_a_symmetric_wald_interval():
    # (log 2 - log 0.5) / (2 x 1.959964) = 1.386294 / 3.919928 = 0.353653
    assert se_from_interval(0.5, 2.0, log_scale=True) == pytest.approx(0.3536527, rel=1e-6)
    assert se_from_interval(-0.1, 0.3, log_scale=False) == pytest.approx(0.4 / 3.919928, 1e-6)
    assert math.isnan(se_from_interval(0.0, 2.0, log_scale=True))


def test_one_trial_subgroups_and_one_subgroup_say_so():
    # two trials in two subgroups: each subgroup is one trial; with Firth (profile interval)
    # the test is not computed, with MH it is
    data = (["a", "b"], ["x", "y"], [2, 1], [50, 60], [1, 0], [50, 61])
    firth = table_of(data, FIRTH_OR)
    assert list(firth["reason"]) == [
        "one_trial_subgroup",
        "one_trial_subgroup",
        "no_wald_standard_error",
    ]
    assert list(firth["status"]) == ["estimated", "estimated", "not_applicable"]
    assert firth["q_between"].isna().iloc[-1]
    # one variable value for both trials: one subgroup of two trials, no test
    same = table_of(data, MH_OR, subgroups_of={"a": {"group": "x"}, "b": {"group": "x"}})
    assert list(same["subgroup"]) == ["x", ""]
    assert list(same["reason"]) == ["", "one_subgroup"]
    assert same["k"].tolist() == [2, 2]


def test_a_study_without_a_value_is_not_classified_and_left_out_of_the_test():
    ids, groups, *_ = RARE
    values = {i: {"group": g} for i, g in zip(ids, groups, strict=True) if i != "t7"}
    table = table_of(RARE, subgroups_of=values)
    assert list(table["subgroup"]) == ["A", "B", "C", NOT_CLASSIFIED, ""]
    other = table[table["subgroup"] == NOT_CLASSIFIED].iloc[0]
    assert (other["k"], other["studies"], other["reason"]) == (1, "t7", "not_classified")
    assert math.isnan(other["estimate"])
    # C is t6 alone now: 0/70 vs 2/71, MH OR 0 (no CNI events): not estimable, so the test
    # has two subgroups (A, B) and 1 df
    c = table[table["subgroup"] == "C"].iloc[0]
    assert c["status"] == "not_estimable"
    test = table.iloc[-1]
    assert test["q_df"] == 1 and test["k"] == 6
    assert "left out" in test["note"] and "C" in test["note"]


def test_drugs_map_to_the_vocabulary_ignoring_case_and_spacing():
    data = OutcomeData(
        "x",
        Tables.from_counts([1, 1, 1], [10, 10, 10], [0, 0, 0], [10, 10, 10], ["a", "b", "c"]),
        drugs={
            "a": {Role.CNI: "Tacrolimus  +  Mycophenolate", Role.COMPARATOR: "Placebo"},
            "b": {Role.CNI: "tacrolimus", Role.COMPARATOR: "Mycophenolate mofetil"},
            "c": {Role.CNI: "voclosporin;Ciclosporin A", Role.COMPARATOR: "placebo"},
        },
    )
    labels = ["a", "b", "c"]
    cni = classify("cni_drug", labels, data, CONFIG, {}, {})
    # the seed's vocabulary: multitarget -> tacrolimus; "ciclosporin a" is not in it and is
    # kept as written (lower case), joined with the other term of the combined arms
    assert cni.subgroup == {
        "a": "tacrolimus",
        "b": "tacrolimus",
        "c": "ciclosporin a + voclosporin",
    }
    assert cni.unmapped == {"c": ("ciclosporin a",)}
    comparator = classify("comparator_drug", labels, data, CONFIG, {}, {})
    assert comparator.subgroup == {"a": "placebo", "b": "mycophenolate", "c": "placebo"}


def test_no_configured_variable_is_one_line_saying_so():
    data = OutcomeData("x", Tables.from_counts([1], [10], [0], [10], ["a"]))
    table = subgroup_table(data, MH_OR, replace(CONFIG, subgroups=()))
    assert table["reason"].tolist() == ["no_subgroup_variable"]
    assert table["status"].tolist() == ["not_applicable"]


def test_config_rejects_a_drug_mapped_twice():
    document = {
        "outcomes": {"pres": {"label": "PRES", "terms": ["PRES"]}},
        "drug_vocabulary": {"Tacrolimus": "tacrolimus", "tacrolimus ": "voclosporin"},
    }
    with pytest.raises(InvalidInputError, match="already mapped"):
        parse_config(document)


def test_seed_subgroups_each_one_trial_and_no_test():
    # PRES: only AURA-LV reports both arms (4/177 voclosporin, 0/88 placebo); seizure: only
    # Liu 2015 (1/181 multitarget, 0/181 cyclophosphamide): each variable has one subgroup of
    # one trial, so no Q between subgroups
    table = pd.read_csv(ROOT / "results/tables/subgroups.csv", keep_default_na=False)
    rows = {
        (r.outcome, r.subgroup_variable, r.subgroup): (r.k, r.reason) for r in table.itertuples()
    }
    assert rows[("pres", "cni_drug", "voclosporin")] == (1, "one_trial_subgroup")
    assert rows[("pres", "comparator_drug", "placebo")] == (1, "one_trial_subgroup")
    assert rows[("seizure", "cni_drug", "tacrolimus")] == (1, "one_trial_subgroup")
    assert rows[("seizure", "comparator_drug", "cyclophosphamide")] == (1, "one_trial_subgroup")
    for outcome in ("pres", "seizure"):
        for variable in ("cni_drug", "comparator_drug"):
            assert rows[(outcome, variable, "")] == (1, "one_subgroup")
    assert (table["q_between"] == "").all()


def _study_folder(folder, subgroups):
    import yaml

    from raremeta.io.writing import csv_text

    folder.mkdir(parents=True)
    document = {
        "id": folder.name,
        "label": "Test",
        "citation": "Test citation",
        "subgroups": subgroups,
        "arms": [
            {"id": "a", "label": "a", "role": "cni", "drug": "tacrolimus", "n": 10, "n_basis": "t"},
            {
                "id": "b",
                "label": "b",
                "role": "comparator",
                "drug": "placebo",
                "n": 10,
                "n_basis": "t",
            },
        ],
    }
    (folder / "study.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    rows = [["a", "Nausea", "0", "Source"]]
    (folder / "adverse_events.csv").write_text(csv_text(["arm", "term", "events", "source"], rows))
    return folder


def test_study_level_subgroups_are_read_and_carried_in_the_per_study_record(tmp_path):
    from raremeta.harmonise.study_table import study_facts
    from raremeta.io.intermediate import StudyRecord
    from raremeta.io.raw_studies import load_study

    study = load_study(_study_folder(tmp_path / "s", {"comparator_type": "placebo"}))
    assert study.subgroups == (("comparator_type", "placebo"),)
    record = StudyRecord(**study_facts(study), harmonised=(), alternative=(), log=())
    again = StudyRecord.from_json(record.to_json(), tmp_path / "s.json")
    assert again.subgroups == {"comparator_type": "placebo"}


@pytest.mark.parametrize(
    "subgroups", [{"cni_drug": "tacrolimus"}, {"dose": "not_classified"}, {"Dose": "high"}]
)
def test_study_level_subgroups_refuse_built_in_names_and_the_reserved_value(tmp_path, subgroups):
    from raremeta.io.raw_studies import load_study

    with pytest.raises(InvalidInputError, match="subgroups"):
        load_study(_study_folder(tmp_path / "s", subgroups))


def test_seed_findings_for_the_summary():
    # the committed seed table: PRES and seizure one subgroup of one trial per variable, no
    # test; TMA and hypertension no comparable trial
    from raremeta.analysis.subgroup_findings import subgroup_findings
    from raremeta.stats.results import Reason, Status

    table = pd.read_csv(ROOT / "results/tables/subgroups.csv", keep_default_na=False)
    findings = {(f.outcome, f.variable): f for f in subgroup_findings(table)}
    assert len(findings) == 8
    pres = findings[("pres", "cni_drug")]
    assert pres.subgroups == (("voclosporin", 1, Status.ESTIMATED, Reason.ONE_TRIAL_SUBGROUP),)
    assert pres.one_trial_each and not pres.tested
    assert pres.test_reason == Reason.ONE_SUBGROUP and pres.q_df is None
    assert findings[("tma", "comparator_drug")].test_reason == Reason.NO_COMPARABLE_STUDY


def test_findings_of_a_computed_test():
    from raremeta.analysis.subgroup_findings import subgroup_findings

    (finding,) = subgroup_findings(table_of(BCG))
    ref = next(r for r in R if r["dataset"] == "bcg" and not r["subgroup"])
    assert finding.tested and finding.q_df == 2
    assert finding.q == pytest.approx(float(ref["q_between"]), rel=1e-6)
    assert [s for s, *_ in finding.subgroups] == ["alternate", "random", "systematic"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-5, 5, allow_nan=False), st.floats(0.05, 3, allow_nan=False)),
        min_size=2,
        max_size=6,
    ),
    st.floats(-3, 3, allow_nan=False),
)
def test_q_between_ignores_the_direction_and_a_common_shift(groups, shift):
    # swapping the arms negates every log OR, and a common shift of all subgroups is no
    # difference between them: Q is unchanged by either (its formula is in deviations from
    # the weighted mean)
    ys, ses = [y for y, _ in groups], [s for _, s in groups]
    q = q_between(ys, ses).q
    assert q_between([-y for y in ys], ses).q == pytest.approx(q, rel=1e-9, abs=1e-9)
    assert q_between([y + shift for y in ys], ses).q == pytest.approx(q, rel=1e-9, abs=1e-9)
    assert q >= 0
