"""How numbers, intervals and counts are written in figures and summaries."""

from __future__ import annotations

import math


def fmt_number(x: float, measure: str) -> str:
    """Format an estimate: 2 decimals for ratios (3 significant below 0.1), 3 for RD."""
    if x is None or not math.isfinite(x):
        return "inf" if x == math.inf else "-"
    if measure == "RD":
        return f"{x:.3f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) < 0.1:
        return f"{x:.3f}"
    return f"{x:.2f}"


def fmt_ci(est: float, lo: float, hi: float, measure: str) -> str:
    """``est [lo, hi]`` or ``-`` when not estimable."""
    if not math.isfinite(est):
        return "-"
    return f"{fmt_number(est, measure)} [{fmt_number(lo, measure)}, {fmt_number(hi, measure)}]"


def fmt_count(events: float | None, n: float | None) -> str:
    """``events/n``, ``NR/n`` when not reported."""
    if n is None or not math.isfinite(n):
        return "-"
    n_text = f"{n:g}"
    if events is None or not math.isfinite(events):
        return f"NR/{n_text}"
    return f"{events:g}/{n_text}"
