"""Subgroup analyses of one outcome (``subgroups.csv``): the outcome's primary method fitted
within each subgroup of each configured variable, and Cochran's Q between the subgroups.

Subgroups of trials are observational comparisons (Cochrane Handbook 10.11.2): the rows say
so, and a variable with one subgroup, a one-trial subgroup or a subgroup without an estimate
says so in ``status`` / ``reason``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from raremeta.analysis import wording
from raremeta.analysis.fitting import subset_fits
from raremeta.analysis.outcome_data import OutcomeData
from raremeta.io.analysis_config import AnalysisConfig
from raremeta.io.raw_studies import Role
from raremeta.stats import registry
from raremeta.stats.registry import IntervalKind
from raremeta.stats.results import MethodSpec, PooledEffect, Reason, Status, status_of
from raremeta.stats.subgroup_test import BetweenTest, q_between, se_from_interval

#: The columns of ``subgroups.csv`` (issue 21 item 2; ``note`` and ``studies`` appended).
SUBGROUP_COLUMNS = [
    "outcome",
    "subgroup_variable",
    "subgroup",
    "k",
    "events_cni",
    "n_cni",
    "events_comparator",
    "n_comparator",
    "measure",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "status",
    "reason",
    "q_between",
    "q_df",
    "p_between",
    "note",
    "studies",
]

#: The built-in subgroup variables: the drugs of each role's arms, through ``drug_vocabulary``.
DRUG_VARIABLES: dict[str, Role] = {"cni_drug": Role.CNI, "comparator_drug": Role.COMPARATOR}
#: The subgroup of the trials without a value of a study-level variable.
NOT_CLASSIFIED = "not_classified"


@dataclass(frozen=True)
class Classification:
    """Each comparison's subgroup of one variable.

    Attributes
    ----------
    subgroup : dict
        Comparison id -> its subgroup (:data:`NOT_CLASSIFIED` when the study gives no value).
    unmapped : dict
        Comparison id -> its drugs that ``drug_vocabulary`` does not map (built-in variables).
    """

    subgroup: dict[str, str]
    unmapped: dict[str, tuple[str, ...]]


def classify(
    variable: str,
    comparisons: list[str],
    data: OutcomeData,
    config: AnalysisConfig,
    study_of: Mapping[str, str],
    study_subgroups: Mapping[str, Mapping[str, str]],
) -> Classification:
    """The subgroup of each of ``comparisons`` for ``variable``.

    ``cni_drug`` / ``comparator_drug``: the distinct vocabulary terms
    (:meth:`AnalysisConfig.drug_term`) of the role's drugs (harmonised ``drug``, ``;``-separated
    for combined arms), alphabetical, joined by ``" + "``; an unmapped drug keeps its
    normalised text and is listed in ``unmapped``. Any other variable: the study's value in
    ``study_subgroups`` (study id -> its ``study.yaml`` ``subgroups:``), else
    :data:`NOT_CLASSIFIED`.
    """
    subgroup, unmapped = {}, {}
    for comparison in comparisons:
        if variable in DRUG_VARIABLES:
            drugs = [d for d in data.drugs[comparison][DRUG_VARIABLES[variable]].split(";") if d]
            mapped = [config.drug_term(d) for d in drugs]
            terms = sorted({term for term, _ in mapped})
            subgroup[comparison] = " + ".join(terms) if terms else NOT_CLASSIFIED
            missing = tuple(term for term, known in mapped if not known)
            if missing:
                unmapped[comparison] = missing
        else:
            values = study_subgroups.get(study_of.get(comparison, comparison), {})
            subgroup[comparison] = values.get(variable, NOT_CLASSIFIED)
    return Classification(subgroup, unmapped)


def between_standard_error(result: PooledEffect) -> float:
    """The standard error of a subgroup estimate on the analysis scale for Q between subgroups:
    the fit's own (Wald) standard error, else the one behind its symmetric Wald interval
    (:func:`~raremeta.stats.subgroup_test.se_from_interval`); NaN when the method's interval
    is not a Wald interval (:class:`~raremeta.stats.registry.IntervalKind`: the Firth profile
    penalised-likelihood interval is asymmetric and its estimate's sampling distribution skewed
    with rare events, Heinze and Schemper 2002; score and exact intervals have no standard
    error) or the subgroup has no estimate.
    """
    if registry.method(result.method).interval != IntervalKind.WALD:
        return math.nan
    if result.status != Status.ESTIMATED or not result.estimable:
        return math.nan
    if math.isfinite(result.se) and result.se > 0:
        return result.se
    return se_from_interval(result.ci_low, result.ci_high, result.spec.log_scale)


def _scale(result: PooledEffect) -> float:
    """The estimate on the analysis scale (log for ratios)."""
    if not result.spec.log_scale:
        return result.estimate
    return math.log(result.estimate) if result.estimate > 0 else math.nan


def _counts(data: OutcomeData, mask: np.ndarray) -> dict[str, float]:
    t = data.tables
    return {
        "events_cni": float(t.ai[mask].sum()),
        "n_cni": float(t.n1i[mask].sum()),
        "events_comparator": float(t.ci[mask].sum()),
        "n_comparator": float(t.n2i[mask].sum()),
    }


def _line(outcome: str, variable: str, spec: MethodSpec, reason: Reason, note: str) -> dict:
    return {
        "outcome": outcome,
        "subgroup_variable": variable,
        "subgroup": "",
        "k": 0,
        "measure": spec.measure,
        "method": spec.method,
        "status": status_of(reason),
        "reason": reason,
        "note": note,
        "studies": "",
    }


def variable_rows(
    data: OutcomeData,
    primary: MethodSpec,
    variable: str,
    classification: Classification,
) -> list[dict]:
    """The rows of one outcome and subgroup variable: one per subgroup (alphabetical), then
    the trials not classified (if any), then the test row (``subgroup`` empty).

    Each subgroup is fitted with ``primary`` (the outcome's primary method, chosen on all its
    trials) by :func:`~raremeta.analysis.fitting.subset_fits`, all subgroups in one engine call.
    The test row has Cochran's Q between the subgroups with an estimate and a Wald standard
    error (:func:`between_standard_error`), df = those subgroups - 1.
    """
    t = data.tables
    labels = list(t.labels)
    groups = sorted({g for g in classification.subgroup.values() if g != NOT_CLASSIFIED})
    masks = [np.array([classification.subgroup[c] == g for c in labels]) for g in groups]
    fits = subset_fits(t, primary, masks)
    rows, tested, left_out = [], [], []
    for group, mask, result in zip(groups, masks, fits, strict=True):
        k = int(mask.sum())
        reason = result.reason
        if k == 1 and reason == Reason.NONE:
            reason = Reason.ONE_TRIAL_SUBGROUP
        studies = [c for c, m in zip(labels, mask, strict=True) if m]
        unmapped = sorted({d for c in studies for d in classification.unmapped.get(c, ())})
        notes = [wording.pooled_note(result)]
        if reason == Reason.ONE_TRIAL_SUBGROUP:
            notes.append(wording.reason_text(reason))
        if unmapped:
            notes.append(wording.unmapped_drugs_note(unmapped))
        rows.append(
            {
                "outcome": data.outcome,
                "subgroup_variable": variable,
                "subgroup": group,
                "k": k,
                **_counts(data, mask),
                "measure": result.measure,
                "method": result.method,
                "estimate": result.estimate,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "p_value": result.p_value,
                "status": status_of(reason),
                "reason": reason,
                "note": "; ".join(n for n in notes if n),
                "studies": ";".join(studies),
            }
        )
        se = between_standard_error(result)
        y = _scale(result)
        if math.isfinite(se) and math.isfinite(y):
            tested.append((y, se))
        else:
            left_out.append(group)
    unclassified = np.array([classification.subgroup[c] == NOT_CLASSIFIED for c in labels])
    if unclassified.any():
        rows.append(
            {
                **_line(
                    data.outcome,
                    variable,
                    primary,
                    Reason.NOT_CLASSIFIED,
                    wording.reason_text(Reason.NOT_CLASSIFIED),
                ),
                "subgroup": NOT_CLASSIFIED,
                "k": int(unclassified.sum()),
                **_counts(data, unclassified),
                "studies": ";".join(c for c, m in zip(labels, unclassified, strict=True) if m),
            }
        )
    classified = ~unclassified
    if len(groups) < 2:
        reason = Reason.ONE_SUBGROUP
    elif registry.method(primary.method).interval != IntervalKind.WALD:
        reason = Reason.NO_WALD_STANDARD_ERROR
    elif len(tested) < 2:
        reason = Reason.FEWER_THAN_TWO_ESTIMABLE_SUBGROUPS
    else:
        reason = Reason.NONE
    test: BetweenTest | None = None
    notes = [wording.reason_text(reason)] if reason != Reason.NONE else []
    if reason == Reason.NONE:
        test = q_between([y for y, _ in tested], [se for _, se in tested])
        notes.append(wording.subgroup_test_note(test.df, left_out))
    notes.append(wording.SUBGROUP_OBSERVATIONAL_NOTE)
    rows.append(
        {
            **_line(data.outcome, variable, primary, reason, "; ".join(notes)),
            "k": int(classified.sum()),
            **_counts(data, classified),
            "q_between": test.q if test else math.nan,
            "q_df": test.df if test else None,
            "p_between": test.p_value if test else math.nan,
            "studies": ";".join(c for c, m in zip(labels, classified, strict=True) if m),
        }
    )
    return rows


def subgroup_table(
    data: OutcomeData,
    primary: MethodSpec,
    config: AnalysisConfig,
    study_of: Mapping[str, str] | None = None,
    study_subgroups: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """``subgroups.csv`` rows of one outcome, columns :data:`SUBGROUP_COLUMNS`: for each
    variable of ``config.subgroups`` (in order) the rows of :func:`variable_rows`.

    ``study_of`` maps comparison ids to study ids (default: the same), ``study_subgroups``
    study ids to their ``study.yaml`` ``subgroups:``. One line per outcome when no variable
    is configured (:attr:`Reason.NO_SUBGROUP_VARIABLE`), one per variable when the outcome has
    no comparable trial (:attr:`Reason.NO_COMPARABLE_STUDY`).
    """
    study_of = dict(study_of or {})
    study_subgroups = dict(study_subgroups or {})
    rows: list[dict] = []
    if not config.subgroups:
        reason = Reason.NO_SUBGROUP_VARIABLE
        rows.append(_line(data.outcome, "", primary, reason, wording.reason_text(reason)))
    for variable in config.subgroups:
        if data.tables is None:
            reason = Reason.NO_COMPARABLE_STUDY
            rows.append(_line(data.outcome, variable, primary, reason, wording.reason_text(reason)))
            continue
        classification = classify(
            variable, list(data.tables.labels), data, config, study_of, study_subgroups
        )
        rows += variable_rows(data, primary, variable, classification)
    frame = pd.DataFrame(rows, columns=SUBGROUP_COLUMNS)
    return frame.astype({"k": "Int64", "q_df": "Int64"})
