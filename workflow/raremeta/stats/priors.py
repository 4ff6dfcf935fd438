"""Priors of the Bayesian binomial-normal model (:mod:`raremeta.stats.binomial_normal`).

Kept apart from the kernel (no scipy here) because :class:`~raremeta.stats.results.MethodSpec`
carries them and every layer reads method specs.

Every scale is a **standard deviation** (or, for the half-Cauchy, its scale). The companion R
package of Günhan, Röver & Friede (MetaStan) documents the second parameter of its normal priors
as a variance, but its Stan code uses it as a standard deviation; these priors follow the paper
and the Stan code.

References
----------
Günhan BK, Röver C, Friede T. Random-effects meta-analysis of few studies involving rare
events. Res Synth Methods 2020;11:74-90.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum


class TauFamily(StrEnum):
    """The family of the prior of the between-study standard deviation tau."""

    HALF_NORMAL = "half-normal"
    HALF_CAUCHY = "half-Cauchy"


@dataclass(frozen=True)
class NormalPrior:
    """A normal prior N(mean, sd²) (``sd`` a standard deviation)."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.sd) and self.sd > 0):
            raise ValueError(f"a normal prior needs a finite mean and sd > 0, not {self}")


@dataclass(frozen=True)
class TauPrior:
    """A half-normal or half-Cauchy prior for tau with scale ``scale``."""

    family: TauFamily
    scale: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"a prior for tau needs a finite scale > 0, not {self.scale!r}")

    def quantile(self, p: float) -> float:
        """The prior's p-quantile of tau."""
        if self.family == TauFamily.HALF_CAUCHY:
            return self.scale * math.tan(math.pi * p / 2)
        from statistics import NormalDist

        return self.scale * NormalDist().inv_cdf((1 + p) / 2)


@dataclass(frozen=True)
class BinomialNormalPrior:
    """The priors of the binomial-normal model: theta (the mean log odds ratio), each study's
    baseline mu_i (the mean of its two arms' log odds) and tau.

    The defaults are those of Günhan, Röver & Friede (2020): theta ~ N(0, 2.82²) (95% of the
    prior odds ratio between 1/250 and 250), mu_i ~ N(0, 10²), tau ~ half-normal(0.5).
    ``name`` is the prior's stable name in the results tables (``default`` for the main
    analysis).
    """

    name: str = "default"
    theta: NormalPrior = NormalPrior(0.0, 2.82)
    mu: NormalPrior = NormalPrior(0.0, 10.0)
    tau: TauPrior = TauPrior(TauFamily.HALF_NORMAL, 0.5)

    def named(self, name: str) -> BinomialNormalPrior:
        """The same prior under another name."""
        return replace(self, name=name)


#: The prior of the main analysis unless config.yaml sets another.
DEFAULT_PRIOR = BinomialNormalPrior()
#: The prior-sensitivity analyses run for every outcome (issue 22): one prior changed each.
SENSITIVITY_PRIORS: tuple[BinomialNormalPrior, ...] = (
    replace(DEFAULT_PRIOR, name="tau_halfnormal_1", tau=TauPrior(TauFamily.HALF_NORMAL, 1.0)),
    replace(DEFAULT_PRIOR, name="theta_normal_1.5", theta=NormalPrior(0.0, 1.5)),
    replace(DEFAULT_PRIOR, name="mu_normal_2.5", mu=NormalPrior(0.0, 2.5)),
)
#: Odds-ratio thresholds of the posterior probabilities unless config.yaml sets others.
DEFAULT_THRESHOLDS = (1.0, 2.0)


@dataclass(frozen=True)
class BayesOptions:
    """What a Bayesian fit needs beyond the counts: its prior and the odds-ratio thresholds
    whose posterior probabilities of being exceeded it reports.
    """

    prior: BinomialNormalPrior = DEFAULT_PRIOR
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS


def probability_key(threshold: float) -> str:
    """The key of P(OR > ``threshold``) among a Bayesian fit's extra numbers."""
    return f"probability_or_above_{threshold!r}"


def prior_probability(prior: BinomialNormalPrior, threshold: float) -> float:
    """P(OR > ``threshold``) under the prior alone: 1 - Phi((log t - mean) / sd) of theta's
    normal prior (0.5 at t = 1 for a prior centred on no effect).
    """
    from statistics import NormalDist

    return 1 - NormalDist(prior.theta.mean, prior.theta.sd).cdf(math.log(threshold))


def describe(prior: BinomialNormalPrior, relative_to: BinomialNormalPrior | None = None) -> str:
    """The prior in words: ``theta ~ N(0, 2.82²); mu_i ~ N(0, 10²); tau ~ half-normal(0.5)``;
    with ``relative_to``, only the parts that differ from it (``the main prior`` when none do).
    """
    parts = (
        (prior.theta, "theta", f"N({prior.theta.mean:g}, {prior.theta.sd:g}²)"),
        (prior.mu, "mu_i", f"N({prior.mu.mean:g}, {prior.mu.sd:g}²)"),
        (prior.tau, "tau", f"{prior.tau.family}({prior.tau.scale:g})"),
    )
    if relative_to is not None:
        same = (relative_to.theta, relative_to.mu, relative_to.tau)
        parts = tuple(part for part, other in zip(parts, same, strict=True) if part[0] != other)
    return "; ".join(f"{symbol} ~ {text}" for _, symbol, text in parts) or "the main prior"
