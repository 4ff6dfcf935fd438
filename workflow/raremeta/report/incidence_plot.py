"""Per-arm incidence plot: each arm's rate with its Clopper-Pearson CI, grouped by role."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.transforms import blended_transform_factory

from raremeta.report.figure_files import STYLE
from raremeta.report.forest import NO_TRIAL_TEXT
from raremeta.stats.results import RateMethod

ROLE_NAMES = {"cni": "CNI arms", "comparator": "Comparator arms"}


@dataclass(frozen=True)
class ArmRate:
    """One arm that reported the outcome."""

    label: str
    role: str
    events: float
    n: float
    risk: float
    ci_low: float
    ci_high: float


def incidence_plot(title: str, arms: list[ArmRate], pooled: dict) -> plt.Figure:
    """Draw the incidence (%) of each arm and the pooled crude and GLMM rates per role.

    ``pooled`` maps (role, method) to (estimate, ci_low, ci_high, status).
    """
    lines: list[tuple[str, str, float, float, float, bool]] = []
    for role in ("cni", "comparator"):
        lines.append((ROLE_NAMES[role], "header", math.nan, math.nan, math.nan, False))
        for arm in [a for a in arms if a.role == role]:
            lines.append(
                (
                    f"{textwrap.shorten(arm.label, 30, placeholder='...')}  "
                    f"{arm.events:g}/{arm.n:g}",
                    "arm",
                    arm.risk,
                    arm.ci_low,
                    arm.ci_high,
                    False,
                )
            )
        for method in RateMethod:
            est, lo, hi, status = pooled.get((role, method), (math.nan,) * 3 + ("",))
            text = f"Pooled ({method})"
            if not math.isfinite(est):
                text += ": not estimable" if status else ": no data"
            lines.append((text, "pooled", est, lo, hi, True))
    with plt.rc_context(STYLE):
        height = max(2.5, 0.24 * (len(lines) + 4))
        fig = plt.figure(figsize=(7.5, height))
        # margins in inches, so that the title and the axis label fit at any height
        bottom, top = 0.6 / height, 0.4 / height
        ax = fig.add_axes((0.42, bottom, 0.40, 1 - bottom - top))
        beside_axis = blended_transform_factory(fig.transFigure, ax.transData)
        n = len(lines)
        ax.set_ylim(n + 0.5, 0.5)
        ax.set_yticks(range(1, n + 1))
        labels = []
        # one collection for the intervals and one per marker kind: hundreds of arms draw fast
        segments: list[list[tuple[float, float]]] = []
        points: dict[str, list[tuple[float, float]]] = {"arm": [], "pooled": []}
        for i, (text, kind, est, lo, hi, _) in enumerate(lines, start=1):
            labels.append(text)
            if kind == "header" or not math.isfinite(est):
                continue
            segments.append([(100 * lo, i), (100 * hi, i)])
            points[kind].append((100 * est, i))
            ax.text(
                0.84,
                i,
                f"{100 * est:.2f}% [{100 * lo:.2f}, {100 * hi:.2f}]",
                fontsize=8,
                va="center",
                transform=beside_axis,
            )
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
        ax.set_yticklabels(labels, fontsize=8)
        for tick, (_, kind, *_rest) in zip(ax.get_yticklabels(), lines, strict=True):
            if kind == "header":
                tick.set_fontweight("bold")
        if not arms:
            ax.text(
                0.03,
                0.5,
                NO_TRIAL_TEXT,
                fontsize=8,
                ha="left",
                va="center",
                style="italic",
                transform=ax.transAxes,
            )
        ax.set_xlabel("Patients with the event (%), 95% CI", fontsize=8)
        ax.set_xlim(left=0)
        ax.tick_params(labelsize=8)
        for side in ("right", "top"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, fontsize=10, fontweight="bold", loc="left")
    return fig
