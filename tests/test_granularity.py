"""Per-study and per-outcome jobs: what a change reruns (issue 12, item 4).

The fixture is a synthetic review of 6 studies x 6 outcomes (``bench/generate.py``, seed 3).
The expected job lists are written out by hand from the issue's rules: adding a study reruns
its own validation, the review-wide gathering and summary, and the pooling and figures of the
outcomes it reports in at least one arm, nothing else; editing one outcome's label reruns that
outcome's jobs and the review-wide files.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_snakemake, snakemake_command

pytestmark = pytest.mark.pipeline

sys.path.insert(0, str(ROOT / "bench"))

#: What every change reruns: gathering the per-outcome tables, the summary and provenance.
REVIEW_WIDE = {
    ("results_tables", ""),
    ("summary_of_findings", ""),
    ("summary_tables", ""),
    ("provenance", ""),
    # the signal screen reads every study's raw files and the whole config (issue 23)
    ("signals", ""),
    ("all", ""),
}


def planned_jobs(project: Path) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job ``snakemake -n`` lists."""
    import subprocess

    result = subprocess.run(
        snakemake_command(project, "-n"), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?(?:rule|checkpoint) )", result.stdout + result.stderr):
        head = re.match(r"(?:local)?(?:rule|checkpoint) (\w+):", block)
        if head:
            found = re.search(r"\n\s+wildcards: (.*)", block)
            jobs.add((head.group(1), found.group(1) if found else ""))
    return jobs


def state(project: Path) -> dict[str, tuple[int, str]]:
    """(mtime, sha256) of every file under results/ and data/processed/."""
    out = {}
    for folder in ("results", "data/processed"):
        for p in sorted((project / folder).rglob("*")):
            if p.is_file():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                out[str(p.relative_to(project))] = (p.stat().st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    from generate import generate

    project = tmp_path_factory.mktemp("granularity") / "review"
    generate(project, n_studies=6, n_outcomes=6, seed=3)
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    assert planned_jobs(project) == set()  # a no-op rerun plans nothing
    return project


def outcome_files(outcome: str) -> set[str]:
    tables = (
        "pooled_effects",
        "pooled_rates",
        "study_effects",
        "sensitivity",
        "absolute_effects",
        "cumulative",  # issue 21
        "exposure_adjusted",  # issue 21
        "subgroups",  # issue 21
        "within_trial_subgroups",  # issue 21 item 3
        "posterior_probabilities",  # issue 22
    )
    figures = {
        f"results/figures/{kind}_{outcome}.{ext}"
        for kind in ("forest", "incidence", "cumulative", "subgroups")
        for ext in ("png", "pdf", "svg")
    }
    return {f"results/outcomes/{outcome}/{t}.csv" for t in tables} | figures


def add_study(review: Path, study_id: str, label: str, events_csv: str) -> None:
    """A new study folder: trial-0000's study.yaml renamed, with these adverse events."""
    folder = review / "data/raw" / study_id
    folder.mkdir()
    study = (review / "data/raw/trial-0000/study.yaml").read_text(encoding="utf-8")
    (folder / "study.yaml").write_text(
        study.replace("trial-0000", study_id).replace("Synthetic trial 0", label),
        encoding="utf-8",
    )
    (folder / "adverse_events.csv").write_text(events_csv, encoding="utf-8")


def test_adding_a_study_reruns_only_the_outcomes_it_reports(review):
    before = state(review)
    # ae001 in both arms; ae004 in the CNI arm under its synonym (and the comparator arm under
    # its term); a term of no configured outcome
    add_study(
        review,
        "trial-new",
        "New trial",
        "arm,term,events,source\n"
        "cni,Event term 1,1,t\nctl,Event term 1,0,t\n"
        "cni,Event synonym 4,2,t\nctl,Event term 4,1,t\n"
        "cni,Headache,3,t\n",
    )
    assert planned_jobs(review) == REVIEW_WIDE | {
        ("study", "study=trial-new"),
        ("check_studies", ""),
        ("gather_studies", ""),
        ("pool", "outcome=ae001"),
        ("pool", "outcome=ae004"),
        ("figures", "outcome=ae001"),
        ("figures", "outcome=ae004"),
        ("reporting_figure", ""),
        # issue 24: the PRISMA flow counts the study folders (studies.csv)
        ("prisma", ""),
        ("prisma_figure", ""),
    }
    result = run_snakemake(review)
    assert result.returncode == 0, result.stderr
    after = state(review)
    changed = {path for path in after if after[path] != before.get(path)}
    untouched = {path for path in before if path.startswith(("results/outcomes/", "results/fig"))}
    untouched -= outcome_files("ae001") | outcome_files("ae004")
    # review-wide: the reporting matrix, the signal screen (issue 23), the PRISMA flow (issue 24)
    untouched = {
        p
        for p in untouched
        if "reporting." not in p and "ae_signals." not in p and "prisma." not in p
    }
    # 4 other outcomes: 10 tables (issue 22 added posterior_probabilities), 4 x 3 figure files
    # (forest, incidence, cumulative, subgroups)
    assert len(untouched) == 4 * (10 + 4 * 3)
    assert not untouched & changed
    assert outcome_files("ae001") | outcome_files("ae004") <= changed
    assert "data/processed/studies/trial-new.json" in changed
    assert planned_jobs(review) == set()


def test_a_study_the_strict_reader_rejects_blocks_every_outcome(review):
    # issue 19, item 4: the job graph reads each study's terms with the strict reader's own
    # tokenizer; a file it rejects (here a row with a stray comma, the ragged-row rule) counts
    # as reporting all 6 outcomes (written out by hand), and the run stops at the study's job
    # with the problem, before anything is pooled. The lenient reader this replaced took the
    # first 2 fields of the ragged row and planned ae001 only.
    before = state(review)
    add_study(
        review,
        "trial-bad",
        "Bad trial",
        "arm,term,events,source\ncni,Event term 1,1,t\nctl,Event term 1,0,t,extra\n",
    )
    every = {f"outcome=ae00{i}" for i in range(6)}
    assert planned_jobs(review) == REVIEW_WIDE | {
        ("study", "study=trial-bad"),
        ("check_studies", ""),
        ("gather_studies", ""),
        *(("pool", outcome) for outcome in every),
        *(("figures", outcome) for outcome in every),
        ("reporting_figure", ""),
        ("prisma", ""),
        ("prisma_figure", ""),
    }
    result = run_snakemake(review)
    assert result.returncode != 0
    log = (review / "logs/study/trial-bad.log").read_text(encoding="utf-8")
    assert "adverse_events.csv" in log and "has 5 fields, the header has 4" in log, log
    assert state(review) == before
    shutil.rmtree(review / "data/raw/trial-bad")
    assert planned_jobs(review) == set()


def test_editing_one_label_reruns_only_that_outcome(review):
    config = review / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert "label: Adverse event 2\n" in text
    config.write_text(text.replace("label: Adverse event 2\n", "label: Event two\n"))
    assert planned_jobs(review) == REVIEW_WIDE | {
        ("pool", "outcome=ae002"),
        ("figures", "outcome=ae002"),
        ("reporting_figure", ""),  # the reporting matrix names outcomes by label (issue 20)
        ("prisma_figure", ""),  # so does the PRISMA flow's studies per outcome (issue 24)
    }
