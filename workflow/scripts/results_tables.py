"""Snakemake adapter: gather the per-outcome results tables (see raremeta.steps.gather)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.gather import run_gather_tables

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_gather_tables(
    parts={name: [Path(p) for p in files] for name, files in snakemake.input.items()},
    outputs={name: Path(path) for name, path in snakemake.output.items()},
)
