"""Shared test helpers: run the real Snakemake workflow on a copy of a fixture project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"

#: data/processed/harmonised.csv: README.md does not list its columns (only "one row per study,
#: outcome and role"); this is the header of the committed data/processed/harmonised.csv, spelled
#: out (never imported from the package) and shared by test_harmonise.py and test_pipeline.py.
HARMONISED_CONTRACT = [
    "study",
    "comparison",
    "label",
    "outcome",
    "role",
    "arms",
    "events",
    "n",
    "reported",
    "terms",
    "sources",
    "locations",
    "quotes",
    "note",
    # issue 13: appended
    "source_kinds",
    "follow_up_weeks",
    # issue 20: appended (the arms behind the row's counts: study.yaml `population`, `drug`)
    "population",
    "drug",
    # issue 20, item 14: how many randomised arms the counts combine (arm field `combines`)
    "randomised_arms",
]


def digest(project: Path, skip: tuple[str, ...] = ("provenance.json", "report.html")) -> dict:
    """sha256 of every file under ``results/`` and ``data/processed/`` (except ``skip``)."""
    import hashlib

    out = {}
    for folder in ("results", "data/processed"):
        for p in sorted((project / folder).rglob("*")):
            if p.is_file() and p.name not in skip:
                out[str(p.relative_to(project))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def without_study_files(digests: dict, studies) -> dict:
    """``digests`` (from :func:`digest`) without the intermediates a failed run may remove:
    the per-study files of ``studies`` and the manifest. Snakemake removes the outputs of a job
    that fails (a broken study's file, the manifest when the checks across studies fail);
    compare both sides through this: every review-wide file must stay as it was."""
    drop = {f"data/processed/studies/{study}.json" for study in studies}
    drop.add("data/processed/manifest.json")
    return {path: value for path, value in digests.items() if path not in drop}


def snakemake_command(project: Path, *args: str, cores: int = 2) -> list[str]:
    """The command line that runs the repository's Snakefile in ``project``."""
    return [
        str(SNAKEMAKE),
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(project),
        "--cores",
        str(cores),
        *args,
    ]


def run_snakemake(
    project: Path, *args: str, timeout: int = 300, quiet: bool = True
) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile (``--quiet`` unless told otherwise: a quiet run does
    not print the logs of failed jobs) with ``project`` as the working directory."""
    return subprocess.run(
        snakemake_command(project, *(["--quiet"] if quiet else []), *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_project(name: str, dest: Path) -> Path:
    """Copy ``tests/fixtures/<name>`` (config.yaml and data/raw) to ``dest``."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def copy_seed_project(dest: Path) -> Path:
    """Copy the repository's own config.yaml, data/raw, data/certainty.yaml,
    data/study_selection.csv and data/search (if committed) to ``dest``.
    """
    target = dest / "seed"
    (target / "data").mkdir(parents=True)
    shutil.copy(ROOT / "config.yaml", target / "config.yaml")
    shutil.copy(ROOT / "data" / "certainty.yaml", target / "data" / "certainty.yaml")
    shutil.copytree(ROOT / "data" / "raw", target / "data" / "raw")
    # issue 24: the selection decisions and the committed registry search (PRISMA flow)
    shutil.copy(ROOT / "data" / "study_selection.csv", target / "data" / "study_selection.csv")
    if (ROOT / "data" / "search").is_dir():
        shutil.copytree(ROOT / "data" / "search", target / "data" / "search")
    return target


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    return copy_seed_project(tmp_path)


def copy_seed_results(seed_results: Path, dest: Path) -> Path:
    """A copy of the session's finished seed run (:func:`seed_results`) at ``dest``, with its
    ``.snakemake`` metadata and file times: Snakemake sees it as up to date."""
    shutil.copytree(seed_results, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def seed_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project after one successful run, shared by every test and every xdist worker
    of the session (one Snakemake run instead of one per module and worker). Read only: copy it
    (``shutil.copytree``, ``.snakemake`` included or not) before running anything in it."""
    import fcntl
    import os

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the xdist workers' base folders share a parent
        root = root.parent
    done = root / "seed-results.done"
    with open(root / "seed-results.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker runs it, the others wait
        if not done.exists():
            shutil.rmtree(root / "seed-results", ignore_errors=True)
            project = copy_seed_project(root / "seed-results")
            result = run_snakemake(project)
            assert result.returncode == 0, result.stderr
            done.write_text(str(project))
    return Path(done.read_text())


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (pyplot keeps them open, and warns past 20)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
