"""The outcome-reporting matrix: which study reported which outcome, in which arms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from raremeta.io.raw_studies import ReportingState
from raremeta.report.figure_files import STYLE

#: Reporting state (``results/tables/reporting.csv``) -> (colour index, legend text).
STATUSES = {
    ReportingState.BOTH_ARMS: (2, "reported in both arms"),
    ReportingState.ONE_ARM: (1, "reported in one arm only"),
    ReportingState.NEITHER: (0, "not reported (in neither arm)"),
}
COLOURS = ["#ffffff", "#9ecae1", "#08519c"]


def reporting_plot(rows: list[tuple[str, list[str]]], outcomes: list[str]) -> plt.Figure:
    """Draw the study x outcome matrix: ``rows`` are (study label, the study's status for each
    of ``outcomes``, keys of :data:`STATUSES`), one per study, top to bottom.
    """
    studies = [label for label, _ in rows]
    grid = [[STATUSES[s][0] for s in statuses] for _, statuses in rows]
    # fixed geometry in inches: 0.16 per study, 0.3 per outcome, room for labels and legend.
    # Labels are plain texts and the grid two line collections: a tick per study (an artist
    # with two lines and two texts each) made a 300-study matrix take seconds per format.
    left, top, bottom, right = 1.9, 1.2, 0.8, 0.2
    n_rows, n_cols = max(len(studies), 1), max(len(outcomes), 1)
    cells_w, cells_h = 0.3 * n_cols, 0.16 * n_rows
    width = max(left + cells_w + right, 4.8)
    height = top + cells_h + bottom
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((left / width, bottom / height, cells_w / width, cells_h / height))
        ax.imshow(
            grid or [[0]],
            cmap=ListedColormap(COLOURS),
            vmin=0,
            vmax=2,
            aspect="auto",
            interpolation="nearest",
            extent=(0, n_cols, n_rows, 0),
        )
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.hlines(range(1, n_rows), 0, n_cols, colors="#bbbbbb", linewidth=0.5)
        ax.vlines(range(1, n_cols), 0, n_rows, colors="#bbbbbb", linewidth=0.5)
        for row, label in enumerate(studies):
            ax.text(-0.15, row + 0.5, label, ha="right", va="center", fontsize=7)
        for col, outcome in enumerate(outcomes):
            ax.text(col + 0.5, -0.15, outcome, ha="center", va="bottom", rotation=90, fontsize=7)
        fig.suptitle("Outcome reporting by study", x=0.02, y=1 - 0.1 / height, ha="left")
        handles = [
            Patch(facecolor=COLOURS[i], edgecolor="#888888", label=text)
            for i, text in STATUSES.values()
        ]
        fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.02, 0.02),
            ncol=1,
            frameon=False,
            handlelength=1.2,
        )
    return fig
