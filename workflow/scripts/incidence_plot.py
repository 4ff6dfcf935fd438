"""Snakemake adapter: one outcome's incidence plot (see raremeta.pipeline.run_incidence)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.pipeline import run_incidence

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    sys.stderr = sys.stdout = log
    run_incidence(
        outcome=snakemake.wildcards.outcome,
        harmonised=Path(snakemake.input.harmonised),
        rates=Path(snakemake.input.rates),
        config_path=Path(snakemake.input.config),
        outputs=[Path(p) for p in snakemake.output],
    )
