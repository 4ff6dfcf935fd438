"""How the outcomes are split into figure jobs (read by the Snakefile; imports nothing heavy)."""

from __future__ import annotations

#: Outcomes per figure job: enough to pay the start-up of Python and matplotlib (about 1.5 s)
#: once for several figures, few enough that the batches keep every core busy.
FIGURE_BATCH_SIZE = 8


def figure_batches(outcomes: list[str], size: int = FIGURE_BATCH_SIZE) -> dict[str, list[str]]:
    """Split the outcomes, in their configured order, into numbered batches of ``size``.

    >>> figure_batches(["a", "b", "c"], size=2)
    {'1': ['a', 'b'], '2': ['c']}
    """
    return {
        str(number): outcomes[start : start + size]
        for number, start in enumerate(range(0, len(outcomes), size), start=1)
    }
