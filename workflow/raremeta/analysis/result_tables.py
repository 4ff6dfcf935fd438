"""The results tables of one outcome (the CSV contract), built from typed results.

Pure functions from harmonised counts to DataFrames; the step functions do the reading and
writing. Column lists here are the contract the README states and the codebook documents.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from raremeta.analysis import wording
from raremeta.analysis.fitting import OutcomeFits
from raremeta.analysis.methods import SOURCE_SUBSETS, Variant
from raremeta.analysis.outcome_data import OutcomeData
from raremeta.analysis.primary_rule import MN_RD, Primary
from raremeta.analysis.table_keys import WEIGHT_COLUMNS, AnalysisCode, Caution, RateSubset
from raremeta.harmonise.outcome_rows import source_kinds_code
from raremeta.io.raw_studies import ROLES, Role
from raremeta.stats import registry
from raremeta.stats.effect_sizes import study_effects
from raremeta.stats.incidence import crude_rate, glmm_rate
from raremeta.stats.priors import BayesOptions, describe, prior_probability, probability_key
from raremeta.stats.registry import IntervalKind
from raremeta.stats.results import (
    MethodSpec,
    PooledEffect,
    PooledRate,
    RateMethod,
    Reason,
    Status,
    status_of,
    wald,
)
from raremeta.stats.two_by_two import Tables

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
    "status",
    "reason",
    "studies",
    "estimator",
    "p_method",
    "primary_rule",
    "caution",
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
    "status",
    "reason",
    "subset",
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
    "status",
    "reason",
    "estimator",
    "p_method",
    "analysis_code",
    "caution",
]
#: Absolute effects per 1,000 patients (absolute_effects.csv).
ABSOLUTE_COLUMNS = [
    "outcome",
    "k",
    "studies",
    "events_cni",
    "n_cni",
    "risk_cni_per_1000",
    "risk_cni_ci_low_per_1000",
    "risk_cni_ci_high_per_1000",
    "events_comparator",
    "n_comparator",
    "risk_comparator_per_1000",
    "risk_comparator_ci_low_per_1000",
    "risk_comparator_ci_high_per_1000",
    "rd_per_1000",
    "rd_ci_low_per_1000",
    "rd_ci_high_per_1000",
    "risk_ci_method",
    "rd_ci_method",
    "primary_rule",
    "note",
    "status",
    "reason",
]
#: Cumulative meta-analysis (cumulative.csv): one row per outcome and step.
#: Columns of ``posterior_probabilities.csv``.
POSTERIOR_COLUMNS = [
    "outcome",
    "prior",
    "threshold",
    "probability",
    "prior_probability",
    "k",
    "status",
    "reason",
    "prior_description",
    "theta_mean",
    "theta_sd",
    "mu_mean",
    "mu_sd",
    "tau_prior",
    "tau_scale",
]
CUMULATIVE_COLUMNS = [
    "outcome",
    "step",
    "study_added",
    "year",
    "k",
    "measure",
    "method",
    "model",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "status",
    "reason",
    "note",
]
#: Weight columns of study_effects.csv, by the method whose weights they hold.
STUDY_COLUMNS = [
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
    *WEIGHT_COLUMNS.values(),
    "note",
    "double_zero",
    "zero_cell_corrected",
    "reason",
    "risk_cni",
    "risk_cni_ci_low",
    "risk_cni_ci_high",
    "risk_comparator",
    "risk_comparator_ci_low",
    "risk_comparator_ci_high",
    "source_kinds_cni",
    "source_kinds_comparator",
    "follow_up_weeks",
    "rd_crude",
    "rd_crude_ci_low",
    "rd_crude_ci_high",
    "or_firth",
    "or_firth_ci_low",
    "or_firth_ci_high",
    "population_cni",
    "population_comparator",
    "drug_cni",
    "drug_comparator",
    "randomised_arms_cni",
    "randomised_arms_comparator",
]


def _effect_row(result: PooledEffect) -> dict:
    return {
        "measure": result.measure,
        "method": result.method,
        "model": result.model,
        "tau2_estimator": result.tau2_estimator,
        "k": result.k,
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "ci_method": wording.ci_method_text(result),
        "correction": wording.correction_text(result),
        "status": result.status,
        "reason": result.reason,
        "estimator": wording.estimator_text(result),
        "p_method": wording.p_method_text(result),
    }


def caution(result: PooledEffect, tables: Tables | None) -> Caution:
    """The ``caution`` code of a pooled row fitted to ``tables`` (its masks over their studies).

    :attr:`Caution.WALD_ZERO_ARM` when the row has an interval, the registry says the interval
    is a Wald (normal-approximation) interval (:class:`~raremeta.stats.registry.IntervalKind`;
    HKSJ rows are its t variant) and every study the row used has an arm without events;
    :attr:`Caution.NONE` otherwise.

    Raises
    ------
    ValueError
        When the row's study mask does not match ``tables``.
    """
    if tables is None or result.status != Status.ESTIMATED:
        return Caution.NONE
    if math.isnan(result.ci_low) or math.isnan(result.ci_high):
        return Caution.NONE
    if registry.method(result.method).interval != IntervalKind.WALD:
        return Caution.NONE
    used = np.asarray(result.used, dtype=bool)
    if len(used) != tables.k:
        raise ValueError(
            f"{result.spec.key}: {len(used)} studies in the row's mask, {tables.k} in its tables"
        )
    zero_arm = (np.asarray(tables.ai) == 0) | (np.asarray(tables.ci) == 0)
    return Caution.WALD_ZERO_ARM if used.any() and zero_arm[used].all() else Caution.NONE


def _with_double_zero(result: PooledEffect) -> bool:
    """True for the methods whose likelihood or weights include double-zero studies."""
    return result.measure in registry.method(result.method).double_zero_measures


def pooled_columns() -> list[str]:
    """:data:`POOLED_COLUMNS`, then the result columns the registered methods declare."""
    extra = [c for m in registry.METHODS.values() for c in m.extra_columns]
    return POOLED_COLUMNS + list(dict.fromkeys(c for c in extra if c not in POOLED_COLUMNS))


def study_columns() -> list[str]:
    """:data:`STUDY_COLUMNS` with the weight columns of every registered method."""
    i = STUDY_COLUMNS.index("note")
    weights = [c for c in registry.weight_columns().values() if c not in STUDY_COLUMNS]
    return STUDY_COLUMNS[:i] + weights + STUDY_COLUMNS[i:]


def pooled_effects(data: OutcomeData, fits: OutcomeFits, primary: Primary) -> pd.DataFrame:
    """One row per method of the primary set, columns :data:`POOLED_COLUMNS`; ``primary`` marks
    the row ``primary.spec`` and every row carries the code of the rule that chose it.
    """
    rows = []
    excluded = wording.excluded_note(data.excluded)
    t = data.tables
    for result in fits.primary_set:
        row = _effect_row(result)
        if t is None:
            totals = (math.nan,) * 4
            ids = ""
        else:
            # events and patients of the studies a method of this measure can use
            used = np.ones(t.k, dtype=bool) if _with_double_zero(result) else ~t.double_zero
            totals = (t.ai[used].sum(), t.n1i[used].sum(), t.ci[used].sum(), t.n2i[used].sum())
            ids = ";".join(np.asarray(t.labels)[np.asarray(result.used, dtype=bool)])
        note = "; ".join(x for x in (wording.pooled_note(result), excluded) if x)
        row.update(
            outcome=data.outcome,
            primary=result.spec == primary.spec,
            primary_rule=primary.rule,
            k_excluded=result.k_excluded + len(data.excluded),
            events_cni=totals[0],
            n_cni=totals[1],
            events_comparator=totals[2],
            n_comparator=totals[3],
            tau2=result.tau2,
            tau2_ci_low=result.tau2_ci_low,
            tau2_ci_high=result.tau2_ci_high,
            i2=result.i2,
            q=result.q,
            q_df=result.q_df,
            q_p=result.q_p,
            pi_low=result.pi_low,
            pi_high=result.pi_high,
            pi_method=wording.pi_method_text(result),
            note=note,
            studies=ids,
            caution=caution(result, t),
            **dict(result.extra),
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=pooled_columns())


def _rate_row(outcome: str, role: Role, rate: PooledRate, subset: RateSubset) -> dict:
    return {
        "outcome": outcome,
        "role": role,
        "method": rate.method,
        "k": rate.k,
        "events": rate.events,
        "n": rate.n,
        "estimate": rate.estimate,
        "ci_low": rate.ci_low,
        "ci_high": rate.ci_high,
        "tau2": rate.tau2,
        "note": wording.rate_note(rate),
        "status": rate.status,
        "reason": rate.reason,
        "subset": subset,
    }


def _comparison_arms(data: OutcomeData, role: Role) -> tuple[list[float], list[float]]:
    """Events and patients of the ``role`` arms of the trials in the comparison."""
    t = data.tables
    if t is None:
        return [], []
    events, n = (t.ai, t.n1i) if role == Role.CNI else (t.ci, t.n2i)
    return list(np.asarray(events, dtype=float)), list(np.asarray(n, dtype=float))


def pooled_rates(data: OutcomeData) -> pd.DataFrame:
    """Crude and GLMM incidence per role, columns :data:`RATE_COLUMNS`: first over every arm of
    the role that reported the outcome (``subset`` all_arms), then over the arms of the trials
    in the comparison (``subset`` comparison; not estimable, ``no_comparable_study``, when no
    trial is comparable).
    """
    rows = []
    for role in ROLES:
        events, n = data.arms(role)
        for rate in (crude_rate(events, n), glmm_rate(events, n)):
            rows.append(_rate_row(data.outcome, role, rate, RateSubset.ALL_ARMS))
    for role in ROLES:
        events, n = _comparison_arms(data, role)
        if not events:
            rates = [
                PooledRate.missing(method, Reason.NO_COMPARABLE_STUDY, 0, 0, 0)
                for method in (RateMethod.CRUDE, RateMethod.GLMM)
            ]
        else:
            rates = [crude_rate(events, n), glmm_rate(events, n)]
        for rate in rates:
            rows.append(_rate_row(data.outcome, role, rate, RateSubset.COMPARISON))
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def _risk(events: float, n: float) -> tuple[float, float, float]:
    """An arm's incidence with its Clopper-Pearson interval (rounded counts if split)."""
    if not (math.isfinite(events) and math.isfinite(n)):
        return (math.nan,) * 3
    rate = crude_rate([events], [n])
    return rate.estimate, rate.ci_low, rate.ci_high


def study_effects_frame(data: OutcomeData, fits: OutcomeFits) -> pd.DataFrame:
    """Per-study counts, incidence per arm, OR/RR/RD with 95% CI and corrections, and weights
    (%) per method, taken from the fitted results. Studies that cannot enter the comparison
    are listed too, with ``included`` false and the reason.
    """
    rows: list[dict] = []
    t = data.tables
    if t is not None:
        columns = registry.weight_columns()
        # a model that gave no estimate has no weights (empty, not the 100% of a lone study)
        weights = {
            columns[r.spec.key]: r.weights
            for r in fits.primary_set
            if r.spec.key in columns and r.status == Status.ESTIMATED
        }
        effects = {m: study_effects(t, m) for m in ("OR", "RR", "RD")}
        intervals = {m: wald(e.yi, np.sqrt(e.vi), log_scale=m != "RD") for m, e in effects.items()}
        corrected = effects["RD"].corrected
        for i, study in enumerate(t.labels):
            row = {
                "outcome": data.outcome,
                "study": study,
                "label": data.labels[study],
                "included": True,
                "double_zero": bool(t.double_zero[i]),
                "zero_cell_corrected": bool(corrected[i]),
                "correction": wording.study_correction_text(t.double_zero[i], corrected[i]),
                "reason": Reason.NONE,
                "note": "",
            }
            for m, ci in intervals.items():
                row[m.lower()] = ci["estimate"][i]
                row[f"{m.lower()}_ci_low"] = ci["ci_low"][i]
                row[f"{m.lower()}_ci_high"] = ci["ci_high"][i]
            for column, values in weights.items():
                row[column] = values[i]
            for prefix, single in fits.single_study:
                row[prefix] = single.estimate[i]
                row[f"{prefix}_ci_low"] = single.ci_low[i]
                row[f"{prefix}_ci_high"] = single.ci_high[i]
            rows.append(row)
    for study, why in data.excluded.items():
        rows.append(
            {
                "outcome": data.outcome,
                "study": study,
                "label": data.labels.get(study, study),
                "included": False,
                "reason": why,
                "note": wording.reason_text(why),
            }
        )
    for row in rows:
        counts = data.counts[row["study"]]
        row["follow_up_weeks"] = data.follow_up_weeks[row["study"]]
        for role in ROLES:
            kinds = data.source_kinds[row["study"]][role]
            row[f"source_kinds_{role}"] = source_kinds_code(kinds)
            row[f"population_{role}"] = data.populations.get(row["study"], {}).get(role, "")
            row[f"drug_{role}"] = data.drugs.get(row["study"], {}).get(role, "")
            arms = data.randomised_arms.get(row["study"], {}).get(role, math.nan)
            row[f"randomised_arms_{role}"] = arms
            events, n = counts[role]
            row[f"events_{role}"], row[f"n_{role}"] = events, n
            risk = _risk(events, n)
            row[f"risk_{role}"], row[f"risk_{role}_ci_low"], row[f"risk_{role}_ci_high"] = risk
    return pd.DataFrame(rows, columns=study_columns())


def _sens_row(
    outcome: str,
    code: AnalysisCode | str,
    variant: str,
    result: PooledEffect,
    context: wording.Context = wording.Context.NONE,
    tables: Tables | None = None,
) -> dict:
    row = _effect_row(result)
    row["caution"] = caution(result, tables)
    note = wording.pooled_note(result, context)
    row.update(
        outcome=outcome,
        analysis=wording.ANALYSIS_LABELS[code],
        variant=variant,
        note=note,
        analysis_code=code,
    )
    return row


def sensitivity(
    data: OutcomeData,
    fits: OutcomeFits,
    primary: MethodSpec,
    alternative_label: str = "",
    alternative: OutcomeData | None = None,
) -> pd.DataFrame:
    """Labelled variants that are not the primary set, columns :data:`SENSITIVITY_COLUMNS`.

    HKSJ intervals for every random-effects row; RevMan-style MH with 0.5 inside the sums;
    continuity corrections 0.5, 0.01 and treatment-arm (Sweeting 2004) for the OR by IV and MH;
    leave-one-out of the primary method; the primary method on the studies whose counts come
    from primary sources only, and from primary or registry sources (``fits.subsets``); the
    Firth OR without double-zero studies; and the other multi-arm handling (``alternative``: its
    data, for the row's ``caution``).
    """
    out = data.outcome
    t = data.tables
    rows: list[dict] = []
    if data.tables is None:
        empty = PooledEffect.missing(primary, Reason.NO_COMPARABLE_STUDY)
        rows.append(_sens_row(out, AnalysisCode.NO_COMPARABLE_STUDY, "no comparable study", empty))
    else:
        variant: Variant
        for variant, result in fits.variants:
            rows.append(_sens_row(out, variant.code, variant.variant, result, tables=t))
        loo = AnalysisCode.LEAVE_ONE_OUT
        for study, result in fits.leave_one_out:
            kept = t.subset(np.asarray(t.labels) != study)
            rows.append(_sens_row(out, loo, f"without {study}", result, tables=kept))
        if not fits.leave_one_out:
            result = PooledEffect.missing(primary, Reason.SINGLE_STUDY)
            rows.append(_sens_row(out, loo, "k = 1", result, wording.Context.LEAVE_ONE_OUT))
        for code, result, left_out in fits.subsets:
            mask = data.from_sources(SOURCE_SUBSETS[code]) if code in SOURCE_SUBSETS else None
            subset = t.subset(mask) if mask is not None and mask.any() else None
            row = _sens_row(out, code, wording.SUBSET_LABELS[code][0], result, tables=subset)
            if result.status == Status.ESTIMATED:
                row["note"] = "; ".join(
                    x for x in (row["note"], wording.subset_note(left_out)) if x
                )
            rows.append(row)
    if fits.firth_without_double_zero is not None:
        result = fits.firth_without_double_zero
        label = "Firth without double-zero studies"
        row = _sens_row(out, AnalysisCode.FIRTH_WITHOUT_DOUBLE_ZERO, label, result, tables=t)
        if result.k_excluded == 0 and result.status == Status.ESTIMATED:
            row["note"] = "; ".join(
                x for x in (row["note"], "no double-zero study to leave out: as the Firth row") if x
            )
        rows.append(row)
    if alternative_label:
        result = fits.alternative or PooledEffect.missing(primary, Reason.NO_MULTI_ARM_STUDY)
        alt_tables = alternative.tables if alternative is not None else None
        if fits.alternative is None:
            alt_tables = None
        code = AnalysisCode.MULTI_ARM
        rows.append(_sens_row(out, code, alternative_label, result, tables=alt_tables))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def absolute_effects(data: OutcomeData, fits: OutcomeFits, primary: Primary) -> pd.DataFrame:
    """Each role's risk per 1,000 over the studies in the comparison (summed events over summed
    patients, Clopper-Pearson interval) and the risk difference per 1,000 of the ``MN`` row (MH
    estimate, Miettinen-Nurminen interval); one row, columns :data:`ABSOLUTE_COLUMNS`.
    """
    t = data.tables
    mn = next((r for r in fits.primary_set if r.spec.key == MN_RD.key), None)
    row: dict = {"outcome": data.outcome, "primary_rule": primary.rule, "k": 0}
    if t is None:
        row.update(status=Status.NOT_ESTIMABLE, reason=Reason.NO_COMPARABLE_STUDY)
        row["note"] = wording.reason_text(Reason.NO_COMPARABLE_STUDY)
        return pd.DataFrame([row], columns=ABSOLUTE_COLUMNS)
    row.update(k=t.k, studies=";".join(t.labels), risk_ci_method="Clopper-Pearson (summed counts)")
    notes = []
    for role, events, n in (("cni", t.ai, t.n1i), ("comparator", t.ci, t.n2i)):
        rate = crude_rate(events, n)
        row[f"events_{role}"], row[f"n_{role}"] = rate.events, rate.n
        row[f"risk_{role}_per_1000"] = 1000 * rate.estimate
        row[f"risk_{role}_ci_low_per_1000"] = 1000 * rate.ci_low
        row[f"risk_{role}_ci_high_per_1000"] = 1000 * rate.ci_high
        if rate.rounded:
            notes.append(f"{role}: {wording.rate_note(rate)}")
    if mn is None:
        why = Reason.METHOD_NOT_CONFIGURED
        row.update(status=status_of(why), reason=why)
        row["note"] = "; ".join([*notes, wording.reason_text(why)])
        return pd.DataFrame([row], columns=ABSOLUTE_COLUMNS)
    row.update(
        rd_per_1000=1000 * mn.estimate,
        rd_ci_low_per_1000=1000 * mn.ci_low,
        rd_ci_high_per_1000=1000 * mn.ci_high,
        rd_ci_method=wording.ci_method_text(mn),
        status=mn.status,
        reason=mn.reason,
        note="; ".join(x for x in [*notes, wording.pooled_note(mn)] if x),
    )
    return pd.DataFrame([row], columns=ABSOLUTE_COLUMNS)


__all__ = [
    "ABSOLUTE_COLUMNS",
    "POOLED_COLUMNS",
    "RATE_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "STUDY_COLUMNS",
    "absolute_effects",
    "pooled_columns",
    "pooled_effects",
    "pooled_rates",
    "sensitivity",
    "study_columns",
    "study_effects_frame",
]


def cumulative(
    data: OutcomeData,
    steps: tuple[tuple[str, PooledEffect], ...],
    primary: MethodSpec,
    years: dict[str, int | None],
) -> pd.DataFrame:
    """The cumulative meta-analysis of one outcome (``steps``:
    :func:`raremeta.analysis.fitting.cumulative_fits`), columns :data:`CUMULATIVE_COLUMNS`:
    step i is the primary method on the first i studies; ``year`` is that of the study added
    (empty when not stated). With no comparable study, one not-applicable row with no step.
    """
    rows = []
    if not steps:
        result = PooledEffect.missing(primary, Reason.NO_COMPARABLE_STUDY)
        steps_rows = [(None, "", None, result)]
    else:
        steps_rows = [
            (i + 1, study, years.get(study), result) for i, (study, result) in enumerate(steps)
        ]
    for step, study, year, result in steps_rows:
        row = {k: v for k, v in _effect_row(result).items() if k in CUMULATIVE_COLUMNS}
        row.update(
            outcome=data.outcome,
            step=step,
            study_added=study,
            year=year,
            note=wording.pooled_note(result, wording.Context.NONE),
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=CUMULATIVE_COLUMNS)
    return frame.astype({"step": "Int64", "year": "Int64"})


def posterior_probabilities(data: OutcomeData, fits: OutcomeFits) -> pd.DataFrame:
    """The Bayesian model's posterior probabilities that the odds ratio exceeds each
    configured threshold, under the main prior (``default``) and each sensitivity prior, one
    row per prior and threshold (columns :data:`POSTERIOR_COLUMNS`); no rows when the method is
    not configured.
    """
    results = [r for r in fits.primary_set if r.method == registry.BAYESIAN]
    results += [r for v, r in fits.variants if v.code == AnalysisCode.PRIOR_SENSITIVITY]
    rows = []
    for result in results:
        options = result.spec.bayes or BayesOptions()
        extra = dict(result.extra)
        for threshold in options.thresholds:
            rows.append(
                {
                    "outcome": data.outcome,
                    "prior": options.prior.name,
                    "threshold": threshold,
                    "probability": extra.get(probability_key(threshold), math.nan),
                    "prior_probability": prior_probability(options.prior, threshold),
                    "k": result.k,
                    "status": result.status,
                    "reason": result.reason,
                    "prior_description": describe(options.prior),
                    "theta_mean": options.prior.theta.mean,
                    "theta_sd": options.prior.theta.sd,
                    "mu_mean": options.prior.mu.mean,
                    "mu_sd": options.prior.mu.sd,
                    "tau_prior": options.prior.tau.family,
                    "tau_scale": options.prior.tau.scale,
                }
            )
    return pd.DataFrame(rows, columns=POSTERIOR_COLUMNS)
