"""Faults (issue 5): killed runs, corrupted or deleted intermediates, concurrent runs, and
hostile text in labels. Each compares against an uninterrupted run of the same project."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import (
    copy_project,
    copy_seed_project,
    copy_seed_results,
    digest,
    run_snakemake,
    snakemake_command,
)

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def reference(seed_results) -> dict[str, str]:
    """The digest of a successful seed run (the session's, conftest.seed_results)."""
    return digest(seed_results)


def _start(project: Path) -> subprocess.Popen:
    """Start a run in the background; its console goes to a file (a pipe nobody reads while
    the run goes on would fill up and block it)."""
    console = (project.parent / f"console-{time.monotonic_ns()}.txt").open("w+b")
    proc = subprocess.Popen(
        snakemake_command(project, "--quiet", cores=1),
        stdout=subprocess.DEVNULL,
        stderr=console,
        start_new_session=True,
    )
    proc.console = console  # type: ignore[attr-defined]
    return proc


def _console(proc: subprocess.Popen) -> str:
    """What a run started by :func:`_start` wrote to stderr."""
    proc.console.seek(0)  # type: ignore[attr-defined]
    return proc.console.read().decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_run_restarts_to_identical_results(tmp_path, reference, sig):
    project = copy_seed_project(tmp_path)
    proc = _start(project)
    deadline = time.monotonic() + 120
    while not (project / "results" / "tables" / "pooled_effects.csv").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "run ended before the kill"
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    if sig == signal.SIGKILL:
        # a killed Snakemake cannot release its lock; the documented restart unlocks first
        assert run_snakemake(project, "--unlock").returncode == 0
    result = run_snakemake(project)  # the workflow profile sets rerun-incomplete
    assert result.returncode == 0, result.stderr
    assert digest(project) == reference


def _old_layout(text: str) -> str:
    """A per-study file rewritten in the layout before issue 19 (no ``format``, a top-level
    ``reported``), with a valid sha256 of its content (the canonical JSON of
    ``raremeta.io.intermediate``: sorted keys, indent 1, UTF-8), so that only the layout is
    wrong."""
    content = json.loads(text)["content"]
    del content["format"]
    content["reported"] = {"pres": {"cni": True, "comparator": True, "status": "both_arms"}}
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False)
    document = {"content": content, "sha256": hashlib.sha256(body.encode()).hexdigest()}
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


@pytest.mark.parametrize(
    "damage", ["corrupt-study", "old-layout", "corrupt-gathered", "delete-study"]
)
def test_damaged_intermediate_is_detected_or_regenerated(tmp_path, reference, seed_results, damage):
    # issue 12, item 2: nothing is deleted when the Snakefile is read; a changed intermediate
    # is detected by the job that reads it (checksum), which names the file and the command.
    # Issue 19, item 5: so is a per-study file of another layout (its sha256 valid)
    project = copy_seed_results(seed_results, tmp_path / "seed")
    dry = run_snakemake(project, "-n")  # the copy is up to date
    assert "Nothing to be done" in dry.stdout + dry.stderr
    if damage == "delete-study":
        (project / "data/processed/studies/aura-lv.json").unlink()
        result = run_snakemake(project)
    else:
        if damage in ("corrupt-study", "old-layout"):
            target = project / "data/processed/studies/aura-lv.json"
            text = target.read_text(encoding="utf-8")
            if damage == "corrupt-study":
                text = text.replace('"events": 4', '"events": 9')
            else:
                text = _old_layout(text)
            name, rule = "data/processed/studies/aura-lv.json", "study"
        else:
            target = project / "data/processed/harmonised.csv"
            text = "study,outcome\nnonsense,1\n"
            name, rule = "data/processed/harmonised.csv", "gather_studies"
        assert text != target.read_text(encoding="utf-8")
        target.write_text(text, encoding="utf-8")
        dry = run_snakemake(project, "-n")
        assert dry.returncode == 0 and target.read_text(encoding="utf-8") == text
        failed = run_snakemake(project)
        assert failed.returncode != 0
        logs = "".join(p.read_text(encoding="utf-8") for p in (project / "logs").rglob("*.log"))
        assert f"{name} changed since rule '{rule}' wrote it" in logs
        assert f"snakemake --cores all --forcerun {rule}" in logs
        result = run_snakemake(project, "--forcerun", rule)
    assert result.returncode == 0, result.stderr
    assert digest(project) == reference


def test_two_runs_at_once_do_not_corrupt_each_other(tmp_path, reference):
    project = copy_seed_project(tmp_path)
    first, second = _start(project), _start(project)
    codes = [first.wait(timeout=300), second.wait(timeout=300)]
    # exactly one run proceeds; the other fails cleanly at once, at Snakemake's own lock or,
    # when both pass it in the same instant, at the workflow's flock (taken in onstart:)
    assert sorted(codes) == [0, 1]
    errors = [_console(p) for p in (first, second)]
    refusals = ("another run of this workflow is in progress", "Directory cannot be locked")
    for code, err in zip(codes, errors, strict=True):
        assert code == 0 or any(r in err for r in refusals), err
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    assert digest(project) == reference


HOSTILE = "=cmd|' /C calc'!A0 <img src=x onerror=alert(1)> **b** \\textbf{x} $_&%#"


def test_hostile_labels_are_escaped_in_every_output(tmp_path):
    project = copy_project("new_trials", tmp_path)
    study = project / "data" / "raw" / "alpha-2030" / "study.yaml"
    import yaml

    doc = yaml.safe_load(study.read_text())
    doc["label"] = HOSTILE
    study.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    results = project / "results"
    html = (results / "tables" / "summary.html").read_text()
    assert "<img" not in html and "&lt;img src=x" in html
    tex = (results / "tables" / "summary.tex").read_text()
    assert r"\textbackslash{}textbf\{x\} \$\_\&\%\#" in tex
    md = (results / "tables" / "summary.md").read_text()
    assert "<img" not in md and r"\*\*b\*\*" in md
    for svg in (results / "figures").glob("*.svg"):
        assert "<img" not in svg.read_text()
    harmonised = pd.read_csv(project / "data" / "processed" / "harmonised.csv")
    labels = set(harmonised.label)
    assert "'" + HOSTILE in labels  # formula neutralised for spreadsheets
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in labels)


def test_rerun_after_success_is_a_no_op(tmp_path):
    project = copy_seed_project(tmp_path)
    assert run_snakemake(project).returncode == 0
    result = run_snakemake(project, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr
    shutil.rmtree(project)


def test_a_failing_job_writes_its_full_traceback_to_its_log(tmp_path, seed_results):
    # issue 12, item 3: a job's log must hold the traceback (it used to be empty, with "lost
    # sys.stderr" on the console). The failure is injected by a malformed input of the summary
    # jobs: a pooled_effects.csv without its columns, newer than the summaries, so only they
    # rerun; the first, the summary of findings (issue 21), fails inside Python.
    project = copy_seed_results(seed_results, tmp_path / "seed")
    pooled = project / "results/tables/pooled_effects.csv"
    pooled.write_text("not_a_contract_column\n1\n", encoding="utf-8")
    result = run_snakemake(project)
    assert result.returncode != 0
    assert "lost sys.stderr" not in result.stderr
    log = (project / "logs/summary_of_findings.log").read_text(encoding="utf-8")
    assert log.startswith("Traceback (most recent call last):"), log[:300]
    assert "raremeta/steps/summary_of_findings.py" in log and "KeyError: 'outcome'" in log


def tree_digest(project: Path) -> dict[str, str]:
    """sha256 of every file of the project outside ``.snakemake/``, by relative path."""
    import hashlib

    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".snakemake" not in p.relative_to(project).parts
    }


def test_read_only_commands_work_on_invalid_data_while_a_run_holds_the_lock(
    tmp_path, reference, seed_results
):
    # issue 12, item 2: reading the Snakefile reads the config and lists the study folders,
    # nothing more, and the guard against two runs is taken in onstart:. So -n, --lint,
    # --unlock, --report and --summary work with an invalid study.yaml while another run holds
    # the lock, and change no file outside .snakemake/; a second real run stops with a message
    import fcntl

    project = copy_seed_results(seed_results, tmp_path / "seed")
    (project / "data/raw/aura-lv/study.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    report = tmp_path / "elsewhere" / "report.html"
    report.parent.mkdir()
    with open(project / ".snakemake/raremeta-run.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = tree_digest(project)
        for args in (
            ("-n",),
            ("-n", "--forceall"),
            ("--lint",),
            ("--unlock",),
            ("--report", str(report)),
            ("--summary",),
        ):
            result = run_snakemake(project, *args)
            assert result.returncode == 0, (args, result.stderr)
            assert tree_digest(project) == before, args
        assert report.stat().st_size > 0
        second = run_snakemake(project, "--forceall")
        assert second.returncode != 0
        assert "another run of this workflow is in progress" in second.stderr
        assert tree_digest(project) == before


def test_write_left_behind_by_a_killed_job_is_replaced_not_kept(tmp_path):
    """SIGKILL cannot be caught, so a job killed mid-write leaves its temporary file; the
    rerun's write must take it over, leaving only the result (CI, stop 28: a stray
    ``.posterior_probabilities.csv.<random>.tmp`` after a killed run)."""
    from raremeta.io.writing import atomic_write_text

    target = tmp_path / "pooled.csv"
    (tmp_path / ".pooled.csv.tmp").write_text("half a tab")  # what the killed job left
    atomic_write_text(target, "a,b\n1,2\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pooled.csv"]
    assert target.read_text() == "a,b\n1,2\n"
