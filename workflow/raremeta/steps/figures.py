"""Rules `forest_plot`, `incidence_plot` and `reporting_plot`: one figure, in every format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The figure kinds drawn per outcome, and the results tables each one reads.
FIGURE_INPUTS = {"forest": ("pooled", "studies"), "incidence": ("studies", "rates")}


def run_outcome_figure(
    kind: str, outcome: str, label: str, inputs: dict[str, Path], outputs: list[Path]
) -> None:
    """Draw the forest (``kind="forest"``) or incidence plot of one outcome from its results
    tables (``inputs``, keys :data:`FIGURE_INPUTS`) into every file of ``outputs`` (one per
    format, told by the suffix).
    """
    import matplotlib.pyplot as plt

    from raremeta.report.figure_files import save_figure
    from raremeta.report.outcome_figures import forest_for_outcome, incidence_for_outcome

    if kind not in FIGURE_INPUTS:
        raise ValueError(f"unknown figure kind {kind!r}")
    for path in outputs:
        if not Path(path).name.startswith(f"{kind}_{outcome}."):
            raise ValueError(f"{path} is not a {kind} plot of {outcome}")
    tables = {name: pd.read_csv(inputs[name]) for name in FIGURE_INPUTS[kind]}
    if kind == "forest":
        fig = forest_for_outcome(outcome, label, tables["pooled"], tables["studies"])
    else:
        fig = incidence_for_outcome(outcome, label, tables["studies"], tables["rates"])
    save_figure(fig, [Path(p) for p in outputs])
    plt.close(fig)
    print(f"{kind} plot of {outcome}: {', '.join(str(p) for p in outputs)}")


def run_reporting_figure(reporting: Path, outcomes: list[str], outputs: list[Path]) -> None:
    """Draw ``results/tables/reporting.csv`` (study x configured outcome, in ``outcomes``
    order) into every file of ``outputs`` (one per format).
    """
    import matplotlib.pyplot as plt

    from raremeta.report.figure_files import save_figure
    from raremeta.report.reporting_plot import reporting_plot

    table = pd.read_csv(reporting, dtype=str, keep_default_na=False)
    status = {(r.study, r.outcome): r.reported for r in table.itertuples()}
    studies = dict(zip(table["study"], table["label"], strict=True))
    rows = [(label, [status[(s, o)] for o in outcomes]) for s, label in studies.items()]
    fig = reporting_plot(rows, outcomes)
    save_figure(fig, [Path(p) for p in outputs])
    plt.close(fig)
    print(f"reporting matrix: {', '.join(str(p) for p in outputs)}")
