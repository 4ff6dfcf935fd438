"""Snakemake adapter: the signal screen of every term (see raremeta.steps.signals)."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.signals import run_signals

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
run_signals(
    folders=snakemake.params.folders,
    config=snakemake.params.analysis,
    table=Path(snakemake.output.table),
    figures=[Path(f) for f in snakemake.output.figure],
    roles=snakemake.params.roles,
)
