"""How numbers, intervals and counts are written in figures and summaries."""

from __future__ import annotations

import math

#: Significant digits of every printed estimate, bound, rate and per-1,000 figure (README,
#: "Printed numbers"); more only where a bound would otherwise print like its neighbour.
SIGNIFICANT = 3
#: The most significant digits the neighbour rule may use.
MAX_SIGNIFICANT = 6
#: From this magnitude on, numbers are written as ``m × 10ⁿ``.
SCIENTIFIC_FROM = 1e6
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_value(x: float | None, significant: int = SIGNIFICANT) -> str:
    """One number to ``significant`` significant digits, with every digit of its integer part
    (611, not 610; 1,234 with a thousands separator) and trailing zeros kept (0.140: three
    digits); ``m × 10ⁿ`` from 10⁶ on; ``0`` for exactly 0, ``∞`` / ``-∞``, ``-`` for a missing
    value.

    Examples
    --------
    >>> [fmt_value(x) for x in (0.14, 0.0014, 36.86, 86.23, 610.9, 1e10)]
    ['0.140', '0.00140', '36.9', '86.2', '611', '1.00 × 10¹⁰']
    """
    if x is None or math.isnan(x):
        return "-"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    rounded = float(f"{x:.{significant - 1}e}")  # rounding may carry into a new digit
    exponent = math.floor(math.log10(abs(rounded)))
    if abs(rounded) >= SCIENTIFIC_FROM:
        mantissa = rounded / 10**exponent
        power = str(exponent).translate(_SUPERSCRIPT)
        return f"{mantissa:.{significant - 1}f} × 10{power}"
    decimals = max(0, significant - 1 - exponent)
    return f"{x:,.{decimals}f}"


def fmt_values(values: tuple[float, ...] | list[float]) -> list[str]:
    """Numbers printed together (an estimate and its bounds): :data:`SIGNIFICANT` digits, or
    more (up to :data:`MAX_SIGNIFICANT`) until no two different values print alike, so that
    a bound never reads as its neighbour.

    Examples
    --------
    >>> fmt_values([1.0041, 1.0012, 1.0078]), fmt_values([1.0041, 1.0042, 1.0078])
    (['1.004', '1.001', '1.008'], ['1.0041', '1.0042', '1.0078'])
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    for significant in range(SIGNIFICANT, MAX_SIGNIFICANT + 1):
        printed = {v: fmt_value(v, significant) for v in finite}
        if len(set(printed.values())) == len(set(finite)):
            break
    return [fmt_value(v, significant) for v in values]


def fmt_number(x: float, measure: str = "") -> str:
    """An estimate by the one rule of :func:`fmt_value` (the same for every ``measure``)."""
    return fmt_value(x)


def fmt_ci(est: float, lo: float, hi: float, measure: str = "", unit: str = "") -> str:
    """``est [lo, hi]``, ``est [lo, ∞)`` for an open-ended interval, ``-`` when not estimable;
    each number followed by ``unit`` (e.g. ``%``), by the rule of :func:`fmt_values`.
    """
    if est is None or not math.isfinite(est):
        return "-"
    close = ")" if math.isinf(hi) else "]"
    e, low, high = (t + unit if t not in ("-", "∞") else t for t in fmt_values([est, lo, hi]))
    return f"{e} [{low}, {high}{close}"


def fmt_percent(est: float, lo: float, hi: float) -> str:
    """A proportion and its interval as percentages: ``1.59% [0.436%, 4.03%]``."""
    return fmt_ci(100 * est, 100 * lo, 100 * hi, unit="%")


def fmt_p(p: float) -> str:
    """A p-value to 3 decimals, ``< 0.001`` below that."""
    if p is None or math.isnan(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: float) -> str:
    """``p = 0.110``, or ``p < 0.001`` below that (never ``p = < 0.001``).

    Examples
    --------
    >>> p_phrase(0.110068), p_phrase(2.09e-5)
    ('p = 0.110', 'p < 0.001')
    """
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


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
