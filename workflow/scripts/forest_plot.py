"""Snakemake adapter: one outcome's forest plot (see raremeta.pipeline.run_forest)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.pipeline import run_forest

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    sys.stderr = sys.stdout = log
    run_forest(
        outcome=snakemake.wildcards.outcome,
        pooled=Path(snakemake.input.pooled),
        studies=Path(snakemake.input.studies),
        config_path=Path(snakemake.input.config),
        outputs=[Path(p) for p in snakemake.output],
    )
