"""Rule `study`'s command line, ``python -m raremeta.steps.study`` (issue 23, item 7): a shell job
that imports what validating one folder needs and nothing of Snakemake, numpy, pandas, scipy or
matplotlib; the per-study file it writes for the seed is the committed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from raremeta.io.analysis_config import harmonisation_slice

ROOT = Path(__file__).resolve().parents[1]


def run_job(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "workflow")}
    return subprocess.run(
        [sys.executable, "-m", "raremeta.steps.study", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def seed_slice() -> str:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    return json.dumps(harmonisation_slice(config))


def test_the_job_writes_the_committed_per_study_file(tmp_path):
    out = tmp_path / "aura-lv.json"
    done = run_job("--folder", "data/raw/aura-lv", "--config-json", seed_slice(), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    # the committed file, written by the pipeline's script job before issue 23
    assert out.read_bytes() == (ROOT / "data/processed/studies/aura-lv.json").read_bytes()


def test_bad_input_is_one_line_per_problem_and_status_1(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    study = (ROOT / "data/raw/aura-lv/study.yaml").read_text(encoding="utf-8")
    (folder / "study.yaml").write_text(study, encoding="utf-8")
    (folder / "adverse_events.csv").write_text(
        "arm,term,events,source\nvoclosporin,Seizure,1,t\nplacebo,Seizure,0,t,extra\n",
        encoding="utf-8",
    )
    out = tmp_path / "bad.json"
    done = run_job("--folder", str(folder), "--config-json", seed_slice(), "--out", str(out))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    # everything on standard output (the rule sends it to the log); the problem on its line
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    # the ragged row, and the folder's name that is not the study's id
    assert lines[0] == "2 problems in the input; nothing was computed:", lines
    assert len(lines) == 3 and all(line.startswith("  - ") for line in lines[1:])
    assert any("line 3" in line and "has 5 fields, the header has 4" in line for line in lines)
    assert not out.exists()


def test_a_bug_keeps_its_full_traceback(tmp_path):
    # the per-study file cannot be written (its folder is a file): not the user's input, so the
    # uncaught exception's traceback, after the lines printed before it
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = run_job(
        "--folder", "data/raw/aura-lv", "--config-json", seed_slice(),
        "--out", str(blocker / "aura-lv.json"),
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == "" and "Traceback (most recent call last)" in done.stdout
    assert "FileExistsError" in done.stdout.splitlines()[-1]


def test_the_job_imports_no_heavy_library():
    # what validating a folder needs: yaml, jsonschema and the standard library; a Snakemake
    # script: job's preamble imported snakemake.script (about 0.15 s), numpy about 0.1 s more
    probe = (
        "import sys, raremeta.steps.study; "
        "print(sorted(m for m in ('snakemake', 'numpy', 'pandas', 'scipy', 'matplotlib') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "workflow")},
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_the_rule_runs_the_entry_point_as_a_shell_job():
    rules = (ROOT / "workflow/rules/studies.smk").read_text(encoding="utf-8")
    rule = rules[rules.index("rule study:") : rules.index("rule check_studies:")]
    assert "\n    script:" not in rule and "\n    shell:" in rule
    assert "-m raremeta.steps.study" in rule and "> {log:q} 2>&1" in rule
