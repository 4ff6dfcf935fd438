"""Snakemake adapter: validate and harmonise one study (see raremeta.steps.study)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.io.errors import InvalidInputError
from raremeta.steps.study import run_study

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
try:
    run_study(
        folder=Path(snakemake.params.folder),
        config=snakemake.params.analysis,
        out=Path(snakemake.output[0]),
    )
except InvalidInputError as error:
    # bad input is the user's to fix: its problems, one per line, without a traceback
    print(error)
    sys.exit(1)
