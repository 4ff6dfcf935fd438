"""What the Bayesian binomial-normal model found, typed, for the summary: one
:class:`BayesianFinding` per outcome with an estimate, from ``pooled_effects.csv``,
``sensitivity.csv`` and ``posterior_probabilities.csv``.

Kept free of estimators (no scipy), so that the report layer can read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from raremeta.analysis.table_keys import AnalysisCode
from raremeta.stats.priors import BinomialNormalPrior, NormalPrior, TauFamily, TauPrior, describe
from raremeta.stats.registry import BAYESIAN
from raremeta.stats.results import Status

#: With fewer trials or events than these, the summary says that the prior dominates (issue 22:
#: one trial, or fewer than 5 events in all).
PRIOR_DOMINATES_TRIALS = 1
PRIOR_DOMINATES_EVENTS = 5
#: The threshold whose probability the summary leads with.
HARM_THRESHOLD = 1.0


@dataclass(frozen=True)
class BayesianFinding:
    """One outcome's Bayesian result under the main prior, and its range over every prior tried.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Posterior median odds ratio and its equal-tailed 95% credible interval.
    probability, prior_probability : float
        P(OR > 1) under the main prior, after and before the data (NaN when threshold 1 is
        not configured).
    probability_range, estimate_range : tuple of (float, float)
        The smallest and largest P(OR > 1) and posterior median over every prior tried.
    priors : int
        Number of priors tried (the main one included).
    alternatives : tuple of (str, float, float)
        Each sensitivity prior with an estimate: what it changes in the main prior (e.g.
        ``theta ~ N(0, 1.5²)``), its posterior median and its P(OR > 1).
    theta_prior_range : tuple of (float, float)
        The central 95% of the main prior's odds ratio, exp(mean -/+ 1.96 sd).
    k, events, comparator_events : int
        Trials, events in both arms and events in the comparator arms.
    tau_median : float
        Posterior median of tau (NaN with one trial: its posterior is its prior).
    """

    outcome: str
    estimate: float
    ci_low: float
    ci_high: float
    probability: float
    prior_probability: float
    probability_range: tuple[float, float]
    estimate_range: tuple[float, float]
    priors: int
    alternatives: tuple[tuple[str, float, float], ...]
    theta_prior_range: tuple[float, float]
    k: int
    events: int
    comparator_events: int
    tau_median: float
    prior_description: str

    @property
    def prior_dominates(self) -> bool:
        """One trial, or fewer than 5 events: the prior, not the data, shapes the posterior."""
        return self.k <= PRIOR_DOMINATES_TRIALS or self.events < PRIOR_DOMINATES_EVENTS


def _prior(row: pd.Series) -> BinomialNormalPrior:
    """The prior of a row of posterior_probabilities.csv (its parameter columns)."""
    return BinomialNormalPrior(
        str(row["prior"]),
        NormalPrior(float(row["theta_mean"]), float(row["theta_sd"])),
        NormalPrior(float(row["mu_mean"]), float(row["mu_sd"])),
        TauPrior(TauFamily(row["tau_prior"]), float(row["tau_scale"])),
    )


def bayes_findings(
    pooled: pd.DataFrame, sensitivity: pd.DataFrame, posterior: pd.DataFrame
) -> tuple[BayesianFinding, ...]:
    """The estimated Bayesian rows of ``pooled_effects.csv`` with their prior-sensitivity rows
    (``sensitivity.csv``) and probabilities (``posterior_probabilities.csv``).
    """
    out = []
    rows = pooled[(pooled["method"] == BAYESIAN) & (pooled["status"] == Status.ESTIMATED)]
    for _, row in rows.iterrows():
        outcome = row["outcome"]
        probs = posterior[
            (posterior["outcome"] == outcome) & (posterior["threshold"] == HARM_THRESHOLD)
        ]
        main = probs[probs["prior"] == "default"]
        variants = sensitivity[
            (sensitivity["outcome"] == outcome)
            & (sensitivity["analysis_code"] == AnalysisCode.PRIOR_SENSITIVITY)
            & (sensitivity["status"] == Status.ESTIMATED)
        ]
        estimates = [float(row["estimate"]), *variants["estimate"].astype(float)]
        p_all = probs["probability"].astype(float).dropna()
        by_prior = {r["prior"]: r for _, r in probs.iterrows()}
        alternatives = tuple(
            (
                describe(_prior(by_prior[v["variant"]]), _prior(by_prior["default"])),
                float(v["estimate"]),
                float(by_prior[v["variant"]]["probability"]),
            )
            for _, v in variants.iterrows()
            if v["variant"] in by_prior and "default" in by_prior
        )
        spread = 1.959963984540054 * float(main["theta_sd"].iloc[0]) if len(main) else math.nan
        centre = float(main["theta_mean"].iloc[0]) if len(main) else math.nan
        out.append(
            BayesianFinding(
                outcome,
                float(row["estimate"]),
                float(row["ci_low"]),
                float(row["ci_high"]),
                float(main["probability"].iloc[0]) if len(main) else math.nan,
                float(main["prior_probability"].iloc[0]) if len(main) else math.nan,
                (float(p_all.min()), float(p_all.max())) if len(p_all) else (math.nan,) * 2,
                (min(estimates), max(estimates)),
                len(estimates),
                alternatives,
                (math.exp(centre - spread), math.exp(centre + spread)),
                int(row["k"]),
                int(row["events_cni"] + row["events_comparator"]),
                int(row["events_comparator"]),
                float(row["tau2"]) ** 0.5 if pd.notna(row["tau2"]) else math.nan,
                str(main["prior_description"].iloc[0]) if len(main) else "",
            )
        )
    return tuple(out)
