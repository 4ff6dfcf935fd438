"""Harmonisation of the seed trials, checked against the extraction form."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from raremeta.harmonise.outcome_rows import HARMONISED_COLUMNS, harmonise
from raremeta.io.analysis_config import load_config, parse_config
from raremeta.io.raw_studies import load_studies

ROOT = Path(__file__).resolve().parents[1]
FORM = ROOT.parent / "shared" / "extraction" / "seed_trials.csv"


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
    assert list(frame.columns) == HARMONISED_COLUMNS
    assert {
        "study",
        "outcome",
        "role",
        "arms",
        "events",
        "n",
        "reported",
        "terms",
        "sources",
    } <= set(frame.columns)


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
    assert len(missing) == 7  # 12 study-outcome-role cells, 5 reported
    assert (frame[frame.reported].events.notna()).all()


def test_form_reported_counts_all_present():
    form = pd.read_csv(FORM) if FORM.exists() else None
    if form is None:
        return
    frame, _ = seed()
    reported = form[form.status.isin(["reported", "reported_zero"]) & form.role.notna()]
    for row in reported.itertuples():
        match = frame[(frame.study == row.study) & (frame.role == row.role) & frame.reported]
        assert (match.events == row.events).any(), row


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
