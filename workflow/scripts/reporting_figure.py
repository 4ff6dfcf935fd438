"""Snakemake adapter: the outcome-reporting matrix (see raremeta.steps.figures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.figures import run_reporting_figure

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_reporting_figure(
    reporting=Path(snakemake.input[0]),
    outcomes=list(snakemake.params.outcomes),
    outputs=[Path(p) for p in snakemake.output],
    labels=dict(snakemake.params.labels),
    roles=dict(snakemake.params.roles),
)
