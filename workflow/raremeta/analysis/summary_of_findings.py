"""The summary-of-findings table: GRADE's one row per outcome (Cochrane Handbook ch. 14), one
row per source of the assumed comparator risk.

For each outcome: participants and trials of the primary estimate; the relative effect with its
interval; absolute effects per 1,000 at an assumed comparator risk (an external baseline risk
from config.yaml where one is given, the trials' own comparator rate, and the risk difference
pooled directly), one of them the headline; the computed imprecision rating and the reviewer's
judgements of the other four domains (``data/certainty.yaml``); the overall certainty when
every domain is rated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from raremeta.analysis.table_keys import AssumedRisk, RateSubset
from raremeta.io.analysis_config import AnalysisConfig, ImprecisionSettings
from raremeta.io.certainty_file import CertaintyJudgements, Domain
from raremeta.io.results_reading import cell_float, cell_text, is_true
from raremeta.stats.certainty import (
    Certainty,
    Imprecision,
    ImprecisionBasis,
    ImprecisionRules,
    Rating,
    absolute_effect,
    overall_certainty,
    rate_imprecision,
)
from raremeta.stats.registry import IV, RANDOM
from raremeta.stats.results import Reason, Status

PER = 1000.0
RATIO_MEASURES = ("OR", "RR")
#: Fewest trials for which heterogeneity statistics can suggest an inconsistency rating.
MIN_TRIALS_FOR_INCONSISTENCY = 3
#: I² (%) from which a suggestion reads "serious" (Cochrane Handbook 10.10.2: 50-90% may
#: represent substantial heterogeneity).
I2_SUBSTANTIAL = 50.0


SOF_COLUMNS = [
    "outcome",
    "label",
    "trials",
    "participants",
    "events",
    "events_cni",
    "n_cni",
    "events_comparator",
    "n_comparator",
    "measure",
    "method",
    "model",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "absolute_source",
    "headline",
    "assumed_risk_per_1000",
    "corresponding_risk_per_1000",
    "corresponding_risk_ci_low_per_1000",
    "corresponding_risk_ci_high_per_1000",
    "difference_per_1000",
    "difference_ci_low_per_1000",
    "difference_ci_high_per_1000",
    "absolute_status",
    "absolute_reason",
    "baseline_source",
    "baseline_quote",
    "imprecision",
    "imprecision_levels",
    "imprecision_reason",
    "imprecision_basis",
    "harm_threshold_per_1000",
    "benefit_threshold_per_1000",
    "optimal_information_size",
    "information_size_met",
    "risk_of_bias",
    "risk_of_bias_reason",
    "inconsistency",
    "inconsistency_reason",
    "inconsistency_suggested",
    "inconsistency_suggestion_basis",
    "indirectness",
    "indirectness_reason",
    "publication_bias",
    "publication_bias_reason",
    "certainty",
    "certainty_levels_down",
    "not_assessed",
    "judgements_file",
    "assessed_by",
    "assessed_on",
    "example_judgements",
    "information_size_risk_per_1000",
]


@dataclass(frozen=True)
class AbsoluteRow:
    """One source of the assumed comparator risk and the absolute effect it gives (per 1,000;
    NaN where not estimable).
    """

    source: AssumedRisk
    assumed: float
    risk: float = math.nan
    risk_low: float = math.nan
    risk_high: float = math.nan
    difference: float = math.nan
    difference_low: float = math.nan
    difference_high: float = math.nan
    status: Status = Status.ESTIMATED
    reason: Reason = Reason.NONE

    @property
    def estimated(self) -> bool:
        """Whether the row has an absolute effect."""
        return self.status is Status.ESTIMATED


def imprecision_rules(settings: ImprecisionSettings | None) -> ImprecisionRules:
    """The stats layer's rules from config.yaml's ``imprecision:`` (thresholds per 1,000 to
    proportions).
    """
    if settings is None:
        return ImprecisionRules()
    per = 1.0 / PER
    return ImprecisionRules(
        harm=None if settings.harm_per_1000 is None else settings.harm_per_1000 * per,
        benefit=None if settings.benefit_per_1000 is None else settings.benefit_per_1000 * per,
        relative_change=settings.relative_change,
        alpha=settings.alpha,
        power=settings.power,
        very_few_events=settings.very_few_events,
        large_effect=settings.large_effect,
    )


def _from_relative(source: AssumedRisk, primary: pd.Series, assumed: float) -> AbsoluteRow:
    """The absolute effect of the primary relative effect at ``assumed`` (a proportion)."""
    if cell_text(primary["status"]) != Status.ESTIMATED:
        return AbsoluteRow(
            source, assumed * PER, status=Status.NOT_ESTIMABLE, reason=Reason(primary["reason"])
        )
    if assumed == 0.0 and primary["measure"] in RATIO_MEASURES:
        # a ratio of a zero risk is zero whatever the ratio: no absolute effect to show
        return AbsoluteRow(
            source, 0.0, status=Status.NOT_ESTIMABLE, reason=Reason.NO_COMPARATOR_EVENTS
        )
    e = absolute_effect(
        primary["measure"],
        cell_float(primary["estimate"]),
        cell_float(primary["ci_low"]),
        cell_float(primary["ci_high"]),
        assumed,
    )
    return AbsoluteRow(
        source,
        e.assumed * PER,
        e.risk * PER,
        e.risk_low * PER,
        e.risk_high * PER,
        e.difference * PER,
        e.difference_low * PER,
        e.difference_high * PER,
    )


def _trials_row(primary: pd.Series, rates: pd.DataFrame) -> AbsoluteRow:
    """The absolute effect at the trials' own comparator rate: the GLMM rate over the trials in
    the comparison, else the crude one; none with no comparator events.
    """
    mine = rates[
        (rates["role"] == "comparator") & (rates["subset"].map(cell_text) == RateSubset.COMPARISON)
    ]
    by_method = {m: r for m, r in zip(mine["method"], (r for _, r in mine.iterrows()), strict=True)}
    glmm, crude = by_method.get("GLMM"), by_method.get("crude")
    if crude is None or cell_text(crude["status"]) != Status.ESTIMATED:
        reason = Reason.NO_COMPARABLE_STUDY if crude is None else Reason(crude["reason"])
        return AbsoluteRow(
            AssumedRisk.TRIALS_GLMM, math.nan, status=Status.NOT_ESTIMABLE, reason=reason
        )
    if cell_float(crude["events"]) == 0.0:
        return AbsoluteRow(
            AssumedRisk.TRIALS_CRUDE,
            0.0,
            status=Status.NOT_ESTIMABLE,
            reason=Reason.NO_COMPARATOR_EVENTS,
        )
    if glmm is not None and cell_text(glmm["status"]) == Status.ESTIMATED:
        return _from_relative(AssumedRisk.TRIALS_GLMM, primary, cell_float(glmm["estimate"]))
    return _from_relative(AssumedRisk.TRIALS_CRUDE, primary, cell_float(crude["estimate"]))


def _pooled_rd_row(absolute: pd.Series | None) -> AbsoluteRow:
    """The risk difference pooled directly (``absolute_effects.csv``), per 1,000."""
    if absolute is None or not math.isfinite(cell_float(absolute.get("rd_per_1000"))):
        reason = (
            Reason.NO_COMPARABLE_STUDY
            if absolute is None or not cell_text(absolute.get("reason"))
            else Reason(absolute["reason"])
        )
        return AbsoluteRow(
            AssumedRisk.POOLED_RD, math.nan, status=Status.NOT_ESTIMABLE, reason=reason
        )
    return AbsoluteRow(
        AssumedRisk.POOLED_RD,
        cell_float(absolute["risk_comparator_per_1000"]),
        difference=cell_float(absolute["rd_per_1000"]),
        difference_low=cell_float(absolute["rd_ci_low_per_1000"]),
        difference_high=cell_float(absolute["rd_ci_high_per_1000"]),
    )


def _inconsistency_suggestion(pooled: pd.DataFrame, primary: pd.Series) -> tuple[str, str]:
    """A suggested inconsistency rating from I² and the prediction interval (REML random
    effects of the primary measure) where there are at least three trials; never a decision.
    """
    k = cell_float(primary["k"])
    if not k >= MIN_TRIALS_FOR_INCONSISTENCY:
        return "", f"not suggested: fewer than {MIN_TRIALS_FOR_INCONSISTENCY} trials"
    row = pooled[
        (pooled["measure"] == primary["measure"])
        & (pooled["method"] == IV)
        & (pooled["model"] == RANDOM)
        & (pooled["tau2_estimator"].map(cell_text) == "REML")
    ]
    if row.empty or cell_text(row.iloc[0]["status"]) != Status.ESTIMATED:
        return "", "not suggested: no random-effects (REML) estimate of the primary measure"
    r = row.iloc[0]
    i2, lo, hi = cell_float(r["i2"]), cell_float(r["pi_low"]), cell_float(r["pi_high"])
    null = 0.0 if primary["measure"] == "RD" else 1.0
    ci_excludes = not (cell_float(r["ci_low"]) <= null <= cell_float(r["ci_high"]))
    pi_includes = lo <= null <= hi
    serious = i2 >= I2_SUBSTANTIAL or (ci_excludes and pi_includes)
    basis = (
        f"I² = {i2:.0f}%; 95% prediction interval {lo:.3g} to {hi:.3g} "
        f"({'includes' if pi_includes else 'excludes'} no effect)"
    )
    return (Rating.SERIOUS if serious else Rating.NOT_SERIOUS).value, basis


def _certainty(
    imprecision: Imprecision, judged: dict[Domain, str]
) -> tuple[Certainty, int | None, list[str]]:
    """The overall certainty, levels down, and the domains not assessed."""
    missing = [d.value for d in Domain if d not in judged]
    if imprecision.rating is None:
        missing.append("imprecision")
    if missing:
        return Certainty.NOT_STATED, None, missing
    down = imprecision.rating.levels + sum(Rating(r).levels for r in judged.values())
    return overall_certainty(down), down, []


def _outcome_rows(
    outcome: str,
    label: str,
    pooled: pd.DataFrame,
    rates: pd.DataFrame,
    absolute: pd.Series | None,
    baseline,
    rules: ImprecisionRules,
    judgements: CertaintyJudgements,
) -> list[dict]:
    p = pooled[pooled["outcome"] == outcome].fillna({"tau2_estimator": ""})
    primary = p[p["primary"].map(is_true)].iloc[0]
    rows: list[AbsoluteRow] = []
    if baseline is not None:
        rows.append(_from_relative(AssumedRisk.EXTERNAL, primary, baseline.value))
    rows.append(_trials_row(primary, rates[rates["outcome"] == outcome]))
    rows.append(_pooled_rd_row(absolute))
    headline = next((r for r in rows if r.estimated), None)
    events = cell_float(primary["events_cni"]) + cell_float(primary["events_comparator"])
    participants = cell_float(primary["n_cni"]) + cell_float(primary["n_comparator"])
    ratio = primary["measure"] in RATIO_MEASURES and cell_text(primary["status"]) == "estimated"
    assumed = None if headline is None else headline.assumed / PER
    # the information size needs a control risk above 0: where the assumed one is 0, the crude
    # risk over both arms (GRADE 6 leaves the control risk to the reviewer; stated in the table)
    information_risk = assumed
    if assumed == 0.0 and math.isfinite(events) and participants > 0:
        information_risk = events / participants
    imprecision = rate_imprecision(
        None if headline is None else headline.difference_low / PER,
        None if headline is None else headline.difference_high / PER,
        cell_float(primary["ci_low"]) if ratio else None,
        cell_float(primary["ci_high"]) if ratio else None,
        assumed,
        participants if math.isfinite(participants) else 0.0,
        events if math.isfinite(events) else 0.0,
        rules,
        information_risk,
    )
    basis = (
        ImprecisionBasis.NONE
        if headline is None
        else ImprecisionBasis.POOLED_RD
        if headline.source is AssumedRisk.POOLED_RD
        else ImprecisionBasis.HEADLINE
    )
    judged = {d: j for d in Domain if (j := judgements.judgement(outcome, d)) is not None}
    certainty, down, missing = _certainty(imprecision, {d: j.rating for d, j in judged.items()})
    suggested, suggestion_basis = _inconsistency_suggestion(p, primary)
    who = sorted({j.assessed_by for j in judged.values() if j.assessed_by})
    when = sorted({j.date for j in judged.values() if j.date})
    common = {
        "outcome": outcome,
        "label": label,
        "trials": primary["k"],
        "participants": participants if math.isfinite(participants) else None,
        "events": events if math.isfinite(events) else None,
        **{c: primary[c] for c in ("events_cni", "n_cni", "events_comparator", "n_comparator")},
        **{c: primary[c] for c in ("measure", "method", "model", "estimate", "ci_low", "ci_high")},
        "p_value": primary["p_value"],
        "baseline_source": "" if baseline is None else baseline.source,
        "baseline_quote": "" if baseline is None else baseline.quote,
        "imprecision": "" if imprecision.rating is None else imprecision.rating.value,
        "imprecision_levels": None if imprecision.rating is None else imprecision.rating.levels,
        "imprecision_reason": ";".join(r.value for r in imprecision.reasons),
        "imprecision_basis": basis.value,
        "harm_threshold_per_1000": None if headline is None else imprecision.harm * PER,
        "benefit_threshold_per_1000": None if headline is None else imprecision.benefit * PER,
        "optimal_information_size": imprecision.information_size,
        "information_size_risk_per_1000": (
            None if information_risk is None else information_risk * PER
        ),
        "information_size_met": (
            "" if imprecision.information_size_met is None else imprecision.information_size_met
        ),
        **{
            column: value
            for d in Domain
            for column, value in (
                (d.value, judged[d].rating if d in judged else ""),
                (f"{d.value}_reason", judged[d].reason if d in judged else ""),
            )
        },
        "inconsistency_suggested": suggested,
        "inconsistency_suggestion_basis": suggestion_basis,
        "certainty": certainty.value,
        "certainty_levels_down": down,
        "not_assessed": ";".join(missing),
        "judgements_file": judgements.file,
        "assessed_by": " | ".join(who),
        "assessed_on": " | ".join(when),
        "example_judgements": judgements.example if judgements.file else "",
    }
    return [
        {
            **common,
            "absolute_source": r.source.value,
            "headline": r is headline,
            "assumed_risk_per_1000": r.assumed,
            "corresponding_risk_per_1000": r.risk,
            "corresponding_risk_ci_low_per_1000": r.risk_low,
            "corresponding_risk_ci_high_per_1000": r.risk_high,
            "difference_per_1000": r.difference,
            "difference_ci_low_per_1000": r.difference_low,
            "difference_ci_high_per_1000": r.difference_high,
            "absolute_status": r.status.value,
            "absolute_reason": r.reason.value,
        }
        for r in rows
    ]


def summary_of_findings(
    config: AnalysisConfig,
    pooled: pd.DataFrame,
    rates: pd.DataFrame,
    absolute: pd.DataFrame,
    judgements: CertaintyJudgements,
) -> pd.DataFrame:
    """The summary-of-findings table (columns :data:`SOF_COLUMNS`) of every configured outcome
    from the review-wide ``pooled_effects.csv``, ``pooled_rates.csv`` and
    ``absolute_effects.csv``, config.yaml's baseline risks and imprecision settings, and the
    reviewer's judgements.
    """
    rules = imprecision_rules(config.imprecision)
    rows: list[dict] = []
    for o in config.outcomes:
        found = absolute[absolute["outcome"] == o.id]
        a = None if found.empty else found.iloc[0]
        rows += _outcome_rows(o.id, o.label, pooled, rates, a, o.baseline_risk, rules, judgements)
    return pd.DataFrame(rows, columns=SOF_COLUMNS)
