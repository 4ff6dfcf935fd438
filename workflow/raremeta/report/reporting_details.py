"""Why an arm has no count of an outcome, in the words a figure prints (issue 20, item 16).

The per-arm detail comes from ``reporting.csv`` through its typed reader
(``raremeta.io.results_reading.reporting_details``: per role without a count, its arms'
details and ORBIT letters); an arm without a declared detail, or a table without the
detail columns, reads "not reported", the ``reported`` code's meaning.
"""

from __future__ import annotations

import pandas as pd

from raremeta.analysis.wording import REPORTING_DETAIL_WORDS as DETAIL_WORDS
from raremeta.io.raw_studies import ROLES, ReportingDetail
from raremeta.io.results_reading import reporting_details


def arm_text(details: tuple[str, ...], orbit: tuple[str, ...] = ()) -> str:
    """E.g. "not reported (ORBIT E)": the detail and its ORBIT letters; the reason, a sentence
    with its source, is the summary's (a figure line has no room for it).
    """
    words = dict.fromkeys(DETAIL_WORDS.get(str(d), str(d).replace("_", " ")) for d in details)
    text = " / ".join(words) or DETAIL_WORDS[ReportingDetail.UNSPECIFIED]
    return f"{text} (ORBIT {', '.join(orbit)})" if orbit else text


def arm_details(reporting: pd.DataFrame, outcome: str) -> dict[tuple[str, str], str]:
    """(study, role) -> why the arm has no count of ``outcome`` ("" where it has one)."""
    out = {}
    for _, row in reporting[reporting["outcome"] == outcome].iterrows():
        per_role = reporting_details(row)
        for role in ROLES:
            key = (str(row["study"]), str(role))
            if str(row[role]).lower() == "true":
                out[key] = ""
            elif role in per_role:
                given = per_role[role]
                out[key] = arm_text(tuple(given.details), tuple(given.orbit))
            else:
                out[key] = DETAIL_WORDS[ReportingDetail.UNSPECIFIED]
    return out
