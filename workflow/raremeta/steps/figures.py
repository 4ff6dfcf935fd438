"""Rules `forest_plots_*` and `incidence_plots_*`: the figures of several outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from raremeta.io.analysis_config import analysis_from


def run_figures(
    kind: str,
    inputs: dict[str, Any],
    outcomes: list[str],
    formats: list[str],
    outputs: list[Path],
) -> None:
    """Draw the forest (``kind="forest"``) or incidence plots of several outcomes.

    ``outputs`` lists each outcome's files in ``formats`` order, outcome after outcome.
    """
    import matplotlib.pyplot as plt

    from raremeta.report.figure_files import save_figure
    from raremeta.report.outcome_figures import forest_for_outcome, incidence_for_outcome

    if len(outputs) != len(outcomes) * len(formats):
        raise ValueError(f"{len(outputs)} outputs for {len(outcomes)} outcomes x {formats}")
    config = analysis_from(inputs["config"])
    if kind == "forest":
        pooled, studies = pd.read_csv(inputs["pooled"]), pd.read_csv(inputs["studies"])
    elif kind == "incidence":
        studies, rates = pd.read_csv(inputs["studies"]), pd.read_csv(inputs["rates"])
    else:
        raise ValueError(f"unknown figure kind {kind!r}")
    for index, outcome in enumerate(outcomes):
        label = config.outcome(outcome).label
        if kind == "forest":
            fig = forest_for_outcome(outcome, label, pooled, studies)
        else:
            fig = incidence_for_outcome(outcome, label, studies, rates)
        files = outputs[index * len(formats) : (index + 1) * len(formats)]
        for path, ext in zip(files, formats, strict=True):
            if Path(path).suffix != f".{ext}" or f"{kind}_{outcome}." not in Path(path).name:
                raise ValueError(f"{path} is not the {ext} {kind} plot of {outcome}")
        save_figure(fig, files)
        plt.close(fig)
        print(f"{kind} plot of {outcome}: {', '.join(str(p) for p in files)}")
