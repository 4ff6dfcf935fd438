"""Which per-study intervals a forest plot draws beside a primary method, and their name.

The registry and the wording define them (``raremeta.stats.registry.study_interval_prefix``,
``raremeta.analysis.wording.STUDY_INTERVAL_WORDS``); until they do, the same mapping is here.
"""

from __future__ import annotations

try:
    from raremeta.stats.registry import study_interval_prefix
except ImportError:  # pragma: no cover - until the registry defines it

    def study_interval_prefix(measure: str, method: str) -> str:
        """The ``study_effects.csv`` column prefix whose per-study intervals match the primary
        method: the single-study Firth OR for the methods that need no correction of a zero
        cell, the crude RD with its Miettinen-Nurminen interval for the MH and MN risk
        differences, otherwise the measure's own (0.5 added to a zero cell).
        """
        if measure == "OR" and method in {"Firth", "exact-conditional", "mid-p", "exact", "Peto"}:
            return "or_firth"
        if measure == "RD" and method in {"MN", "MH"}:
            return "rd_crude"
        return measure.lower()


try:
    from raremeta.analysis.wording import STUDY_INTERVAL_WORDS
except ImportError:  # pragma: no cover - until the wording defines them
    STUDY_INTERVAL_WORDS = {
        "or_firth": "Firth",
        "rd_crude": "Miettinen-Nurminen",
        "or": "0.5 added to zero cells",
        "rr": "0.5 added to zero cells",
        "rd": "0.5 added to zero cells",
    }

__all__ = ["STUDY_INTERVAL_WORDS", "study_interval_prefix"]
