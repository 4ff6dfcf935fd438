"""The PRISMA 2020 flow of studies (``results/tables/prisma.csv``), computed from the committed
registry search, the selection decisions and the study folders.

PRISMA 2020 (Page et al., BMJ 2021;372:n71) and its flow diagram for updated reviews, which a
living review (Elliott et al., J Clin Epidemiol 2017;91:23) redraws at every search: studies
included in the previous version; new records from registers, per search date, and from other
methods (letters, reviews, hand entry); duplicates and records of studies already included
removed; records screened, excluded with reasons counted, awaiting a decision and included; the
new and total studies and reports; and the studies pooled per outcome.

Rules (README "Finding new trials"):

- The *previous version* is the review as it stood at the latest search: a study whose
  inclusion was decided (``decided_on``) before the latest search date. Without a committed
  search there is no previous version.
- A registry record is one of the search table's rows. Its decision is its row in
  ``data/study_selection.csv``, else it awaits one; a record a study folder names in its
  ``registry`` field is an inclusion of that folder.
- A new study that no registry record brought in was identified by other methods (a letter, a
  review, hand entry: its ``include`` row, or a folder without any); so were the excluded,
  awaiting and ``same_study_as`` records of the selection file that the search did not find.
- The registry boxes are cumulative over every search; the boxes of other methods leave out
  the records of studies in the previous version, as the registry's remove them before
  screening.
- A study is a folder without ``same_participants_as``; every folder is a report, and so is a
  ``same_study_as`` record without a folder of its own.

The table is long: one row per box (:class:`PrismaBox`), with the search date where the box is
about the registry search, a count and a detail (ids, a reason, a query, an outcome id).
Figures and the methods text format these rows; they compute nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from raremeta.io.ctgov_search import SearchQuery, SearchResult, named_registry_ids
from raremeta.io.study_selection import Decision, SelectionRow, record_key

#: Columns of ``results/tables/prisma.csv``.
PRISMA_COLUMNS = ["box", "search_date", "count", "detail"]
#: The separator of ids in a ``detail`` cell.
ID_SEPARATOR = "; "


class PrismaBox(StrEnum):
    """The boxes of the PRISMA 2020 flow for updated reviews, in the table's order."""

    PREVIOUS_STUDIES = "previous_studies"
    PREVIOUS_REPORTS = "previous_reports"
    REGISTRY_QUERY = "registry_query"
    REGISTRY_RECORDS = "registry_records"
    DUPLICATES_REMOVED = "duplicates_removed"
    ALREADY_INCLUDED = "already_included"
    REGISTRY_SCREENED = "registry_screened"
    REGISTRY_EXCLUDED = "registry_excluded"
    REGISTRY_EXCLUDED_REASON = "registry_excluded_reason"
    REGISTRY_AWAITING = "registry_awaiting"
    REGISTRY_SAME_STUDY = "registry_same_study"
    REGISTRY_INCLUDED = "registry_included"
    OTHER_RECORDS = "other_records"
    OTHER_EXCLUDED = "other_excluded"
    OTHER_EXCLUDED_REASON = "other_excluded_reason"
    OTHER_AWAITING = "other_awaiting"
    OTHER_SAME_STUDY = "other_same_study"
    OTHER_INCLUDED = "other_included"
    NEW_STUDIES = "new_studies"
    NEW_REPORTS = "new_reports"
    TOTAL_STUDIES = "total_studies"
    TOTAL_REPORTS = "total_reports"
    STUDIES_POOLED = "studies_pooled"


#: What each box counts (the codebook's words).
BOX_MEANING = {
    PrismaBox.PREVIOUS_STUDIES: "studies included in the previous version: inclusion decided "
    "(`decided_on`) before the latest search date; 0 without a committed search",
    PrismaBox.PREVIOUS_REPORTS: "reports of those studies (their folders, and further reports "
    "decided `same_study_as` before that date)",
    PrismaBox.REGISTRY_QUERY: "one row per query of the saved search: the records it found at "
    "the latest search (a record found by two queries counts in both); `detail` the query",
    PrismaBox.REGISTRY_RECORDS: "records identified from ClinicalTrials.gov, one row per search "
    "date: the records of the search table first found at that search, counted once per query "
    "that found them; `detail` how many records that search found; without a committed search "
    "one row of 0",
    PrismaBox.DUPLICATES_REMOVED: "records found by more than one query: the extra counts "
    "removed (each record counts once from here on)",
    PrismaBox.ALREADY_INCLUDED: "records of studies in the previous version, removed before "
    "screening",
    PrismaBox.REGISTRY_SCREENED: "registry records screened (a person's one decision screens "
    "and assesses a record)",
    PrismaBox.REGISTRY_EXCLUDED: "registry records excluded",
    PrismaBox.REGISTRY_EXCLUDED_REASON: "registry records excluded for one reason (`detail`)",
    PrismaBox.REGISTRY_AWAITING: "registry records awaiting a decision (no row in "
    "data/study_selection.csv, or `awaiting`)",
    PrismaBox.REGISTRY_SAME_STUDY: "registry records that are further reports of an included "
    "study (`same_study_as`)",
    PrismaBox.REGISTRY_INCLUDED: "registry records included as new studies",
    PrismaBox.OTHER_RECORDS: "records identified by other methods (letters, reviews, hand "
    "entry): each new study no registry record brought in (its `include` row, or its folder "
    "when it has none), and the excluded, awaiting and `same_study_as` rows of "
    "data/study_selection.csv that the search did not find; records of studies in the previous "
    "version left out",
    PrismaBox.OTHER_EXCLUDED: "records from other methods excluded",
    PrismaBox.OTHER_EXCLUDED_REASON: "records from other methods excluded for one reason "
    "(`detail`)",
    PrismaBox.OTHER_AWAITING: "records from other methods awaiting a decision",
    PrismaBox.OTHER_SAME_STUDY: "records from other methods that are further reports of an "
    "included study",
    PrismaBox.OTHER_INCLUDED: "records from other methods included as new studies",
    PrismaBox.NEW_STUDIES: "new studies included in this version",
    PrismaBox.NEW_REPORTS: "reports of the new studies",
    PrismaBox.TOTAL_STUDIES: "studies included in the review (study folders without "
    "`same_participants_as`)",
    PrismaBox.TOTAL_REPORTS: "reports of included studies (every study folder, and each "
    "`same_study_as` record without a folder of its own)",
    PrismaBox.STUDIES_POOLED: "one row per outcome (`detail` its id): studies in its "
    "comparative analysis (studies.csv `in_comparison`)",
}


@dataclass(frozen=True)
class StudyFolder:
    """What the flow needs of one study folder (a row of ``results/tables/studies.csv``)."""

    study: str
    registry: str = ""
    same_participants_as: str = ""
    in_comparison: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrismaRow:
    """One row of ``prisma.csv``."""

    box: PrismaBox
    count: int
    detail: str = ""
    search_date: str = ""

    def row(self) -> list[object]:
        """The row in :data:`PRISMA_COLUMNS` order."""
        return [str(self.box), self.search_date, self.count, self.detail]


def _ids(values: Iterable[str]) -> str:
    return ID_SEPARATOR.join(sorted(set(values)))


def _reasons(rows: Sequence[SelectionRow]) -> list[tuple[str, int]]:
    """Each exclusion reason with its count, most frequent first, then alphabetical."""
    counts = Counter(r.reason for r in rows)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def prisma_rows(
    folders: Sequence[StudyFolder],
    selection: Sequence[SelectionRow],
    search: SearchResult | None,
    outcomes: Sequence[str],
    saved_queries: Sequence[SearchQuery] = (),
) -> list[PrismaRow]:
    """The PRISMA 2020 flow, box by box (see the module's rules).

    The registry boxes are cumulative over every search (``registry_records`` says at which
    search each record was first found); the records of studies in the previous version are
    removed before screening. Counts add up: the ``registry_records`` rows sum to the records
    found, counted once per query that found them; minus ``duplicates_removed`` and
    ``already_included`` they are ``registry_screened``, which is ``registry_excluded`` +
    ``registry_awaiting`` + ``registry_same_study`` + ``registry_included``. ``other_records``
    is ``other_excluded`` + ``other_awaiting`` + ``other_same_study`` + ``other_included``;
    ``registry_included`` + ``other_included`` = ``new_studies`` = ``total_studies`` -
    ``previous_studies``.

    Parameters
    ----------
    folders : sequence of StudyFolder
        Every study folder.
    selection : sequence of SelectionRow
        The decisions, checked (:func:`raremeta.io.study_selection.read_selection` and
        :func:`~raremeta.io.study_selection.selection_problems`); empty without the file.
    search : SearchResult or None
        The committed search; None when there is none.
    outcomes : sequence of str
        The configured outcome ids, in order (one ``studies_pooled`` row each).
    saved_queries : sequence of SearchQuery
        The configuration's saved search, named when no search is committed yet.
    """
    date = search.search_date if search is not None else ""
    by_study = {f.study: f for f in folders}

    def root(study: str) -> str:
        folder = by_study.get(study)
        return (folder.same_participants_as or study) if folder else study

    roots = sorted(f.study for f in folders if not f.same_participants_as)
    rows_by_key = {r.key: r for r in selection}
    decided: dict[str, str] = {}
    for r in selection:
        if r.decision == Decision.INCLUDE and r.decided_on:
            study = root(r.study_id)
            decided[study] = min(decided.get(study) or r.decided_on, r.decided_on)
    previous = {s for s in roots if date and s in decided and decided[s] < date}
    named: dict[str, str] = {}
    for f in sorted(folders, key=lambda f: f.study):
        for registry_id in named_registry_ids([f.registry]):
            named.setdefault(registry_id, root(f.study))

    def study_of(row: SelectionRow | None, key: str) -> str:
        if row is not None and row.decision == Decision.INCLUDE:
            return root(row.study_id)
        if row is not None and row.decision == Decision.SAME_STUDY:
            return root(row.same_as)
        return named.get(key, "")

    out: list[PrismaRow] = []
    previous_reports = [f.study for f in folders if root(f.study) in previous]
    previous_reports += [
        r.record_id
        for r in selection
        if r.decision == Decision.SAME_STUDY
        and r.study_id not in by_study
        and root(r.same_as) in previous
        and r.decided_on < date
    ]
    if date:
        out.append(PrismaRow(PrismaBox.PREVIOUS_STUDIES, len(previous), _ids(previous)))
        out.append(PrismaRow(PrismaBox.PREVIOUS_REPORTS, len(previous_reports), ""))
    else:
        why = "no earlier version: no registry search committed yet"
        out.append(PrismaRow(PrismaBox.PREVIOUS_STUDIES, 0, why))
        out.append(PrismaRow(PrismaBox.PREVIOUS_REPORTS, 0, why))

    # the registry search, cumulative over its dates
    registry_keys: set[str] = set()
    already: list[str] = []
    excluded: list[SelectionRow] = []
    awaiting: list[str] = []
    same: list[str] = []
    included: list[str] = []
    registry_studies: set[str] = set()
    duplicates = 0
    if search is None:
        saved = "; ".join(q.describe() for q in saved_queries)
        detail = "no registry search committed yet" + (f" (saved search: {saved})" if saved else "")
        out.append(PrismaRow(PrismaBox.REGISTRY_RECORDS, 0, detail))
    else:
        for query in search.queries:
            hits = sum(query.id in r.queries for r in search.records)
            out.append(PrismaRow(PrismaBox.REGISTRY_QUERY, hits, query.describe(), date))
        found_at: dict[str, str] = {}
        for entry in search.history:
            for registry_id in entry.new_records:
                found_at.setdefault(record_key(registry_id), entry.search_date)
        dates = [entry.search_date for entry in search.history] or [date]
        for when in dict.fromkeys(dates):
            records = [
                r for r in search.records if found_at.get(record_key(r.registry_id), date) == when
            ]
            found = next((e.records for e in search.history if e.search_date == when), None)
            detail = f"ClinicalTrials.gov (API {search.api_version or 'v2'})"
            if found is not None:
                detail += f": {found} records found at this search"
            count = sum(max(1, len(r.queries)) for r in records)
            out.append(PrismaRow(PrismaBox.REGISTRY_RECORDS, count, detail, when))
        duplicates = sum(max(1, len(r.queries)) - 1 for r in search.records)
        for record in search.records:
            key = record_key(record.registry_id)
            registry_keys.add(key)
            row = rows_by_key.get(key)
            study = study_of(row, key)
            if study and study in previous:
                already.append(record.registry_id)
            elif row is None and study:  # a study folder names it: an inclusion
                included.append(record.registry_id)
                registry_studies.add(study)
            elif row is None or row.decision == Decision.AWAITING:
                awaiting.append(record.registry_id)
            elif row.decision == Decision.EXCLUDE:
                excluded.append(row)
            elif row.decision == Decision.SAME_STUDY:
                same.append(record.registry_id)
            else:
                included.append(record.registry_id)
                registry_studies.add(study)
    out.append(PrismaRow(PrismaBox.DUPLICATES_REMOVED, duplicates, "", date))
    out.append(PrismaRow(PrismaBox.ALREADY_INCLUDED, len(already), _ids(already), date))
    screened = len(registry_keys) - len(already)
    out.append(PrismaRow(PrismaBox.REGISTRY_SCREENED, screened, "", date))
    out.append(
        PrismaRow(
            PrismaBox.REGISTRY_EXCLUDED, len(excluded), _ids(r.record_id for r in excluded), date
        )
    )
    out += [
        PrismaRow(PrismaBox.REGISTRY_EXCLUDED_REASON, n, reason, date)
        for reason, n in _reasons(excluded)
    ]
    out.append(PrismaRow(PrismaBox.REGISTRY_AWAITING, len(awaiting), _ids(awaiting), date))
    out.append(PrismaRow(PrismaBox.REGISTRY_SAME_STUDY, len(same), _ids(same), date))
    out.append(PrismaRow(PrismaBox.REGISTRY_INCLUDED, len(included), _ids(included), date))

    # other methods: the decisions on records the search did not find (those of studies in the
    # previous version left out), and each new study no registry record brought in
    other = [r for r in selection if r.key not in registry_keys]
    other = [
        r
        for r in other
        if r.decision in (Decision.EXCLUDE, Decision.AWAITING)
        or (r.decision == Decision.SAME_STUDY and root(r.same_as) not in previous)
    ]
    other_studies = sorted(set(roots) - previous - registry_studies)
    other_excluded = [r for r in other if r.decision == Decision.EXCLUDE]
    other_awaiting = [r.record_id for r in other if r.decision == Decision.AWAITING]
    other_same = [r.record_id for r in other if r.decision == Decision.SAME_STUDY]
    out.append(
        PrismaRow(
            PrismaBox.OTHER_RECORDS,
            len(other) + len(other_studies),
            _ids([*(r.record_id for r in other), *other_studies]),
        )
    )
    out.append(
        PrismaRow(
            PrismaBox.OTHER_EXCLUDED, len(other_excluded), _ids(r.record_id for r in other_excluded)
        )
    )
    out += [
        PrismaRow(PrismaBox.OTHER_EXCLUDED_REASON, n, reason)
        for reason, n in _reasons(other_excluded)
    ]
    out.append(PrismaRow(PrismaBox.OTHER_AWAITING, len(other_awaiting), _ids(other_awaiting)))
    out.append(PrismaRow(PrismaBox.OTHER_SAME_STUDY, len(other_same), _ids(other_same)))
    out.append(PrismaRow(PrismaBox.OTHER_INCLUDED, len(other_studies), _ids(other_studies)))

    # totals
    new = sorted(set(roots) - previous)
    all_reports = [f.study for f in folders] + [
        r.record_id
        for r in selection
        if r.decision == Decision.SAME_STUDY and r.study_id not in by_study
    ]
    out.append(PrismaRow(PrismaBox.NEW_STUDIES, len(new), _ids(new)))
    out.append(PrismaRow(PrismaBox.NEW_REPORTS, len(all_reports) - len(previous_reports), ""))
    out.append(PrismaRow(PrismaBox.TOTAL_STUDIES, len(roots), _ids(roots)))
    out.append(PrismaRow(PrismaBox.TOTAL_REPORTS, len(all_reports), ""))
    for outcome in outcomes:
        pooled = [f.study for f in folders if outcome in f.in_comparison]
        out.append(PrismaRow(PrismaBox.STUDIES_POOLED, len(pooled), outcome))
    return out


def prisma_box_counts(rows: Iterable[PrismaRow]) -> dict[PrismaBox, int]:
    """The count of every box that has one row (summed where a box has several rows)."""
    counts: Counter[PrismaBox] = Counter()
    for row in rows:
        counts[row.box] += row.count
    return dict(counts)
