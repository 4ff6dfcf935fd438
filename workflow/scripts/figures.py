"""Snakemake adapter: one outcome's forest, incidence, cumulative and subgroup plots."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
from raremeta.steps.figures import run_outcome_figure

# The catalog idiom: the log stays open until the interpreter exits, so that an uncaught
# exception's full traceback is written to it (a `with` block would close it first).
sys.stderr = sys.stdout = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115
for kind in ("forest", "incidence", "cumulative", "subgroups"):
    run_outcome_figure(
        kind=kind,
        outcome=snakemake.wildcards.outcome,
        label=snakemake.params.label,
        inputs={name: Path(path) for name, path in snakemake.input.items()},
        outputs=[Path(p) for p in snakemake.output[kind]],
        roles=dict(snakemake.params.roles),
        forest_rows=tuple(snakemake.params.forest_rows),
    )
