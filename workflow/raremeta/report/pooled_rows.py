"""Which pooled rows a figure or summary shows: the primary row and the key alternatives."""

from __future__ import annotations

import pandas as pd

from raremeta.analysis.table_keys import PrimaryRule
from raremeta.io.results_reading import is_true

NO_EVENTS_RULE = PrimaryRule.NO_EVENTS.value

#: Alternatives shown beside the primary estimate (measure, method, model, tau2_estimator).
#: The exact-conditional row comes right after the primary one; the MH RD (Sato interval) is
#: replaced by the MN row (same estimate, score interval).
KEY_ALTERNATIVES = [
    ("OR", "exact-conditional", "common", ""),
    ("OR", "Firth", "common", ""),
    ("OR", "MH", "common", ""),
    ("RD", "MN", "common", ""),
    ("OR", "mid-p", "common", ""),
    ("OR", "exact", "common", ""),
    ("OR", "Peto", "common", ""),
    ("OR", "IV", "random", "REML"),
]


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
    """The primary row then the key alternatives (without repeating the primary). With no
    events in any arm (rule (a)) no ratio carries information: the ratio rows that would still
    show a number (Firth, Peto, IV on corrected zero cells) are left out; the exact row stays
    and says why it is not estimable.
    """
    keys = list(dict.fromkeys([row_key(primary), *KEY_ALTERNATIVES]))
    if str(primary.get("primary_rule", "")) == NO_EVENTS_RULE:
        keys = [
            k for k in keys if k[0] == "RD" or k == row_key(primary) or k[1] == "exact-conditional"
        ]
    return [(k, r) for k in keys if (r := pooled_row(p, k)) is not None]


METHOD_LABELS = {
    ("MH", "common", ""): "Mantel-Haenszel, common effect",
    ("Peto", "common", ""): "Peto, common effect",
    ("IV", "common", ""): "Inverse variance, common effect",
    ("IV", "random", "DL"): "Inverse variance, random effects (DL)",
    ("IV", "random", "REML"): "Inverse variance, random effects (REML)",
    ("IV", "random", "PM"): "Inverse variance, random effects (PM)",
    ("exact", "common", ""): "conditional ML, common effect",
    ("exact-conditional", "common", ""): "median-unbiased, exact conditional CI",
    ("mid-p", "common", ""): "median-unbiased, mid-p CI",
    ("Firth", "common", ""): "Firth penalised likelihood",
    ("MN", "common", ""): "Mantel-Haenszel, Miettinen-Nurminen CI",
}


def method_name(method: str, model: str, estimator: str) -> str:
    """E.g. ``"Mantel-Haenszel, common effect"``."""
    return METHOD_LABELS[(method, model, estimator or "")]


def method_label(measure: str, method: str, model: str, estimator: str) -> str:
    """E.g. ``"OR, Mantel-Haenszel, common effect"``."""
    return f"{measure}, {method_name(method, model, estimator)}"
