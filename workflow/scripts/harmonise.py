"""Snakemake adapter: harmonise the raw tables (see raremeta.steps.harmonise)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.harmonise import run_harmonise

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_harmonise(
    study_files=[Path(p) for p in snakemake.input.raw],
    config=snakemake.params.analysis,
    harmonised=Path(snakemake.output.harmonised),
    alternative=Path(snakemake.output.alternative),
    log_table=Path(snakemake.output.log_table),
    checksums=Path(snakemake.output.checksums),
)
