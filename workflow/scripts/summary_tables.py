"""Snakemake adapter: summary tables and methods (see raremeta.steps.summary)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.summary import run_summary

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_summary(
    pooled=Path(snakemake.input.pooled),
    rates=Path(snakemake.input.rates),
    studies=Path(snakemake.input.studies),
    sensitivity=Path(snakemake.input.sensitivity),
    absolute=Path(snakemake.input.absolute),
    reporting=Path(snakemake.input.reporting),
    study_table=Path(snakemake.input.study_table),
    characteristics=Path(snakemake.input.characteristics),
    findings=Path(snakemake.input.findings),
    subgroups=Path(snakemake.input.subgroups),
    within_trial=Path(snakemake.input.within_trial),
    prisma=Path(snakemake.input.prisma),
    posterior=Path(snakemake.input.posterior),
    signals=Path(snakemake.input.signals),
    config=snakemake.params.analysis,
    markdown=Path(snakemake.output.markdown),
    html_out=Path(snakemake.output.html),
    latex=Path(snakemake.output.latex),
    methods_out=Path(snakemake.output.methods),
    codebook=Path(snakemake.output.codebook),
)
