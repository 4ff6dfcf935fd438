"""Scaling out (issue 6): every rule declares threads and resources; the SLURM profile resolves."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import ROOT, copy_seed_project, snakemake_command

pytestmark = pytest.mark.pipeline


def test_every_rule_declares_threads_and_resources():
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        for block in re.split(r"\nrule ", "\n" + text)[1:]:
            name = block.split(":")[0]
            assert "threads:" in block, f"{smk.name}: rule {name} has no threads"
            assert "mem_mb=" in block and "runtime=" in block, f"{smk.name}: rule {name}"


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
    for rule in ("harmonise", "pool", "forest_plots_1", "incidence_plots_1", "summary_tables"):
        assert rule in out


def test_no_absolute_paths_in_rules():
    for smk in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        assert not re.search(r'"/(?!/)', smk.read_text()), smk
