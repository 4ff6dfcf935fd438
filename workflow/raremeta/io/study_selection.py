"""Selection decisions as data: ``data/study_selection.csv`` (schema
``workflow/schemas/study_selection.schema.yaml``), one row per record a person decided on.

A record is an NCT id, a DOI or another identifier (Mok 2016/2020 has no registry id). The
decision is ``include``, ``exclude`` (with a reason), ``awaiting`` or ``same_study_as:<study_id>``
(another report of an included study). A record of the saved search without a row is awaiting
a decision; a study folder without a row is allowed (adding a trial means adding one folder)
and counts as identified by other methods. Problems name the file, line, column and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_csv import column_values, read_table
from raremeta.io.raw_studies import STUDY_FILE, STUDY_ID, _registry_ids, is_iso_date

SELECTION_FILE = Path("data/study_selection.csv")
SELECTION_COLUMNS = ["study_id", "record_id", "decision", "reason", "decided_on", "decided_by"]
NCT_ID = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
SAME_STUDY_PREFIX = "same_study_as:"


class Decision(StrEnum):
    """What a person decided about a record."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    AWAITING = "awaiting"
    SAME_STUDY = "same_study_as"


@dataclass(frozen=True)
class SelectionRow:
    """One decision.

    Attributes
    ----------
    line : int
        Its line in the file (the header is line 1).
    record_id : str
        The record (NCT id, DOI, other identifier).
    decision : Decision
        The decision; for :attr:`Decision.SAME_STUDY` the study is ``same_as``.
    study_id : str
        The study folder ("" where none is named).
    same_as : str
        The included study this record is another report of ("" unless same_study_as).
    reason, decided_on, decided_by : str
        Why, when (ISO date) and who.
    """

    line: int
    record_id: str
    decision: Decision
    study_id: str = ""
    same_as: str = ""
    reason: str = ""
    decided_on: str = ""
    decided_by: str = ""

    @property
    def key(self) -> str:
        """The record id compared across files: NCT ids and DOIs ignore case."""
        return record_key(self.record_id)


def record_key(record_id: str) -> str:
    """A record id as compared: stripped, upper case (NCT ids and DOIs are case-insensitive).

    Examples
    --------
    >>> record_key(" nct02141672 ")
    'NCT02141672'
    """
    return record_id.strip().upper()


def _decision(text: str, file: str, line: int, problems: list[Problem]) -> tuple[Decision, str]:
    if text.startswith(SAME_STUDY_PREFIX):
        target = text.removeprefix(SAME_STUDY_PREFIX).strip()
        if STUDY_ID.match(target):
            return Decision.SAME_STUDY, target
        problems.append(
            Problem(file, "same_study_as needs the study id of the included study "
                    "(same_study_as:<study_id>)", line, "decision", text)
        )  # fmt: skip
        return Decision.SAME_STUDY, ""
    if text in (Decision.INCLUDE, Decision.EXCLUDE, Decision.AWAITING):
        return Decision(text), ""
    problems.append(
        Problem(file, "unknown decision; must be include, exclude, awaiting or "
                "same_study_as:<study_id>", line, "decision", text)
    )  # fmt: skip
    return Decision.AWAITING, ""


def read_selection(
    path: Path = SELECTION_FILE, shown: str | None = None
) -> tuple[SelectionRow, ...]:
    """Read and check ``data/study_selection.csv`` on its own (every problem at once).

    Raises
    ------
    InvalidInputError
        Layout problems of the raw tables (encoding, quoting, columns), unknown decisions,
        a record decided twice, an exclusion without a reason, an inclusion without a study id,
        a decision without its date or decider, a date that is not YYYY-MM-DD.
    """
    shown = shown or str(path)
    if not Path(path).is_file():
        raise InvalidInputError([Problem(shown, "file is missing")])
    table, problems = read_table(Path(path), "study_selection", shown)
    rows: list[SelectionRow] = []
    first: dict[str, int] = {}
    for entry in table:
        v, line = entry.values, entry.line
        decision, same_as = _decision(v["decision"], shown, line, problems)
        row = SelectionRow(
            line=line,
            record_id=v["record_id"],
            decision=decision,
            study_id=v.get("study_id") or "",
            same_as=same_as,
            reason=(v.get("reason") or "").strip(),
            decided_on=(v.get("decided_on") or "").strip(),
            decided_by=(v.get("decided_by") or "").strip(),
        )
        if row.key in first:
            problems.append(
                Problem(shown, f"record already decided on line {first[row.key]}; decide each "
                        "record once", line, "record_id", row.record_id)
            )  # fmt: skip
            continue
        first[row.key] = line
        if decision == Decision.EXCLUDE and not row.reason:
            problems.append(Problem(shown, "an exclusion needs a reason", line, "reason", ""))
        if decision == Decision.INCLUDE and not row.study_id:
            problems.append(
                Problem(shown, "an inclusion needs the study id of its folder in data/raw",
                        line, "study_id", "")
            )  # fmt: skip
        if decision != Decision.AWAITING:
            for column in ("decided_on", "decided_by"):
                if not getattr(row, column):
                    problems.append(Problem(shown, f"a decision needs {column}", line, column, ""))
        if row.decided_on and not is_iso_date(row.decided_on):
            problems.append(
                Problem(shown, "not a date (YYYY-MM-DD)", line, "decided_on", row.decided_on)
            )
        rows.append(row)
    if problems:
        raise InvalidInputError(problems)
    return tuple(rows)


def import_command(record_id: str, study_id: str) -> str:
    """The commands that make the folder of an included registry record (README).

    Examples
    --------
    >>> import_command("NCT01234567", "delta-2027")  # doctest: +NORMALIZE_WHITESPACE
    'raremeta fetch-ctgov NCT01234567 --out NCT01234567.json, then raremeta import-ctgov
    NCT01234567.json --study-id delta-2027 --role EG000=... --drug EG000=...'
    """
    if NCT_ID.match(record_id):
        record = record_id.upper()
        return (
            f"raremeta fetch-ctgov {record} --out {record}.json, then raremeta import-ctgov "
            f"{record}.json --study-id {study_id} --role EG000=... --drug EG000=..."
        )
    return f"raremeta import-ctgov RECORD.json --study-id {study_id} (or a folder by hand)"


def selection_problems(
    rows: Iterable[SelectionRow],
    registry: Mapping[str, str],
    shown: str = str(SELECTION_FILE),
    raw_dir: str = "data/raw",
) -> list[Problem]:
    """Problems between the decisions and the study folders.

    Parameters
    ----------
    rows : iterable of SelectionRow
        The decisions (:func:`read_selection`).
    registry : mapping
        Every study folder's id -> its ``registry`` field ("" for none).
    shown, raw_dir : str
        The selection file and the raw-data folder as the messages name them.

    Returns
    -------
    list of Problem
        An included record without a study folder (naming the ``raremeta import-ctgov``
        command to run), an included NCT id that its folder's ``registry`` does not name, a
        ``same_study_as`` naming neither a folder nor an included study, and an excluded or
        awaiting record whose NCT id a study folder names (a folder is an inclusion).
    """
    rows = list(rows)
    included = {r.study_id for r in rows if r.decision == Decision.INCLUDE}
    named: dict[str, str] = {}
    for study, text in sorted(registry.items()):
        for registry_id in _registry_ids(text):
            named.setdefault(registry_id, study)
    problems = []
    for row in rows:
        if row.decision == Decision.INCLUDE and row.study_id and row.study_id not in registry:
            problems.append(
                Problem(shown, f"included, but {raw_dir}/{row.study_id}/ does not exist: run "
                        f"{import_command(row.record_id, row.study_id)}", row.line, "study_id",
                        row.study_id)
            )  # fmt: skip
        elif (
            row.decision == Decision.INCLUDE
            and NCT_ID.match(row.record_id)
            and row.key not in _registry_ids(registry.get(row.study_id, ""))
        ):
            problems.append(
                Problem(shown, f"{raw_dir}/{row.study_id}/{STUDY_FILE} does not name this "
                        "record in its registry field", row.line, "record_id", row.record_id)
            )  # fmt: skip
        if (
            row.decision == Decision.SAME_STUDY
            and row.same_as
            and row.same_as not in registry
            and row.same_as not in included
        ):
            problems.append(
                Problem(shown, "same_study_as names neither a study folder nor an included "
                        "study", row.line, "decision", f"{SAME_STUDY_PREFIX}{row.same_as}")
            )  # fmt: skip
        if row.decision in (Decision.EXCLUDE, Decision.AWAITING) and row.key in named:
            problems.append(
                Problem(shown, f"{row.decision}, but study folder {raw_dir}/{named[row.key]}/ "
                        "names this record: include it or remove the folder", row.line,
                        "decision", str(row.decision))
            )  # fmt: skip
    return problems


def undecided_records(record_ids: Iterable[str], path: Path = SELECTION_FILE) -> list[str]:
    """The records without a decision (no row, or ``awaiting``), read leniently (a missing or
    malformed file decides nothing): what a search lists for a person to decide.
    """
    decided: set[str] = set()
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raw = b""
    ids = column_values(raw, "record_id") if raw else None
    decisions = column_values(raw, "decision") if raw else None
    if ids is not None and decisions is not None:
        decided = {
            record_key(i) for i, d in zip(ids, decisions, strict=True) if d != Decision.AWAITING
        }
    return [r for r in record_ids if record_key(r) not in decided]
