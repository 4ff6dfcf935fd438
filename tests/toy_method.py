"""A toy pooling method, registered at run time by tests/test_method_registry.py to prove that a
new method needs only a registry entry, a kernel and its words.

The toy method pools the crude risk difference of the summed counts (Σa/Σn1 - Σc/Σn2, no
interval) and reports the total events as a result column of its own.
"""

from __future__ import annotations

import numpy as np

from raremeta.stats.results import MethodSpec, PooledFits, Reason, percent, reasons
from raremeta.stats.two_by_two import TableStack


def toy_fits(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """The crude risk difference of every meta-analysis of ``stack``."""
    present = stack.present
    a, n1, c, n2 = (np.where(present, x, 0.0) for x in (stack.ai, stack.n1i, stack.ci, stack.n2i))
    estimate = a.sum(axis=1) / n1.sum(axis=1) - c.sum(axis=1) / n2.sum(axis=1)
    m = len(estimate)
    why = reasons(m)
    why[:] = Reason.NO_CONFIDENCE_INTERVAL
    return PooledFits.make(
        spec,
        why,
        present.sum(axis=1),
        np.zeros(m, dtype=np.int64),
        {"estimate": estimate},
        present.copy(),
        np.zeros_like(present),
        percent(n1 + n2, present),
        extra={"toy_total_events": a.sum(axis=1) + c.sum(axis=1)},
    )
