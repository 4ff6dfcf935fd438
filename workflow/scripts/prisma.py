"""Snakemake adapter: the PRISMA flow table (see raremeta.steps.prisma)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.prisma import run_prisma

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_prisma(
    studies=Path(snakemake.input.studies),
    out=Path(snakemake.output[0]),
    outcomes=list(snakemake.params.outcomes),
    selection=Path(snakemake.input.selection[0]) if snakemake.input.selection else None,
    search=Path(snakemake.input.search[0]) if snakemake.input.search else None,
    queries=list(snakemake.params.queries),
    raw_dir=snakemake.params.raw_dir,
)
