"""Per-arm incidence plot: each arm's rate with its Clopper-Pearson CI, grouped by role.

An arm without a count is listed with why (its reporting detail: not found in the sources
reached, or not reported for that arm), never left out. The pooled rates of a role are those of
the trials in the comparison; rates over all arms of a role are labelled as not a randomised
comparison; a role with one trial is "single trial", not "pooled"; a rate that could not be
estimated says why.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.transforms import blended_transform_factory

from raremeta.analysis.table_keys import RateSubset
from raremeta.report.figure_files import DEFAULT_ROLES, STYLE, text_width_in, wrap_to_width
from raremeta.report.numbers import fmt_count, fmt_percent
from raremeta.stats.results import RateMethod

#: The axis title: the unit of every rate drawn and printed.
AXIS_TITLE = "Patients with the event (%), 95% CI"
#: The header of the printed rates.
VALUES_HEADER = "Incidence [95% CI]"
#: What a pooled rate over every arm of a role (not only the trials in the comparison) is.
ALL_ARMS = "all arms, not a randomised comparison"
#: Heads the pooled rates of a role when some of its arms above are not in the comparison.
IN_COMPARISON = "Over the trials in the comparison:"
#: Plot width and margins (inches).
PLOT_WIDTH_IN = 2.6
GAP_IN = 0.15
MARGIN_IN = 0.1
ROW_IN = 0.24


@dataclass(frozen=True)
class ArmRate:
    """One arm of a study that reports the outcome in at least one arm; ``events`` NaN (no
    count) with ``detail`` saying why (e.g. "not reported").
    """

    label: str
    role: str
    events: float
    n: float
    risk: float
    ci_low: float
    ci_high: float
    detail: str = ""
    in_comparison: bool = True


@dataclass(frozen=True)
class RateRow:
    """One pooled rate of a role: a method's estimate over ``k`` trials (``subset`` ``all_arms``
    or ``comparison``), or why it is not estimated (``reason``, short words).
    """

    role: str
    method: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    reason: str = ""
    subset: str = RateSubset.COMPARISON.value


def _rate_label(r: RateRow) -> str:
    if r.subset == RateSubset.ALL_ARMS:
        return f"{r.k} trial{'s' if r.k != 1 else ''} ({r.method})"
    return f"{'Single trial' if r.k == 1 else f'Pooled, {r.k} trials'} ({r.method})"


def incidence_plot(
    title: str,
    arms: list[ArmRate],
    pooled: list[RateRow],
    roles: dict[str, str] | None = None,
    notes: tuple[str, ...] = (),
) -> plt.Figure:
    """Draw the incidence (%) of each arm and the pooled crude and GLMM rates per role.

    Parameters
    ----------
    title : str
        Outcome label.
    arms : list of ArmRate
        Every arm of the studies that report the outcome in at least one arm.
    pooled : list of RateRow
        The pooled rates to draw, per role and method (:class:`RateMethod`).
    roles : dict, optional
        Display labels of the roles ``cni`` and ``comparator``.
    notes : tuple of str
        Lines under the plot (e.g. the studies that report the outcome in neither arm).
    """
    roles = {**DEFAULT_ROLES, **(roles or {})}
    # (label, kind, estimate, low, high, text right of the plot)
    lines: list[tuple[str, str, float, float, float, str]] = []
    for role in ("cni", "comparator"):
        head = roles[role][:1].upper() + roles[role][1:]
        lines.append((f"{head} arms", "header", math.nan, math.nan, math.nan, ""))
        for arm in [a for a in arms if a.role == role]:
            label = textwrap.shorten(arm.label, 30, placeholder="...")
            if not math.isfinite(arm.events):
                lines.append((label, "missing", math.nan, math.nan, math.nan, arm.detail))
                continue
            text = fmt_percent(arm.risk, arm.ci_low, arm.ci_high)
            lines.append(
                (
                    f"{label}  {fmt_count(arm.events, arm.n)}",
                    "arm",
                    arm.risk,
                    arm.ci_low,
                    arm.ci_high,
                    text,
                )
            )
        rows = [r for r in pooled if r.role == role]
        if any(r.subset == RateSubset.ALL_ARMS for r in rows):
            lines.append((f"Over {ALL_ARMS}:", "subheader", math.nan, math.nan, math.nan, ""))
        elif any(not a.in_comparison and math.isfinite(a.events) for a in arms if a.role == role):
            lines.append((IN_COMPARISON, "subheader", math.nan, math.nan, math.nan, ""))
        for method in RateMethod:
            for r in [r for r in rows if r.method == method] or [
                RateRow(role, str(method), 0, math.nan, math.nan, math.nan, "no data")
            ]:
                label = _rate_label(r) if r.k else f"Pooled ({method})"
                if math.isfinite(r.estimate):
                    text = fmt_percent(r.estimate, r.ci_low, r.ci_high)
                else:
                    text = f"not estimable: {r.reason}" if r.reason != "no data" else "no data"
                lines.append((label, "pooled", r.estimate, r.ci_low, r.ci_high, text))
    fs = 8
    label_w = max(text_width_in(t, fs, bold=kind == "header") for t, kind, *_ in lines)
    value_w = max([text_width_in(VALUES_HEADER, fs)] + [text_width_in(t[5], fs) for t in lines])
    width = max(
        MARGIN_IN + label_w + GAP_IN + PLOT_WIDTH_IN + GAP_IN + value_w + MARGIN_IN,
        text_width_in(title, 10, bold=True) + 2 * MARGIN_IN,
    )
    foot = [line for note in notes for line in wrap_to_width(note, width - 2 * MARGIN_IN, fs)]
    n = len(lines)
    top_in, axis_in = 0.45, 0.55
    height = top_in + ROW_IN * (n + 0.5) + axis_in + 0.2 * len(foot) + 0.1
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        bottom = (axis_in + 0.2 * len(foot) + 0.1) / height
        x0 = (MARGIN_IN + label_w + GAP_IN) / width
        ax = fig.add_axes((x0, bottom, PLOT_WIDTH_IN / width, ROW_IN * (n + 0.5) / height))
        beside_axis = blended_transform_factory(fig.transFigure, ax.transData)
        x_values = x0 + (PLOT_WIDTH_IN + GAP_IN) / width
        ax.set_ylim(n + 0.5, 0.5)
        # the row labels are plain texts beside the axis: a y tick per row (an artist with two
        # lines and two texts each) made a 300-trial plot take about 2 s more to build
        ax.set_yticks([])
        x_labels = x0 - GAP_IN / 2 / width
        # one collection for the intervals and one per marker kind: hundreds of arms draw fast
        segments: list[list[tuple[float, float]]] = []
        points: dict[str, list[tuple[float, float]]] = {"arm": [], "pooled": []}
        for i, (_, kind, est, lo, hi, text) in enumerate(lines, start=1):
            if text:
                ax.text(
                    x_values, i, text, fontsize=fs, va="center", transform=beside_axis,
                    style="italic" if kind == "missing" or not math.isfinite(est) else "normal",
                )  # fmt: skip
            if kind in ("header", "subheader", "missing") or not math.isfinite(est):
                continue
            segments.append([(100 * lo, i), (100 * hi, i)])
            points[kind].append((100 * est, i))
        ax.text(x_values, 0.1, VALUES_HEADER, fontsize=fs, va="center", transform=beside_axis,
                fontweight="bold")  # fmt: skip
        ax.add_collection(LineCollection(segments, colors="black", linewidths=0.9))
        for kind, marker, colour in (("arm", "s", "0.35"), ("pooled", "D", "black")):
            if points[kind]:
                # plot()'s markersize 5 is scatter's s = 25; the edge as in plot()
                ax.scatter(
                    *zip(*points[kind], strict=True),
                    s=25,
                    marker=marker,
                    c=colour,
                    edgecolors=colour,
                    linewidths=1.0,
                    zorder=2,
                    clip_on=False,  # a rate of 0% sits on the axis, not half hidden by it
                )
        for i, (label, kind, *_rest) in enumerate(lines, start=1):
            ax.text(
                x_labels, i, label, fontsize=fs, ha="right", va="center", transform=beside_axis,
                fontweight="bold" if kind == "header" else "normal",
                color="0.35" if kind == "missing" else "black",
                style="italic" if kind == "subheader" else "normal",
            )  # fmt: skip
        ax.set_xlabel(AXIS_TITLE, fontsize=fs)
        ax.set_xlim(left=0)
        if not segments:
            ax.set_xlim(0, 1)
        ax.tick_params(labelsize=fs)
        for side in ("right", "top"):
            ax.spines[side].set_visible(False)
        fig.text(MARGIN_IN / width, 1 - 0.2 / height, title, fontsize=10, fontweight="bold",
                 va="center")  # fmt: skip
        for j, line in enumerate(foot):
            fig.text(MARGIN_IN / width, (0.1 + 0.2 * (len(foot) - j - 0.5)) / height, line,
                     fontsize=fs, va="center")  # fmt: skip
    return fig
