"""The corpus of bad inputs (tests/bad_inputs/), each run through the real workflow (issue 5).

For every case: a non-zero exit, one message naming the file, row, field and value, nothing
executed from YAML, and the previous results left exactly as they were (sha256 before/after).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import copy_seed_project, digest, run_snakemake, without_study_files

CASES = sorted(p for p in (Path(__file__).parent / "bad_inputs").iterdir() if p.is_dir())
pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    project = copy_seed_project(tmp_path_factory.mktemp("good"))
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    return project


def test_corpus_has_at_least_30_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_rejected_and_results_untouched(good_run, tmp_path, case):
    spec = yaml.safe_load((case / "case.yaml").read_text())
    project = tmp_path / "project"
    shutil.copytree(good_run, project)
    before = digest(project)
    for rel in spec["remove"]:
        (project / rel).unlink()
    if (case / "overlay").is_dir():  # git keeps no empty folders
        shutil.copytree(case / "overlay", project, dirs_exist_ok=True)
    result = run_snakemake(project, timeout=120, quiet=False)
    assert result.returncode != 0
    assert spec["expected"] in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    touched = {Path(rel).parts[2] for rel in spec["remove"] if rel.startswith("data/raw/")}
    if (case / "overlay" / "data" / "raw").is_dir():
        touched |= {p.name for p in (case / "overlay" / "data" / "raw").iterdir()}
    assert without_study_files(digest(project), touched) == without_study_files(before, touched)
    assert not (project / "PWNED").exists()
