"""One outcome's harmonised counts, split by what each study can contribute."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from raremeta.io.raw_studies import ROLES, Role, SourceKind
from raremeta.io.results_reading import cell_float, cell_text, is_true
from raremeta.stats.results import Reason
from raremeta.stats.two_by_two import Tables

#: Events (NaN when not reported) and patients of each role of one comparison.
ArmCounts = dict[Role, tuple[float, float]]


@dataclass(frozen=True)
class OutcomeData:
    """The harmonised counts of one outcome.

    Attributes
    ----------
    outcome : str
        Outcome id.
    tables : Tables or None
        Studies (comparisons) that reported the outcome in both roles, labelled by comparison
        id; None if there are none.
    excluded : dict
        Comparison id -> why it cannot enter the comparative analysis (a study reason).
    counts : dict
        Comparison id -> each role's events (NaN when not reported) and patients.
    labels : dict
        Comparison id -> study label.
    source_kinds : dict
        Comparison id -> each reporting role's kinds of source (of the counts used).
    follow_up_weeks : dict
        Comparison id -> the study's follow-up in weeks (NaN when not stated).
    populations : dict
        Comparison id -> each role's population code (harmonised ``population``; empty: not
        stated).
    drugs : dict
        Comparison id -> each role's drugs (harmonised ``drug``).
    randomised_arms : dict
        Comparison id -> how many randomised arms each role's counts combine (harmonised
        ``randomised_arms``; NaN for a table written before the column existed).
    """

    outcome: str
    tables: Tables | None
    excluded: dict[str, Reason] = field(default_factory=dict)
    counts: dict[str, ArmCounts] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    source_kinds: dict[str, dict[Role, frozenset[SourceKind]]] = field(default_factory=dict)
    follow_up_weeks: dict[str, float] = field(default_factory=dict)
    populations: dict[str, dict[Role, str]] = field(default_factory=dict)
    drugs: dict[str, dict[Role, str]] = field(default_factory=dict)
    randomised_arms: dict[str, dict[Role, float]] = field(default_factory=dict)

    def arms(self, role: Role) -> tuple[list[float], list[float]]:
        """Events and patients of every arm of ``role`` that reported the outcome."""
        reported = [c[role] for c in self.counts.values() if math.isfinite(c[role][0])]
        return [e for e, _ in reported], [n for _, n in reported]

    def from_sources(self, kinds: frozenset[SourceKind]) -> np.ndarray:
        """Boolean mask over the comparison's studies (``tables`` order): True where every
        count used, in both roles, comes from a source of one of ``kinds``.
        """
        labels = [] if self.tables is None else self.tables.labels
        return np.array(
            [all(self.source_kinds[c][r] <= kinds for r in ROLES) for c in labels], dtype=bool
        )


def outcome_data(harmonised: pd.DataFrame, outcome: str) -> OutcomeData:
    """Collect one outcome's comparable studies, excluded studies and reporting arms."""
    rows = harmonised[harmonised["outcome"] == outcome]
    grouped: dict[str, dict[str, dict]] = {}
    columns = ["comparison", "label", "role", "events", "n", "reported"]
    columns += ["source_kinds", "follow_up_weeks", "population", "drug"]
    columns += [c for c in ("randomised_arms",) if c in rows.columns]
    for record in rows[columns].to_dict("records"):
        grouped.setdefault(str(record["comparison"]), {})[record["role"]] = record
    ids, cells = [], []
    excluded: dict[str, Reason] = {}
    counts: dict[str, ArmCounts] = {}
    labels: dict[str, str] = {}
    kinds: dict[str, dict[Role, frozenset[SourceKind]]] = {}
    follow_up: dict[str, float] = {}
    populations: dict[str, dict[Role, str]] = {}
    drugs: dict[str, dict[Role, str]] = {}
    randomised_arms: dict[str, dict[Role, float]] = {}
    for comparison in sorted(grouped):
        by_role = grouped[comparison]
        first = next(iter(by_role.values()))
        labels[comparison] = str(first["label"])
        follow_up[comparison] = cell_float(first["follow_up_weeks"])
        kinds[comparison] = {
            role: _kinds(by_role[role]["source_kinds"] if role in by_role else "") for role in ROLES
        }
        populations[comparison] = {
            role: cell_text(by_role[role]["population"]) if role in by_role else ""
            for role in ROLES
        }
        drugs[comparison] = {
            role: cell_text(by_role[role]["drug"]) if role in by_role else "" for role in ROLES
        }
        randomised_arms[comparison] = {
            role: cell_float(by_role[role].get("randomised_arms")) if role in by_role else math.nan
            for role in ROLES
        }
        arm_counts: ArmCounts = {}
        for role in ROLES:
            r = by_role.get(role)
            reported = r is not None and is_true(r["reported"])
            events = float(r["events"]) if reported else math.nan
            arm_counts[role] = (events, float(r["n"]) if r is not None else math.nan)
        counts[comparison] = arm_counts
        cni, comparator = (math.isfinite(arm_counts[role][0]) for role in ROLES)
        if cni and comparator:
            ids.append(comparison)
            cells.append((*arm_counts[Role.CNI], *arm_counts[Role.COMPARATOR]))
        elif not (cni or comparator):
            excluded[comparison] = Reason.NOT_REPORTED_EITHER_ARM
        else:
            excluded[comparison] = (
                Reason.NOT_REPORTED_COMPARATOR if cni else Reason.NOT_REPORTED_CNI
            )
    tables = Tables.from_counts(*zip(*cells, strict=True), ids) if ids else None
    return OutcomeData(
        outcome,
        tables,
        excluded,
        counts,
        labels,
        kinds,
        follow_up,
        populations,
        drugs,
        randomised_arms,
    )


def outcomes_in_comparison(rows: Iterable[Mapping[str, Any]], outcomes: Sequence[str]) -> list[str]:
    """The outcomes (of ``outcomes``, in their order) whose comparative analysis uses a study,
    from its harmonised rows: those for which a comparison of the study reported the outcome in
    both roles, the rule :func:`outcome_data` applies (a study that reported it in one role only
    is in the pooled rates of that role, not in the comparison).
    """
    reported: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if is_true(row["reported"]):
            reported.setdefault((row["outcome"], str(row["comparison"])), set()).add(row["role"])
    both = {outcome for (outcome, _), roles in reported.items() if roles >= set(ROLES)}
    return [outcome for outcome in outcomes if outcome in both]


def _kinds(code) -> frozenset[SourceKind]:
    """The kinds of a harmonised ``source_kinds`` cell (``"primary;secondary"``)."""
    return frozenset(SourceKind(k) for k in cell_text(code).split(";") if k)
