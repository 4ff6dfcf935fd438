"""Snakemake adapter: provenance record (see raremeta.steps.provenance)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.provenance import run_provenance

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_provenance(
    raw_files=[
        Path(p)
        for p in [
            *snakemake.input.raw,
            *snakemake.input.judgements,
            *snakemake.input.selection,
            *snakemake.input.search,
        ]
    ],
    config=snakemake.params.analysis,
    config_files=list(snakemake.params.config_files),
    outputs=[Path(p) for p in snakemake.input.outputs],
    out=Path(snakemake.output[0]),
    checksums=Path(snakemake.input.checksums),
)
