"""One row per study folder with what a methodologist checks beside its counts:
``results/tables/studies.csv``, and the review's "data as of" date.
"""

from __future__ import annotations

from collections.abc import Iterable

from raremeta.harmonise.outcome_rows import source_kinds_code
from raremeta.io.raw_studies import Study

#: Columns of ``results/tables/studies.csv``.
STUDY_TABLE_COLUMNS = [
    "study",
    "label",
    "registry",
    "pooled",
    "same_participants_as",
    "follow_up_weeks",
    "source_kinds",
    "data_as_of",
    "in_comparison",
]


def study_facts(study: Study) -> dict:
    """The facts of one validated study, stored in its per-study record: its row of
    :data:`STUDY_TABLE_COLUMNS` but ``pooled``, which the record derives from
    ``same_participants_as`` (:attr:`raremeta.io.intermediate.StudyRecord.pooled`), and
    ``in_comparison``, which rule `gather_studies` derives from its harmonised rows
    (:func:`raremeta.analysis.outcome_data.outcomes_in_comparison`);
    ``source_kinds`` covers every count the folder gives (see
    :func:`~raremeta.harmonise.outcome_rows.source_kinds_code`).
    """
    return {
        "study": study.id,
        "label": study.label,
        "registry": study.registry,
        "same_participants_as": study.same_participants_as,
        "follow_up_weeks": study.follow_up_weeks,
        "source_kinds": source_kinds_code(r.source_kind for r in study.events),
        "data_as_of": study.data_as_of,
    }


def data_as_of(dates: Iterable[str]) -> str:
    """The latest of the studies' ``data_as_of`` dates (ISO, so the largest string); empty
    when no study states one.
    """
    return max((d for d in dates if d), default="")
