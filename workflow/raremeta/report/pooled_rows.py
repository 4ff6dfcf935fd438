"""Which pooled rows a figure or summary shows: the primary row and the key alternatives."""

from __future__ import annotations

import pandas as pd

from raremeta.analysis.table_keys import PrimaryRule
from raremeta.analysis.wording import method_label, method_name
from raremeta.io.results_reading import is_true
from raremeta.stats.registry import companion_keys, shown_keys

NO_EVENTS_RULE = PrimaryRule.NO_EVENTS.value


def outcome_pooled(pooled: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, pd.Series]:
    """One outcome's rows of ``pooled_effects.csv`` and its primary row."""
    p = pooled[pooled["outcome"] == outcome].fillna({"tau2_estimator": ""})
    return p, p[p["primary"].map(is_true)].iloc[0]


def row_key(row: pd.Series) -> tuple[str, str, str, str]:
    """The (measure, method, model, tau2_estimator) key of a pooled row."""
    return (row["measure"], row["method"], row["model"], row["tau2_estimator"])


def pooled_row(p: pd.DataFrame, key: tuple[str, str, str, str]) -> pd.Series | None:
    """The pooled row with this key, or None."""
    row = p[
        (p["measure"] == key[0])
        & (p["method"] == key[1])
        & (p["model"] == key[2])
        & (p["tau2_estimator"] == key[3])
    ]
    return None if row.empty else row.iloc[0]


def shown_rows(p: pd.DataFrame, primary: pd.Series) -> list[tuple[tuple, pd.Series]]:
    """The primary row then the key alternatives (the registry's ``shown`` rows by rank,
    without repeating the primary). With no events in any arm (rule (a)) no ratio carries
    information: the ratio rows that would still show a number (Firth, Peto, IV on corrected
    zero cells) are left out; the companion (exact conditional) row stays and says why it is
    not estimable.
    """
    keys = list(dict.fromkeys([row_key(primary), *shown_keys()]))
    if str(primary.get("primary_rule", "")) == NO_EVENTS_RULE:
        keep = {row_key(primary), *companion_keys()}
        keys = [k for k in keys if k[0] == "RD" or k in keep]
    return [(k, r) for k in keys if (r := pooled_row(p, k)) is not None]


__all__ = [
    "method_label",
    "method_name",
    "outcome_pooled",
    "pooled_row",
    "row_key",
    "shown_rows",
]
