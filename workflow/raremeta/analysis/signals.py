"""The signal screen: every reported adverse-event term compared between the CNI and comparator
arms, with false-discovery control across terms (``results/tables/ae_signals.csv``).

Terms
    A term is a normalised term (:func:`raremeta.io.terms.normalise_term`); the terms of a
    configured outcome (its synonyms) count as that one outcome, under its label. Any other
    term is shown in its most frequent spelling without a leading CTCAE code (ties: the first
    alphabetically).
"Not found" stays unknown
    A trial enters a term's comparison only where it reports the term for both roles (registry
    "other" tables list terms above a frequency threshold only, so an absent term is never a
    zero). Within a role, the counts are those of the harmonised outcomes: each arm's largest
    single row of the term (a row of the serious and one of the other table are not added: a
    patient may be in both), the arms of a role added (``multi_arm: combine`` always: the exact
    test needs whole counts). A study reporting the same participants as another
    (``same_participants_as``) is left out, as in pooling.
Organ system
    Each trial's organ system of a term is the SOC name of its first row that gives one
    (:func:`raremeta.io.organ_systems.soc_name`); a term takes the most frequent one over its
    trials (ties: the first alphabetically), the others named in ``organ_system_note``; a term
    no trial classifies is ``unclassified``.
Per term
    Counts per role summed over the included trials; the Mantel-Haenszel odds ratio with its
    Robins-Breslow-Greenland interval (:mod:`raremeta.stats.mantel_haenszel`; not estimable,
    with its reason, e.g. without events in one role); the exact conditional p-value stratified
    by trial and the mid-p (:mod:`raremeta.stats.stratified_exact`).
Multiplicity
    The family is every term with at least ``min_events`` events (default 2) in its included
    trials: a term with 0 or 1 event cannot reach a small exact p-value, and its total is a
    margin of the conditional test, so the selection does not depend on the treatment effect
    (Tarone 1990). Benjamini-Hochberg on the exact p-values (not the mid-p) across the family
    gives ``p_bh`` and ``flag_bh`` (at ``alpha``); the double-FDR flag groups the family by
    organ system (:data:`raremeta.stats.multiplicity.DOUBLE_FDR`, Mehrotra & Adewale 2012).
    BH on discrete p-values is conservative.

References
----------
Tarone RE. A modified Bonferroni method for discrete data. Biometrics 1990;46:515-22.
Mehrotra DV, Heyse JF. Stat Methods Med Res 2004;13:227-38. Mehrotra DV, Adewale AJ. Stat Med
2012;31:1918-30. Amit O, Heiberger RM, Lane PW. Graphical approaches to the analysis of safety
data from clinical trials. Pharm Stat 2008;7:20-35.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from raremeta.io.analysis_config import AnalysisConfig
from raremeta.io.organ_systems import UNCLASSIFIED, soc_name
from raremeta.io.raw_studies import ROLES, EventRecord, SourceKind, Study
from raremeta.io.schemas import load_schema
from raremeta.io.terms import normalise_term, without_code
from raremeta.stats import registry
from raremeta.stats.mantel_haenszel import mantel_haenszel_fits
from raremeta.stats.multiplicity import DOUBLE_FDR, bh_adjust
from raremeta.stats.results import Reason, Status
from raremeta.stats.stratified_exact import exact_tests
from raremeta.stats.two_by_two import TableStack

#: The columns of ``ae_signals.csv``, in order (a promise: new ones are appended).
SIGNAL_COLUMNS = [
    "term",
    "organ_system",
    "k",
    "events_cni",
    "n_cni",
    "events_comparator",
    "n_comparator",
    "estimate",
    "ci_low",
    "ci_high",
    "status",
    "reason",
    "p_value",
    "p_mid",
    "p_bh",
    "flag_bh",
    "flag_double_fdr",
    "analysis",
    "outcome",
    "method",
    "measure",
    "in_family",
    "p_organ_system",
    "p_double_fdr",
    "studies",
    "organ_system_note",
]
MH_OR = registry.spec("OR", registry.MH)


class SignalAnalysis(StrEnum):
    """Which counts a row of ``ae_signals.csv`` screens (``analysis``)."""

    #: Every reported term; a trial enters where it reports the term for both roles.
    REPORTED = "reported"
    #: Serious events only; a registry record's serious table without the term counts 0.
    SERIOUS_ABSENT_AS_ZERO = "serious_absent_as_zero"


@dataclass(frozen=True)
class SignalSettings:
    """``signals:`` of ``config.yaml`` (defaults from the schema)."""

    alpha: float
    group_alpha: float
    min_events: int
    top: int
    serious_absent_as_zero: bool

    @classmethod
    def of(cls, given: Mapping[str, Any] | None) -> SignalSettings:
        """The settings of ``given`` (``config["signals"]``), the schema's defaults elsewhere."""
        spec = load_schema("config")["properties"]["signals"]["properties"]
        values = {key: (given or {}).get(key, prop["default"]) for key, prop in spec.items()}
        return cls(**values)


@dataclass(frozen=True)
class TermStrata:
    """One term's trials: the counts per role of each trial that reports it for both roles.

    Attributes
    ----------
    term : str
        The label (the outcome's label for a configured outcome).
    outcome : str
        The configured outcome's id, or "".
    organ_system, organ_system_note : str
        See the module docstring.
    studies : tuple of str
        The trials, in id order; the counts below are in the same order.
    """

    term: str
    outcome: str
    organ_system: str
    organ_system_note: str
    studies: tuple[str, ...]
    ai: tuple[int, ...]
    n1i: tuple[int, ...]
    ci: tuple[int, ...]
    n2i: tuple[int, ...]


def _denominator(record: EventRecord, n: int) -> int:
    return n if record.n_at_risk is None else record.n_at_risk


def _serious_at_risk(study: Study) -> dict[str, int]:
    """Arm id -> the participants at risk of the arm's registry serious-events table, for the
    arms whose serious table was assessed (at least one registry serious row; the most
    frequent ``n_at_risk`` of those rows, else the arm's n).
    """
    n_of = {arm.id: arm.n for arm in study.arms}
    found: dict[str, Counter[int]] = defaultdict(Counter)
    for r in study.events:
        if r.source_kind == SourceKind.REGISTRY and r.table == "serious":
            found[r.arm][_denominator(r, n_of[r.arm])] += 1
    return {arm: min(c, key=lambda n: (-c[n], n)) for arm, c in found.items()}


def term_strata(
    studies: list[Study],
    config: AnalysisConfig,
    analysis: SignalAnalysis = SignalAnalysis.REPORTED,
) -> list[TermStrata]:
    """Every term's strata (module docstring), terms in order of their label (case-folded).

    With :attr:`SignalAnalysis.SERIOUS_ABSENT_AS_ZERO` only serious rows count (``table``
    ``serious`` or ``serious`` ``yes``), and an arm whose registry serious-events table was
    assessed (it has at least one row) but lacks the term counts 0 of that table's participants
    at risk; an arm without any serious row (not assessed) stays unknown.
    """
    outcome_of = config.term_outcomes
    labels = {o.id: o.label for o in config.outcomes}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    organs: dict[str, Counter[str]] = defaultdict(Counter)
    strata: dict[str, dict[str, tuple[int, int, int, int]]] = defaultdict(dict)
    serious_only = analysis == SignalAnalysis.SERIOUS_ABSENT_AS_ZERO
    for study in sorted(studies, key=lambda s: s.id):
        if study.same_participants_as:
            continue
        # key -> arm id -> the arm's largest single row (ties: the larger denominator)
        chosen: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        organ_here: dict[str, str] = {}
        n_of = {arm.id: arm.n for arm in study.arms}
        for record in study.events:
            if serious_only and not (record.table == "serious" or record.serious == "yes"):
                continue
            norm = normalise_term(record.term)
            key = outcome_of.get(norm, "\0" + norm)
            spellings[key][without_code(record.term)] += 1
            if record.organ_system and key not in organ_here:
                organ_here[key] = soc_name(record.organ_system)[0]
            count = (record.events, _denominator(record, n_of[record.arm]))
            previous = chosen[key].get(record.arm)
            if previous is None or count > previous:
                chosen[key][record.arm] = count
        if serious_only:
            at_risk = _serious_at_risk(study)
            for key in chosen:
                for arm, n in at_risk.items():
                    chosen[key].setdefault(arm, (0, n))
        for key, by_arm in chosen.items():
            counts = []
            for role in ROLES:
                rows = [by_arm[a.id] for a in study.arms_of(role) if a.id in by_arm]
                counts.append((sum(e for e, _ in rows), sum(n for _, n in rows)) if rows else None)
            if counts[0] is None or counts[1] is None:
                continue
            strata[key][study.id] = (counts[0][0], counts[0][1], counts[1][0], counts[1][1])
            if key in organ_here:
                organs[key][organ_here[key]] += 1
    out = []
    for key in spellings:
        if key.startswith("\0"):
            seen = spellings[key]
            term = min(seen, key=lambda s: (-seen[s], s))
            outcome = ""
        else:
            term, outcome = labels[key], key
        votes = organs.get(key, Counter())
        if votes:
            organ = min(votes, key=lambda s: (-votes[s], s))
            others = sorted(set(votes) - {organ})
            note = (
                f"also given as {', '.join(others)} ({sum(votes[o] for o in others)} of "
                f"{sum(votes.values())} trials); the most frequent is used"
                if others
                else ""
            )
        else:
            organ, note = UNCLASSIFIED, ""
        trials = strata.get(key, {})
        ids = tuple(sorted(trials))
        cells = [trials[s] for s in ids]
        out.append(
            TermStrata(
                term,
                outcome,
                organ,
                note,
                ids,
                *(tuple(c[i] for c in cells) for i in range(4)),
            )
        )
    return sorted(out, key=lambda t: (t.term.casefold(), t.term))


def _stack(terms: list[TermStrata]) -> TableStack:
    k = max((len(t.studies) for t in terms), default=0) or 1
    m = len(terms)
    arrays = [np.zeros((m, k)), np.ones((m, k)), np.zeros((m, k)), np.ones((m, k))]
    present = np.zeros((m, k), dtype=bool)
    for i, t in enumerate(terms):
        j = len(t.studies)
        for array, values in zip(arrays, (t.ai, t.n1i, t.ci, t.n2i), strict=True):
            array[i, :j] = values
        present[i, :j] = True
    return TableStack(*arrays, present=present)


def screen(
    terms: list[TermStrata],
    settings: SignalSettings,
    analysis: SignalAnalysis = SignalAnalysis.REPORTED,
) -> list[dict[str, Any]]:
    """The rows of ``ae_signals.csv`` for ``terms`` (keys :data:`SIGNAL_COLUMNS`), sorted by
    exact p-value (untested last), then term.
    """
    if not terms:
        return []
    stack = _stack(terms)
    fits = mantel_haenszel_fits(stack, MH_OR)
    tests = exact_tests(stack)
    k = stack.present.sum(axis=1)
    events = np.where(stack.present, stack.ai + stack.ci, 0).sum(axis=1)
    p = np.where(k > 0, tests.p_value, np.nan)
    p_mid = np.where(k > 0, tests.p_mid, np.nan)
    family = ~np.isnan(p) & (events >= settings.min_events)
    p_family = np.where(family, p, np.nan)
    p_bh = bh_adjust(p_family)
    organ = [t.organ_system for t in terms]
    double = DOUBLE_FDR(p_family, organ, settings.alpha, settings.group_alpha)
    status = fits.status
    rows = []
    for i, t in enumerate(terms):
        estimated = status[i] == Status.ESTIMATED
        rows.append(
            {
                "term": t.term,
                "organ_system": t.organ_system,
                "k": int(k[i]),
                "events_cni": sum(t.ai),
                "n_cni": sum(t.n1i),
                "events_comparator": sum(t.ci),
                "n_comparator": sum(t.n2i),
                "estimate": float(fits.estimate[i]) if estimated else None,
                "ci_low": float(fits.ci_low[i]) if estimated else None,
                "ci_high": float(fits.ci_high[i]) if estimated else None,
                "status": str(status[i]),
                "reason": str(fits.reason[i]) if k[i] else Reason.NO_COMPARABLE_STUDY.value,
                "p_value": float(p[i]),
                "p_mid": float(p_mid[i]),
                "p_bh": float(p_bh[i]),
                "flag_bh": bool(family[i] and p_bh[i] <= settings.alpha),
                "flag_double_fdr": bool(double.flag[i]),
                "analysis": analysis.value,
                "outcome": t.outcome,
                "method": MH_OR.method,
                "measure": MH_OR.measure,
                "in_family": bool(family[i]),
                "p_organ_system": float(double.p_group[i]),
                "p_double_fdr": float(double.p_adjusted[i]),
                "studies": ";".join(t.studies),
                "organ_system_note": t.organ_system_note,
            }
        )
    return sorted(
        rows,
        key=lambda r: (np.isnan(r["p_value"]), np.nan_to_num(r["p_value"], nan=2.0), r["term"]),
    )


def signal_rows(
    studies: list[Study], config: AnalysisConfig, settings: SignalSettings
) -> list[dict[str, Any]]:
    """Every row of ``ae_signals.csv``: the screen of reported terms, then (when
    ``serious_absent_as_zero``) the serious-events sensitivity, each its own family.
    """
    rows = screen(term_strata(studies, config), settings)
    if settings.serious_absent_as_zero:
        sensitivity = SignalAnalysis.SERIOUS_ABSENT_AS_ZERO
        rows += screen(term_strata(studies, config, sensitivity), settings, sensitivity)
    return rows


#: The codebook of ``ae_signals.csv`` (:mod:`raremeta.analysis.codebook`).
SIGNAL_DESCRIPTIONS = {
    "term": "The adverse-event term: a normalised term (case, spacing, hyphens ignored) in its "
    "most frequent spelling, or a configured outcome's label (its synonyms count as one term).",
    "organ_system": "MedDRA system organ class (adverse_events.csv `organ_system`, normalised "
    "through workflow/resources/meddra_soc.yaml); the most frequent over the term's trials; "
    "`unclassified` when no trial gives one. The double-FDR flag groups terms by it.",
    "k": "Trials that report the term for both roles (a trial reporting it for one role only "
    "is left out: a term absent from a table is not reported, never zero).",
    "events_cni": "Patients with the event in the CNI arms of those trials (per trial and arm "
    "the largest single row of the term; arms of a role added).",
    "n_cni": "Patients at risk in those arms (each row's `n_at_risk`, else the arm's n).",
    "events_comparator": "As `events_cni`, comparator arms.",
    "n_comparator": "As `n_cni`, comparator arms.",
    "estimate": "Mantel-Haenszel odds ratio, CNI vs comparator, stratified by trial (no "
    "continuity correction); empty unless estimated.",
    "ci_low": "Lower bound of its 95% interval (Robins-Breslow-Greenland variance).",
    "ci_high": "Upper bound of its 95% interval.",
    "status": "`estimated` or `not_estimable` (the odds ratio; the test below exists either way).",
    "reason": "Why the odds ratio is missing: `no_comparator_events`, `no_cni_events`, "
    "`no_events`, `no_comparable_study` (k = 0); empty when estimated.",
    "p_value": "Exact conditional two-sided p-value of odds ratio 1 stratified by trial (R "
    "`mantelhaen.test(exact = TRUE)`; `fisher.test` when k = 1): the null probability of every "
    "total of CNI events no more probable than the observed one. Empty when k = 0.",
    "p_mid": "Two-sided mid-p of the same conditional distribution (Lancaster 1961): twice the "
    "smaller tail with half the probability of the observed total, at most 1.",
    "p_bh": "Benjamini-Hochberg adjusted `p_value` over the terms with `in_family` true of the "
    'same `analysis` (R `p.adjust(method = "BH")`); empty outside the family.',
    "flag_bh": "true when `p_bh` is at most config.yaml `signals.alpha` (default 0.1).",
    "flag_double_fdr": "true when flagged by the double FDR grouped by `organ_system` (Mehrotra "
    "& Adewale 2012, as R MHTmult `DFDR2.p.adjust`): the organ system's representative (its "
    "smallest within-system BH value) is at most `signals.group_alpha` after BH across "
    "systems, and `p_double_fdr` is at most `signals.alpha`.",
    "analysis": "`reported` (every reported term); `serious_absent_as_zero` (sensitivity, only "
    "with config.yaml `signals.serious_absent_as_zero`: serious rows only, a term absent from "
    "a registry record's assessed serious table counted as 0 serious events of that arm).",
    "outcome": "The configured outcome the term is (config.yaml `outcomes`), or empty.",
    "method": "`MH` (the estimate's method).",
    "measure": "`OR`.",
    "in_family": "true when the term enters the multiplicity families: a test exists and its "
    "trials have at least config.yaml `signals.min_events` events (default 2). A term with 0 "
    "or 1 event cannot reach a small exact p-value; its total is a margin of the conditional "
    "test, so leaving it out does not depend on the treatment effect (Tarone 1990).",
    "p_organ_system": "The organ system's representative p-value after BH across systems "
    "(the double FDR's first stage); empty outside the family.",
    "p_double_fdr": "The term's BH-adjusted p-value within its organ system (second stage); "
    "empty where the system was not kept or the term is outside the family.",
    "studies": "The trials of `k`, `;`-separated ids.",
    "organ_system_note": "Where trials give the term different organ systems: the others and "
    "in how many trials (the most frequent is used); empty otherwise.",
}
