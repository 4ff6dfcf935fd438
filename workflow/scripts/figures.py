"""Snakemake adapter: one outcome's forest, incidence, cumulative and subgroup plots."""

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the raremeta package
# the figure modules (and matplotlib) imported before gc.freeze below
from raremeta.report import cumulative_plot, outcome_figures, subgroup_plot  # noqa: F401
from raremeta.steps.figures import run_outcome_figure

# The objects of the imports (numpy, pandas, matplotlib: a few hundred thousand) live as long
# as the job: kept out of the garbage collector's full passes, which the figures' many small
# objects trigger several times a job (about 0.3 CPU-s a job on a 200-trial outcome).
gc.freeze()
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
