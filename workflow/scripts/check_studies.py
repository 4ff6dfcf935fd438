"""Snakemake adapter: the checks across study folders (see raremeta.steps.gather)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.steps.gather import run_check_studies

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
if not Path(snakemake.params.raw_dir).is_dir():
    print(InvalidInputError([Problem(snakemake.params.raw_dir, "raw-data folder does not exist")]))
    sys.exit(1)
try:
    run_check_studies(
        [Path(p) for p in snakemake.input],
        Path(snakemake.output[0]),
        Path(snakemake.params.raw_dir),
    )
except InvalidInputError as error:
    # problems across study folders are the user's to fix: one per line, no traceback
    print(error)
    sys.exit(1)
