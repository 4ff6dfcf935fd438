"""One study's adverse-event counts by patient subgroup (``adverse_events.csv`` rows with a
``subgroup``), per configured outcome, subgroup and role: the input of the within-trial
interaction (``results/tables/within_trial_subgroups.csv``).

These rows are never the arm's counts: harmonisation (:mod:`raremeta.harmonise.outcome_rows`)
reads ``Study.events`` only, and subgroup rows are kept apart in ``Study.subgroup_events``.
"""

from __future__ import annotations

from raremeta.io.analysis_config import AnalysisConfig
from raremeta.io.raw_studies import ROLES, Study
from raremeta.io.terms import normalise_term

#: The keys of each row (a per-study record's ``subgroup_counts``).
SUBGROUP_COUNT_COLUMNS = [
    "study",
    "outcome",
    "subgroup_variable",
    "subgroup",
    "role",
    "events",
    "n",
]


def subgroup_count_rows(study: Study, config: AnalysisConfig) -> list[dict]:
    """The study's counts by subgroup: one row per configured outcome, declared subgroup and
    role where every arm of the role reports a term of the outcome for that subgroup.

    As for the arm's counts, an arm with several matching rows for one subgroup (several
    terms, or one term in two tables) gives the row with the most events, a lower bound (rows
    are never summed); arms of one role are added up (events and the subgroup's patients), the
    role being left out for a subgroup that one of its arms does not report. Groups are in the
    order the first arm of the study declares them (the reference group first).
    """
    rows: list[dict] = []
    if not study.subgroup_events:
        return rows
    groups = list(dict.fromkeys(g for arm in study.arms for g, _ in arm.subgroups))
    for outcome in config.outcomes:
        keys = outcome.keys
        for group in groups:
            for role in ROLES:
                total_events, total_n = 0, 0
                for arm in study.arms_of(role):
                    matched = [
                        r.events
                        for r in study.subgroup_events
                        if r.arm == arm.id
                        and r.subgroup == group
                        and normalise_term(r.term) in keys
                    ]
                    if not matched:
                        break
                    total_events += max(matched)
                    total_n += arm.subgroup_n(group)
                else:
                    rows.append(
                        {
                            "study": study.id,
                            "outcome": outcome.id,
                            "subgroup_variable": study.subgroup_variable,
                            "subgroup": group,
                            "role": str(role),
                            "events": total_events,
                            "n": total_n,
                        }
                    )
    return rows
