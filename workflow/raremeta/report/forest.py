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
from dataclasses import dataclass, replace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter, NullFormatter

from raremeta.analysis.table_keys import Caution
from raremeta.analysis.wording import POPULATION_WORDS, in_roles, short_reason, status_text
from raremeta.io.analysis_config import RoleLabels
from raremeta.report.figure_files import DEFAULT_ROLES, STYLE, text_width_in, wrap_to_width
from raremeta.report.numbers import fmt_ci, fmt_count, fmt_sources, fmt_value, fmt_weeks

ROW_HEIGHT_IN = 0.24
MIN_FONT_PT = 8
#: The plot's width; the text columns around it are as wide as their content.
PLOT_WIDTH_IN = 2.4
#: Space between two text columns, and the figure's left and right margins (inches).
GAP_IN = 0.16
MARGIN_IN = 0.1
#: The narrowest figure: room for the title, the axis and the two "Favours" labels.
MIN_WIDTH_IN = 6.0
#: Rows from the axis line to the first line under the plot.
FOOT_ROW = 3.4
#: Longest study label drawn (longer ones are shortened with "...").
MAX_LABEL_CHARS = 40
MEASURE_NAMES = {"OR": "Odds ratio", "RR": "Risk ratio", "RD": "Risk difference per 1,000"}
#: The axis title of each measure (ratios on a log axis; risk differences per 1,000 patients).
AXIS_TITLES = {
    "OR": "Odds ratio, log scale",
    "RR": "Risk ratio, log scale",
    "RD": "Risk difference per 1,000 patients",
}
#: Risk differences are drawn and printed per 1,000 patients.
PER_1000 = 1000.0
#: The mark and footnote of each pooled-row caution (``pooled_effects.csv`` ``caution``).
CAUTIONS = {
    Caution.WALD_ZERO_ARM: (
        "†",
        "† normal-approximation interval; every trial has an arm without events.",
    ),
}
#: What the population codes (``population_*`` columns) are called.
POPULATION_SHORT = {
    "safety": "safety",
    "randomised": "randomised",
    "other": "other",
    "": "not stated",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    #: ``;``-joined drugs and population codes of each role's arms; None where not known.
    drug_cni: str | None = None
    drug_comparator: str | None = None
    population_cni: str | None = None
    population_comparator: str | None = None


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
    caution: str = ""


def _fmt_effect(est: float, lo: float, hi: float, measure: str) -> str:
    """An estimate and interval as printed: a risk difference per 1,000 patients (prefixed "RD
    per 1,000" off an RD axis is the caller's), a ratio as it is.
    """
    if measure == "RD":
        return fmt_ci(PER_1000 * est, PER_1000 * lo, PER_1000 * hi)
    return fmt_ci(est, lo, hi, measure)


def _limits(rows: list, measure: str) -> tuple[float, float]:
    vals = []
    for r in rows:
        for v in (r.estimate, r.ci_low, r.ci_high):
            if v is not None and math.isfinite(v) and (measure == "RD" or v > 0):
                vals.append(v)
    if measure == "RD":  # per 1,000 patients
        lo, hi = (min([*vals, 0.0]), max([*vals, 0.0])) if vals else (-100, 100)
        lo, hi = max(lo, -PER_1000), min(hi, PER_1000)
        pad = 0.05 * (hi - lo or 0.1)
        return lo - pad, hi + pad
    if not vals:
        return 0.1, 10.0
    lo = max(min([*vals, 1.0]), 1e-3)
    hi = min(max([*vals, 1.0]), 1e3)
    lo = 10 ** math.floor(math.log10(lo))
    hi = 10 ** math.ceil(math.log10(hi))
    return lo, hi


def _drugs(code: str) -> str:
    """The ``;``-joined drugs of a role's arms, each named once."""
    return ", ".join(dict.fromkeys(d.strip() for d in code.split(";") if d.strip())) or "-"


def _population(cni: str, comparator: str) -> str:
    a, b = POPULATION_SHORT.get(cni, cni), POPULATION_SHORT.get(comparator, comparator)
    return a if a == b else f"{a} / {b}"


def _population_stated(cni: str | None, comparator: str | None) -> str:
    """A study's denominators in words under the plot (``randomised patients``)."""
    words = [
        POPULATION_WORDS[code]
        for code in POPULATION_WORDS
        if code in {c for cell in (cni, comparator) for c in (cell or "not_stated").split(";")}
    ]
    return " / ".join(words)


def _descriptive_columns(
    studies: list[StudyRow], roles: dict[str, str]
) -> list[tuple[str, str, list[str], list[str]]]:
    """(key, header, one value per study, the same as stated under the plot) of the columns
    that describe the studies rather than their counts; a column no study has a value for
    (``None``: the table has no such column) is left out.
    """
    cni, comp = roles["cni"], roles["comparator"]
    out = []
    for key, header, name, field in (
        ("drug_cni", f"{_capital(cni)}\ndrug", f"{cni} drug", "drug_cni"),
        ("drug_comp", f"{_capital(comp)}\ndrug", f"{comp} drug", "drug_comparator"),
    ):
        if all(getattr(s, field) is None for s in studies):
            continue
        values = [_drugs(getattr(s, field) or "") for s in studies]
        out.append((key, header, values, [f"{name} {v}" for v in values]))
    if not all(s.population_cni is None for s in studies):
        values = [
            _population(s.population_cni or "", s.population_comparator or "") for s in studies
        ]
        stated = [
            _population_stated(s.population_cni, s.population_comparator) + " as denominators"
            for s in studies
        ]
        out.append(("population", "Denominator", values, stated))
    values = [fmt_sources(s.source_kinds_cni, s.source_kinds_comparator, True) for s in studies]
    stated = [
        "counts from " + fmt_sources(s.source_kinds_cni, s.source_kinds_comparator) for s in studies
    ]
    out.append(("source", "Source", values, stated))
    values = [fmt_weeks(s.follow_up_weeks) for s in studies]
    stated = [
        f"follow-up {v} weeks" if math.isfinite(s.follow_up_weeks) else f"follow-up {v}"
        for v, s in zip(values, studies, strict=True)
    ]
    out.append(("follow_up", "Follow-up\n(weeks)", values, stated))
    return out


def forest_plot(
    title: str,
    measure: str,
    studies: list[StudyRow],
    pooled: list[PooledRow],
    heterogeneity: str,
    weight_label: str = "Weight",
    roles: dict[str, str] | None = None,
    study_interval: str = "",
    notes: tuple[str, ...] = (),
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
        With one included study the block is headed "Single trial", otherwise "Pooled".
    heterogeneity : str
        One line on heterogeneity.
    weight_label : str
        Header of the weight column (names the method); the column is left out, and said so
        under the plot, when no study has a weight.
    roles : dict, optional
        Display labels of the roles ``cni`` and ``comparator`` (:data:`DEFAULT_ROLES`).
    study_interval : str
        How the study intervals were computed (e.g. "Firth"), named in the estimate header.
    notes : tuple of str
        Further lines under the plot (e.g. what a study mark means).

    Notes
    -----
    A descriptive column (drugs, denominators, source, follow-up) whose every value is the same
    is not drawn: its one value is stated under the plot. Every column is as wide as its
    content.
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    fs = MIN_FONT_PT
    cni, comp = roles["cni"], roles["comparator"]
    role_labels = RoleLabels(cni, comp)
    labels = [textwrap.shorten(s.label, MAX_LABEL_CHARS, placeholder="...") for s in studies]
    # --- the text of every column, and which columns are drawn -----------------------------
    columns: list[tuple[str, str, list[str]]] = [("label", "Study", labels)]
    common: list[str] = []
    for key, header, values, stated in _descriptive_columns(studies, roles):
        if studies and len(set(values)) == 1:
            common.append(stated[0])
        else:
            columns.append((key, header, values))
    columns.append(
        ("cni", f"{_capital(cni)}\nevents/N", [fmt_count(s.events_cni, s.n_cni) for s in studies])
    )
    columns.append(
        (
            "comp",
            f"{_capital(comp)}\nevents/N",
            [fmt_count(s.events_comparator, s.n_comparator) for s in studies],
        )
    )
    weights_text = [
        (f"{fmt_value(s.weight)}%" if math.isfinite(s.weight) else "-") if s.included else ""
        for s in studies
    ]
    if any(s.included and math.isfinite(s.weight) for s in studies):
        columns.append(("weight", weight_label, weights_text))
    else:
        common.append("no trial weights drawn (none for the primary row)")
    est_header = f"{MEASURE_NAMES[measure]} [95% CI]"
    if study_interval:
        est_header += f"\n(trials: {study_interval})"
    est_texts = []
    for s in studies:
        if not s.included:
            est_texts.append(in_roles(short_reason(s.reason), role_labels))
        else:
            est_texts.append(
                _fmt_effect(s.estimate, s.ci_low, s.ci_high, measure)
                + (f" {s.note}" if s.note else "")
            )
    caution_notes = []
    pooled_texts = []
    for p in pooled:
        if not math.isfinite(p.estimate):
            pooled_texts.append(
                status_text(p.status) + ":\n" + in_roles(short_reason(p.reason), role_labels)
            )
            continue
        mark, note = CAUTIONS.get(p.caution, ("", ""))
        if note and note not in caution_notes:
            caution_notes.append(note)
        prefix = (
            ""
            if p.measure == measure
            else f"{MEASURE_NAMES[p.measure].replace('Risk difference', 'RD')}: "
        )
        text = prefix + _fmt_effect(p.estimate, p.ci_low, p.ci_high, p.measure)
        pooled_texts.append(text + (f" {mark}" if mark else ""))
    # --- geometry in inches: every column as wide as its widest text -----------------------
    x_in: dict[str, float] = {}
    x = MARGIN_IN
    for key, header, values in columns:
        x_in[key] = x
        x += max([text_width_in(header, fs, bold=True), *(text_width_in(v, fs) for v in values)])
        x += GAP_IN
    pooled_label_w = max(
        [text_width_in(p.label, fs, bold=p.primary) + GAP_IN + MARGIN_IN for p in pooled],
        default=0.0,
    )
    x_in["plot"] = max(x, pooled_label_w)
    x_in["est"] = x_in["plot"] + PLOT_WIDTH_IN + GAP_IN
    est_w = max(
        [
            text_width_in(est_header, fs, bold=True),
            *(text_width_in(t, fs) for t in est_texts),
            *(text_width_in(t, fs, bold=True) for t in pooled_texts),
        ]
    )
    width = max(
        x_in["est"] + est_w + MARGIN_IN,
        MIN_WIDTH_IN,
        text_width_in(title, fs + 2, True) + 2 * MARGIN_IN,
    )
    included = [s for s in studies if s.included]
    below = []
    if common:
        below.append(f"{'All trials' if len(studies) > 1 else 'The trial'}: {'; '.join(common)}.")
    below.append(heterogeneity)
    below.extend(caution_notes)
    below.extend(notes)
    if "source" in x_in:
        below.append(
            "Source of the counts: report (the trial's own report), registry (registry "
            "results), secondary (a letter or review), unstated, mixed (several in one arm); "
            f"{cni} arm / {comp} when they differ."
        )
    if "follow_up" in x_in:
        below.append("Follow-up: weeks over which events were counted, as the source states it.")
    lines = [line for text in below for line in wrap_to_width(text, width - 2 * MARGIN_IN, fs)]
    # rows: title, header, studies, the pooled block's heading and rows, the axis with its
    # title and the "Favours" labels, then the lines under the plot
    rows_total = 4 + len(studies) + len(pooled) + 0.8 + FOOT_ROW + 0.8 * len(lines)
    height = max(2.6, ROW_HEIGHT_IN * rows_total)
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        left = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        left.set_axis_off()
        left.set_xlim(0, 1)
        left.set_ylim(rows_total, 0)
        cols = {key: v / width for key, v in x_in.items()}
        ax = fig.add_axes((cols["plot"], 0.0, PLOT_WIDTH_IN / width, 1.0))
        ax.set_ylim(rows_total, 0)
        log = measure != "RD"
        if log:
            ax.set_xscale("log")
        scale = PER_1000 if measure == "RD" else 1.0  # the axis's unit

        def on_axis(row):
            return replace(
                row, **{k: scale * getattr(row, k) for k in ("estimate", "ci_low", "ci_high")}
            )

        lo, hi = _limits(
            [on_axis(r) for r in [*included, *(p for p in pooled if p.measure == measure)]],
            measure,
        )
        ax.set_xlim(lo, hi)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.set_yticks([])
        ax.patch.set_alpha(0)
        left.text(cols["label"], 0.5, title, fontsize=fs + 2, fontweight="bold", va="center")
        for key, header, _ in [*columns, ("est", est_header, [])]:
            left.text(cols[key], 2, header, fontsize=fs, fontweight="bold", va="center")
        y = 3
        weights = [s.weight for s in included if math.isfinite(s.weight)]
        wmax = max(weights) if weights else 1.0
        # one collection for all whiskers and one for all squares: hundreds of studies draw fast
        whiskers: list[list[tuple[float, float]]] = []
        squares: list[tuple[float, float, float]] = []
        for i, s in enumerate(studies):
            y += 1
            colour = "black" if s.included else "0.35"
            for key, _, values in columns:
                if values[i]:
                    left.text(cols[key], y, values[i], fontsize=fs, va="center", color=colour)
            if not s.included:
                left.text(
                    cols["est"], y, est_texts[i], fontsize=fs, va="center", color="0.35",
                    style="italic",
                )  # fmt: skip
                continue
            left.text(cols["est"], y, est_texts[i], fontsize=fs, va="center")
            s = on_axis(s)
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
        block = (
            f"Pooled ({len(included)} trials)"
            if len(included) != 1
            else "Single trial (nothing pooled)"
        )
        left.text(cols["label"], y, block, fontsize=fs, va="center", style="italic")
        for p, text in zip(pooled, pooled_texts, strict=True):
            y += 1
            weight = "bold" if p.primary else "normal"
            left.text(cols["label"], y, p.label, fontsize=fs, va="center", fontweight=weight)
            if not math.isfinite(p.estimate):
                left.text(
                    cols["est"], y, text, fontsize=fs, va="center", style="italic",
                    linespacing=0.95,
                )  # fmt: skip
                continue
            left.text(cols["est"], y, text, fontsize=fs, va="center", fontweight=weight)
            if p.measure == measure:
                _diamond(ax, y, on_axis(p), lo, hi)
        y_axis = y + 0.8
        null = 1.0 if log else 0.0
        ax.plot([null, null], [3.3, y_axis], color="black", linewidth=0.8)
        finish_axes(ax, rows_total, y_axis, (lo, hi, log), measure, fs, roles)
        for n, line in enumerate(lines):
            left.text(cols["label"], y_axis + FOOT_ROW + 0.8 * n, line, fontsize=fs, va="center")
    return fig


def finish_axes(
    ax,
    rows_total: float,
    y_axis: float,
    scale: tuple[float, float, bool],
    measure: str,
    fs: int,
    roles: dict[str, str],
) -> None:
    """The shared bottom of a plot of effect rows (forest, cumulative, subgroups): rows top
    down, the x axis at ``y_axis`` with plain tick labels on a log scale, its title (the
    measure's words) and the favours labels under it. ``scale`` is (low, high, log).
    """
    lo, hi, log = scale
    ax.set_ylim(rows_total, 0)
    ax.tick_params(labelsize=fs)
    ax.spines["bottom"].set_position(("data", y_axis))
    if log:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    centre = math.sqrt(lo * hi) if log else (lo + hi) / 2
    ax.text(centre, y_axis + 1.5, AXIS_TITLES[measure], fontsize=fs, ha="center", va="center")
    _place_favours(ax, y_axis + 0.8, fs, roles)


def _place_favours(ax, y_axis: float, fs: int, roles: dict[str, str]) -> None:
    lo, hi = ax.get_xlim()
    ax.text(lo, y_axis + 1.6, f"← Favours {roles['cni']}", fontsize=fs, ha="left", va="center")
    ax.text(
        hi, y_axis + 1.6, f"Favours {roles['comparator']} →", fontsize=fs, ha="right", va="center"
    )


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
