"""`raremeta fetch-ctgov` and `raremeta refresh-ctgov`: records from the ClinicalTrials.gov API.

``fetch`` saves a record's bytes as received and, beside it, ``FILE.version.json`` with the
API's ``apiVersion`` and ``dataTimestamp`` (``GET /version``). ``refresh`` re-fetches the record
of every study folder that has a ``registry_import.yaml`` and, where its content changed (a new
``versionHolder`` alone is no change), re-imports it from the saved arguments (``--force``:
hand-written files stay). Hand-entered studies are never touched. Every imported folder is read
and checked before anything is fetched; a refresh that stops at a study says exactly which
studies it had re-imported before (:class:`RefreshStoppedError`).
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raremeta.io.ctgov import IMPORTER_VERSION, record_content
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_studies import STUDY_FILE
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.writing import atomic_write_bytes
from raremeta.steps.registry_import import (
    ARGUMENTS_FILE,
    RECORD_FILE,
    import_ctgov,
    recover_study_folders,
)

API_URL = "https://clinicaltrials.gov/api/v2"
NCT_ID = re.compile(r"^NCT\d{8}$")
TIMEOUT = 60


class RegistryUnreachableError(OSError):
    """The registry could not be reached, answered with an HTTP error other than 404, or
    answered with no JSON (``raremeta`` exit code 3: trying again later may help).
    """


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            problem = Problem(url, "the registry has no such record (HTTP 404)")
            raise InvalidInputError([problem]) from None
        raise RegistryUnreachableError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryUnreachableError(f"{url}: cannot reach the registry ({reason})") from None


def fetch_record(nct_id: str, api_url: str = API_URL) -> tuple[bytes, dict[str, str]]:
    """The record's bytes as received and the API's version facts.

    Raises
    ------
    InvalidInputError
        If ``nct_id`` is not an NCT id or the answer is not a JSON study record.
    RegistryUnreachableError
        If the API cannot be reached or answers with an HTTP error.
    """
    if not NCT_ID.match(nct_id):
        problem = Problem("command line", "not an NCT id (NCT + 8 digits)", value=nct_id)
        raise InvalidInputError([problem])
    base = api_url.rstrip("/")
    data = _get(f"{base}/studies/{nct_id}")
    version_bytes = _get(f"{base}/version")
    try:
        record = json.loads(data)
        version = json.loads(version_bytes)
    except ValueError as error:
        raise RegistryUnreachableError(f"{base}: the API answered with no JSON ({error})") from None
    if not isinstance(record, dict) or not isinstance(version, dict):
        raise RegistryUnreachableError(f"{base}: the API answered with JSON that is no record")
    protocol = record.get("protocolSection")
    identification = protocol.get("identificationModule") if isinstance(protocol, dict) else None
    found = identification.get("nctId") if isinstance(identification, dict) else None
    if found != nct_id:
        where = f"{base}/studies/{nct_id}"
        problem = Problem(where, "the answer is not this study's record", value=str(found))
        raise InvalidInputError([problem])
    facts = {key: str(version.get(key, "")) for key in ("apiVersion", "dataTimestamp")}
    return data, facts


def fetch_ctgov(nct_id: str, out: Path, api_url: str = API_URL) -> dict[str, str]:
    """Save the record to ``out`` and its version facts to ``out.version.json``; nothing is
    written unless both answers arrived and the record is this study's, and a record whose
    version file cannot be written is removed again (never one without the other).
    """
    data, facts = fetch_record(nct_id, api_url)
    version = {"nctId": nct_id, "url": f"{api_url.rstrip('/')}/studies/{nct_id}", **facts}
    atomic_write_bytes(Path(out), data)
    try:
        atomic_write_bytes(
            Path(f"{out}.version.json"),
            (json.dumps(version, indent=2, sort_keys=True) + "\n").encode(),
        )
    except BaseException:
        Path(out).unlink(missing_ok=True)
        raise
    return facts


@dataclass(frozen=True)
class SavedImport:
    """What refreshing one imported study folder needs, read and checked before any fetch.

    Attributes
    ----------
    study_id : str
        The folder's name, which ``registry_import.yaml`` repeats.
    registry : str
        The NCT id (``study.yaml``'s ``registry``).
    roles, drugs : dict
        The import's ``--role`` and ``--drug`` (``registry_import.yaml``).
    content : Any
        The saved record without its ``versionHolder`` (:func:`record_content`).
    importer_version : int
        ``registry_import.yaml``'s ``importer_version`` (1 where it has none): an import older
        than :data:`~raremeta.io.ctgov.IMPORTER_VERSION` is redone even for an unchanged record.
    """

    study_id: str
    registry: str
    roles: dict[str, str]
    drugs: dict[str, str]
    content: Any
    importer_version: int = 1


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did, study by study (folder names, in the order checked).

    Attributes
    ----------
    reimported : tuple of str
        Re-imported from a changed record: the folder is the new import, whole.
    unchanged : tuple of str
        Fetched, content unchanged: not touched.
    not_checked : tuple of str
        Not reached because the refresh stopped (empty when it finished).
    """

    reimported: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    not_checked: tuple[str, ...] = ()


class RefreshStoppedError(Exception):
    """A refresh stopped at one study; ``report`` says exactly what it had changed before.

    Attributes
    ----------
    study : str
        The study the refresh stopped at (its folder is as it was).
    report : RefreshReport
        The studies re-imported and left unchanged before it, and those not reached.
    cause : InvalidInputError or OSError
        Why it stopped (:class:`RegistryUnreachableError` when the registry could not be
        reached).
    """

    def __init__(self, study: str, report: RefreshReport, cause: Exception):
        self.study, self.report, self.cause = study, report, cause
        super().__init__(f"{cause}\n{describe_stop(study, report)}")


def describe_stop(study: str, report: RefreshReport) -> str:
    r"""One line: where a refresh stopped and exactly what it had changed before.

    Examples
    --------
    >>> print(describe_stop("b", RefreshReport(("a",), (), ("c",))).replace("; ", ";\n"))
    refresh-ctgov stopped at b (its folder is unchanged);
    re-imported before that: a;
    not checked: c
    >>> describe_stop("a", RefreshReport())
    'refresh-ctgov stopped at a (its folder is unchanged); nothing was written'
    """
    parts = [f"refresh-ctgov stopped at {study} (its folder is unchanged)"]
    if report.reimported:
        parts.append(f"re-imported before that: {', '.join(report.reimported)}")
    else:
        parts.append("nothing was written")
    if report.unchanged:
        parts.append(f"unchanged: {', '.join(report.unchanged)}")
    if report.not_checked:
        parts.append(f"not checked: {', '.join(report.not_checked)}")
    return "; ".join(parts)


def _group_map(value: Any, file: str, key: str, problems: list[Problem]) -> dict[str, str]:
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items())
    ):
        return dict(value)
    problems.append(
        Problem(file, "must map event-group ids to text (e.g. EG000: cni)", column=key,
                value=None if value is None else str(value))
    )  # fmt: skip
    return {}


def read_saved_import(folder: Path) -> SavedImport:
    """Read and check what refreshing ``folder`` needs: ``registry_import.yaml`` (``study_id``
    the folder's name, ``roles`` and ``drugs`` maps), ``study.yaml``'s ``registry`` (an NCT id)
    and the saved record (JSON).

    Raises
    ------
    InvalidInputError
        One line per problem, naming the file, the field and the value.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    documents: dict[str, Any] = {}
    for name in (ARGUMENTS_FILE, STUDY_FILE):
        path = folder / name
        if not path.is_file():
            problems.append(Problem(str(path), "file is missing; rerun import-ctgov --force"))
            continue
        try:
            documents[name] = load_yaml(path)
        except InvalidInputError as error:
            problems += error.problems
            continue
        if not isinstance(documents[name], dict):
            problems.append(Problem(str(path), "not a YAML mapping (key: value lines)"))
            documents.pop(name)
    saved = documents.get(ARGUMENTS_FILE)
    roles: dict[str, str] = {}
    drugs: dict[str, str] = {}
    if saved is not None:
        shown = str(folder / ARGUMENTS_FILE)
        if saved.get("study_id") != folder.name:
            problems.append(
                Problem(shown, f"study_id must be the folder's name ({folder.name})",
                        column="study_id", value=str(saved.get("study_id")))
            )  # fmt: skip
        roles = _group_map(saved.get("roles"), shown, "roles", problems)
        drugs = _group_map(saved.get("drugs"), shown, "drugs", problems)
    study = documents.get(STUDY_FILE)
    registry = ""
    if study is not None:
        registry = str(study.get("registry", ""))
        if not NCT_ID.match(registry):
            problems.append(
                Problem(str(folder / STUDY_FILE), "registry must be an NCT id (NCT + 8 digits)",
                        column="registry", value=registry)
            )  # fmt: skip
    record_path = folder / RECORD_FILE
    content = None
    try:
        content = record_content(json.loads(record_path.read_bytes()))
    except OSError as error:
        problems.append(Problem(str(record_path), f"cannot read the saved record: {error}"))
    except ValueError as error:
        problems.append(Problem(str(record_path), f"not valid JSON: {error}"))
    version = saved.get("importer_version", 1) if saved is not None else 1
    if not isinstance(version, int) or isinstance(version, bool):
        problems.append(
            Problem(str(folder / ARGUMENTS_FILE), "importer_version must be a whole number",
                    column="importer_version", value=str(version))
        )  # fmt: skip
    if problems:
        raise InvalidInputError(problems)
    return SavedImport(folder.name, registry, roles, drugs, content, version)


def refresh_ctgov(
    raw_dir: Path = Path("data/raw"),
    api_url: str = API_URL,
    on_repair: Callable[[str], None] = lambda note: None,
) -> RefreshReport:
    """Re-fetch every imported study's record; re-import those whose content changed (a new
    ``versionHolder``, the date of the registry's data release, alone is not a change: it
    moves with every release) and those an older importer wrote (``importer_version`` in
    ``registry_import.yaml`` below :data:`~raremeta.io.ctgov.IMPORTER_VERSION`).

    First what interrupted imports left is repaired (:func:`recover_study_folders`, each repair
    told to ``on_repair``) and every
    imported folder is read and checked: a malformed one stops the refresh before anything is
    fetched or written. The studies are then refreshed one by one, each folder replaced whole or
    not at all.

    Returns
    -------
    RefreshReport
        The studies re-imported and those unchanged.

    Raises
    ------
    InvalidInputError
        A malformed imported folder (one line per problem); nothing was written.
    RefreshStoppedError
        The registry could not be reached, has no such record, or a changed record does not
        import: with what was re-imported before.
    """
    raw_dir = Path(raw_dir)
    for repair in recover_study_folders(raw_dir):
        on_repair(repair)
    folders = sorted(path.parent for path in raw_dir.glob(f"*/{ARGUMENTS_FILE}"))
    saved, problems = [], []
    for folder in folders:
        try:
            saved.append(read_saved_import(folder))
        except InvalidInputError as error:
            problems += error.problems
    if problems:
        raise InvalidInputError(problems)
    reimported: list[str] = []
    unchanged: list[str] = []
    for index, study in enumerate(saved):
        try:
            data, _ = fetch_record(study.registry, api_url)
            current = study.importer_version >= IMPORTER_VERSION
            if current and record_content(json.loads(data)) == study.content:
                unchanged.append(study.study_id)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                record = Path(tmp) / RECORD_FILE
                record.write_bytes(data)
                import_ctgov(
                    record, study.study_id, study.roles, study.drugs, raw_dir, True, on_repair
                )
        except (InvalidInputError, OSError) as error:
            rest = tuple(s.study_id for s in saved[index + 1 :])
            report = RefreshReport(tuple(reimported), tuple(unchanged), rest)
            raise RefreshStoppedError(study.study_id, report, error) from error
        reimported.append(study.study_id)
    return RefreshReport(tuple(reimported), tuple(unchanged))
