"""Harmonisation of the seed trials, checked against the extraction form."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml
from conftest import HARMONISED_CONTRACT

from raremeta.harmonise.outcome_rows import harmonise
from raremeta.io.analysis_config import load_config, parse_config
from raremeta.io.raw_studies import load_studies

ROOT = Path(__file__).resolve().parents[1]
#: the seed extraction form, committed (see tests/fixtures/extraction/README.md)
FORM = Path(__file__).parent / "fixtures" / "extraction" / "seed_trials.csv"


def seed():
    return harmonise(
        load_studies(ROOT / "data" / "raw", "data/raw"), load_config(ROOT / "config.yaml")
    )


def cell(frame, study, outcome, role):
    row = frame[(frame.study == study) & (frame.outcome == outcome) & (frame.role == role)]
    assert len(row) == 1
    return row.iloc[0]


def test_columns_are_the_contract():
    frame, _ = seed()
    assert list(frame.columns) == HARMONISED_CONTRACT
    # README.md: one row per study, outcome and role (every role of every study and outcome)
    keys = list(zip(frame.study, frame.outcome, frame.role, strict=True))
    # 3 seed trials, 4 outcomes (pres, seizure, tma, hypertension), 2 roles
    assert len(keys) == len(set(keys)) == 3 * 4 * 2, keys


def test_seed_counts_equal_the_extraction_form():
    frame, _ = seed()
    # Xu 2020: PRES 4/177 voclosporin vs 0/88 placebo (AURA-LV)
    assert (
        cell(frame, "aura-lv", "pres", "cni").events,
        cell(frame, "aura-lv", "pres", "cni").n,
    ) == (4, 177)
    assert (
        cell(frame, "aura-lv", "pres", "comparator").events,
        cell(frame, "aura-lv", "pres", "comparator").n,
    ) == (0, 88)
    # Xu 2020: epilepsy 1/181 multitarget vs 0/181 cyclophosphamide (Liu 2015)
    assert cell(frame, "liu-2015", "seizure", "cni").events == 1
    assert cell(frame, "liu-2015", "seizure", "comparator").events == 0
    # Mok 2022 reply: no PRES in the 74 tacrolimus patients; MMF arm not reported
    assert cell(frame, "mok-2016", "pres", "cni").events == 0
    mmf = cell(frame, "mok-2016", "pres", "comparator")
    assert not mmf.reported and pd.isna(mmf.events) and mmf.n == 76


def test_not_reported_is_never_zero():
    frame, _ = seed()
    missing = frame[~frame.reported]
    assert missing.events.isna().all()
    assert len(missing) == 19  # 24 study-outcome-role cells, 5 reported
    assert (frame[frame.reported].events.notna()).all()


def _norm(term: str) -> str:
    # data/raw/README.md: terms are compared ignoring case, spacing and hyphens
    return "".join(ch for ch in term.lower() if not ch.isspace() and ch != "-")


def form_outcome(term: str) -> str | None:
    """The outcome of config.yaml whose terms include ``term``; None for a baseline row."""
    outcomes = yaml.safe_load((ROOT / "config.yaml").read_text())["outcomes"]
    found = [o for o, spec in outcomes.items() if _norm(term) in map(_norm, spec["terms"])]
    assert len(found) <= 1, (term, found)
    return found[0] if found else None


def test_form_counts_equal_the_harmonised_counts():
    assert FORM.is_file(), f"{FORM} is missing: it is committed, see its README.md"
    form = pd.read_csv(FORM, dtype={"role": str}, keep_default_na=False)
    frame, _ = seed()
    checked = 0
    for row in form.itertuples():
        outcome = form_outcome(row.term)
        if outcome is None:
            # baseline characteristics of both arms combined (antiphospholipid antibodies)
            assert row.arm == "both arms combined", row
            continue
        roles = [row.role] if row.role else ["cni", "comparator"]
        for role in roles:
            got = cell(frame, row.study, outcome, role)
            what = f"form line {row.Index + 2}: {row.study}, {row.term}, {role} ({row.status})"
            if row.status in ("reported", "reported_zero"):
                assert got.reported, what
                assert (got.events, got.n) == (int(row.events), int(row.n)), (what, got)
            elif row.status in ("not_reported", "not_found"):
                assert not got.reported and pd.isna(got.events), (what, got)
                if row.n:
                    assert got.n == int(row.n), (what, got)
            else:
                raise AssertionError(f"{what}: status this test does not know")
            checked += 1
    # the form's 9 event rows (6 for one arm, 3 "not found" for both arms) cover all 12
    # study-outcome-role cells of the seed
    assert checked == 12, checked


def test_letter_slip_is_a_data_quality_warning():
    _, log = seed()
    warnings = log[log.kind == "data_quality"]
    assert len(warnings) == 1
    assert "48/150 is 32.0%, not the reported 28%" in warnings.iloc[0].message
    assert warnings.iloc[0].file == "data/raw/mok-2016/characteristics.csv"
    assert warnings.iloc[0].line == "2"


def test_outcome_no_study_reports_is_not_an_error(tmp_path):
    doc = {"outcomes": {"tma": {"label": "TMA", "terms": ["Thrombotic microangiopathy"]}}}
    frame, _ = harmonise(load_studies(ROOT / "data" / "raw", "raw"), parse_config(doc))
    assert not frame.reported.any() and len(frame) == 6


def _multi_arm(tmp_path: Path) -> list:
    d = tmp_path / "raw" / "t3"
    d.mkdir(parents=True)
    (d / "study.yaml").write_text(
        "id: t3\nlabel: T3\ncitation: c\narms:\n"
        "  - {id: lo, label: low, role: cni, drug: x, n: 60, n_basis: s}\n"
        "  - {id: hi, label: high, role: cni, drug: x, n: 62, n_basis: s}\n"
        "  - {id: pbo, label: p, role: comparator, drug: p, n: 120, n_basis: s}\n"
    )
    (d / "adverse_events.csv").write_text(
        "arm,term,events,source\nlo,Seizure,2,P\nhi,Convulsion,3,P\nhi,Epilepsy,1,P\n"
        "pbo,Seizure,1,P\npbo,Headache,4,P\n"
    )
    return load_studies(tmp_path / "raw", "raw")


def test_arms_of_a_role_are_combined_and_logged(tmp_path):
    doc = {"outcomes": {"seizure": {"label": "S", "terms": ["Seizure", "Convulsion", "Epilepsy"]}}}
    frame, log = harmonise(_multi_arm(tmp_path), parse_config(doc))
    cni = cell(frame, "t3", "seizure", "cni")
    # hi reports two terms: the larger single count (3) is used, not the sum (4)
    assert (cni.events, cni.n, cni.arms) == (2 + 3, 122, "lo+hi")
    kinds = set(log.kind)
    assert {"multi_arm", "double_counting", "unmapped_term"} <= kinds


def test_split_divides_the_shared_comparator(tmp_path):
    doc = {
        "outcomes": {"seizure": {"label": "S", "terms": ["Seizure", "Convulsion"]}},
        "multi_arm": "split",
    }
    frame, _ = harmonise(_multi_arm(tmp_path), parse_config(doc))
    assert sorted(frame.comparison.unique()) == ["t3:hi", "t3:lo"]
    comp = frame[(frame.comparison == "t3:lo") & (frame.role == "comparator")].iloc[0]
    assert math.isclose(comp.events, 0.5) and comp.n == 60


def _registry_like(tmp_path, rows: str):
    folder = tmp_path / "raw" / "reg-1"
    folder.mkdir(parents=True)
    (folder / "study.yaml").write_text(
        "id: reg-1\nlabel: Reg 1\ncitation: NCT00000000\narms:\n"
        "  - {id: eg001, label: CNI, role: cni, drug: tacrolimus, n: 60, n_basis: registry}\n"
        "  - {id: eg000, label: Control, role: comparator, drug: placebo, n: 58, "
        "n_basis: registry}\n"
    )
    (folder / "adverse_events.csv").write_text("arm,term,events,source,table,n_at_risk\n" + rows)
    doc = {"outcomes": {"seizure": {"label": "Seizure", "terms": ["Seizure", "Epilepsy"]}}}
    return harmonise(load_studies(tmp_path / "raw", "raw"), parse_config(doc))


def test_a_term_in_two_tables_is_never_summed(tmp_path):
    # issue 13, item 2: per arm and outcome the row with the most events counts (a lower
    # bound), with its own denominator; the others are logged, never added
    frame, log = _registry_like(
        tmp_path,
        "eg001,Seizure,2,R,serious,50\neg001,Seizure,3,R,other,60\neg001,Epilepsy,1,R,other,\n"
        "eg000,Seizure,0,R,other,58\n",
    )
    cni = cell(frame, "reg-1", "seizure", "cni")
    assert (cni.events, cni.n) == (3, 60)  # not 2 + 3 + 1
    comparator = cell(frame, "reg-1", "seizure", "comparator")
    assert (comparator.events, comparator.n) == (0, 58)
    [message] = log[log.kind == "double_counting"].message
    assert "events taken from line 3, the largest single count (3 of 60)" in message
    assert "Seizure [serious]; Seizure [other]; Epilepsy [other]" in message


def test_ties_take_the_larger_denominator(tmp_path):
    frame, _ = _registry_like(
        tmp_path,
        "eg001,Seizure,2,R,serious,40\neg001,Seizure,2,R,other,55\neg000,Seizure,1,R,other,\n",
    )
    cni = cell(frame, "reg-1", "seizure", "cni")
    assert (cni.events, cni.n) == (2, 55)
    comparator = cell(frame, "reg-1", "seizure", "comparator")
    assert (comparator.events, comparator.n) == (1, 58)  # empty n_at_risk: the arm's n
