"""Snakemake adapter: pool every outcome (see raremeta.steps.pool)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.pool import run_pool

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_pool(
    harmonised=Path(snakemake.input.harmonised),
    alternative=Path(snakemake.input.alternative),
    config=snakemake.params.analysis,
    pooled=Path(snakemake.output.pooled),
    rates=Path(snakemake.output.rates),
    studies_out=Path(snakemake.output.studies),
    sensitivity_out=Path(snakemake.output.sensitivity),
    absolute_out=Path(snakemake.output.absolute),
    checksums=Path(snakemake.input.checksums),
)
