"""Scaling out (issue 6): every rule declares threads and resources; the SLURM profile resolves.

The rules are those Snakemake itself builds from the Snakefile (rules generated in Python loops
included), not those a regular expression finds in the rule files: the workflow is loaded through
Snakemake's API in a subprocess, and the rule names are checked against `snakemake --list-rules`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_seed_project, snakemake_command

pytestmark = pytest.mark.pipeline

#: what every rule that runs a job must declare (README, "Scaling out")
REQUIRED_RESOURCES = ("mem_mb", "runtime")

#: Loads a Snakefile with Snakemake's API and writes, per rule, what the rule itself declares.
#: `ruleinfo` keeps the directives as written: `threads` is None when the rule declares none
#: (Snakemake would then run it with 1), `resources` holds only the declared names (no defaults).
#: A rule with `norun` (no script, shell, run, wrapper, notebook or cwl, such as `all`) runs no
#: job and needs neither.
_LOAD_RULES = r"""
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ResourceSettings

snakefile, workdir, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
rules = []
with SnakemakeApi() as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(), snakefile=snakefile, workdir=workdir
    )._workflow
    for rule in workflow.rules:
        info = rule.ruleinfo
        rules.append({
            "name": rule.name,
            "file": str(rule.snakefile),
            "runs_a_job": not rule.norun,
            "threads": None if info.threads is None else repr(info.threads),
            "resources": sorted(info.resources[1]) if info.resources else [],
        })
out.write_text(json.dumps(rules))
"""


def load_rules(snakefile: Path, project: Path, tmp_path: Path) -> list[dict]:
    """Every rule Snakemake builds from ``snakefile`` in ``project``, with its declarations."""
    out = tmp_path / f"rules-{len(list(tmp_path.glob('rules-*.json')))}.json"
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_RULES, str(snakefile), str(project), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"loading {snakefile} failed:\n{result.stderr}"
    return json.loads(out.read_text())


def listed_rules(snakefile: Path, project: Path) -> list[str]:
    """The rule names printed by a real `snakemake --list-rules` (profile messages dropped)."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "-s",
            str(snakefile),
            "-d",
            str(project),
            "--list-rules",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())


def undeclared(rules: list[dict]) -> list[str]:
    """One message per rule that runs a job without declaring threads, mem_mb and runtime."""
    problems = []
    for rule in rules:
        if not rule["runs_a_job"]:
            continue
        where = f"rule {rule['name']} ({Path(rule['file']).name})"
        if rule["threads"] is None:
            problems.append(f"{where} declares no threads")
        for name in REQUIRED_RESOURCES:
            if name not in rule["resources"]:
                problems.append(f"{where} declares no resources {name}")
    return problems


def many_outcomes_project(tmp_path: Path, extra: int = 17) -> Path:
    """The seed project with ``extra`` more outcomes (no study reports them), so that rules
    generated per group of outcomes are generated more than once."""
    project = copy_seed_project(tmp_path)
    config = yaml.safe_load((project / "config.yaml").read_text())
    for i in range(extra):
        config["outcomes"][f"extra{i:02d}"] = {
            "label": f"Extra outcome {i}",
            "terms": [f"Extra adverse event {i}"],
        }
    (project / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return project


def test_every_rule_declares_threads_and_resources(tmp_path):
    project = many_outcomes_project(tmp_path)
    snakefile = ROOT / "Snakefile"
    rules = load_rules(snakefile, project, tmp_path)
    # the API saw exactly the rules the command line lists
    assert sorted(rule["name"] for rule in rules) == listed_rules(snakefile, project)
    running = [rule["name"] for rule in rules if rule["runs_a_job"]]
    assert running, f"no rule that runs a job was found: {rules}"
    assert undeclared(rules) == [], "\n".join(undeclared(rules))


def _rule(name: str, threads: str | None, resources: list[str], runs: bool = True) -> dict:
    return {
        "name": name,
        "file": "workflow/rules/x.smk",
        "runs_a_job": runs,
        "threads": threads,
        "resources": resources,
    }


def test_check_reports_what_a_rule_lacks():
    # planted input: the check itself, with no workflow
    rules = [
        _rule("ok", "1", ["mem_mb", "runtime"]),
        _rule("no_threads", None, ["mem_mb", "runtime", "disk_mb"]),
        _rule("no_runtime", "2", ["mem_mb"]),
        _rule("nothing", None, []),
        _rule("all", None, [], runs=False),  # a target-only rule runs no job
    ]
    assert undeclared(rules) == [
        "rule no_threads (x.smk) declares no threads",
        "rule no_runtime (x.smk) declares no resources runtime",
        "rule nothing (x.smk) declares no threads",
        "rule nothing (x.smk) declares no resources mem_mb",
        "rule nothing (x.smk) declares no resources runtime",
    ]


def test_check_finds_rules_without_threads_or_runtime_in_a_broken_copy(tmp_path):
    # planted fault: a copy of the workflow whose rule files declare no threads and call
    # runtime "walltime"; every rule that runs a job, generated or not, must be reported
    copy = tmp_path / "workflow-copy"
    copy.mkdir()
    shutil.copy(ROOT / "Snakefile", copy / "Snakefile")
    shutil.copytree(
        ROOT / "workflow", copy / "workflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    for smk in [copy / "Snakefile", *(copy / "workflow" / "rules").glob("*.smk")]:
        text = smk.read_text()
        text = re.sub(r"(?m)^\s*threads:.*\n", "", text)
        smk.write_text(re.sub(r"\bruntime=", "walltime=", text))
    project = many_outcomes_project(tmp_path)
    rules = load_rules(copy / "Snakefile", project, tmp_path)
    running = sorted(rule["name"] for rule in rules if rule["runs_a_job"])
    assert running, rules
    problems = undeclared(rules)
    for name in running:
        where = next(r for r in rules if r["name"] == name)["file"]
        where = f"rule {name} ({Path(where).name})"
        assert f"{where} declares no threads" in problems, (name, problems)
        assert f"{where} declares no resources runtime" in problems, (name, problems)
    assert not any("mem_mb" in p for p in problems), problems


def test_slurm_profile_dag_resolves(tmp_path):
    project = copy_seed_project(tmp_path)
    result = subprocess.run(
        snakemake_command(project, "-n", "--workflow-profile", str(ROOT / "profiles" / "slurm")),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    for rule in ("study", "gather_studies", "pool", "figures", "summary_tables"):
        assert rule in out


def test_no_absolute_paths_in_rules():
    for smk in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        assert not re.search(r'"/(?!/)', smk.read_text()), smk
