"""Snakemake adapter: the PRISMA flow diagram (see raremeta.steps.prisma)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.prisma import run_prisma_figure

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_prisma_figure(
    prisma=Path(snakemake.input[0]),
    outputs=[Path(p) for p in snakemake.output],
    labels=dict(snakemake.params.labels),
)
