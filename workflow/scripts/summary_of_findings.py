"""Snakemake adapter: the summary-of-findings table (see raremeta.steps.summary_of_findings)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.summary_of_findings import run_summary_of_findings

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
run_summary_of_findings(
    pooled=Path(snakemake.input.pooled),
    rates=Path(snakemake.input.rates),
    absolute=Path(snakemake.input.absolute),
    study_table=Path(snakemake.input.study_table),
    certainty=Path(snakemake.input.certainty[0]) if snakemake.input.certainty else None,
    config=snakemake.params.analysis,
    output=Path(snakemake.output[0]),
)
