"""The corpus of bad inputs (tests/bad_inputs/), issue 5.

For every case: one message naming the file, row, field and value, nothing executed from YAML,
and the previous results left exactly as they were (sha256 before/after).

One case of each failure class runs through the real workflow (Snakemake reads the config,
builds the jobs and runs the failing one): a non-zero exit, the message on the console, no
traceback. Every other case runs the check that the workflow runs for its class, in the same
folder with the same inputs (issue 19, item 8: starting Snakemake for each case took minutes):
the configuration checks of ``workflow/rules/common.smk`` or the job of rule ``study``
(``raremeta.steps.study.run_study``); the same message is asserted, the error is the kind the
workflow prints without a traceback, and nothing is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_seed_results, digest, run_snakemake, without_study_files
from snakemake.common.configfile import load_configfile
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from raremeta.analysis.configuration import workflow_config
from raremeta.io.analysis_config import harmonisation_slice
from raremeta.io.errors import InvalidInputError
from raremeta.io.schemas import SCHEMA_DIR
from raremeta.steps.study import run_study

CASES = sorted(p for p in (Path(__file__).parent / "bad_inputs").iterdir() if p.is_dir())
NAMES = [c.name for c in CASES]

#: The failure classes: who reads the input (Snakemake or raremeta) and which check refuses it.
#: The config classes stop the run when the Snakefile is read; the study classes stop the job
#: of rule `study` of the broken folder; the last stops rule `check_studies`.
CLASSES = {
    "config file not YAML (Snakemake's loader)": ["config-not-yaml", "config-python-tag"],
    "config.yaml against its schema (Snakemake's validate)": [
        "outcome-without-terms",
        "unknown-config-key",
    ],
    "config.yaml semantic checks (analysis_from)": ["term-in-two-outcomes"],
    "folder name": ["folder-with-space"],
    "missing raw file": ["missing-study-yaml"],
    "study.yaml not plain YAML": ["python-tag", "yaml-alias-bomb"],
    "study.yaml against its schema": [
        "bad-role",
        "id-dotdot-path",
        "id-slash-path",
        "n-not-a-number",
        "n-of-zero",
        "one-arm",
        "population-not-allowed",
    ],
    "study.yaml semantic checks": [
        "data-as-of-not-a-date",
        "duplicate-arm-ids",
        "id-not-folder",
        "no-comparator",
        "reporting-arm-not-declared",
        "reporting-contradicts-counts",
        "subgroups-exceed-n",
    ],
    "adverse_events.csv structure (encoding, quoting, delimiter, header, columns)": [
        "empty-file",
        "header-only",
        "misspelt-column",
        "missing-column",
        "non-utf8",
        "ragged-row",
        "unclosed-quote",
        "unknown-extra-column",
        "wrong-delimiter",
    ],
    "adverse_events.csv values": [
        "arm-not-declared",
        "duplicate-rows",
        "empty-count",
        "events-greater-than-n",
        "fractional-count",
        "huge-count",
        "negative-count",
        "non-numeric-count",
        "subgroup-not-declared",
    ],
    "across study folders (check_studies)": ["registry-id-twice"],
}
#: The case of each class that runs through the real workflow.
END_TO_END = {
    "config file not YAML (Snakemake's loader)": "config-python-tag",
    "config.yaml against its schema (Snakemake's validate)": "unknown-config-key",
    "config.yaml semantic checks (analysis_from)": "term-in-two-outcomes",
    "folder name": "folder-with-space",
    "missing raw file": "missing-study-yaml",
    "study.yaml not plain YAML": "python-tag",
    "study.yaml against its schema": "bad-role",
    "study.yaml semantic checks": "no-comparator",
    "adverse_events.csv structure (encoding, quoting, delimiter, header, columns)": "ragged-row",
    "adverse_events.csv values": "negative-count",
    "across study folders (check_studies)": "registry-id-twice",
}
CONFIG_CLASSES = [name for name in CLASSES if name.startswith("config")]
E2E_CASES = [c for c in CASES if c.name in END_TO_END.values()]
STEP_CASES = [c for c in CASES if c.name not in END_TO_END.values()]
pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def good_run(seed_results) -> Path:
    """The seed project after a successful run (shared by the session: copy before use)."""
    return seed_results


def test_corpus_has_at_least_30_cases():
    assert len(CASES) >= 30


def test_every_case_has_one_class_and_every_class_one_end_to_end_case():
    classified = [name for names in CLASSES.values() for name in names]
    assert sorted(classified) == NAMES  # each case in exactly one class
    assert END_TO_END.keys() == CLASSES.keys()
    assert all(END_TO_END[name] in cases for name, cases in CLASSES.items())


def _apply(case: Path, good_run: Path, tmp_path: Path) -> tuple[dict, Path, dict, set[str]]:
    """Copy the finished seed project, then remove and overlay the case's files; return the
    case's spec, the project, the digest of its results before and the study folders touched."""
    spec = yaml.safe_load((case / "case.yaml").read_text())
    project = copy_seed_results(good_run, tmp_path / "project")
    before = digest(project)
    for rel in spec["remove"]:
        (project / rel).unlink()
    if (case / "overlay").is_dir():  # git keeps no empty folders
        shutil.copytree(case / "overlay", project, dirs_exist_ok=True)
    touched = {Path(rel).parts[2] for rel in spec["remove"] if rel.startswith("data/raw/")}
    if (case / "overlay" / "data" / "raw").is_dir():
        touched |= {p.name for p in (case / "overlay" / "data" / "raw").iterdir()}
    return spec, project, before, touched


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.name for c in E2E_CASES])
def test_bad_input_is_rejected_and_results_untouched(good_run, tmp_path, case):
    spec, project, before, touched = _apply(case, good_run, tmp_path)
    result = run_snakemake(project, timeout=120, quiet=False)
    assert result.returncode != 0
    assert spec["expected"] in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert without_study_files(digest(project), touched) == without_study_files(before, touched)
    assert not (project / "PWNED").exists()


def check_config(path: str) -> None:
    """What ``workflow/rules/common.smk`` does with the config when the Snakefile is read:
    Snakemake's loader (``configfile:``), then the function the Snakefile calls
    (``raremeta.analysis.configuration.workflow_config``) with Snakemake's ``validate``.

    Raises
    ------
    WorkflowError, InvalidInputError
        As the Snakefile does (it reraises the second as a WorkflowError with the same text).
    """
    schema = str(SCHEMA_DIR / "config.schema.yaml")
    workflow_config(load_configfile(path), path, lambda document: validate(document, schema))


@pytest.fixture(scope="module")
def study_config() -> dict:
    """The ``analysis`` param of the seed's `study` jobs: config.yaml with the schema's
    defaults filled in, sliced as ``workflow/rules/studies.smk`` slices it."""
    config = load_configfile(ROOT / "config.yaml")
    validate(config, str(SCHEMA_DIR / "config.schema.yaml"))
    return harmonisation_slice(config)


@pytest.mark.parametrize("case", STEP_CASES, ids=[c.name for c in STEP_CASES])
def test_bad_input_is_rejected_by_its_check_and_nothing_written(
    good_run, study_config, tmp_path, monkeypatch, case
):
    spec, project, before, touched = _apply(case, good_run, tmp_path)
    (failure_class,) = [name for name, names in CLASSES.items() if case.name in names]
    monkeypatch.chdir(project)  # the workflow's working directory: paths as the job names them
    if failure_class in CONFIG_CLASSES:
        with pytest.raises((WorkflowError, InvalidInputError)) as error:
            check_config("config.yaml")
    else:
        (study,) = touched
        out = Path("data/processed/studies") / f"{study}.json"  # the job's output, as it was
        with pytest.raises(InvalidInputError) as error:  # printed by the job, no traceback
            run_study(folder=Path("data/raw") / study, config=study_config, out=out)
    assert spec["expected"] in str(error.value), str(error.value)
    assert digest(project) == before  # nothing written, the old study file included
    assert not (project / "PWNED").exists()
