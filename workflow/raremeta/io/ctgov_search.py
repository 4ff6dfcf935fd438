"""The saved ClinicalTrials.gov search: its queries (``registry_search:`` in ``config.yaml``), the
API v2 pages it reads, and its committed result (``data/search/``).

``raremeta search-ctgov`` (:mod:`raremeta.steps.registry_search`) runs every query against
``{api}/studies`` and writes one row per record (:data:`SEARCH_COLUMNS`) with, beside the table,
the raw pages and a manifest (:class:`SearchManifest`): the search date, the API's version, each
page's sha256 and the history of searches (records new at each date). The pipeline reads the
committed result (:func:`read_search`) for the PRISMA flow; it never searches.

Records are read field by field and a missing optional field is an empty cell, never a refusal
(a record without its ``nctId`` is: it cannot be decided on). Parsing is pure: no file is read
here except by :func:`read_search`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_studies import _registry_ids, is_iso_date
from raremeta.io.writing import csv_text

#: Columns of the search table, in order (README "Finding new trials").
SEARCH_COLUMNS = [
    "registry_id",
    "title",
    "status",
    "phase",
    "groups",
    "enrolment",
    "has_results",
    "results_first_posted",
    "queries",
    "in_data_raw",
]
#: Where ``raremeta search-ctgov`` writes by default: the table; the manifest is
#: :func:`manifest_path` and the pages :func:`pages_dir` of it.
DEFAULT_TABLE = Path("data/search/ctgov.csv")
#: Records per page asked of the API (its maximum is 1,000).
PAGE_SIZE = 100
#: The most pages one query may take (a server that keeps sending tokens is stopped).
MAX_PAGES = 1000
#: Only interventional studies are searched (the API's Essie filter).
INTERVENTIONAL = "AREA[StudyType]INTERVENTIONAL"
NCT_ID = re.compile(r"^NCT\d{8}$")
#: Separators inside the ``groups`` cell: between groups, and between a group's interventions.
GROUP_SEPARATOR, INTERVENTION_SEPARATOR = " | ", " + "


@dataclass(frozen=True)
class SearchQuery:
    """One query of the saved search (``config.yaml`` ``registry_search:``).

    Attributes
    ----------
    id : str
        Its id, named in the table's ``queries`` column.
    condition : str
        The API's ``query.cond``.
    interventions : tuple of str
        Any of them (the API's ``query.intr``, joined with ``OR``).
    results_only : bool
        Only studies with results posted (``aggFilters=results:with``).
    terms : str
        Free-text ``query.term`` ("" for none).
    """

    id: str
    condition: str
    interventions: tuple[str, ...]
    results_only: bool = False
    terms: str = ""

    def parameters(self, page_size: int = PAGE_SIZE, page_token: str = "") -> list[tuple[str, str]]:
        """The query string's parameters, in a fixed order.

        Examples
        --------
        >>> q = SearchQuery("q", "lupus nephritis", ("tacrolimus", "mycophenolate mofetil"), True)
        >>> q.parameters(10, "abc")  # doctest: +NORMALIZE_WHITESPACE
        [('query.cond', 'lupus nephritis'),
         ('query.intr', 'tacrolimus OR "mycophenolate mofetil"'),
         ('filter.advanced', 'AREA[StudyType]INTERVENTIONAL'), ('aggFilters', 'results:with'),
         ('pageSize', '10'), ('pageToken', 'abc')]
        """
        words = [f'"{i}"' if re.search(r"\s", i) else i for i in self.interventions]
        parameters = [("query.cond", self.condition), ("query.intr", " OR ".join(words))]
        if self.terms:
            parameters.append(("query.term", self.terms))
        parameters.append(("filter.advanced", INTERVENTIONAL))
        if self.results_only:
            parameters.append(("aggFilters", "results:with"))
        parameters.append(("pageSize", str(page_size)))
        if page_token:
            parameters.append(("pageToken", page_token))
        return parameters

    def definition(self) -> dict[str, Any]:
        """The query as the manifest records it (and ``config.yaml`` states it)."""
        return {
            "id": self.id,
            "condition": self.condition,
            "interventions": list(self.interventions),
            "results_only": self.results_only,
            "terms": self.terms,
        }

    def describe(self) -> str:
        """The query in words, for the PRISMA table and the methods text.

        Examples
        --------
        >>> q = SearchQuery("q", "lupus nephritis", ("tacrolimus", "ciclosporin"))
        >>> print(q.describe())  # doctest: +NORMALIZE_WHITESPACE
        q: condition 'lupus nephritis', interventions tacrolimus OR ciclosporin, interventional
        studies
        """
        text = (
            f"{self.id}: condition '{self.condition}', interventions "
            f"{' OR '.join(self.interventions)}"
        )
        if self.terms:
            text += f", terms '{self.terms}'"
        text += ", interventional studies"
        if self.results_only:
            text += " with results posted"
        return text


def parse_search(document: Mapping[str, Any], file: str = "config.yaml") -> tuple[SearchQuery, ...]:
    """The queries of a schema-valid configuration's ``registry_search`` (none when absent).

    Raises
    ------
    InvalidInputError
        When two queries share an id.
    """
    queries, problems, seen = [], [], set()
    for index, spec in enumerate(document.get("registry_search") or []):
        if spec["id"] in seen:
            problems.append(
                Problem(file, "query id is used twice; each query needs its own id",
                        column=f"registry_search[{index}].id", value=spec["id"])
            )  # fmt: skip
        seen.add(spec["id"])
        queries.append(
            SearchQuery(
                id=spec["id"],
                condition=spec["condition"].strip(),
                interventions=tuple(i.strip() for i in spec["interventions"]),
                results_only=bool(spec.get("results_only", False)),
                terms=(spec.get("terms") or "").strip(),
            )
        )
    if problems:
        raise InvalidInputError(problems)
    return tuple(queries)


def search_problems(document: Mapping[str, Any], file: str) -> list[Problem]:
    """The checks of ``registry_search`` beyond its schema (one id per query), as a list."""
    try:
        parse_search(document, file)
    except InvalidInputError as error:
        return error.problems
    return []


def _get(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, Mapping):
            return None
        record = record.get(key)
    return record


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class SearchRecord:
    """One record found (one row of the search table); empty text where the record has none.

    Attributes
    ----------
    registry_id : str
        The NCT id.
    title, status, phase : str
        ``briefTitle`` (else ``officialTitle``), ``overallStatus``, the ``phases`` joined by
        ``; ``.
    groups : str
        Each arm group ``label (TYPE): intervention + intervention``, joined by `` | ``.
    enrolment : int or None
        ``enrollmentInfo.count`` (actual or anticipated, as the record states it).
    has_results : bool or None
        The record's ``hasResults``.
    results_first_posted : str
        ``resultsFirstPostDateStruct.date``.
    queries : tuple of str
        The ids of the queries that found it, in the configuration's order.
    in_data_raw : bool
        Whether a study folder names the id in its ``registry`` field.
    """

    registry_id: str
    title: str = ""
    status: str = ""
    phase: str = ""
    groups: str = ""
    enrolment: int | None = None
    has_results: bool | None = None
    results_first_posted: str = ""
    queries: tuple[str, ...] = ()
    in_data_raw: bool = False

    def row(self) -> list[Any]:
        """The table row, in :data:`SEARCH_COLUMNS` order."""
        return [
            self.registry_id,
            self.title,
            self.status,
            self.phase,
            self.groups,
            self.enrolment,
            self.has_results,
            self.results_first_posted,
            "; ".join(self.queries),
            self.in_data_raw,
        ]


def _groups(record: Any) -> str:
    groups = _get(record, "protocolSection", "armsInterventionsModule", "armGroups")
    cells = []
    for group in groups if isinstance(groups, list) else []:
        label = _text(_get(group, "label")) or "(no label)"
        kind = _text(_get(group, "type"))
        names = _get(group, "interventionNames")
        names = [_text(n) for n in names if _text(n)] if isinstance(names, list) else []
        cell = f"{label} ({kind})" if kind else label
        if names:
            cell += ": " + INTERVENTION_SEPARATOR.join(names)
        cells.append(cell)
    return GROUP_SEPARATOR.join(cells)


def record_of(record: Any, where: str) -> SearchRecord:
    """A study of a search page as a :class:`SearchRecord` (without ``queries`` and
    ``in_data_raw``, which the search fills in).

    Raises
    ------
    InvalidInputError
        When the study has no NCT id (``protocolSection.identificationModule.nctId``).
    """
    nct = _get(record, "protocolSection", "identificationModule", "nctId")
    if not isinstance(nct, str) or not NCT_ID.match(nct):
        problem = Problem(where, "a study without an NCT id (protocolSection.identificationModule"
                          ".nctId)", value=None if nct is None else str(nct))  # fmt: skip
        raise InvalidInputError([problem])
    identification = _get(record, "protocolSection", "identificationModule")
    title = _text(_get(identification, "briefTitle")) or _text(
        _get(identification, "officialTitle")
    )
    phases = _get(record, "protocolSection", "designModule", "phases")
    phases = [_text(p) for p in phases if _text(p)] if isinstance(phases, list) else []
    count = _get(record, "protocolSection", "designModule", "enrollmentInfo", "count")
    enrolment = count if isinstance(count, int) and not isinstance(count, bool) else None
    has_results = _get(record, "hasResults")
    posted = _get(record, "protocolSection", "statusModule", "resultsFirstPostDateStruct", "date")
    return SearchRecord(
        registry_id=nct,
        title=title,
        status=_text(_get(record, "protocolSection", "statusModule", "overallStatus")),
        phase="; ".join(phases),
        groups=_groups(record),
        enrolment=enrolment,
        has_results=has_results if isinstance(has_results, bool) else None,
        results_first_posted=_text(posted),
    )


def is_interventional(record: Any) -> bool:
    """False only for a record that states another study type (the query asks the API for
    interventional studies; a record without the field is kept).
    """
    kind = _get(record, "protocolSection", "designModule", "studyType")
    return not isinstance(kind, str) or kind.upper() == "INTERVENTIONAL"


def page_studies(page: Any, where: str) -> tuple[list[Any], str]:
    """The studies of one page of ``GET /studies`` and its ``nextPageToken`` ("" on the last).

    Raises
    ------
    InvalidInputError
        When the page is not an object with a list of ``studies``.
    """
    studies = _get(page, "studies")
    if not isinstance(page, Mapping) or not isinstance(studies, list):
        raise InvalidInputError([Problem(where, "not a page of studies (no 'studies' list)")])
    token = page.get("nextPageToken")
    return studies, token if isinstance(token, str) else ""


def named_registry_ids(registry_fields: Iterable[str]) -> set[str]:
    """The ids named by study folders' ``registry`` fields ("NCT02141672; EudraCT ..." names
    two), upper case.
    """
    ids: set[str] = set()
    for text in registry_fields:
        ids |= _registry_ids(text)
    return ids


def table_text(records: Iterable[SearchRecord]) -> str:
    """The search table as CSV text (sorted by registry id; the pipeline's CSV format)."""
    ordered = sorted(records, key=lambda r: r.registry_id)
    return csv_text(SEARCH_COLUMNS, (r.row() for r in ordered))


def manifest_path(table: Path) -> Path:
    """The manifest beside the table: ``data/search/ctgov.csv`` -> ``data/search/ctgov.json``."""
    return Path(table).with_suffix(".json")


def pages_dir(table: Path) -> Path:
    """The folder of raw pages beside the table: ``data/search/ctgov/``."""
    return Path(table).with_suffix("")


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SearchDate:
    """One search of the history: its date, how many records it found, which were new."""

    search_date: str
    records: int
    new_records: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    """The committed search, as the pipeline reads it.

    Attributes
    ----------
    search_date : str
        The date of the latest search that changed the result (ISO).
    api_version : str
        The API's ``apiVersion`` at that search.
    queries : tuple of SearchQuery
        The queries as they were run.
    records : tuple of SearchRecord
        One per record found.
    hits : dict
        Query id -> records it found (a record found by two queries counts in both).
    history : tuple of SearchDate
        Every search that changed the result, oldest first.
    """

    search_date: str
    api_version: str
    queries: tuple[SearchQuery, ...]
    records: tuple[SearchRecord, ...]
    hits: dict[str, int] = field(default_factory=dict)
    history: tuple[SearchDate, ...] = ()


def _bool(text: str, file: str, line: int, column: str, problems: list[Problem]) -> bool | None:
    if text in ("true", "false"):
        return text == "true"
    if text == "":
        return None
    problems.append(Problem(file, "must be true, false or empty", line, column, text))
    return None


def read_search(table: Path, shown: str | None = None) -> SearchResult:
    """Read the committed search (table and manifest) and check that they belong together.

    Raises
    ------
    InvalidInputError
        A manifest that is not the table's (its ``table_sha256``), malformed cells or JSON: one
        line per problem, naming the file, line, column and value.
    """
    table = Path(table)
    shown = shown or str(table)
    manifest_file = manifest_path(table)
    shown_manifest = str(Path(shown).with_suffix(".json"))
    problems: list[Problem] = []
    try:
        data = table.read_bytes()
        manifest = json.loads(manifest_file.read_bytes())
    except OSError as error:
        raise InvalidInputError([Problem(shown, f"cannot read the search: {error}")]) from None
    except ValueError as error:
        raise InvalidInputError([Problem(shown_manifest, f"not valid JSON: {error}")]) from None
    if not isinstance(manifest, dict) or manifest.get("table_sha256") != sha256(data):
        raise InvalidInputError(
            [
                Problem(
                    shown_manifest,
                    "is not the manifest of this table (table_sha256 differs); "
                    "rerun raremeta search-ctgov",
                )
            ]
        )
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, [])
    if header != SEARCH_COLUMNS:
        problem = Problem(shown, f"columns must be {', '.join(SEARCH_COLUMNS)}", 1)
        raise InvalidInputError([problem])
    records = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(SEARCH_COLUMNS):
            problems.append(Problem(shown, "wrong number of fields", line))
            continue
        row = dict(zip(SEARCH_COLUMNS, cells, strict=True))
        if not NCT_ID.match(row["registry_id"]):
            problems.append(
                Problem(shown, "not an NCT id", line, "registry_id", row["registry_id"])
            )
        enrolment = None
        if row["enrolment"]:
            if row["enrolment"].isdigit():
                enrolment = int(row["enrolment"])
            else:
                problems.append(
                    Problem(shown, "must be a whole number", line, "enrolment", row["enrolment"])
                )
        records.append(
            SearchRecord(
                registry_id=row["registry_id"],
                title=row["title"],
                status=row["status"],
                phase=row["phase"],
                groups=row["groups"],
                enrolment=enrolment,
                has_results=_bool(row["has_results"], shown, line, "has_results", problems),
                results_first_posted=row["results_first_posted"],
                queries=tuple(q for q in row["queries"].split("; ") if q),
                in_data_raw=bool(_bool(row["in_data_raw"], shown, line, "in_data_raw", problems)),
            )
        )
    date = str(manifest.get("search_date", ""))
    if not is_iso_date(date):
        problems.append(
            Problem(shown_manifest, "not a date (YYYY-MM-DD)", None, "search_date", date)
        )
    queries, hits = [], {}
    for spec in manifest.get("queries") or []:
        try:
            queries.append(
                SearchQuery(
                    str(spec["id"]),
                    str(spec["condition"]),
                    tuple(map(str, spec["interventions"])),
                    bool(spec.get("results_only", False)),
                    str(spec.get("terms") or ""),
                )
            )
            hits[str(spec["id"])] = int(spec.get("records", 0))
        except (KeyError, TypeError, ValueError) as error:
            problems.append(Problem(shown_manifest, f"malformed query ({error})", column="queries"))
    history = []
    for entry in manifest.get("history") or []:
        try:
            history.append(
                SearchDate(
                    str(entry["search_date"]),
                    int(entry["records"]),
                    tuple(map(str, entry.get("new_records", []))),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            problems.append(
                Problem(shown_manifest, f"malformed history ({error})", column="history")
            )
    if problems:
        raise InvalidInputError(problems)
    return SearchResult(
        search_date=date,
        api_version=str(manifest.get("apiVersion", "")),
        queries=tuple(queries),
        records=tuple(records),
        hits=hits,
        history=tuple(history),
    )
