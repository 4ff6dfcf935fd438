"""Snakemake adapter: the review-wide data files and the reporting matrix (see
raremeta.steps.gather).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.gather import run_gather_studies

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_gather_studies(
    study_files=[Path(p) for p in snakemake.input.studies],
    outcomes=list(snakemake.params.outcomes),
    harmonised=Path(snakemake.output.harmonised),
    alternative=Path(snakemake.output.alternative),
    log_table=Path(snakemake.output.log_table),
    reporting=Path(snakemake.output.reporting),
    checksums=Path(snakemake.output.checksums),
    study_table=Path(snakemake.output.study_table),
    characteristics=Path(snakemake.output.characteristics),
)
