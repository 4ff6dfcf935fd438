"""Snakemake adapter: pool one outcome (see raremeta.steps.pool)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.pool import run_pool_outcome

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_pool_outcome(
    study_files=[Path(p) for p in snakemake.input.studies],
    config=snakemake.params.analysis,
    outcome=snakemake.wildcards.outcome,
    outputs={name: Path(path) for name, path in snakemake.output.items()},
)
