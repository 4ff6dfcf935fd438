"""Snakemake adapter: pool every outcome (see raremeta.steps.pool)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.pool import run_pool

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    sys.stderr = sys.stdout = log
    run_pool(
        harmonised=Path(snakemake.input.harmonised),
        alternative=Path(snakemake.input.alternative),
        config_path=Path(snakemake.input.config),
        pooled=Path(snakemake.output.pooled),
        rates=Path(snakemake.output.rates),
        studies_out=Path(snakemake.output.studies),
        sensitivity_out=Path(snakemake.output.sensitivity),
        absolute_out=Path(snakemake.output.absolute),
    )
