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


#: How each kind of source (the codes of the ``source_kinds`` columns) is named: in full for
#: summaries, short for figures.
SOURCE_WORDS = {
    "primary": ("trial report", "report"),
    "registry": ("registry results", "registry"),
    "secondary": ("letter or review", "secondary"),
    "not_stated": ("source not stated", "unstated"),
}


def fmt_sources(cni: str, comparator: str, short: bool = False) -> str:
    """The kinds of source of a study's two counts (``source_kinds_*`` codes; empty where the
    arm reported nothing): one name when both agree (or one arm reported), else both, the CNI
    arm's first. In the short form an arm whose count combines several kinds is ``mixed``.

    Examples
    --------
    >>> fmt_sources("secondary", "secondary"), fmt_sources("registry", "", short=True)
    ('letter or review', 'registry')
    >>> fmt_sources("primary", "primary;secondary"), fmt_sources("primary", "", short=True)
    ('CNI arm trial report, comparator trial report + letter or review', 'report')
    >>> fmt_sources("primary", "primary;secondary", short=True)
    'report / mixed'
    """

    def words(code: str) -> str:
        kinds = [k for k in code.split(";") if k]
        if short and len(kinds) > 1:
            return "mixed"
        return " + ".join(SOURCE_WORDS[k][short] for k in kinds)

    a, b = words(cni), words(comparator)
    if not a or not b or a == b:
        return a or b
    return f"{a} / {b}" if short else f"CNI arm {a}, comparator {b}"


def fmt_weeks(weeks: float) -> str:
    """Weeks of follow-up, ``not stated`` when the source gives none."""
    return f"{weeks:g}" if weeks is not None and math.isfinite(weeks) else "not stated"
