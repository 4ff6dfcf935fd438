"""The parse-time validation stamp (a rerun with nothing changed skips re-reading the studies)
and the figure batches (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import copy_seed_project

from raremeta import validated_inputs
from raremeta.io.errors import InvalidInputError
from raremeta.job_batches import figure_batches
from raremeta.steps.figures import run_figures
from raremeta.validated_inputs import inputs_digest, validate_inputs


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_seed_project(tmp_path)


def _validate(project: Path):
    return validate_inputs(
        project / "data" / "raw", project / "config.yaml", project / ".snakemake" / "stamp"
    )


def _forbid_reading_studies(monkeypatch) -> None:
    def fail(*_args, **_kwargs):
        raise AssertionError("the studies were read again")

    monkeypatch.setattr(validated_inputs, "load_studies", fail)


def test_unchanged_inputs_are_not_read_again(project, monkeypatch):
    config, folders = _validate(project)
    assert [f.name for f in folders] == ["aura-lv", "liu-2015", "mok-2016"]
    assert len(list((project / ".snakemake" / "stamp").iterdir())) == 1
    _forbid_reading_studies(monkeypatch)
    again, folders_again = _validate(project)
    assert again == config and folders_again == folders


@pytest.mark.parametrize(
    "change",
    ["edit a count", "add an empty folder", "add a file", "edit the config"],
)
def test_any_change_means_a_full_validation(project, change):
    _validate(project)
    raw = project / "data" / "raw"
    before = inputs_digest(raw, yaml.safe_load((project / "config.yaml").read_text()))
    if change == "edit a count":
        events = raw / "aura-lv" / "adverse_events.csv"
        events.write_text(events.read_text().replace(",4,", ",-4,", 1))
    elif change == "add an empty folder":
        (raw / "Bad Folder").mkdir()
    elif change == "add a file":
        (raw / "aura-lv" / "notes.txt").write_text("x")
    else:
        # a change of content (the digest hashes the parsed config, so a comment alone is none)
        (project / "config.yaml").write_text(
            (project / "config.yaml").read_text() + "percent_tolerance: 0.5\n"
        )
    assert inputs_digest(raw, yaml.safe_load((project / "config.yaml").read_text())) != before
    if change in ("edit a count", "add an empty folder"):
        with pytest.raises(InvalidInputError):
            _validate(project)


def test_a_failed_validation_leaves_no_stamp(project):
    events = project / "data" / "raw" / "aura-lv" / "adverse_events.csv"
    events.write_text(events.read_text().replace(",4,", ",-4,", 1))
    with pytest.raises(InvalidInputError, match="must not be negative"):
        _validate(project)
    stamps = project / ".snakemake" / "stamp"
    assert not stamps.exists() or not list(stamps.iterdir())


def test_figure_batches_keep_the_configured_order():
    outcomes = [f"o{i}" for i in range(19)]
    batches = figure_batches(outcomes, size=8)
    assert list(batches) == ["1", "2", "3"]
    assert [len(b) for b in batches.values()] == [8, 8, 3]
    assert [o for batch in batches.values() for o in batch] == outcomes
    assert figure_batches([], size=8) == {}


def test_run_figures_refuses_outputs_that_do_not_match_the_outcomes(tmp_path):
    with pytest.raises(ValueError, match="outputs for"):
        run_figures("forest", {}, ["pres"], ["png", "pdf"], [tmp_path / "forest_pres.png"])
