"""The outcome-reporting matrix: which study reported which outcome, in which arms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from raremeta.analysis.wording import REPORTING_DETAIL_MARKS, REPORTING_DETAIL_WORDS
from raremeta.io.raw_studies import ROLES, ReportingState, Role
from raremeta.io.results_reading import ArmReporting
from raremeta.report.figure_files import DEFAULT_ROLES, STYLE, text_width_in, wrap_to_width

#: Reporting state (``results/tables/reporting.csv``) -> (colour index, legend text).
STATUSES = {
    ReportingState.BOTH_ARMS: (2, "reported in both arms"),
    ReportingState.ONE_ARM: (1, "reported in one arm only (the cell names it)"),
    ReportingState.NEITHER: (0, "not reported (in neither arm)"),
}
#: What a reporting-detail mark in a cell of the matrix means (its legend lines).
MARK_LEGEND = {
    mark: f"{mark}: {REPORTING_DETAIL_WORDS[detail]} (both arms)"
    for detail, mark in REPORTING_DETAIL_MARKS.items()
    if mark
}


def detail_mark(details: dict[Role, ArmReporting]) -> str:
    """The cell mark of a study that reported an outcome in neither arm: ``NF`` (not found in
    the sources reached) or ``NR`` (a source says it was not reported) when both arms share
    that detail; empty otherwise.
    """
    found = {arm.detail for arm in details.values()}
    if len(details) < len(ROLES) or len(found) != 1 or None in found:
        return ""
    return REPORTING_DETAIL_MARKS[found.pop()]


COLOURS = ["#ffffff", "#9ecae1", "#08519c"]
#: Font sizes (points) of the labels and of the role named in a one-arm cell.
LABEL_PT, CELL_PT = 7, 6.5
#: Margins (inches): around the figure, between labels and the grid, of a cell's text.
MARGIN_IN, PAD_IN, CELL_PAD_IN = 0.12, 0.08, 0.08
#: Cell size (inches), at least; a cell is as wide as the widest role label it may show.
CELL_W_IN, CELL_H_IN = 0.3, 0.16
#: An outcome label's line pitch, and the length it is wrapped at when its column has room for
#: more than one line (inches).
LINE_IN, LABEL_WRAP_IN = 0.13, 1.2
TITLE = "Outcome reporting by study"


def reporting_plot(
    rows: list[tuple[str, list[tuple[str, list[str], str]]]],
    outcomes: list[str],
    roles: dict[str, str] | None = None,
) -> plt.Figure:
    """Draw the study x outcome matrix.

    Parameters
    ----------
    rows : list of (str, list of (str, list of str, str))
        One per study, top to bottom: its label and, for each of ``outcomes``, its state (a key
        of :data:`STATUSES`), the roles whose arms reported the outcome and the mark of why it
        reported it in neither arm (:func:`detail_mark`; "" for none).
    outcomes : list of str
        The outcomes' labels, left to right.
    roles : dict, optional
        Display labels of the roles ``cni`` and ``comparator``, written in a one-arm cell.

    Notes
    -----
    The figure is sized to its content: the grid's cells, the longest study label on the left,
    the longest outcome label (written upwards) on top, the legend below.
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    studies = [label for label, _ in rows]
    grid = [[STATUSES[state][0] for state, *_ in cells] for _, cells in rows]
    one_arm = [
        (col, row, roles[reporting[0]])
        for row, (_, cells) in enumerate(rows)
        for col, (state, reporting, _) in enumerate(cells)
        if state == ReportingState.ONE_ARM and len(reporting) == 1
    ]
    marks = [
        (col, row, mark)
        for row, (_, cells) in enumerate(rows)
        for col, (state, _, mark) in enumerate(cells)
        if state == ReportingState.NEITHER and mark
    ]
    # Labels are plain texts and the grid two line collections: a tick per study (an artist
    # with two lines and two texts each) made a 300-study matrix take seconds per format.
    n_rows, n_cols = max(len(studies), 1), max(len(outcomes), 1)
    cell_w = max(
        [
            CELL_W_IN,
            *(text_width_in(roles[r], CELL_PT) + CELL_PAD_IN for r in ("cni", "comparator")),
        ]
        if one_arm
        else [CELL_W_IN]
    )
    cells_w, cells_h = cell_w * n_cols, CELL_H_IN * n_rows
    # outcome labels written upwards, wrapped into as many lines as a column holds
    max_lines = max(1, int(cell_w / LINE_IN))
    outcomes = [
        "\n".join(
            wrap_to_width(o, max(LABEL_WRAP_IN, text_width_in(o, LABEL_PT) / max_lines), LABEL_PT)
        )
        for o in outcomes
    ]
    left = MARGIN_IN + max((text_width_in(s, LABEL_PT) for s in studies), default=0) + PAD_IN
    title_h = 0.35
    top = title_h + max((text_width_in(o, LABEL_PT) for o in outcomes), default=0) + PAD_IN
    used = {mark for *_, mark in marks}
    legend = [text for _, text in STATUSES.values()]
    legend += [text for mark, text in MARK_LEGEND.items() if mark in used]
    legend_w = MARGIN_IN + 0.35 + max(text_width_in(t, 8) for t in legend) + MARGIN_IN
    legend_h = 0.19 * len(legend) + 0.05
    width = max(left + cells_w + MARGIN_IN, legend_w, text_width_in(TITLE, 10) + 2 * MARGIN_IN)
    height = top + cells_h + PAD_IN + legend_h
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        bottom = (PAD_IN + legend_h) / height
        ax = fig.add_axes((left / width, bottom, cells_w / width, cells_h / height))
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
        dx = PAD_IN / cell_w  # the labels' distance from the grid, in cells
        for row, label in enumerate(studies):
            ax.text(-dx, row + 0.5, label, ha="right", va="center", fontsize=LABEL_PT)
        dy = PAD_IN / CELL_H_IN
        for col, outcome in enumerate(outcomes):
            ax.text(
                col + 0.5, -dy, outcome, ha="center", va="bottom", rotation=90,
                fontsize=LABEL_PT, multialignment="left", linespacing=1.1,
            )  # fmt: skip
        for col, row, text in one_arm + marks:
            ax.text(col + 0.5, row + 0.5, text, ha="center", va="center", fontsize=CELL_PT)
        fig.text(MARGIN_IN / width, 1 - 0.2 / height, TITLE, ha="left", va="center", fontsize=10)
        handles = [
            Patch(facecolor=COLOURS[i], edgecolor="#888888", label=text)
            for i, text in STATUSES.values()
        ] + [
            Patch(facecolor="none", edgecolor="none", label=text)
            for mark, text in MARK_LEGEND.items()
            if mark in used
        ]
        fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.02 / width * 6, 0.05 / height),
            ncol=1,
            frameon=False,
            handlelength=1.2,
            fontsize=8,
            borderaxespad=0,
            borderpad=0,
        )
    return fig
