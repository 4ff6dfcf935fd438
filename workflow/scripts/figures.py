"""Snakemake adapter: one batch of forest or incidence plots (see raremeta.steps.figures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.figures import run_figures

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_figures(
    kind=snakemake.params.kind,
    inputs={
        **{key: Path(value) for key, value in snakemake.input.items()},
        "config": snakemake.params.analysis,
    },
    outcomes=list(snakemake.params.outcomes),
    formats=list(snakemake.params.formats),
    outputs=[Path(p) for p in snakemake.output],
)
