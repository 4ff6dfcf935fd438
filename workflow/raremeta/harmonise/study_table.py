"""One row per study folder with what a methodologist checks beside its counts:
``results/tables/studies.csv``, and the review's "data as of" date.
"""

from __future__ import annotations

from collections.abc import Iterable

from raremeta.harmonise.outcome_rows import population_code, source_kinds_code
from raremeta.harmonise.quality import percent_check
from raremeta.io.raw_studies import ROLES, Study

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
    "population_cni",
    "population_comparator",
    "year",
]

#: Columns of ``results/tables/characteristics.csv``: one row per study and baseline
#: characteristic of its ``characteristics.csv`` (file order).
CHARACTERISTIC_COLUMNS = [
    "study",
    "label",
    "population",
    "characteristic",
    "count",
    "denominator",
    "reported_percent",
    "computed_percent",
    "percent_check",
    "source",
    "location",
    "quote",
    "source_kind",
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
        **{f"population_{role}": population_code(study.arms_of(role)) for role in ROLES},
        "year": study.year,
        "subgroups": dict(study.subgroups),
    }


def characteristic_rows(study: Study, tolerance: float = 0.0) -> list[dict]:
    """The study's baseline characteristics as rows of :data:`CHARACTERISTIC_COLUMNS`:
    ``computed_percent`` is 100 x count / denominator (empty without a count) and
    ``percent_check`` the :class:`~raremeta.io.raw_studies.PercentCheck` of the printed
    percentage (the check behind the harmonisation log's data-quality warnings; ``tolerance``
    is ``percent_tolerance`` of ``config.yaml``).
    """
    return [
        {
            "study": study.id,
            "label": study.label,
            "population": c.population,
            "characteristic": c.characteristic,
            "count": c.count,
            "denominator": c.denominator,
            "reported_percent": c.reported_percent,
            "computed_percent": None if c.count is None else 100.0 * c.count / c.denominator,
            "percent_check": percent_check(
                c.count, c.denominator, c.reported_percent, tolerance
            ).value,
            "source": c.source,
            "location": c.location,
            "quote": c.quote,
            "source_kind": c.source_kind,
        }
        for c in study.characteristics
    ]


def data_as_of(dates: Iterable[str]) -> str:
    """The latest of the studies' ``data_as_of`` dates (ISO, so the largest string); empty
    when no study states one.
    """
    return max((d for d in dates if d), default="")
