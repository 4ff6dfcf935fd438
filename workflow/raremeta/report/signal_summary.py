"""The summary's signal-screen section: what ``ae_signals.csv`` screened and which terms it
flagged, in words (screening, not confirmation). It formats the table; it computes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from raremeta.analysis.wording import SIGNAL_CAVEAT, in_roles
from raremeta.io.analysis_config import RoleLabels
from raremeta.report.numbers import fmt_ci, fmt_count, p_phrase

#: Fewer terms in the false-discovery family than this: the section says the screen has little
#: to screen.
FEW_TERMS = 10


@dataclass(frozen=True)
class SignalSummary:
    """The section: a lead paragraph and one line per flagged term (or one saying none)."""

    lead: str
    items: list[str]


def _flag_words(row: Mapping) -> str:
    both = row["flag_bh"] and row["flag_double_fdr"]
    if both:
        return "Benjamini-Hochberg and double FDR"
    return "Benjamini-Hochberg" if row["flag_bh"] else "double FDR by organ system"


def _term_line(row: Mapping, roles: RoleLabels | None) -> str:
    counts = in_roles(
        f"{fmt_count(row['events_cni'], row['n_cni'])} CNI vs "
        f"{fmt_count(row['events_comparator'], row['n_comparator'])} comparator",
        roles,
    )
    estimate = row["estimate"]
    effect = (
        f"odds ratio {fmt_ci(estimate, row['ci_low'], row['ci_high'])}"
        if isinstance(estimate, float) and math.isfinite(estimate)
        else "no odds ratio"
    )
    trials = f"{row['k']} trial{'s' if row['k'] != 1 else ''}"
    return (
        f"{row['term']} ({row['organ_system']}; {trials}): {counts}, {effect}, exact "
        f"{p_phrase(row['p_value'])} (mid-p {p_phrase(row['p_mid']).removeprefix('p ')}); "
        f"flagged by {_flag_words(row)}"
    )


def signal_summary(
    table: pd.DataFrame,
    alpha: float,
    group_alpha: float,
    min_events: int,
    roles: RoleLabels | None = None,
) -> SignalSummary:
    """The section for ``ae_signals.csv`` (as read by pandas) and the ``signals:`` settings."""
    main = table[table["analysis"] == "reported"]
    tested = int((main["k"] > 0).sum())
    family = int(main["in_family"].sum())
    lead = (
        "Signal screen of every reported adverse-event term (results/tables/ae_signals.csv; "
        f"dot plot results/figures/ae_signals.png): {SIGNAL_CAVEAT}. {len(main)} terms are "
        f"reported, {tested} of them for both arms of at least one trial; {family} with at "
        f"least {min_events} events entered the false-discovery control: Benjamini-Hochberg "
        f"on the exact conditional p-values at {alpha:g}, and the double FDR grouped by organ "
        f"system (Mehrotra & Adewale 2012) at {group_alpha:g} and {alpha:g}. A flag asks for "
        "a closer look at the term; it is not evidence of harm."
    )
    if family < FEW_TERMS:
        lead += (
            f" The trials report few terms ({family} in the family): with so few, this screen "
            "has almost nothing to screen and multiplicity control changes little."
        )
    flagged = main[main["flag_bh"] | main["flag_double_fdr"]]
    items = [_term_line(r, roles) for _, r in flagged.iterrows()] or [
        "No term is flagged by either procedure."
    ]
    sensitivity = table[table["analysis"] == "serious_absent_as_zero"]
    if len(sensitivity):
        flagged_s = sensitivity[sensitivity["flag_bh"] | sensitivity["flag_double_fdr"]]
        names = ", ".join(flagged_s["term"]) or "no term"
        items.append(
            "Sensitivity, serious events with a term absent from a registry record's serious "
            f"table counted as zero ({len(sensitivity)} terms): {names} flagged."
        )
    return SignalSummary(in_roles(lead, roles), items)
