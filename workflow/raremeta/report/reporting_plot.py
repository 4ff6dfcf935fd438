"""The outcome-reporting matrix: which study reported which outcome, in which arms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from raremeta.report.figure_files import STYLE

#: Reporting status (``results/tables/reporting.csv``) -> (colour index, legend text).
STATUSES = {
    "both_arms": (2, "reported in both arms"),
    "one_arm": (1, "reported in one arm only"),
    "neither": (0, "not reported (in neither arm)"),
}
COLOURS = ["#ffffff", "#9ecae1", "#08519c"]


def reporting_plot(rows: list[tuple[str, list[str]]], outcomes: list[str]) -> plt.Figure:
    """Draw the study x outcome matrix: ``rows`` are (study label, the study's status for each
    of ``outcomes``, keys of :data:`STATUSES`), one per study, top to bottom.
    """
    studies = [label for label, _ in rows]
    grid = [[STATUSES[s][0] for s in statuses] for _, statuses in rows]
    # fixed geometry in inches: 0.25 per study, 0.4 per outcome, room for labels and legend
    left, top, bottom, right = 1.9, 1.3, 0.8, 0.2
    cells_w, cells_h = 0.4 * max(len(outcomes), 1), 0.25 * max(len(studies), 1)
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
        )
        ax.set_xticks(range(len(outcomes)), outcomes, rotation=90)
        ax.set_yticks(range(len(studies)), studies)
        ax.set_xticks([x - 0.5 for x in range(1, len(outcomes))], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, len(studies))], minor=True)
        ax.grid(which="minor", color="#bbbbbb", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
        ax.xaxis.tick_top()
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
