"""What a methodologist checks beside each count (issue 13, item 6): the kind of source of every
count, the follow-up, and the sensitivity rows by source of counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from raremeta.harmonise.outcome_rows import harmonise, source_kinds_code
from raremeta.io.analysis_config import load_config
from raremeta.io.raw_studies import load_studies
from raremeta.steps.pool import outcome_tables

STUDY = """id: {id}
label: Trial {id}
citation: A citation
{extra}arms:
  - {{id: cni, label: CNI, role: cni, drug: tacrolimus, n: {n1}, n_basis: safety population}}
  - {{id: ctl, label: Control, role: comparator, drug: placebo, n: {n2}, n_basis: safety pop}}
"""
#: tests/reference/source_subsets.R: study -> (CNI events, n, comparator events, n, kind)
COUNTS = {
    "a": (3, 40, 1, 38, "primary"),
    "b": (2, 55, 0, 52, "primary"),
    "c": (4, 120, 2, 118, "registry"),
    "d": (5, 30, 1, 31, "secondary"),
}


def project(tmp_path: Path, counts=COUNTS, extra: dict[str, str] | None = None) -> Path:
    raw = tmp_path / "raw"
    for study, (e1, n1, e2, n2, kind) in counts.items():
        folder = raw / study
        folder.mkdir(parents=True)
        text = STUDY.format(id=study, n1=n1, n2=n2, extra=(extra or {}).get(study, ""))
        (folder / "study.yaml").write_text(text)
        (folder / "adverse_events.csv").write_text(
            "arm,term,events,source,source_kind\n"
            f"cni,Seizure,{e1},S,{kind}\nctl,Seizure,{e2},S,{kind}\n"
        )
    return raw


def tables(raw: Path) -> dict[str, pd.DataFrame]:
    config = load_config(ROOT / "config.yaml")
    frame, _ = harmonise(load_studies(raw, "raw"), config)
    return outcome_tables(frame, frame, config, "seizure")


@pytest.fixture
def four_studies(tmp_path):
    return tables(project(tmp_path))


def test_primary_is_the_mh_or_of_all_four(four_studies):
    pooled = four_studies["pooled"]
    primary = pooled[pooled.primary].iloc[0]
    assert (primary.measure, primary.method) == ("OR", "MH")
    # source_subsets.txt: a+b+c+d: OR=3.659865963 [1.182855121, 11.32397251], p=0.02436227122
    assert primary.estimate == pytest.approx(3.659865963, rel=1e-8)
    assert primary.ci_low == pytest.approx(1.182855121, rel=1e-8)


@pytest.mark.parametrize(
    ("variant", "k", "expected"),
    [
        # source_subsets.txt: a+b: OR=5.049002273 [0.5673395601, 44.93327409] p=0.1465651026
        ("primary sources only", 2, (5.049002273, 0.5673395601, 44.93327409, 0.1465651026)),
        # a+b+c: OR=2.998048993 [0.7970749782, 11.27660259] p=0.1042885527
        ("primary or registry sources", 3, (2.998048993, 0.7970749782, 11.27660259, 0.1042885527)),
    ],
)
def test_source_subsets_refit_the_primary_method(four_studies, variant, k, expected):
    sens = four_studies["sensitivity"]
    row = sens[(sens.analysis == "source of counts") & (sens.variant == variant)].iloc[0]
    assert (row.measure, row.method, row.model, row.k) == ("OR", "MH", "common", k)
    got = (row.estimate, row.ci_low, row.ci_high, row.p_value)
    assert got == pytest.approx(expected, rel=1e-8)
    assert row.status == "estimated"
    # no study of the subset is double zero: the note names only what the subset left out
    left_out = 4 - k
    trials = "1 study" if left_out == 1 else f"{left_out} studies"
    assert row.note == f"{trials} left out: a count from another kind of source"


def test_every_study_qualifying_is_said(tmp_path):
    only_primary = {s: (*c[:4], "primary") for s, c in COUNTS.items()}
    sens = tables(project(tmp_path, only_primary))["sensitivity"]
    row = sens[sens.variant == "primary sources only"].iloc[0]
    # = the primary analysis of all four: OR 3.659865963 (source_subsets.txt)
    assert row.estimate == pytest.approx(3.659865963, rel=1e-8)
    assert row.note == "every study in the comparison qualifies: as the primary analysis"


def test_every_study_qualifying_is_said_beside_a_double_zero_study(tmp_path):
    # a double-zero trial adds nothing to the MH OR (its note says so) yet qualifies
    counts = {**COUNTS, "e": (0, 20, 0, 20, "primary")}
    counts = {s: (*c[:4], "primary") for s, c in counts.items()}
    sens = tables(project(tmp_path, counts))["sensitivity"]
    row = sens[sens.variant == "primary sources only"].iloc[0]
    assert row.estimate == pytest.approx(3.659865963, rel=1e-8)  # as without e (metafor)
    assert "every study in the comparison qualifies" in row.note
    assert "1 double-zero" in row.note


def test_a_count_without_source_kind_is_not_primary(tmp_path):
    unstated = {s: (*c[:4], "") for s, c in COUNTS.items()}
    out = tables(project(tmp_path, unstated))
    sens = out["sensitivity"]
    rows = sens[sens.analysis == "source of counts"]
    assert list(rows.reason) == ["no_study_from_sources"] * 2
    assert list(rows.status) == ["not_applicable"] * 2
    assert set(rows.note) == {
        "not applicable: no study in the comparison has every count from these kinds of source"
    }
    assert set(out["studies"].source_kinds_cni) == {"not_stated"}


def test_follow_up_travels_to_the_study_rows(tmp_path):
    raw = project(tmp_path, extra={"a": "follow_up_weeks: 52\n", "c": "follow_up_weeks: 26.5\n"})
    studies = tables(raw)["studies"].set_index("study")
    assert studies.follow_up_weeks.to_dict() == pytest.approx(
        {"a": 52.0, "b": float("nan"), "c": 26.5, "d": float("nan")}, nan_ok=True
    )


def test_source_kinds_code_orders_and_names_kinds():
    # the contract's codes (data/raw/README.md source_kind), in SourceKind order
    assert source_kinds_code(["secondary", "primary", "secondary"]) == "primary;secondary"
    assert source_kinds_code(["", "registry"]) == "registry;not_stated"
    assert source_kinds_code([]) == ""
