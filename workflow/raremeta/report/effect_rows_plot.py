"""Rows of effects on one axis, in the forest plot's layout: text columns, the plot, the
estimate and interval as text (the cumulative and the subgroup figures).

Each row is a block heading, an effect (a point with its interval, or the reason why there is
none, in words) or a line of text under a block (e.g. the test for subgroup differences).
Ratios are drawn on a log axis, risk differences per 1,000 patients (the forest plot's axis
titles and units); an interval that leaves the axis, an infinite bound always, ends in an
arrow. Black and greys only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection

from raremeta.report.figure_files import DEFAULT_ROLES, STYLE, text_width_in, wrap_to_width
from raremeta.report.forest import (
    FOOT_ROW,
    GAP_IN,
    MARGIN_IN,
    MEASURE_NAMES,
    MIN_FONT_PT,
    MIN_WIDTH_IN,
    PER_1000,
    PLOT_WIDTH_IN,
    ROW_HEIGHT_IN,
    _fmt_effect,
    _limits,
    _whisker,
    finish_axes,
)

#: Grey of the rows without an estimate (as the forest plot's excluded studies).
GREY = "0.35"
#: Marker size (points) of an effect: one size, these figures draw no weights.
MARKER_PT = 5.0


class RowKind(StrEnum):
    """What a row of an effect-rows figure is."""

    #: a block heading (bold, from the first column)
    HEADING = "heading"
    #: an effect: the text columns, a point and interval, its estimate [CI] or reason
    EFFECT = "effect"
    #: a line of text under a block (italic, from the first column)
    TEXT = "text"


@dataclass(frozen=True)
class EffectRow:
    """One row of the figure.

    ``cells`` are the texts of the columns left of the plot (an effect row), ``text`` the
    heading or line (other kinds). An effect row with a finite ``estimate`` (on the measure's
    own scale: a ratio, or a risk difference as a proportion) is drawn; without one, ``reason``
    (words) is printed in grey italics instead of the estimate. ``mark`` follows the printed
    estimate (e.g. "(one study)").
    """

    kind: RowKind
    cells: tuple[str, ...] = ()
    text: str = ""
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    reason: str = ""
    mark: str = ""

    @property
    def drawn(self) -> bool:
        """Whether the row has a point on the axis."""
        return self.kind == RowKind.EFFECT and math.isfinite(self.estimate)


def effect_text(row: EffectRow, measure: str) -> str:
    """What the estimate column prints for an effect row: ``est [lo, hi]`` on the axis's
    scale (a risk difference per 1,000) by the number rule, then its mark; the reason when
    there is no estimate.
    """
    if not math.isfinite(row.estimate):
        return row.reason or "-"
    text = _fmt_effect(row.estimate, row.ci_low, row.ci_high, measure)
    return f"{text} {row.mark}" if row.mark else text


def effect_rows_plot(
    title: str,
    measure: str,
    headers: tuple[str, ...],
    rows: list[EffectRow],
    notes: tuple[str, ...] = (),
    roles: dict[str, str] | None = None,
):
    """Draw the rows and return the matplotlib Figure.

    Parameters
    ----------
    title : str
        The figure's title.
    measure : {'OR', 'RR', 'RD'}
        The axis's scale (ratios on a log axis, risk differences per 1,000 patients).
    headers : tuple of str
        Headers of the text columns left of the plot (one per cell of an effect row).
    rows : list of EffectRow
        Top to bottom.
    notes : tuple of str
        Lines under the plot (wrapped to the figure's width).
    roles : dict, optional
        Display labels of the roles ``cni`` and ``comparator`` (the "Favours" labels).
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    fs = MIN_FONT_PT
    est_header = f"{MEASURE_NAMES[measure]} [95% CI]"
    texts = [effect_text(r, measure) if r.kind == RowKind.EFFECT else "" for r in rows]
    # --- geometry in inches: every column as wide as its widest text ------------------------
    x_in: list[float] = []
    x = MARGIN_IN
    for i, header in enumerate(headers):
        x_in.append(x)
        cells = [r.cells[i] for r in rows if r.kind == RowKind.EFFECT and i < len(r.cells)]
        x += max([text_width_in(header, fs, bold=True), *(text_width_in(c, fs) for c in cells)])
        x += GAP_IN
    headings = [r for r in rows if r.kind == RowKind.HEADING]
    x_plot = max(
        [x, *(MARGIN_IN + text_width_in(r.text, fs, bold=True) + GAP_IN for r in headings)]
    )
    x_est = x_plot + PLOT_WIDTH_IN + GAP_IN
    est_w = max([text_width_in(est_header, fs, bold=True), *(text_width_in(t, fs) for t in texts)])
    lines_w = [text_width_in(r.text, fs) for r in rows if r.kind == RowKind.TEXT]
    width = max(
        x_est + est_w + MARGIN_IN,
        MIN_WIDTH_IN,
        text_width_in(title, fs + 2, True) + 2 * MARGIN_IN,
        *(w + 2 * MARGIN_IN for w in lines_w),
    )
    foot = [line for note in notes for line in wrap_to_width(note, width - 2 * MARGIN_IN, fs)]
    # rows: title, header, the rows, the axis with its title and "Favours" labels, the notes
    rows_total = 4 + len(rows) + 0.8 + FOOT_ROW + 0.8 * len(foot)
    height = ROW_HEIGHT_IN * rows_total
    drawn = [r for r in rows if r.drawn]
    scale = PER_1000 if measure == "RD" else 1.0
    on_axis = [
        EffectRow(RowKind.EFFECT, estimate=scale * r.estimate, ci_low=scale * r.ci_low,
                  ci_high=scale * r.ci_high)
        for r in drawn
    ]  # fmt: skip
    lo, hi = _limits(on_axis, measure)
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        left = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        left.set_axis_off()
        left.set_xlim(0, width)  # inches
        left.set_ylim(rows_total, 0)
        ax = fig.add_axes((x_plot / width, 0.0, PLOT_WIDTH_IN / width, 1.0))
        ax.set_ylim(rows_total, 0)
        log = measure != "RD"
        if log:
            ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.set_yticks([])
        ax.patch.set_alpha(0)
        left.text(MARGIN_IN, 0.5, title, fontsize=fs + 2, fontweight="bold", va="center")
        for x_col, header in [*zip(x_in, headers, strict=True), (x_est, est_header)]:
            left.text(x_col, 2, header, fontsize=fs, fontweight="bold", va="center")
        whiskers: list[list[tuple[float, float]]] = []
        points: list[tuple[float, float]] = []
        y = 3
        for r, text in zip(rows, texts, strict=True):
            y += 1
            if r.kind == RowKind.HEADING:
                left.text(MARGIN_IN, y, r.text, fontsize=fs, fontweight="bold", va="center")
                continue
            if r.kind == RowKind.TEXT:
                left.text(MARGIN_IN, y, r.text, fontsize=fs, style="italic", va="center")
                continue
            colour = "black" if r.drawn else GREY
            for x_col, cell in zip(x_in, r.cells, strict=False):
                if cell:
                    left.text(x_col, y, cell, fontsize=fs, va="center", color=colour)
            left.text(
                x_est, y, text, fontsize=fs, va="center", color=colour,
                style="normal" if r.drawn else "italic",
            )  # fmt: skip
            if not r.drawn:
                continue
            a = EffectRow(RowKind.EFFECT, estimate=scale * r.estimate, ci_low=scale * r.ci_low,
                          ci_high=scale * r.ci_high)  # fmt: skip
            segment = _whisker(ax, y, a.ci_low, a.ci_high, lo, hi)
            if segment is not None:
                whiskers.append(segment)
            points.append((min(max(a.estimate, lo), hi), y))
        ax.add_collection(LineCollection(whiskers, colors="black", linewidths=0.9))
        if points:
            ax.scatter(
                *zip(*points, strict=True), s=MARKER_PT**2, marker="s", c="black",
                edgecolors="black", linewidths=1.0, zorder=2,
            )  # fmt: skip
        y_axis = y + 0.8
        null = 1.0 if log else 0.0
        ax.add_collection(
            LineCollection(
                [[(null, a), (null, b)] for a, b in _null_spans(rows, y_axis)],
                colors="black",
                linewidths=0.8,
            )
        )
        finish_axes(ax, rows_total, y_axis, (lo, hi, log), measure, fs, roles)
        for n, line in enumerate(foot):
            left.text(MARGIN_IN, y_axis + FOOT_ROW + 0.8 * n, line, fontsize=fs, va="center")
    return fig


def _null_spans(rows: list[EffectRow], y_axis: float) -> list[tuple[float, float]]:
    """The stretches of the line of no effect: over every run of headings and effects (row i
    at y = 4 + i), from just under the column headers or the line above, to the axis after the
    last row; a line of text (e.g. a test for subgroup differences) is never crossed.
    """
    spans: list[tuple[float, float]] = []
    start = None
    for i, r in enumerate([*rows, EffectRow(RowKind.TEXT)]):
        y = 4 + i
        if r.kind != RowKind.TEXT and start is None:
            start = 3.3 if i == 0 else y - 0.5
        elif r.kind == RowKind.TEXT and start is not None:
            spans.append((start, y_axis if i == len(rows) else y - 0.5))
            start = None
    return spans
