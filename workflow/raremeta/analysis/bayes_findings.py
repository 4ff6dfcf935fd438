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
    narrowest : tuple of (str, float)
        The sensitivity prior with the smallest prior sd of theta, and its posterior median
        (empty name when there is none).
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
    narrowest: tuple[str, float]
    k: int
    events: int
    comparator_events: int
    tau_median: float
    prior_description: str

    @property
    def prior_dominates(self) -> bool:
        """One trial, or fewer than 5 events: the prior, not the data, shapes the posterior."""
        return self.k <= PRIOR_DOMINATES_TRIALS or self.events < PRIOR_DOMINATES_EVENTS


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
        narrowest = ("", math.nan)
        if len(variants):
            sds = dict(zip(probs["prior"], probs["theta_sd"].astype(float), strict=True))
            name = min(
                (v for v in variants["variant"] if v in sds), key=lambda v: (sds[v], v), default=""
            )
            if name and sds[name] < sds.get("default", math.inf):
                match = variants[variants["variant"] == name]
                narrowest = (name, float(match["estimate"].iloc[0]))
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
                narrowest,
                int(row["k"]),
                int(row["events_cni"] + row["events_comparator"]),
                int(row["events_comparator"]),
                float(row["tau2"]) ** 0.5 if pd.notna(row["tau2"]) else math.nan,
                str(main["prior_description"].iloc[0]) if len(main) else "",
            )
        )
    return tuple(out)
