"""`raremeta search-ctgov`: run the saved search against the ClinicalTrials.gov API v2.

Every query of ``config.yaml`` ``registry_search:`` is sent to ``{api}/studies`` (condition,
interventions, interventional studies, ``pageSize``), following ``nextPageToken`` as
``pageToken`` to the last page, and ``{api}/version`` is read. One row per record goes to the
table (``data/search/ctgov.csv`` by default, :data:`raremeta.io.ctgov_search.SEARCH_COLUMNS`);
beside it, ``ctgov/`` holds every page as received and ``ctgov.json`` the manifest: the search
date, the API's version, each page's URL and sha256, each query and how many records it found,
and the history of searches (the records new at each date).

Nothing is written unless every page of every query arrived (an HTTP error in the middle of
paging writes nothing: exit code 3), and a search whose records and fields did not change
writes nothing at all (the weekly job then opens no pull request for a new date alone). This
is the only code that searches; the Snakemake workflow reads the committed result.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raremeta.io.ctgov_search import (
    DEFAULT_TABLE,
    MAX_PAGES,
    PAGE_SIZE,
    SearchQuery,
    SearchRecord,
    is_interventional,
    manifest_path,
    named_registry_ids,
    page_studies,
    pages_dir,
    parse_search,
    record_of,
    sha256,
    table_text,
)
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_studies import STUDY_FILE
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import schema_problems
from raremeta.io.writing import atomic_write_text
from raremeta.steps.registry_fetch import API_URL, RegistryUnreachableError, _get


@dataclass(frozen=True)
class SearchOutcome:
    """What a search did.

    Attributes
    ----------
    written : bool
        Whether anything was written (False: records and fields unchanged).
    records : tuple of SearchRecord
        The records found.
    new_records : tuple of str
        Ids not in the previous table (all of them at a first search).
    previous_date : str
        The date of the search the unchanged result is from ("" for none).
    """

    written: bool
    records: tuple[SearchRecord, ...]
    new_records: tuple[str, ...]
    previous_date: str = ""


def load_queries(config: Path) -> tuple[SearchQuery, ...]:
    """The saved search of ``config`` (a ``config.yaml``), checked against the config schema.

    Raises
    ------
    InvalidInputError
        A configuration that does not validate, or one without queries.
    """
    shown = str(config)
    try:
        document = load_yaml(Path(config), shown)
    except OSError as error:
        raise InvalidInputError(
            [Problem(shown, f"cannot read the configuration: {error}")]
        ) from None
    problems = schema_problems(document, "config", shown)
    if problems:
        raise InvalidInputError(problems)
    queries = parse_search(document, shown)
    if not queries:
        problem = Problem(shown, "no saved search: add queries under registry_search (README, "
                          "\"Finding new trials\")", column="registry_search")  # fmt: skip
        raise InvalidInputError([problem])
    return queries


def registry_fields(raw_dir: Path) -> list[str]:
    """The ``registry`` field of every study folder (read plainly, before anything is fetched).

    Raises
    ------
    InvalidInputError
        A ``study.yaml`` that cannot be read as YAML (one line per folder).
    """
    fields, problems = [], []
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        path = folder / STUDY_FILE
        if not path.is_file():
            continue
        try:
            document = load_yaml(path, str(path))
        except InvalidInputError as error:
            problems += error.problems
            continue
        if isinstance(document, dict) and document.get("registry") is not None:
            fields.append(str(document["registry"]))
    if problems:
        raise InvalidInputError(problems)
    return fields


@dataclass(frozen=True)
class _Page:
    query: str
    number: int
    url: str
    data: bytes


def _run_query(query: SearchQuery, base: str, page_size: int) -> tuple[list[_Page], list[Any]]:
    pages: list[_Page] = []
    studies: list[Any] = []
    token, seen = "", set()
    while True:
        url = f"{base}/studies?{urllib.parse.urlencode(query.parameters(page_size, token))}"
        data = _get(url)
        try:
            page = json.loads(data)
        except ValueError as error:
            raise RegistryUnreachableError(
                f"{url}: the API answered with no JSON ({error})"
            ) from None
        found, token = page_studies(page, url)
        pages.append(_Page(query.id, len(pages) + 1, url, data))
        studies += found
        if not token:
            return pages, studies
        if token in seen or len(pages) >= MAX_PAGES:
            problem = Problem(url, "the API repeats a page token; paging stopped", value=token)
            raise InvalidInputError([problem])
        seen.add(token)


def _previous(table: Path) -> tuple[str, dict[str, Any]]:
    """The previous table's text and manifest ("" and {} when there is none or it is broken)."""
    try:
        text = table.read_text(encoding="utf-8")
        manifest = json.loads(manifest_path(table).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", {}
    return (text, manifest) if isinstance(manifest, dict) else ("", {})


def _write_pages(folder: Path, pages: list[_Page], version: bytes) -> None:
    """Write the pages and the version answer into a staging folder beside ``folder``, then
    put it in place of the old one.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.search-"))
    try:
        for page in pages:
            (staging / f"{page.query}-{page.number:03d}.json").write_bytes(page.data)
        (staging / "version.json").write_bytes(version)
        aside = folder.with_name(f".{folder.name}.replaced")
        if aside.exists():
            shutil.rmtree(aside)
        if folder.exists():
            folder.rename(aside)
        staging.rename(folder)
        shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def search_ctgov(
    config: Path = Path("config.yaml"),
    out: Path = DEFAULT_TABLE,
    api_url: str = API_URL,
    raw_dir: Path = Path("data/raw"),
    today: str | None = None,
    page_size: int | None = None,
    on_progress: Callable[[str], None] = lambda line: None,
) -> SearchOutcome:
    """Run every query of the saved search; write the table, its pages and its manifest, or
    nothing (a failure, or no record or field changed).

    Parameters
    ----------
    config : Path
        The ``config.yaml`` with ``registry_search:``.
    out : Path
        The table; the manifest and the pages go beside it.
    api_url : str
        The API's base URL.
    raw_dir : Path
        The study folders (``in_data_raw``: a folder names the id in ``registry``).
    today : str, optional
        The search date (ISO); default today's UTC date.
    page_size : int, optional
        Records per page asked of the API (default :data:`PAGE_SIZE`).
    on_progress : callable
        Told one line per query (records and pages found).

    Raises
    ------
    InvalidInputError
        A bad configuration, a study.yaml that is not YAML, a page without ``studies``, a
        study without an NCT id: nothing was written.
    RegistryUnreachableError
        The API could not be reached, answered with an HTTP error or with no JSON (also in the
        middle of paging): nothing was written.
    """
    queries = load_queries(config)
    page_size = page_size or PAGE_SIZE
    in_raw = named_registry_ids(registry_fields(raw_dir))
    base = api_url.rstrip("/")
    today = today or datetime.now(UTC).date().isoformat()
    pages: list[_Page] = []
    found: dict[str, tuple[SearchRecord, list[str]]] = {}
    hits: dict[str, int] = {}
    for query in queries:
        query_pages, studies = _run_query(query, base, page_size)
        pages += query_pages
        ids = set()
        for index, study in enumerate(studies):
            if not is_interventional(study):
                continue
            record = record_of(study, f"{query_pages[0].url} (study {index + 1})")
            ids.add(record.registry_id)
            found.setdefault(record.registry_id, (record, []))[1].append(query.id)
        hits[query.id] = len(ids)
        on_progress(f"{query.id}: {len(ids)} records in {len(query_pages)} page(s)")
    version_bytes = _get(f"{base}/version")
    try:
        version = json.loads(version_bytes)
    except ValueError as error:
        raise RegistryUnreachableError(
            f"{base}/version: the API answered with no JSON ({error})"
        ) from None
    if not isinstance(version, dict):
        raise RegistryUnreachableError(f"{base}/version: the API answered with no version")
    records = tuple(
        SearchRecord(
            **{
                **record.__dict__,
                "queries": tuple(dict.fromkeys(qs)),
                "in_data_raw": record.registry_id.upper() in in_raw,
            }
        )
        for record, qs in found.values()
    )
    text = table_text(records)
    definitions = [q.definition() for q in queries]
    old_text, old = _previous(Path(out))
    old_ids = {row[0] for row in list(csv.reader(io.StringIO(old_text)))[1:] if row}
    new_ids = tuple(sorted(set(found) - old_ids))
    if (
        old_text == text
        and [
            {k: v for k, v in q.items() if k not in ("records", "pages")}
            for q in old.get("queries", [])
        ]
        == definitions
    ):
        return SearchOutcome(False, records, (), str(old.get("search_date", "")))
    history = [h for h in old.get("history", []) if isinstance(h, dict)]
    # a second search on one day replaces that day's entry, keeping the records new that day
    earlier = next((h for h in history if h.get("search_date") == today), {})
    new_today = sorted(set(new_ids) | set(earlier.get("new_records", [])) & set(found))
    history = [h for h in history if h.get("search_date") != today]
    history.append({"search_date": today, "records": len(records), "new_records": new_today})
    folder = pages_dir(Path(out))
    manifest = {
        "search_date": today,
        "api_url": base,
        "apiVersion": str(version.get("apiVersion", "")),
        "dataTimestamp": str(version.get("dataTimestamp", "")),
        "table": Path(out).name,
        "table_sha256": sha256(text.encode("utf-8")),
        "queries": [
            {
                **definition,
                "records": hits[definition["id"]],
                "pages": [
                    {
                        "file": f"{folder.name}/{p.query}-{p.number:03d}.json",
                        "url": p.url,
                        "sha256": sha256(p.data),
                    }
                    for p in pages
                    if p.query == definition["id"]
                ],
            }
            for definition in definitions
        ],
        "history": history,
    }
    _write_pages(folder, pages, version_bytes)
    atomic_write_text(manifest_path(Path(out)), json.dumps(manifest, indent=2) + "\n")
    atomic_write_text(Path(out), text)
    return SearchOutcome(True, records, new_ids)
