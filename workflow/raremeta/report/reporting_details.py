"""Why an arm has no count of an outcome, in the words a figure prints (issue 20, item 16).

The per-arm detail comes from ``reporting.csv`` through its typed reader
(``raremeta.io.results_reading.reporting_details``); a table without the detail column gives
"not reported" for an arm without a count, the ``reported`` code's meaning.
"""

from __future__ import annotations

import pandas as pd

from raremeta.io.raw_studies import ROLES

#: The reporting-detail states in words.
DETAIL_WORDS = {
    "not_found": "not found in the sources",
    "not_reported": "not reported",
    "unspecified": "not reported",
}


def arm_text(state: str, orbit: str = "", reason: str = "") -> str:
    """E.g. "not reported (ORBIT E: collected, not reported)"."""
    text = DETAIL_WORDS.get(state, state.replace("_", " "))
    extra = "; ".join(x for x in (f"ORBIT {orbit}" if orbit else "", reason) if x)
    return f"{text} ({extra})" if extra else text


def arm_details(reporting: pd.DataFrame, outcome: str) -> dict[tuple[str, str], str]:
    """(study, role) -> why the arm has no count of ``outcome`` ("" where it has one)."""
    try:
        from raremeta.io.results_reading import reporting_details
    except ImportError:  # the table has no detail column yet
        reporting_details = None
    out = {}
    for _, row in reporting[reporting["outcome"] == outcome].iterrows():
        per_arm = reporting_details(row) if reporting_details is not None else None
        for role in ROLES:
            if str(row[role]).lower() == "true":
                out[(str(row["study"]), role)] = ""
            elif per_arm is not None and role in per_arm:
                d = per_arm[role]
                out[(str(row["study"]), role)] = arm_text(
                    str(d.state), getattr(d, "orbit", "") or "", getattr(d, "reason", "") or ""
                )
            else:
                out[(str(row["study"]), role)] = DETAIL_WORDS["not_reported"]
    return out
