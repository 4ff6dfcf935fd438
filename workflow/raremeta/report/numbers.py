"""How numbers, intervals and counts are written in figures and summaries."""

from __future__ import annotations

import math


def fmt_number(x: float, measure: str) -> str:
    """Format an estimate: 2 decimals for ratios (3 below 0.1, 0 for exactly 0), 3 for RD;
    ``∞`` for an infinite bound.
    """
    if x is None or math.isnan(x):
        return "-"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0 and measure != "RD":
        return "0"
    if measure == "RD":
        return f"{x:.3f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) < 0.001:
        return f"{x:.2g}"  # never "0.000", which would read as the bound 0
    if abs(x) < 0.1:
        return f"{x:.3f}"
    return f"{x:.2f}"


def fmt_ci(est: float, lo: float, hi: float, measure: str) -> str:
    """``est [lo, hi]``, ``est [lo, ∞)`` for an open-ended interval, ``-`` when not estimable."""
    if not math.isfinite(est):
        return "-"
    close = ")" if math.isinf(hi) else "]"
    return (
        f"{fmt_number(est, measure)} [{fmt_number(lo, measure)}, {fmt_number(hi, measure)}{close}"
    )


def fmt_p(p: float) -> str:
    """A p-value to 3 decimals, ``< 0.001`` below that."""
    if p is None or math.isnan(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_count(events: float | None, n: float | None) -> str:
    """``events/n``, ``NR/n`` when not reported."""
    if n is None or not math.isfinite(n):
        return "-"
    n_text = f"{n:g}"
    if events is None or not math.isfinite(events):
        return f"NR/{n_text}"
    return f"{events:g}/{n_text}"
