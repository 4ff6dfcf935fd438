"""Within-trial treatment x subgroup interaction: a one-stage Firth logistic model on the
counts of each trial, arm and subgroup (Fisher et al., BMJ 2017;356:j573).

For trial i, arm t (1 CNI, 0 comparator) and subgroup g of one patient-level variable,

    logit p_itg = alpha_i + beta_i t + gamma_ig + delta_g t,

alpha_i, beta_i (treatment) and gamma_ig (subgroup; 0 for the trial's first subgroup) specific
to each trial, delta_g (0 for the reference subgroup) common: exp(delta_g) is the ratio of the
CNI-vs-comparator odds ratio in subgroup g to that in the reference subgroup, estimated only
from comparisons inside each trial (the trial-specific effects stratify every across-trial
difference away; subgroups are never compared across trials). The model is fitted by Firth's
penalised likelihood (:func:`raremeta.stats.penalised_likelihood.firth_design`), so zero cells
need no correction; the interval is the profile penalised-likelihood interval and the p-value
the penalised likelihood-ratio test, as logistf computes them.

References
----------
Fisher DJ, Carpenter JR, Morris TP, Freeman SC, Tierney JF. Meta-analytical methods to identify
who benefits most from treatments: daft, deluded, or deft approach? BMJ 2017;356:j573.
Firth D. Biometrika 1993;80:27-38. Heinze G, Schemper M. Stat Med 2002;21:2409-19.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from raremeta.stats.penalised_likelihood import firth_design
from raremeta.stats.results import Reason

#: What the interval and the p-value of an interaction are (the table's ``ci_method``).
CI_METHOD = "profile penalised likelihood"
P_METHOD = "penalised likelihood ratio"


@dataclass(frozen=True)
class SubgroupCounts:
    """One trial's counts in one subgroup: events and patients of each arm."""

    trial: str
    subgroup: str
    events_cni: float
    n_cni: float
    events_comparator: float
    n_comparator: float


@dataclass(frozen=True)
class InteractionEffect:
    """The interaction odds ratio of one subgroup against the reference subgroup.

    ``estimate`` = (CNI vs comparator OR in ``subgroup``) / (that OR in ``reference``), with its
    95% interval (``inf`` where a bound is not reached) and p-value; ``k`` trials contribute
    (those with counts in at least two subgroups); NaN numbers and a ``reason`` when not
    estimable.
    """

    subgroup: str
    reference: str
    k: int
    trials: tuple[str, ...]
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    se: float = math.nan
    reason: Reason = Reason.NONE


def contributing(cells: Sequence[SubgroupCounts]) -> dict[str, list[SubgroupCounts]]:
    """The cells of the trials that give counts in at least two subgroups, by trial (sorted),
    each trial's subgroups in the order given.
    """
    by_trial: dict[str, list[SubgroupCounts]] = {}
    for cell in cells:
        by_trial.setdefault(cell.trial, []).append(cell)
    return {t: by_trial[t] for t in sorted(by_trial) if len(by_trial[t]) >= 2}


def interaction_design(
    trials: dict[str, list[SubgroupCounts]], levels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Design matrix, events and patients of the one-stage model (one row per trial, subgroup
    and arm): columns alpha_i, beta_i, gamma_ig (trial i's subgroups but its first), then the
    common delta_g of ``levels[1:]`` (``levels[0]`` is the reference).
    """
    names = list(trials)
    gamma = [(t, c.subgroup) for t in names for c in trials[t][1:]]
    width = 2 * len(names) + len(gamma) + len(levels) - 1
    rows, y, n = [], [], []
    for i, t in enumerate(names):
        for cell in trials[t]:
            for treat, events, size in (
                (1, cell.events_cni, cell.n_cni),
                (0, cell.events_comparator, cell.n_comparator),
            ):
                row = np.zeros(width)
                row[2 * i] = 1.0
                row[2 * i + 1] = treat
                if (t, cell.subgroup) in gamma:
                    row[2 * len(names) + gamma.index((t, cell.subgroup))] = 1.0
                level = levels.index(cell.subgroup)
                if level > 0 and treat:
                    row[2 * len(names) + len(gamma) + level - 1] = 1.0
                rows.append(row)
                y.append(events)
                n.append(size)
    return np.array(rows), np.array(y, dtype=float), np.array(n, dtype=float)


def within_trial_interaction(
    cells: Sequence[SubgroupCounts], reference: str | None = None
) -> tuple[InteractionEffect, ...]:
    """Interaction odds ratios of every subgroup against ``reference`` from within-trial
    comparisons only (see the module docstring; Fisher et al., BMJ 2017;356:j573).

    Parameters
    ----------
    cells : sequence of SubgroupCounts
        Each trial's counts by subgroup; trials with counts in fewer than two subgroups do not
        contribute.
    reference : str, optional
        The reference subgroup; by default the first subgroup of the first contributing trial
        (trials sorted by id).

    Returns
    -------
    tuple of InteractionEffect
        One per non-reference subgroup (in the order first met). Not estimable with
        ``no_within_trial_contrast`` when no trial gives two subgroups, ``no_events`` when the
        contributing trials have no event, ``interaction_not_identified`` when the design does
        not identify the interaction (e.g. two trials with disjoint non-reference subgroups
        only).
    """
    trials = contributing(cells)
    levels: list[str] = []
    for t in trials:
        for cell in trials[t]:
            if cell.subgroup not in levels:
                levels.append(cell.subgroup)
    if not trials:
        subgroups = list(dict.fromkeys(c.subgroup for c in cells))
        ref = reference or (subgroups[0] if subgroups else "")
        return tuple(
            InteractionEffect(s, ref, 0, (), reason=Reason.NO_WITHIN_TRIAL_CONTRAST)
            for s in subgroups
            if s != ref
        )
    ref = reference if reference in levels else levels[0]
    levels = [ref] + [v for v in levels if v != ref]
    names = tuple(trials)
    x, y, n = interaction_design(trials, levels)
    empty = [InteractionEffect(s, ref, len(names), names) for s in levels[1:]]
    if y.sum() == 0:
        return tuple(
            InteractionEffect(e.subgroup, ref, e.k, names, reason=Reason.NO_EVENTS) for e in empty
        )
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return tuple(
            InteractionEffect(e.subgroup, ref, e.k, names, reason=Reason.INTERACTION_NOT_IDENTIFIED)
            for e in empty
        )
    effects = []
    first = x.shape[1] - (len(levels) - 1)
    for j, level in enumerate(levels[1:]):
        fit = firth_design(x, y, n, first + j)
        reason = Reason.NONE
        if math.isnan(fit.ci_low) or math.isnan(fit.ci_high):
            reason = Reason.NO_CONFIDENCE_INTERVAL
        effects.append(
            InteractionEffect(
                level,
                ref,
                len(names),
                names,
                estimate=math.exp(fit.coef[first + j]),
                ci_low=math.exp(fit.ci_low),
                ci_high=math.exp(fit.ci_high),
                p_value=fit.p_value,
                se=float(fit.se[first + j]),
                reason=reason,
            )
        )
    return tuple(effects)


__all__ = [
    "CI_METHOD",
    "P_METHOD",
    "InteractionEffect",
    "SubgroupCounts",
    "contributing",
    "interaction_design",
    "within_trial_interaction",
]
