"""Forest plots in the Cochrane/RevMan layout, with rare-event semantics.

One row per study with events/total in each arm, the weight in the primary method, the study's
estimate and 95% CI as text and as a square (area proportional to weight) with a whisker;
diamonds for the primary pooled estimate and the alternatives on the same scale; text rows for
alternatives on another scale (e.g. the MH risk difference under an odds-ratio axis); studies
that contribute nothing listed with the reason; arrows where an interval leaves the axis; a
non-estimable pooled result shown as text; a heterogeneity line. Black and greys only.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter, NullFormatter

from raremeta.analysis.wording import short_reason, status_text
from raremeta.report.figure_files import STYLE
from raremeta.report.numbers import fmt_ci, fmt_count, fmt_sources, fmt_weeks

ROW_HEIGHT_IN = 0.24
MIN_FONT_PT = 8
FIG_WIDTH_IN = 11.8
#: Left edge of each text column and of the plot (inches from the left; the plot is 2.4 in wide).
COLUMNS_IN = {
    "label": 0.1,
    "source": 2.6,
    "follow_up": 3.95,
    "cni": 4.65,
    "comp": 5.35,
    "weight": 6.2,
    "plot": 6.8,
    "est": 9.35,
}
PLOT_WIDTH_IN = 2.4
#: What the source and follow-up columns mean (the figure's last two lines).
SOURCE_FOOTNOTE = (
    "Source of the counts: report (the trial's own report), registry (registry results), "
    "secondary (a letter or review), unstated, mixed (several in one arm);",
    "CNI arm / comparator when they differ. Follow-up: weeks over which events were counted, "
    "as the source states it.",
)
MEASURE_NAMES = {"OR": "Odds ratio", "RR": "Risk ratio", "RD": "Risk difference"}


@dataclass(frozen=True)
class StudyRow:
    """One study line of the plot."""

    label: str
    events_cni: float | None
    n_cni: float | None
    events_comparator: float | None
    n_comparator: float | None
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    weight: float = math.nan
    note: str = ""
    included: bool = True
    reason: str = ""
    source_kinds_cni: str = ""
    source_kinds_comparator: str = ""
    follow_up_weeks: float = math.nan


@dataclass(frozen=True)
class PooledRow:
    """One pooled line: a diamond when on the axis scale and estimable, text otherwise."""

    label: str
    measure: str
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    reason: str = ""
    primary: bool = False
    status: str = "estimated"


def _limits(rows: list, measure: str) -> tuple[float, float]:
    vals = []
    for r in rows:
        for v in (r.estimate, r.ci_low, r.ci_high):
            if v is not None and math.isfinite(v) and (measure == "RD" or v > 0):
                vals.append(v)
    if measure == "RD":
        lo, hi = (min([*vals, 0.0]), max([*vals, 0.0])) if vals else (-0.1, 0.1)
        lo, hi = max(lo, -1.0), min(hi, 1.0)
        pad = 0.05 * (hi - lo or 0.1)
        return lo - pad, hi + pad
    if not vals:
        return 0.1, 10.0
    lo = max(min([*vals, 1.0]), 1e-3)
    hi = min(max([*vals, 1.0]), 1e3)
    lo = 10 ** math.floor(math.log10(lo))
    hi = 10 ** math.ceil(math.log10(hi))
    return lo, hi


#: The line a figure of an outcome that no trial reported in any arm shows.
NO_TRIAL_TEXT = "No trial reported this outcome"


def forest_plot(
    title: str,
    measure: str,
    studies: list[StudyRow],
    pooled: list[PooledRow],
    heterogeneity: str,
    weight_label: str = "Weight",
):
    """Draw a forest plot and return the matplotlib Figure.

    Parameters
    ----------
    title : str
        Outcome label.
    measure : {'OR', 'RR', 'RD'}
        Scale of the axis (ratio measures on a log axis).
    studies : list of StudyRow
        Included studies first, then those that contribute nothing (``included=False``).
    pooled : list of PooledRow
        The primary estimate first, then alternatives; rows of another measure are text only.
    heterogeneity : str
        One line on heterogeneity.
    weight_label : str
        Header of the weight column (names the method).
    """
    rows_total = 3 + len(studies) + 1 + len(pooled) + 7
    height = max(2.6, ROW_HEIGHT_IN * rows_total)
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(FIG_WIDTH_IN, height))
        # columns: label | source | follow-up | CNI | comparator | weight | plot | estimate
        left = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        left.set_axis_off()
        left.set_xlim(0, 1)
        left.set_ylim(rows_total, 0)
        cols = {key: x / FIG_WIDTH_IN for key, x in COLUMNS_IN.items()}
        ax = fig.add_axes((cols["plot"], 0.0, PLOT_WIDTH_IN / FIG_WIDTH_IN, 1.0))
        ax.set_ylim(rows_total, 0)
        log = measure != "RD"
        if log:
            ax.set_xscale("log")
        lo, hi = _limits(
            [s for s in studies if s.included] + [p for p in pooled if p.measure == measure],
            measure,
        )
        ax.set_xlim(lo, hi)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.set_yticks([])
        ax.patch.set_alpha(0)
        fs = MIN_FONT_PT
        y = 1
        left.text(cols["label"], y - 0.5, title, fontsize=fs + 2, fontweight="bold", va="center")
        y = 2
        for key, text in (
            ("label", "Study"),
            ("source", "Source"),
            ("follow_up", "Follow-up\n(weeks)"),
            ("cni", "CNI\nevents/N"),
            ("comp", "Comparator\nevents/N"),
            ("weight", weight_label),
            ("est", f"{MEASURE_NAMES[measure]} [95% CI]"),
        ):
            left.text(cols[key], y, text, fontsize=fs, fontweight="bold", va="center", ha="left")
        y = 3
        if not studies:
            left.text(
                cols["label"],
                y,
                f"{NO_TRIAL_TEXT} (see the reporting matrix)",
                fontsize=fs,
                va="center",
                style="italic",
            )
        max_label = 40
        weights = [s.weight for s in studies if s.included and math.isfinite(s.weight)]
        wmax = max(weights) if weights else 1.0
        # one collection for all whiskers and one for all squares: hundreds of studies draw fast
        whiskers: list[list[tuple[float, float]]] = []
        squares: list[tuple[float, float, float]] = []
        for s in studies:
            y += 1
            label = textwrap.shorten(s.label, max_label, placeholder="...")
            left.text(
                cols["label"],
                y,
                label,
                fontsize=fs,
                va="center",
                color="black" if s.included else "0.35",
            )
            source = fmt_sources(s.source_kinds_cni, s.source_kinds_comparator, short=True)
            left.text(cols["source"], y, source, fontsize=fs, va="center")
            left.text(cols["follow_up"], y, fmt_weeks(s.follow_up_weeks), fontsize=fs, va="center")
            left.text(cols["cni"], y, fmt_count(s.events_cni, s.n_cni), fontsize=fs, va="center")
            left.text(
                cols["comp"],
                y,
                fmt_count(s.events_comparator, s.n_comparator),
                fontsize=fs,
                va="center",
            )
            if not s.included:
                left.text(
                    cols["est"],
                    y,
                    short_reason(s.reason),
                    fontsize=fs,
                    va="center",
                    color="0.35",
                    style="italic",
                )
                continue
            left.text(
                cols["weight"],
                y,
                f"{s.weight:.1f}%" if math.isfinite(s.weight) else "-",
                fontsize=fs,
                va="center",
            )
            left.text(
                cols["est"],
                y,
                fmt_ci(s.estimate, s.ci_low, s.ci_high, measure)
                + ("" if not s.note else f" {s.note}"),
                fontsize=fs,
                va="center",
            )
            segment = _whisker(ax, y, s.ci_low, s.ci_high, lo, hi)
            if segment is not None:
                whiskers.append(segment)
            if math.isfinite(s.estimate):
                size = 4 + 8 * math.sqrt(s.weight / wmax) if math.isfinite(s.weight) else 4
                squares.append((min(max(s.estimate, lo), hi), y, size))
        ax.add_collection(LineCollection(whiskers, colors="black", linewidths=0.9))
        if squares:
            x_sq, y_sq, size_sq = zip(*squares, strict=True)
            # plot()'s markersize m is scatter's s = m**2 (points squared); the edge as in plot()
            ax.scatter(
                x_sq,
                y_sq,
                s=[m * m for m in size_sq],
                marker="s",
                c="black",
                edgecolors="black",
                linewidths=1.0,
                zorder=2,
            )
        y += 1
        for p in pooled:
            y += 1
            weight = "bold" if p.primary else "normal"
            left.text(cols["label"], y, p.label, fontsize=fs, va="center", fontweight=weight)
            same_scale = p.measure == measure
            if not math.isfinite(p.estimate):
                left.text(
                    cols["est"],
                    y,
                    status_text(p.status) + ":\n" + short_reason(p.reason),
                    fontsize=fs,
                    va="center",
                    style="italic",
                    linespacing=0.95,
                )
                continue
            prefix = "" if same_scale else f"{p.measure} "
            left.text(
                cols["est"],
                y,
                prefix + fmt_ci(p.estimate, p.ci_low, p.ci_high, p.measure),
                fontsize=fs,
                va="center",
                fontweight=weight,
            )
            if same_scale:
                _diamond(ax, y, p, lo, hi)
        y_axis = y + 0.8
        null = 1.0 if log else 0.0
        ax.plot([null, null], [3.3, y_axis], color="black", linewidth=0.8)
        ax.set_ylim(rows_total, 0)
        ax.tick_params(labelsize=fs)
        ax.spines["bottom"].set_position(("data", y_axis))
        if log:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        _place_favours(ax, y_axis, fs)
        left.text(cols["label"], y_axis + 3.0, heterogeneity, fontsize=fs, va="center")
        for line, text in enumerate(SOURCE_FOOTNOTE):
            left.text(cols["label"], y_axis + 4.0 + 0.8 * line, text, fontsize=fs, va="center")
    return fig


def _place_favours(ax, y_axis: float, fs: int) -> None:
    lo, hi = ax.get_xlim()
    ax.text(lo, y_axis + 1.6, "← Favours CNI", fontsize=fs, ha="left", va="center")
    ax.text(hi, y_axis + 1.6, "Favours comparator →", fontsize=fs, ha="right", va="center")


def _whisker(
    ax, y: float, lo_ci: float, hi_ci: float, lo: float, hi: float
) -> list[tuple[float, float]] | None:
    """Draw the arrows of an interval that leaves the axis (an open-ended one, with a bound of
    0 or ∞, always does); return the segment to draw.
    """
    if math.isnan(lo_ci) or math.isnan(hi_ci):
        return None
    a, b = max(lo_ci, lo), min(hi_ci, hi)
    if lo_ci < lo:
        ax.annotate(
            "",
            xy=(lo, y),
            xytext=(b if b > lo else hi, y),
            arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.9},
        )
    if hi_ci > hi:
        ax.annotate(
            "",
            xy=(hi, y),
            xytext=(a if a < hi else lo, y),
            arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.9},
        )
    return [(a, y), (b, y)]


def _diamond(ax, y: float, p: PooledRow, lo: float, hi: float) -> None:
    a, b = max(p.ci_low, lo), min(p.ci_high, hi)
    m = min(max(p.estimate, lo), hi)
    colour = "black" if p.primary else "0.55"
    ax.add_patch(
        Polygon(
            [(a, y), (m, y - 0.35), (b, y), (m, y + 0.35)],
            closed=True,
            facecolor=colour,
            edgecolor="black",
            linewidth=0.6,
        )
    )
    if p.ci_low < lo or p.ci_high > hi:
        segment = _whisker(ax, y, p.ci_low, p.ci_high, lo, hi)
        if segment is not None:
            ax.plot(*zip(*segment, strict=True), color="black", linewidth=0.9)
