"""Snakemake adapter: summary tables and methods (see raremeta.steps.summary)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.summary import run_summary

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    sys.stderr = sys.stdout = log
    run_summary(
        pooled=Path(snakemake.input.pooled),
        rates=Path(snakemake.input.rates),
        studies=Path(snakemake.input.studies),
        sensitivity=Path(snakemake.input.sensitivity),
        absolute=Path(snakemake.input.absolute),
        config_path=Path(snakemake.input.config),
        markdown=Path(snakemake.output.markdown),
        html_out=Path(snakemake.output.html),
        latex=Path(snakemake.output.latex),
        methods_out=Path(snakemake.output.methods),
        codebook=Path(snakemake.output.codebook),
    )
