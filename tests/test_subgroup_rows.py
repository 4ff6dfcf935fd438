"""Counts by patient subgroup: the raw contract (``adverse_events.csv`` ``subgroup``,
``study.yaml`` arm ``subgroups``), harmonisation ignoring them, the per-study rows
(raremeta.harmonise.subgroup_rows) and the per-outcome table within_trial_subgroups.csv.

Expected values: hand counts written in each test, and for the end-to-end table the R output
``tests/reference/within_trial_interaction.csv`` (data set ``one_trial``, written by
``tests/reference/within_trial_interaction.R``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from raremeta.analysis.within_trial import (
    WITHIN_TRIAL_COLUMNS,
    within_trial_lines,
    within_trial_subgroups,
)
from raremeta.harmonise.outcome_rows import harmonise
from raremeta.harmonise.subgroup_rows import subgroup_count_rows
from raremeta.io.analysis_config import load_config
from raremeta.io.errors import InvalidInputError
from raremeta.io.raw_studies import load_studies, load_study
from raremeta.steps.pool import TABLES, run_pool_outcome
from raremeta.steps.study import run_study

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config.yaml")
SOURCE = "constructed"

STUDY = """id: solo
label: Solo 2020
citation: A constructed trial.
arms:
  - id: cni
    label: CNI
    role: cni
    drug: tacrolimus
    n: 177
    n_basis: constructed
    subgroups: {variable: apl, groups: {negative: 137, positive: 40}}
  - id: ctl
    label: Control
    role: comparator
    drug: mycophenolate
    n: 173
    n_basis: constructed
    subgroups: {variable: apl, groups: {negative: 130, positive: 43}}
"""
# the one_trial set of within_trial_interaction.R: negative 6/137 vs 2/130, positive 0/40 vs
# 1/43; overall rows 6/177 vs 3/173 (the subgroup counts' sums)
EVENTS = f"""arm,term,events,source,subgroup
cni,PRES,6,{SOURCE},
ctl,PRES,3,{SOURCE},
cni,PRES,6,{SOURCE},negative
cni,PRES,0,{SOURCE},positive
ctl,PRES,2,{SOURCE},negative
ctl,Posterior reversible encephalopathy syndrome,1,{SOURCE},positive
"""


def folder(tmp_path: Path, study: str = STUDY, events: str = EVENTS) -> Path:
    path = tmp_path / "raw" / "solo"
    path.mkdir(parents=True)
    (path / "study.yaml").write_text(study, encoding="utf-8")
    (path / "adverse_events.csv").write_text(events, encoding="utf-8")
    return path


def problems(path: Path) -> list:
    with pytest.raises(InvalidInputError) as err:
        load_study(path, "raw/solo")
    return err.value.problems


def test_subgroup_rows_are_kept_apart_from_the_arm_counts(tmp_path):
    study = load_study(folder(tmp_path))
    # 2 overall rows, 4 subgroup rows (EVENTS above)
    assert len(study.events) == 2 and len(study.subgroup_events) == 4
    assert study.subgroup_variable == "apl"
    assert study.arm("cni").subgroups == (("negative", 137), ("positive", 40))


def test_harmonisation_ignores_subgroup_rows(tmp_path):
    # the same folder without its subgroup rows harmonises to the same rows, byte for byte
    with_rows = folder(tmp_path / "a")
    without = folder(tmp_path / "b", events="".join(EVENTS.splitlines(True)[:3]))
    a, log_a = harmonise(load_studies(with_rows.parent, "raw"), CONFIG)
    b, log_b = harmonise(load_studies(without.parent, "raw"), CONFIG)
    pd.testing.assert_frame_equal(a, b)
    assert log_a.equals(log_b)
    # PRES 6/177 vs 3/173: the overall rows, never 6 + 6 + 0 (subgroups added to the total)
    pres = a[a.outcome == "pres"].set_index("role")
    assert (pres.loc["cni", "events"], pres.loc["cni", "n"]) == (6, 177)
    assert (pres.loc["comparator", "events"], pres.loc["comparator", "n"]) == (3, 173)


def test_only_subgroup_rows_leave_the_arm_not_reported(tmp_path):
    # subgroup rows only: the arm has not reported PRES overall (never summed into a total)
    only = "".join(EVENTS.splitlines(True)[:1] + EVENTS.splitlines(True)[3:])
    frame, _ = harmonise(load_studies(folder(tmp_path, events=only).parent, "raw"), CONFIG)
    pres = frame[frame.outcome == "pres"]
    assert not pres.reported.any() and pres.events.isna().all()


def test_subgroup_count_rows(tmp_path):
    rows = subgroup_count_rows(load_study(folder(tmp_path)), CONFIG)
    got = {(r["outcome"], r["subgroup"], r["role"]): (r["events"], r["n"]) for r in rows}
    # EVENTS above; the comparator's positive row is under the PRES synonym; denominators from
    # study.yaml subgroups
    assert got == {
        ("pres", "negative", "cni"): (6, 137),
        ("pres", "negative", "comparator"): (2, 130),
        ("pres", "positive", "cni"): (0, 40),
        ("pres", "positive", "comparator"): (1, 43),
    }
    assert {r["subgroup_variable"] for r in rows} == {"apl"}


def test_undeclared_subgroup_is_refused_naming_file_row_field_value(tmp_path):
    bad = EVENTS + f"cni,PRES,1,{SOURCE},unknown\n"
    (problem,) = problems(folder(tmp_path, events=bad))
    # the 8th line of the file (header + 6 rows + this one)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "raw/solo/adverse_events.csv",
        8,
        "subgroup",
        "unknown",
    )
    assert "not declared" in problem.message and "negative, positive" in problem.message


def test_subgroup_row_of_an_arm_without_subgroups_is_refused(tmp_path):
    study = STUDY.replace(
        "    subgroups: {variable: apl, groups: {negative: 130, positive: 43}}\n", ""
    )
    found = problems(folder(tmp_path, study=study))
    # the comparator's two subgroup rows (lines 6 and 7)
    assert [(p.row, p.column) for p in found] == [(6, "subgroup"), (7, "subgroup")]
    assert "declared: none" in found[0].message


def test_subgroup_counts_are_checked_against_their_group(tmp_path):
    bad = EVENTS.replace(f"cni,PRES,0,{SOURCE},positive", f"cni,PRES,41,{SOURCE},positive")
    (problem,) = problems(folder(tmp_path, events=bad))
    # 41 events in a group of 40 (study.yaml)
    assert (problem.row, problem.column, problem.value) == (5, "events", "41")
    bad = "arm,term,events,source,subgroup,n_at_risk\n" + f"cni,PRES,1,{SOURCE},positive,30\n"
    (problem,) = problems(folder(tmp_path / "b", events=bad))
    assert (problem.column, problem.value) == ("n_at_risk", "30")


def test_duplicate_subgroup_row_is_refused(tmp_path):
    bad = EVENTS + f"cni,Pres,2,{SOURCE},negative\n"
    (problem,) = problems(folder(tmp_path, events=bad))
    assert (problem.row, problem.column) == (8, "term")
    assert "for subgroup 'negative'" in problem.message


def test_subgroup_sizes_above_n_and_two_variables_are_refused(tmp_path):
    # 137 + 41 = 178 > 177
    study = STUDY.replace("positive: 40}", "positive: 41}")
    (problem,) = problems(folder(tmp_path, study=study))
    assert (problem.column, problem.value) == ("arms[0].subgroups.groups", "178")
    # fewer is accepted: patients whose group is unknown
    study = STUDY.replace("positive: 40}", "positive: 39}")
    assert load_study(folder(tmp_path / "b", study=study)).arm("cni").subgroup_n("positive") == 39
    study = STUDY.replace(
        "{variable: apl, groups: {negative: 130", "{variable: age, groups: {negative: 130"
    )
    found = problems(folder(tmp_path / "c", study=study))
    assert [p.column for p in found] == ["arms[0].subgroups.variable", "arms[1].subgroups.variable"]


def test_seed_has_one_not_estimable_row_per_outcome():
    table = pd.read_csv(ROOT / "results/tables/within_trial_subgroups.csv", keep_default_na=False)
    assert list(table.columns) == WITHIN_TRIAL_COLUMNS
    # no seed trial reports counts by subgroup: one line per configured outcome (4), saying so
    assert list(table.outcome) == [o.id for o in CONFIG.outcomes]
    assert set(table.status) == {"not_estimable"} and set(table.reason) == {"no_subgroup_counts"}
    assert all("Patient characteristics" in note for note in table.note)
    # the typed rows the summary can read: nothing estimated, the reason kept as its enum
    lines = within_trial_lines(pd.read_csv(ROOT / "results/tables/within_trial_subgroups.csv"))
    assert [(x.outcome, x.k, x.estimated, x.reason) for x in lines] == [
        (o.id, 0, False, "no_subgroup_counts") for o in CONFIG.outcomes
    ]


def test_table_end_to_end_equals_r(tmp_path):
    # rule `study` then rule `pool` on the constructed trial; expected: the one_trial row of R
    with open(ROOT / "tests/reference/within_trial_interaction.csv", encoding="utf-8") as f:
        (expected,) = [r for r in csv.DictReader(f) if r["dataset"] == "one_trial"]
    record = tmp_path / "solo.json"
    run_study(folder(tmp_path), ROOT / "config.yaml", record)
    outputs = {name: tmp_path / f"{name}.csv" for name in TABLES}
    run_pool_outcome([record], ROOT / "config.yaml", "pres", outputs)
    (row,) = pd.read_csv(outputs["within_trial"], keep_default_na=False).to_dict("records")
    assert (row["subgroup_variable"], row["subgroup"], row["reference_subgroup"]) == (
        "apl",
        "positive",
        "negative",
    )
    assert (row["k"], row["trials"], row["status"], row["reason"]) == (1, "solo", "estimated", "")
    for name in ("estimate", "ci_low", "ci_high", "p_value"):
        # the table prints 10 significant digits
        assert row[name] == pytest.approx(float(expected[name]), rel=1e-8), name
    (line,) = within_trial_lines(pd.read_csv(outputs["within_trial"]))
    assert (line.subgroup, line.reference, line.k, line.estimated) == (
        "positive",
        "negative",
        1,
        True,
    )
    assert line.estimate == pytest.approx(float(expected["estimate"]), rel=1e-8)


def test_one_subgroup_only_says_there_is_no_within_trial_contrast():
    rows = [
        {
            "study": "a",
            "outcome": "pres",
            "subgroup_variable": "apl",
            "subgroup": "positive",
            "role": role,
            "events": 1,
            "n": 10,
        }
        for role in ("cni", "comparator")
    ]
    (row,) = within_trial_subgroups("pres", rows).to_dict("records")
    assert (row["subgroup_variable"], row["reason"]) == ("apl", "no_within_trial_contrast")
