"""End-to-end: the real Snakemake workflow on copies of fixture projects (issue 2, issue 3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_project, run_snakemake

from raremeta.analysis.result_tables import (
    POOLED_COLUMNS,
    PRIMARY_SET,
    RATE_COLUMNS,
    SENSITIVITY_COLUMNS,
)
from raremeta.harmonise.outcome_rows import HARMONISED_COLUMNS

pytestmark = pytest.mark.pipeline
TABLES = ["pooled_effects", "pooled_rates", "study_effects", "sensitivity"]


def digest(project: Path) -> dict[str, str]:
    files = sorted((project / "results").rglob("*.csv")) + sorted(
        (project / "data" / "processed").rglob("*.csv")
    )
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    from conftest import copy_seed_project

    project = copy_seed_project(tmp_path_factory.mktemp("seed"))
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    return project


def test_seed_run_writes_every_table(seed_run):
    harmonised = pd.read_csv(seed_run / "data/processed/harmonised.csv")
    assert list(harmonised.columns) == HARMONISED_COLUMNS
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv")
    assert list(pooled.columns) == POOLED_COLUMNS
    assert list(pd.read_csv(seed_run / "results/tables/pooled_rates.csv").columns) == RATE_COLUMNS
    sens = pd.read_csv(seed_run / "results/tables/sensitivity.csv")
    assert list(sens.columns) == SENSITIVITY_COLUMNS
    assert pd.read_csv(seed_run / "results/tables/study_effects.csv").shape[0] == 6


def test_one_row_per_method_and_outcome(seed_run):
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv", keep_default_na=False)
    keys = list(
        zip(
            pooled.outcome,
            pooled.measure,
            pooled.method,
            pooled.model,
            pooled.tau2_estimator,
            strict=True,
        )
    )
    assert len(keys) == len(set(keys)) == 2 * len(PRIMARY_SET)
    assert pooled.primary.sum() == 2  # "true"/"false" parse as booleans


def test_seed_pres_numbers(seed_run):
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv", keep_default_na=False)
    pres = pooled[pooled.outcome == "pres"].set_index(
        ["measure", "method", "model", "tau2_estimator"]
    )
    mh_or = pres.loc[("OR", "MH", "common", "")]
    assert mh_or.estimate == "" and mh_or.note.startswith("not estimable")
    assert "mok-2016 (outcome not reported for the comparator arm)" in mh_or.note
    # metafor rma.mh(ai=4, n1i=177, ci=0, n2i=88, measure="RD"): 0.02259887006
    assert float(pres.loc[("RD", "MH", "common", "")].estimate) == pytest.approx(4 / 177)
    assert (int(mh_or.k), int(mh_or.k_excluded)) == (1, 2)


def test_rerun_is_a_no_op_and_byte_identical(seed_run):
    before = digest(seed_run)
    result = run_snakemake(seed_run, "--forceall")
    assert result.returncode == 0, result.stderr
    assert digest(seed_run) == before


def test_new_trials_as_a_user_would_add_them(tmp_path):
    project = copy_project("new_trials", tmp_path)
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    pooled = pd.read_csv(project / "results/tables/pooled_effects.csv", keep_default_na=False)
    assert sorted(pooled.outcome.unique()) == ["pres", "seizure", "tma"]
    pres_peto = pooled[(pooled.outcome == "pres") & (pooled.method == "Peto")].iloc[0]
    assert pres_peto.primary and pres_peto.k == 2 and pres_peto.k_excluded == 1
    tma = pooled[pooled.outcome == "tma"]
    assert (tma[tma.measure != "RD"].estimate == "").all()  # one double-zero study only
    log = pd.read_csv(project / "data/processed/harmonisation_log.csv")
    assert {"multi_arm", "unmapped_term", "data_quality"} <= set(log.kind)
    sens = pd.read_csv(project / "results/tables/sensitivity.csv", keep_default_na=False)
    split = sens[(sens.analysis == "multi-arm handling") & (sens.outcome == "pres")].iloc[0]
    assert split.variant == "multi_arm: split instead of combine" and split.estimate != ""


@pytest.mark.parametrize(
    ("target", "content", "expected"),
    [
        (
            "data/raw/aura-lv/adverse_events.csv",
            "arm,term,events,source\nvoclosporin,PRES,-4,x\n",
            "data/raw/aura-lv/adverse_events.csv, line 2, column 'events', value '-4'",
        ),
        (
            "config.yaml",
            "outcomes:\n  pres:\n    label: P\n    terms: [PRES]\nthreads: 4\n",
            "config.yaml, column '(top level)': Additional properties are not allowed ('threads'",
        ),
    ],
    ids=["negative count", "unknown config key"],
)
def test_bad_input_stops_with_message_and_leaves_results(
    seed_run, tmp_path, target, content, expected
):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(seed_run, project, ignore=shutil.ignore_patterns(".snakemake"))
    run_snakemake(project)
    before = digest(project)
    (project / target).write_text(content)
    result = run_snakemake(project)
    assert result.returncode != 0
    assert expected in result.stderr
    assert digest(project) == before


def test_report_contains_every_figure_and_table(seed_run):
    result = run_snakemake(seed_run, "--report", "results/report.html")
    assert result.returncode == 0, result.stderr
    page = (seed_run / "results" / "report.html").read_text(encoding="utf-8")
    for name in (
        "forest_pres.png",
        "forest_seizure.png",
        "incidence_pres.png",
        "incidence_seizure.png",
        "summary.html",
    ):
        assert name in page


def test_figures_are_byte_identical_across_runs(seed_run):
    figures = sorted((seed_run / "results" / "figures").iterdir())
    assert len(figures) == 12  # forest and incidence, 2 outcomes, png/pdf/svg
    before = {p.name: p.read_bytes() for p in figures}
    result = run_snakemake(seed_run, "--forcerun", "forest_plots_1", "incidence_plots_1")
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in figures} == before
    assert b"CreationDate" not in before["forest_pres.pdf"]
