"""Apply the statistical core to harmonised counts: the four results tables of one outcome.

Pure functions from DataFrames to DataFrames; the Snakemake scripts do the reading and writing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from raremeta.io.analysis_config import PrimaryChoice
from raremeta.io.results_reading import is_true
from raremeta.stats.conditional_ml import conditional_mle
from raremeta.stats.effect_sizes import study_effects
from raremeta.stats.incidence import crude_rate, glmm_rate
from raremeta.stats.inverse_variance import inverse_variance
from raremeta.stats.mantel_haenszel import mantel_haenszel, mh_weights
from raremeta.stats.peto import peto, peto_terms
from raremeta.stats.results import PooledEffect
from raremeta.stats.two_by_two import Tables

#: The primary set: (measure, method, model, tau2_estimator), one pooled row each.
PRIMARY_SET: tuple[tuple[str, str, str, str], ...] = (
    ("OR", "MH", "common", ""),
    ("RR", "MH", "common", ""),
    ("RD", "MH", "common", ""),
    ("OR", "Peto", "common", ""),
    *((m, "IV", "common", "") for m in ("OR", "RR", "RD")),
    *((m, "IV", "random", e) for m in ("OR", "RR", "RD") for e in ("DL", "REML", "PM")),
    ("OR", "exact", "common", ""),
)

POOLED_COLUMNS = [
    "outcome",
    "measure",
    "method",
    "model",
    "tau2_estimator",
    "primary",
    "k",
    "k_excluded",
    "events_cni",
    "n_cni",
    "events_comparator",
    "n_comparator",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "i2",
    "q",
    "q_df",
    "q_p",
    "pi_low",
    "pi_high",
    "pi_method",
    "ci_method",
    "correction",
    "note",
]
RATE_COLUMNS = [
    "outcome",
    "role",
    "method",
    "k",
    "events",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "tau2",
    "note",
]
SENSITIVITY_COLUMNS = [
    "outcome",
    "analysis",
    "variant",
    "measure",
    "method",
    "model",
    "tau2_estimator",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "ci_method",
    "correction",
    "note",
]


@dataclass(frozen=True)
class OutcomeData:
    """The harmonised counts of one outcome, split by what each study can contribute.

    Attributes
    ----------
    outcome : str
        Outcome id.
    tables : Tables or None
        Studies (comparisons) that reported the outcome in both roles; None if there are none.
    excluded : dict
        Study or comparison id -> why it cannot enter the comparative analysis.
    arms : dict
        Role -> (ids, events, n) of every arm that reported the outcome, for per-arm rates.
    labels : dict
        Comparison id -> study label.
    """

    outcome: str
    tables: Tables | None
    excluded: dict[str, str] = field(default_factory=dict)
    arms: dict[str, tuple[list[str], list[float], list[float]]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def outcome_data(harmonised: pd.DataFrame, outcome: str) -> OutcomeData:
    """Collect one outcome's comparable studies, excluded studies and reporting arms."""
    rows = harmonised[harmonised["outcome"] == outcome]
    ids, a, n1, c, n2 = [], [], [], [], []
    excluded: dict[str, str] = {}
    arms: dict[str, tuple[list[str], list[float], list[float]]] = {
        "cni": ([], [], []),
        "comparator": ([], [], []),
    }
    labels = {}
    grouped: dict[str, dict[str, dict]] = {}
    for record in rows[["comparison", "label", "role", "events", "n", "reported"]].to_dict(
        "records"
    ):
        grouped.setdefault(str(record["comparison"]), {})[record["role"]] = record
    for comparison in sorted(grouped):
        by_role = grouped[comparison]
        cni, comp = by_role.get("cni"), by_role.get("comparator")
        labels[comparison] = str(next(iter(by_role.values()))["label"])
        for role, r in (("cni", cni), ("comparator", comp)):
            if r is not None and is_true(r["reported"]):
                arms[role][0].append(comparison)
                arms[role][1].append(float(r["events"]))
                arms[role][2].append(float(r["n"]))
        reported = [
            role
            for role, r in (("CNI", cni), ("comparator", comp))
            if r is not None and is_true(r["reported"])
        ]
        if len(reported) == 2:
            ids.append(comparison)
            a.append(float(cni["events"]))
            n1.append(float(cni["n"]))
            c.append(float(comp["events"]))
            n2.append(float(comp["n"]))
        elif not reported:
            excluded[comparison] = "outcome not reported in either arm"
        else:
            missing = "comparator" if reported == ["CNI"] else "CNI"
            excluded[comparison] = f"outcome not reported for the {missing} arm"
    tables = Tables.from_counts(a, n1, c, n2, ids) if ids else None
    return OutcomeData(outcome, tables, excluded, arms, labels)


def _excluded_note(data: OutcomeData) -> str:
    if not data.excluded:
        return ""
    return "not in the comparison: " + "; ".join(f"{k} ({v})" for k, v in data.excluded.items())


def run_method(
    tables: Tables, measure: str, method: str, model: str, estimator: str, hksj: bool = False
) -> PooledEffect:
    """Run one method of the primary set on the tables."""
    if method == "MH":
        return mantel_haenszel(tables, measure)
    if method == "Peto":
        return peto(tables)
    if method == "exact":
        return conditional_mle(tables)
    eff = study_effects(tables, measure)
    result = inverse_variance(eff.yi, eff.vi, measure, model, estimator, hksj=hksj)
    corrected = int(eff.corrected.sum())
    dropped = int(eff.dropped.sum())
    notes = [result.note] if result.note else []
    if dropped:
        notes.append(f"{dropped} double-zero study/studies excluded for {measure}")

    return replace(
        result,
        correction=f"{eff.correction} ({corrected} of {tables.k} studies)"
        if corrected
        else "none needed (no zero cells)",
        note="; ".join(notes),
    )


def _included_mask(tables: Tables, measure: str) -> np.ndarray:
    return np.ones(tables.k, dtype=bool) if measure == "RD" else ~tables.double_zero


def pooled_effects(data: OutcomeData, primary: PrimaryChoice) -> pd.DataFrame:
    """One row per method of :data:`PRIMARY_SET`, columns :data:`POOLED_COLUMNS`."""
    rows = []
    n_excl = len(data.excluded)
    for measure, method, model, estimator in PRIMARY_SET:
        is_primary = (measure, method, model, estimator) == primary.key
        if data.tables is None:
            result = PooledEffect(
                measure,
                method,
                model,
                estimator,
                k=0,
                k_excluded=n_excl,
                note="not estimable: no study reports this outcome in both arms",
            )
            totals = (math.nan,) * 4
        else:
            t = data.tables
            result = run_method(t, measure, method, model, estimator)

            result = replace(result, k_excluded=result.k_excluded + n_excl)
            mask = _included_mask(t, measure)
            if method in ("Peto", "exact"):
                mask = ~t.double_zero
            totals = (t.ai[mask].sum(), t.n1i[mask].sum(), t.ci[mask].sum(), t.n2i[mask].sum())
        note = "; ".join(x for x in (result.note, _excluded_note(data)) if x)
        row = result.to_dict()
        row.update(
            outcome=data.outcome,
            primary=is_primary,
            note=note,
            events_cni=totals[0],
            n_cni=totals[1],
            events_comparator=totals[2],
            n_comparator=totals[3],
        )
        rows.append(row)
    return pd.DataFrame(rows)[POOLED_COLUMNS]


def pooled_rates(data: OutcomeData) -> pd.DataFrame:
    """Crude and GLMM incidence per role, columns :data:`RATE_COLUMNS`."""
    rows = []
    for role in ("cni", "comparator"):
        _, events, n = data.arms.get(role, ([], [], []))
        for result in (crude_rate(events, n), glmm_rate(events, n)):
            row = result.to_dict()
            row.update(outcome=data.outcome, role=role)
            rows.append(row)
    return pd.DataFrame(rows)[RATE_COLUMNS]


def _percent(w: np.ndarray) -> np.ndarray:
    w = np.where(np.isfinite(w), w, 0.0)
    total = w.sum()
    return 100 * w / total if total > 0 else np.full_like(w, np.nan)


def study_effects_frame(data: OutcomeData, harmonised: pd.DataFrame) -> pd.DataFrame:
    """Per-study counts, OR/RR/RD with 95% CI and correction, and weights (%) per method.

    Studies that cannot enter the comparison are listed too, with ``included`` false and the
    reason in ``note``.
    """
    rows: list[dict] = []
    if data.tables is not None:
        t = data.tables
        z = 1.959963984540054
        weights: dict[str, np.ndarray] = {}
        for measure in ("OR", "RR", "RD"):
            w = mh_weights(t, measure)
            if measure != "RD":
                w = np.where(t.double_zero, 0.0, w)
            weights[f"weight_mh_{measure.lower()}"] = _percent(w)
        weights["weight_peto"] = _percent(peto_terms(t)[1])
        effects = {}
        for measure in ("OR", "RR", "RD"):
            eff = study_effects(t, measure)
            effects[measure] = eff
            weights[f"weight_iv_{measure.lower()}_common"] = _percent(1 / eff.vi)
            for est in ("DL", "REML", "PM"):
                pooled = inverse_variance(eff.yi, eff.vi, measure, "random", est)
                tau2 = pooled.tau2 if math.isfinite(pooled.tau2) else 0.0
                weights[f"weight_iv_{measure.lower()}_{est.lower()}"] = _percent(
                    1 / (eff.vi + tau2)
                )
        for i, study in enumerate(t.labels):
            row = {
                "outcome": data.outcome,
                "study": study,
                "label": data.labels[study],
                "included": True,
                "events_cni": t.ai[i],
                "n_cni": t.n1i[i],
                "events_comparator": t.ci[i],
                "n_comparator": t.n2i[i],
            }
            for measure, eff in effects.items():
                y, v = eff.yi[i], eff.vi[i]
                back = (lambda x: x) if measure == "RD" else math.exp
                ok = math.isfinite(y)
                row[measure.lower()] = back(y) if ok else math.nan
                row[f"{measure.lower()}_ci_low"] = back(y - z * math.sqrt(v)) if ok else math.nan
                row[f"{measure.lower()}_ci_high"] = back(y + z * math.sqrt(v)) if ok else math.nan
            if t.double_zero[i]:
                row["correction"] = (
                    "double zero: OR and RR not estimable; RD with 0.5 added to every cell"
                )
            elif t.any_zero[i]:
                row["correction"] = "0.5 added to every cell (zero cell)"
            else:
                row["correction"] = "none"
            for key, w in weights.items():
                row[key] = w[i]
            row["note"] = ""
            rows.append(row)
    excluded_rows: dict[str, dict[str, dict]] = {}
    if data.excluded:
        subset = harmonised[harmonised["outcome"] == data.outcome]
        for record in subset[["comparison", "role", "events", "n", "reported"]].to_dict("records"):
            excluded_rows.setdefault(str(record["comparison"]), {})[record["role"]] = record
    for study, why in data.excluded.items():
        by_role = excluded_rows.get(study, {})
        row = {
            "outcome": data.outcome,
            "study": study,
            "label": data.labels.get(study, study),
            "included": False,
        }
        for role, key in (("cni", "cni"), ("comparator", "comparator")):
            r = by_role.get(role)
            row[f"events_{key}"] = (
                float(r["events"]) if r is not None and is_true(r["reported"]) else math.nan
            )
            row[f"n_{key}"] = float(r["n"]) if r is not None else math.nan
        row["note"] = why
        rows.append(row)
    columns = [
        "outcome",
        "study",
        "label",
        "included",
        "events_cni",
        "n_cni",
        "events_comparator",
        "n_comparator",
        "or",
        "or_ci_low",
        "or_ci_high",
        "rr",
        "rr_ci_low",
        "rr_ci_high",
        "rd",
        "rd_ci_low",
        "rd_ci_high",
        "correction",
        "weight_mh_or",
        "weight_mh_rr",
        "weight_mh_rd",
        "weight_peto",
        *(f"weight_iv_{m}_{e}" for m in ("or", "rr", "rd") for e in ("common", "dl", "reml", "pm")),
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def _sens_row(data: OutcomeData, analysis: str, variant: str, result: PooledEffect) -> dict:
    row = {k: getattr(result, k) for k in SENSITIVITY_COLUMNS[3:]}
    row.update(outcome=data.outcome, analysis=analysis, variant=variant)
    return row


def sensitivity(
    data: OutcomeData,
    primary: PrimaryChoice,
    alternative: OutcomeData | None = None,
    alternative_label: str = "",
) -> pd.DataFrame:
    """Labelled variants that are not the primary set, columns :data:`SENSITIVITY_COLUMNS`.

    HKSJ intervals for every random-effects row; RevMan-style MH with 0.5 inside the sums;
    continuity corrections 0.5, 0.01 and treatment-arm (Sweeting 2004) for the OR by IV and MH;
    leave-one-out of the primary method; and the other multi-arm handling (``alternative``).
    """
    rows: list[dict] = []
    t = data.tables
    if t is None:
        empty = PooledEffect(
            primary.measure,
            primary.method,
            primary.model,
            primary.tau2_estimator,
            note="not estimable: no study reports this outcome in both arms",
        )
        rows.append(_sens_row(data, "all", "no comparable study", empty))
        rows += _multi_arm_rows(data, primary, alternative, alternative_label)
        return pd.DataFrame(rows)[SENSITIVITY_COLUMNS]
    for measure in ("OR", "RR", "RD"):
        for est in ("DL", "REML", "PM"):
            result = run_method(t, measure, "IV", "random", est, hksj=True)
            rows.append(_sens_row(data, "HKSJ interval", f"HKSJ ad hoc, {est}", result))
    for measure in ("OR", "RR"):
        result = mantel_haenszel(t, measure, add=0.5)
        rows.append(_sens_row(data, "RevMan-style MH", "0.5 inside MH sums", result))
    for label, add, kind in (
        ("0.5", 0.5, "constant"),
        ("0.01", 0.01, "constant"),
        ("treatment-arm", 0.5, "treatment_arm"),
    ):
        keep = ~t.double_zero
        if keep.any():
            sub = t.subset(keep)
            eff = study_effects(sub, "OR", add=add, kind=kind)
            iv = inverse_variance(eff.yi, eff.vi, "OR", "common")

            iv = replace(iv, correction=eff.correction)
            rows.append(_sens_row(data, "continuity correction", f"{label}, IV common", iv))
            mh = mantel_haenszel(t, "OR", add=add, kind=kind)
            rows.append(_sens_row(data, "continuity correction", f"{label}, MH", mh))
    if t.k >= 2:
        for i, study in enumerate(t.labels):
            mask = np.ones(t.k, dtype=bool)
            mask[i] = False
            result = run_method(t.subset(mask), *primary.key)
            rows.append(_sens_row(data, "leave-one-out", f"without {study}", result))
    else:
        result = PooledEffect(*primary.key, note="leave-one-out needs at least two studies")
        rows.append(_sens_row(data, "leave-one-out", "k = 1", result))
    rows += _multi_arm_rows(data, primary, alternative, alternative_label)
    return pd.DataFrame(rows)[SENSITIVITY_COLUMNS]


NOT_MULTI_ARM = "not applicable: no study has more than one arm of the same role"


def _multi_arm_rows(
    data: OutcomeData, primary: PrimaryChoice, alternative: OutcomeData | None, label: str
) -> list[dict]:
    """The primary method under the other multi-arm handling, or why it does not apply."""
    if not label:
        return []
    if alternative is None:
        row = dict.fromkeys(SENSITIVITY_COLUMNS, "")
        row.update(
            outcome=data.outcome,
            analysis="multi-arm handling",
            variant=label,
            k=0,
            measure=primary.measure,
            method=primary.method,
            model=primary.model,
            tau2_estimator=primary.tau2_estimator,
            note=NOT_MULTI_ARM,
        )
        return [row]
    if alternative.tables is None:
        result = PooledEffect(*primary.key, note="not estimable: no comparable study")
    else:
        result = run_method(alternative.tables, *primary.key)
    return [_sens_row(data, "multi-arm handling", label, result)]
