"""The adverse-event dot plot of the signal screen (Amit, Heiberger & Lane, Pharm Stat
2008;7:20-35): one row per term, the per-arm proportions on the left, the odds ratio with its
interval on a log scale on the right, rows sorted by odds ratio (terms without one last, by
p-value). It draws the rows of ``ae_signals.csv`` (the screen of reported terms) that are
flagged, and besides them the smallest exact p-values up to ``top`` rows; it computes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from raremeta.analysis.wording import SIGNAL_CAVEAT, short_reason
from raremeta.report.figure_files import DEFAULT_ROLES, STYLE, no_comparison_figure

_COLOURS = {"cni": "#b2182b", "comparator": "#2166ac"}
_MARKERS = {"cni": "o", "comparator": "^"}
#: Odds-ratio ticks (the ones inside the axis are drawn), written plainly (no mathtext).
_OR_TICKS = [m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5)]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def chosen_rows(rows: Sequence[Mapping[str, Any]], top: int) -> list[Mapping[str, Any]]:
    """The rows drawn: every flagged one, then the smallest p-values up to ``top`` rows (the
    rows come sorted by p-value), sorted by odds ratio, largest first; rows without one after,
    in p-value order.
    """
    flagged = [r for r in rows if r["flag_bh"] or r["flag_double_fdr"]]
    rest = [r for r in rows if r not in flagged and _finite(r["p_value"])]
    shown = flagged + rest[: max(0, top - len(flagged))]
    with_or = sorted((r for r in shown if _finite(r["estimate"])), key=lambda r: -r["estimate"])
    return with_or + [r for r in shown if not _finite(r["estimate"])]


def signal_figure(
    rows: Sequence[Mapping[str, Any]],
    top: int,
    roles: Mapping[str, str] = DEFAULT_ROLES,
):
    """The dot plot of ``rows`` (``ae_signals.csv`` rows of one analysis, sorted by p-value)."""
    title = f"Adverse-event signal screen ({SIGNAL_CAVEAT})"
    shown = chosen_rows(rows, top)
    if not shown:
        return no_comparison_figure(title, "No term is reported for both arms of any trial.")
    n = len(shown)
    height = 1.5 + 0.22 * n
    labels = []
    for r in shown:
        mark = " *" if r["flag_bh"] or r["flag_double_fdr"] else ""
        labels.append(f"{r['term']}{mark}")
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(
            1,
            2,
            figsize=(9.0, height),
            sharey=True,
            gridspec_kw={"width_ratios": [1, 1.2], "wspace": 0.05},
        )
        fig.subplots_adjust(left=0.36, right=0.97, top=1 - 0.75 / height, bottom=0.75 / height)
        y = list(range(n, 0, -1))
        for role, events, patients in (
            ("cni", "events_cni", "n_cni"),
            ("comparator", "events_comparator", "n_comparator"),
        ):
            xs = [100.0 * r[events] / r[patients] if r[patients] else math.nan for r in shown]
            left.scatter(
                xs, y, s=16, marker=_MARKERS[role], color=_COLOURS[role], label=roles[role],
                zorder=3,
            )  # fmt: skip
        left.set_yticks(y, labels)
        left.set_ylim(0.3, n + 0.7)
        left.set_xlabel("Patients with the event (%)")
        left.grid(axis="y", color="#dddddd", linewidth=0.5)
        left.legend(
            loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=7, frameon=False,
            borderaxespad=0.1,
        )  # fmt: skip
        finite = [r for r in shown if _finite(r["estimate"])]
        bounds = [
            v for r in finite for v in (r["ci_low"], r["ci_high"]) if _finite(v) and v > 0
        ] + [1.0]
        lo, hi = min(bounds) / 1.5, max(bounds) * 1.5
        right.set_xscale("log")
        right.set_xlim(lo, hi)
        steps = (1, 2, 5) if hi / lo <= 1000 else (1,)  # 1-2-5 over at most three decades
        ticks = [v for v in _OR_TICKS if lo <= v <= hi and round(v / 10 ** math.floor(
            math.log10(v))) in steps]  # fmt: skip
        right.xaxis.set_major_locator(FixedLocator(ticks))
        right.xaxis.set_minor_locator(NullLocator())
        right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        right.axvline(1.0, color="#666666", linewidth=0.8)
        for yi, r in zip(y, shown, strict=True):
            if _finite(r["estimate"]):
                right.plot([r["ci_low"], r["ci_high"]], [yi, yi], color="black", linewidth=1)
                right.plot([r["estimate"]], [yi], "s", color="black", markersize=4)
            else:
                right.text(
                    math.sqrt(lo * hi), yi, f"no odds ratio: {short_reason(r['reason'])}",
                    ha="center", va="center", fontsize=7, style="italic", color="#444444",
                )  # fmt: skip
        right.grid(axis="y", color="#dddddd", linewidth=0.5)
        right.set_xlabel(f"Mantel-Haenszel odds ratio, {roles['cni']} vs {roles['comparator']}")
        fig.text(0.01, 1 - 0.25 / height, title, fontsize=10, fontweight="bold", va="center")
        fig.text(
            0.01, 0.2 / height,
            "* flagged (Benjamini-Hochberg or double FDR by organ system). Rows: flagged terms "
            f"and the smallest exact p-values, {n} of {len(rows)} terms.",
            fontsize=7, va="center",
        )  # fmt: skip
    return fig
