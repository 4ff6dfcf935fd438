"""Data-quality checks that warn rather than stop: reported percentages against their counts."""

from __future__ import annotations

from raremeta.io.raw_studies import PercentCheck, Study


def percent_decimals(percent: float) -> int:
    """Number of decimals the percentage was reported with (``28`` -> 0, ``2.7`` -> 1)."""
    text = f"{percent:.10g}"
    return len(text.split(".")[1]) if "." in text else 0


def percent_mismatch(
    count: float, denominator: float, percent: float, tolerance: float = 0.0
) -> str | None:
    """Say whether a reported percentage disagrees with its count and denominator.

    The percentage agrees when it equals ``100 * count / denominator`` to within half a unit of
    its last reported digit (so 2.7% agrees with 4/150 = 2.67%), plus ``tolerance`` points.

    Parameters
    ----------
    count, denominator : float
        The reported count and the number of patients it refers to.
    percent : float
        The percentage the source prints beside the count.
    tolerance : float
        Extra allowance in percentage points (``percent_tolerance`` in ``config.yaml``).

    Returns
    -------
    str or None
        A message such as ``"48/150 is 32.0%, not the reported 28%"``, or None when they agree.

    Examples
    --------
    >>> percent_mismatch(48, 150, 28)
    '48/150 is 32.0%, not the reported 28%'
    >>> percent_mismatch(4, 150, 2.7) is None
    True
    """
    actual = 100.0 * count / denominator
    if _agrees(actual, percent, tolerance):
        return None
    shown = f"{percent:.10g}"
    return f"{count:g}/{denominator:g} is {actual:.1f}%, not the reported {shown}%"


def _agrees(actual: float, percent: float, tolerance: float) -> bool:
    allowed = 0.5 * 10.0 ** (-percent_decimals(percent)) + tolerance + 1e-9
    return abs(actual - percent) <= allowed


def percent_check(
    count: float | None, denominator: float, percent: float | None, tolerance: float = 0.0
) -> PercentCheck:
    """The :class:`PercentCheck` of a count, its denominator and the printed percentage (the
    rule of :func:`percent_mismatch`).

    Examples
    --------
    >>> percent_check(48, 150, 28), percent_check(4, 150, 2.7)
    (<PercentCheck.MISMATCH: 'mismatch'>, <PercentCheck.OK: 'ok'>)
    >>> percent_check(None, 150, 28), percent_check(4, 150, None)
    (<PercentCheck.NO_COUNT: 'no_count'>, <PercentCheck.NO_PERCENT: 'no_percent'>)
    """
    if count is None:
        return PercentCheck.NO_COUNT
    if percent is None:
        return PercentCheck.NO_PERCENT
    if percent_mismatch(count, denominator, percent, tolerance) is None:
        return PercentCheck.OK
    return PercentCheck.MISMATCH


def quality_warnings(study: Study, tolerance: float = 0.0) -> list[dict[str, str]]:
    """Return data-quality warnings for one study (as log records).

    Checks every reported percentage in ``adverse_events.csv`` (against events / arm n) and in
    ``characteristics.csv`` (against count / denominator).
    """
    records = []
    for event in study.events:
        if event.reported_percent is None:
            continue
        n = study.arm(event.arm).n
        message = percent_mismatch(event.events, n, event.reported_percent, tolerance)
        if message:
            records.append(
                {
                    "kind": "data_quality",
                    "study": study.id,
                    "file": f"{study.folder}/adverse_events.csv",
                    "line": str(event.line),
                    "message": f"arm '{event.arm}', term '{event.term}': {message} "
                    f"(source: {event.source})",
                }
            )
    for item in study.characteristics:
        if item.reported_percent is None or item.count is None:
            continue
        message = percent_mismatch(item.count, item.denominator, item.reported_percent, tolerance)
        if message:
            records.append(
                {
                    "kind": "data_quality",
                    "study": study.id,
                    "file": f"{study.folder}/characteristics.csv",
                    "line": str(item.line),
                    "message": f"{item.characteristic} ({item.population}): {message} "
                    f"(source: {item.source})",
                }
            )
    return records
