"""Absolute effects at an assumed comparator risk and the GRADE rating of imprecision.

Pure: numbers in, frozen results out. The other GRADE domains (risk of bias, inconsistency,
indirectness, publication bias) are a reviewer's judgements, read from a file by the io layer;
only imprecision is computed, here.

References
----------
Guyatt GH, Oxman AD, Kunz R, et al. GRADE guidelines 6. Rating the quality of evidence -
imprecision. J Clin Epidemiol 2011;64:1283-93.
Guyatt GH, Oxman AD, Sultan S, et al. GRADE guidelines 9. Rating up the quality of evidence.
J Clin Epidemiol 2011;64:1311-6 (a large effect: a relative risk above 2 or below 0.5).
Zeng L, Brignardello-Petersen R, Hultcrantz M, et al. GRADE Guidance 34: update on rating
imprecision using a minimally contextualized approach. J Clin Epidemiol 2022;150:216-24.
Schünemann HJ, Neumann I, Hultcrantz M, et al. GRADE guidance 35: update on rating imprecision
for assessing contextualized certainty of evidence and making decisions. J Clin Epidemiol
2022;150:225-42.
Schünemann HJ, Higgins JPT, Vist GE, et al. Chapter 14: Completing 'Summary of findings' tables
and grading the certainty of the evidence. Cochrane Handbook for Systematic Reviews of
Interventions, version 6.4, 2023 (section 14.1.5: absolute effects from a relative effect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

from raremeta.stats.results import Certainty, Rating


def overall_certainty(levels_down: int) -> Certainty:
    """Randomised trials start at high certainty; each level down moves one step, never
    below very low (GRADE; Cochrane Handbook 14.2.1).

    Examples
    --------
    >>> overall_certainty(0), overall_certainty(2), overall_certainty(5)
    (<Certainty.HIGH: 'high'>, <Certainty.LOW: 'low'>, <Certainty.VERY_LOW: 'very low'>)
    """
    return (Certainty.HIGH, Certainty.MODERATE, Certainty.LOW, Certainty.VERY_LOW)[
        min(max(levels_down, 0), 3)
    ]


def corresponding_risk(measure: str, effect: float, assumed: float) -> float:
    """The risk with the intervention implied by a relative effect at an assumed comparator
    risk (Cochrane Handbook 14.1.5.1): for an odds ratio ``OR * p / (1 - p + OR * p)``, for a
    risk ratio ``RR * p`` (capped at 1), for a risk difference ``p + RD`` (kept within 0-1).
    An infinite ratio gives risk 1 when ``p > 0``; a ratio at ``p = 0`` gives 0.

    Examples
    --------
    >>> round(corresponding_risk("OR", 2.0, 0.1), 6)   # 0.2 / 1.1
    0.181818
    >>> corresponding_risk("RR", 1.5, 0.1)
    0.15000000000000002
    """
    if measure == "RD":
        return min(max(assumed + effect, 0.0), 1.0)
    if assumed == 0.0 or effect == 0.0:
        return 0.0
    if math.isinf(effect):
        return 1.0
    if measure == "OR":
        return effect * assumed / (1.0 - assumed + effect * assumed)
    if measure == "RR":
        return min(effect * assumed, 1.0)
    raise ValueError(f"no absolute effect for measure {measure!r}")


@dataclass(frozen=True)
class AbsoluteEffect:
    """Risks at an assumed comparator risk, as proportions (the tables print them per 1,000).

    Attributes
    ----------
    assumed : float
        The assumed comparator risk.
    risk, risk_low, risk_high : float
        The corresponding risk with the intervention and its interval (from the relative
        effect's interval).
    difference, difference_low, difference_high : float
        ``risk - assumed`` and its interval: extra (positive) or fewer patients with the event.
    """

    assumed: float
    risk: float
    risk_low: float
    risk_high: float

    @property
    def difference(self) -> float:
        """Risk difference, ``risk - assumed``."""
        return self.risk - self.assumed

    @property
    def difference_low(self) -> float:
        """Lower end of the risk difference's interval."""
        return self.risk_low - self.assumed

    @property
    def difference_high(self) -> float:
        """Upper end of the risk difference's interval."""
        return self.risk_high - self.assumed


def absolute_effect(
    measure: str, estimate: float, low: float, high: float, assumed: float
) -> AbsoluteEffect:
    """The corresponding risk and risk difference of a relative effect (with its interval) at
    an assumed comparator risk; the interval's ends map to the risk's ends because the
    conversion is monotone.

    Examples
    --------
    Odds ratio 2 [1, 4] at a comparator risk of 100 per 1,000: 182 [100, 308] per 1,000
    (0.4 / 1.3 = 0.3077).

    >>> e = absolute_effect("OR", 2.0, 1.0, 4.0, 0.1)
    >>> round(e.risk_high, 4), round(e.difference, 4)
    (0.3077, 0.0818)
    """
    if not 0.0 <= assumed <= 1.0:
        raise ValueError(f"assumed comparator risk {assumed} is not a proportion")
    return AbsoluteEffect(
        assumed,
        corresponding_risk(measure, estimate, assumed),
        corresponding_risk(measure, low, assumed),
        corresponding_risk(measure, high, assumed),
    )


def optimal_information_size(
    assumed: float, relative_change: float, alpha: float = 0.05, power: float = 0.80
) -> float | None:
    """Total participants (both arms) a single trial needs to detect a relative change in risk
    from ``assumed`` to ``assumed * (1 + relative_change)``: the conventional two-proportion
    sample size (two-sided ``alpha``, no continuity correction; Fleiss, Statistical Methods for
    Rates and Proportions, 1981; R ``power.prop.test``), the optimal information size of GRADE 6.
    None when it cannot be computed (assumed risk 0, or a changed risk outside (0, 1)).

    Examples
    --------
    R ``power.prop.test(p1 = 0.1, p2 = 0.125, power = 0.8)``: n = 2506.538 per group.

    >>> round(optimal_information_size(0.1, 0.25), 2)
    5013.08
    """
    changed = assumed * (1.0 + relative_change)
    if not (0.0 < assumed < 1.0 and 0.0 < changed < 1.0) or changed == assumed:
        return None
    z_a, z_b = NormalDist().inv_cdf(1.0 - alpha / 2.0), NormalDist().inv_cdf(power)
    mean = (assumed + changed) / 2.0
    spread = z_a * math.sqrt(2.0 * mean * (1.0 - mean)) + z_b * math.sqrt(
        assumed * (1.0 - assumed) + changed * (1.0 - changed)
    )
    return 2.0 * (spread / (changed - assumed)) ** 2


class ImprecisionBasis(StrEnum):
    """Which risk difference the imprecision rating judged (``imprecision_basis`` column)."""

    #: The headline absolute effect (the relative effect at the headline assumed risk).
    HEADLINE = "headline_absolute_effect"
    #: The risk difference pooled directly (no assumed risk gives an absolute effect).
    POOLED_RD = "pooled_risk_difference"
    #: No risk difference to judge.
    NONE = ""


class ImprecisionReason(StrEnum):
    """Why imprecision is rated down (codes joined by ``;`` in ``imprecision_reason``)."""

    CROSSES_ONE_THRESHOLD = "interval_crosses_one_threshold"
    #: Both thresholds at the null (GRADE 34's minimally contextualised approach): one
    #: threshold, crossed by an interval that includes no effect; one level.
    CROSSES_NULL = "interval_crosses_null"
    CROSSES_BOTH_THRESHOLDS = "interval_crosses_both_thresholds"
    OIS_NOT_MET = "optimal_information_size_not_met"
    OIS_NOT_COMPUTABLE = "optimal_information_size_not_computable"
    VERY_FEW_EVENTS = "very_few_events"
    EXTREMELY_WIDE = "interval_extremely_wide"
    NO_ESTIMATE = "no_estimate"


@dataclass(frozen=True)
class ImprecisionRules:
    """The stated assumptions of the imprecision rating (config ``imprecision:``).

    Attributes
    ----------
    harm, benefit : float or None
        Thresholds of appreciable harm (more events) and benefit (fewer events) on the risk
        difference, as positive proportions; None: ``relative_change`` times the assumed
        comparator risk (GRADE 6's default of a 25% relative risk increase or reduction), or
        the null (GRADE 34's minimally contextualised threshold) where that risk is 0.
    relative_change : float
        The relative risk change the optimal information size is powered for (GRADE 6: 25%).
    alpha, power : float
        Two-sided type I error and power of the optimal information size (0.05, 0.80).
    very_few_events : int
        Fewer events than this rate imprecision down at least two levels (GRADE 34: far from
        the information size).
    large_effect : float
        A relative effect beyond this (or below its inverse) is large (the size GRADE 9 calls
        large: 2); a relative interval from a large reduction to a large increase is extremely
        wide: three levels (this pipeline's reading of GRADE 35's "extremely serious", a
        convention, not a GRADE rule).
    """

    harm: float | None = None
    benefit: float | None = None
    relative_change: float = 0.25
    alpha: float = 0.05
    power: float = 0.80
    very_few_events: int = 10
    large_effect: float = 2.0

    def thresholds(self, assumed: float | None) -> tuple[float, float]:
        """(harm, benefit) as positive proportions at an assumed comparator risk."""
        default = (assumed or 0.0) * self.relative_change
        return (
            default if self.harm is None else self.harm,
            default if self.benefit is None else self.benefit,
        )


@dataclass(frozen=True)
class Imprecision:
    """A computed imprecision rating.

    Attributes
    ----------
    rating : Rating or None
        None when there is no estimate to rate.
    reasons : tuple of ImprecisionReason
        Every criterion that applied, in the order tested.
    harm, benefit : float
        The thresholds used (positive proportions on the risk difference).
    information_size : float or None
        The optimal information size (total participants); None when not computable.
    participants, events : float
        The body of evidence: participants and events of the rated estimate.
    """

    rating: Rating | None
    reasons: tuple[ImprecisionReason, ...]
    harm: float
    benefit: float
    information_size: float | None
    participants: float
    events: float

    @property
    def information_size_met(self) -> bool | None:
        """Whether the participants reach the optimal information size (None: unknown)."""
        if self.information_size is None:
            return None
        return self.participants >= self.information_size


def rate_imprecision(
    rd_low: float | None,
    rd_high: float | None,
    relative_low: float | None,
    relative_high: float | None,
    assumed: float | None,
    participants: float,
    events: float,
    rules: ImprecisionRules,
    information_risk: float | None = None,
) -> Imprecision:
    """Rate imprecision down 0-3 levels (GRADE 6; GRADE guidance 34 and 35).

    One level when the optimal information size is not met or the risk-difference interval
    crosses one threshold of appreciable harm or benefit; two when it crosses both or there
    are very few events; three when the relative interval is extremely wide (from a large
    reduction to a large increase). The highest level that applies is the rating.

    Parameters
    ----------
    rd_low, rd_high : float or None
        The risk-difference interval judged (proportions); None: no interval.
    relative_low, relative_high : float or None
        The relative effect's interval (ratio scale); None for a risk-difference estimate.
    assumed : float or None
        The assumed comparator risk (thresholds, and the information size unless
        ``information_risk`` is given); None: none.
    participants, events : float
        Participants and events in the rated estimate.
    rules : ImprecisionRules
        The thresholds and assumptions.
    information_risk : float or None
        The control risk the optimal information size is computed at, when it is not
        ``assumed`` (e.g. the crude risk over both arms where the comparator risk is 0).

    Examples
    --------
    An interval from -19.7 to 56.7 per 1,000 with thresholds at the null crosses the null
    (one level); with 4 events (fewer than 10) two; with an odds-ratio interval 0.48 to 611
    (below 0.5 and above 2) three.

    >>> r = rate_imprecision(-0.0197, 0.0567, 0.48, 611.0, 0.0, 265, 4, ImprecisionRules())
    >>> r.rating.value, [x.value for x in r.reasons][::3]
    ('extremely serious', ['interval_crosses_null', 'interval_extremely_wide'])
    """
    harm, benefit = rules.thresholds(assumed)
    base = assumed if information_risk is None else information_risk
    size = (
        None
        if base is None
        else optimal_information_size(base, rules.relative_change, rules.alpha, rules.power)
    )
    if rd_low is None or rd_high is None or math.isnan(rd_low) or math.isnan(rd_high):
        return Imprecision(
            None, (ImprecisionReason.NO_ESTIMATE,), harm, benefit, size, participants, events
        )
    reasons: list[ImprecisionReason] = []
    levels = 0
    crossed = int(rd_low < harm < rd_high) + int(rd_low < -benefit < rd_high)
    if harm == 0.0 and benefit == 0.0:
        # thresholds at the null are one threshold (GRADE 34), not two
        if rd_low < 0.0 < rd_high:
            reasons.append(ImprecisionReason.CROSSES_NULL)
            levels = 1
    elif crossed == 2:
        reasons.append(ImprecisionReason.CROSSES_BOTH_THRESHOLDS)
        levels = 2
    elif crossed == 1:
        reasons.append(ImprecisionReason.CROSSES_ONE_THRESHOLD)
        levels = 1
    if size is None:
        reasons.append(ImprecisionReason.OIS_NOT_COMPUTABLE)
    elif participants < size:
        reasons.append(ImprecisionReason.OIS_NOT_MET)
        levels = max(levels, 1)
    if events < rules.very_few_events:
        reasons.append(ImprecisionReason.VERY_FEW_EVENTS)
        levels = max(levels, 2)
    if (
        relative_low is not None
        and relative_high is not None
        and relative_low < 1.0 / rules.large_effect
        and relative_high > rules.large_effect
    ):
        reasons.append(ImprecisionReason.EXTREMELY_WIDE)
        levels = 3
    return Imprecision(
        Rating.of_levels(levels), tuple(reasons), harm, benefit, size, participants, events
    )
