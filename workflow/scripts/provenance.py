"""Snakemake adapter: provenance record (see raremeta.steps.provenance)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.provenance import run_provenance

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    sys.stderr = sys.stdout = log
    run_provenance(
        raw_files=[Path(p) for p in snakemake.input.raw],
        config_path=Path(snakemake.input.config),
        outputs=[Path(p) for p in snakemake.input.outputs],
        out=Path(snakemake.output[0]),
    )
