"""`raremeta import-ctgov`: a ClinicalTrials.gov record becomes a study folder in data/raw/.

Every file is written into a temporary sibling folder, the folder is validated against the raw
contract, and only then moved into place: a bad record leaves no partial folder. ``--force``
replaces the generated files of an existing folder and keeps every other file (a hand-written
``EXTRACTION.md`` above all).

Replacing a folder (write beside, then swap): the new folder is written whole into
``.<id>.import-XXXX/<id>``; on Linux one ``renameat2(RENAME_EXCHANGE)`` swaps it with the old
folder, so ``<id>`` is at every moment the old folder or the new one, and the old one is then
deleted with the temporary folder. Where the system or the file system cannot exchange, two
renames do it: the old folder to ``.<id>.replaced``, the new one to ``<id>``, then the old one is
deleted. A crash between those two renames leaves the old folder whole as ``.<id>.replaced``:
:func:`recover_study_folders`, run by every import and refresh before anything else, renames it
back (or deletes it once ``<id>`` exists) and deletes leftover temporary folders.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from raremeta.io.ctgov import EVENT_COLUMNS, IMPORTER_VERSION, ImportedStudy, convert_record
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.intermediate import rows_to_csv
from raremeta.io.raw_studies import EVENTS_FILE, STUDY_FILE, STUDY_ID, load_study

RECORD_FILE = "ctgov_record.json"
PROVENANCE_FILE = "REGISTRY.md"
ARGUMENTS_FILE = "registry_import.yaml"
EXTRACTION_FILE = "EXTRACTION.md"
#: The files an import writes; ``--force`` replaces these and nothing else.
GENERATED = (STUDY_FILE, EVENTS_FILE, RECORD_FILE, PROVENANCE_FILE, ARGUMENTS_FILE)
#: What an interrupted import or replacement can leave beside the study folders (hidden: the
#: workflow lists no folder starting with "."): ``.<id>.import-XXXX`` (a folder being written)
#: and ``.<id>.replaced`` (the old folder, set aside by the two-rename fallback).
LEFTOVER = re.compile(
    r"^\.(?P<study>[a-z0-9][a-z0-9_-]*)\.(?P<kind>replaced|import-[A-Za-z0-9_]+)$"
)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: errno values meaning "this system or file system cannot exchange": use the fallback.
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


def _exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``); False, with nothing changed, where the C library, the kernel or the
    file system cannot.

    Raises
    ------
    OSError
        If the exchange is possible but failed (e.g. permission denied).
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not glibc >= 2.28 (e.g. macOS, musl)
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, f"cannot exchange {first} and {second}: {os.strerror(code)}")


def _aside(target: Path) -> Path:
    return target.parent / f".{target.name}.replaced"


def _swap_into_place(staging: Path, target: Path) -> None:
    """Put the complete folder ``staging`` at ``target``; ``target`` is never half-written and,
    where :func:`_exchange` works, never missing (see the module's docstring).
    """
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return  # staging now holds the old folder; the caller deletes it
    aside = _aside(target)
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)  # the new folder is in place; a rest is recovered


def set_aside_studies(raw_dir: Path) -> list[str]:
    """The studies whose folder an interrupted replacement set aside (``.<id>.replaced``) with
    nothing in its place; the next import or refresh restores them
    (:func:`recover_study_folders`).
    """
    found = (LEFTOVER.match(p.name) for p in Path(raw_dir).iterdir())
    return sorted(
        m["study"]
        for m in found
        if m and m["kind"] == "replaced" and not (Path(raw_dir) / m["study"]).exists()
    )


def recover_study_folders(raw_dir: Path, study_id: str | None = None) -> list[str]:
    """Repair what an interrupted import left in ``raw_dir`` (of ``study_id`` only, if given):
    an old folder set aside is renamed back where its study folder is missing and deleted where
    it is not; temporary folders are deleted. Return one sentence per repair.

    Do not run two imports or refreshes of the same study at once: each one's recovery would
    delete the other's temporary folder.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    done = []
    for path in sorted(raw_dir.iterdir()):
        found = LEFTOVER.match(path.name)
        if not found or not path.is_dir() or study_id not in (None, found["study"]):
            continue
        target = raw_dir / found["study"]
        if found["kind"] == "replaced" and not target.exists():
            os.rename(path, target)
            done.append(f"{target}: restored the folder an interrupted replacement had set aside")
        else:
            shutil.rmtree(path)
            done.append(f"{path}: deleted (left by an interrupted import)")
    return done


def _yaml(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _provenance(imported: ImportedStudy, digest: str, arguments: dict[str, Any]) -> str:
    facts = imported.facts
    lines = [
        f"# Registry provenance: {facts['registry']}",
        "",
        f"Generated by `raremeta import-ctgov` from `{RECORD_FILE}` (the record's bytes as "
        "received); do not edit: rerun the import instead (arguments in "
        f"`{ARGUMENTS_FILE}`).",
        "",
        "| fact | value |",
        "| --- | --- |",
        f"| record sha256 | `{digest}` |",
        f"| registry data version (`versionHolder`) | {facts['version_holder']} |",
        f"| results first posted | {facts['results_first_posted']} |",
        f"| last update posted | {facts['last_update_posted']} |",
        f"| frequency threshold for other adverse events (%) | {facts['frequency_threshold']} |",
        f"| time frame | {facts['time_frame']} |",
        f"| follow-up (weeks, where the time frame states it plainly) | "
        f"{facts['follow_up_weeks'] if facts['follow_up_weeks'] is not None else ''} |",
        f"| assessment types | {', '.join(facts['assessment_types'])} |",
        f"| vocabularies | {', '.join(facts['vocabularies'])} |",
        "",
        "Roles (a reviewer's decision; event groups are not randomised arms):",
        "",
    ]
    lines += [
        f"- {group}: {role}, {arguments['drugs'][group]}"
        for group, role in sorted(arguments["roles"].items())
    ]
    lines += ["", "Notes:", ""]
    lines += [f"- {note}" for note in imported.notes] or ["- none"]
    lines += [
        "",
        "A term absent from the record is not reported (no row), never zero, whatever the "
        "frequency threshold; a row's `n_at_risk` is the registry's `numAtRisk` for that term "
        "and group; `events` is `numAffected` (participants), never `numEvents`.",
        "",
    ]
    return "\n".join(lines)


def import_ctgov(
    record_path: Path,
    study_id: str,
    roles: dict[str, str],
    drugs: dict[str, str],
    raw_dir: Path = Path("data/raw"),
    force: bool = False,
    on_repair: Callable[[str], None] = lambda note: None,
) -> tuple[Path, ImportedStudy]:
    """Import ``record_path`` as ``raw_dir/study_id``; return the folder and what was imported.

    What an interrupted earlier import of the study left is repaired first
    (:func:`recover_study_folders`, each repair told to ``on_repair``); the folder is then
    replaced whole or not at all.

    Raises
    ------
    InvalidInputError
        Naming the file and the field, with nothing written: the record is not JSON or not a
        results record, an option names a group the record lacks, a group has a role but no
        drug, counts exceed their at-risk counts, the study id is not an id, the folder exists
        without ``force``, or the folder would break the raw contract.
    """
    record_path, raw_dir = Path(record_path), Path(raw_dir)
    shown = str(record_path)
    if not STUDY_ID.match(study_id):
        raise InvalidInputError(
            [Problem(shown, "--study-id is not a study id ([a-z0-9][a-z0-9_-]*)", value=study_id)]
        )
    target = raw_dir / study_id
    for repair in recover_study_folders(raw_dir, study_id):
        on_repair(repair)
    if target.exists() and not force:
        raise InvalidInputError(
            [Problem(str(target), "study folder exists; add --force to replace its generated "
                     f"files ({', '.join(GENERATED)})")]
        )  # fmt: skip
    try:
        data = record_path.read_bytes()
    except OSError as error:
        raise InvalidInputError([Problem(shown, f"cannot read the record: {error}")]) from None
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInputError([Problem(shown, f"not valid JSON: {error}")]) from None
    imported = convert_record(record, shown, study_id, roles, drugs)
    arguments = {
        "record": RECORD_FILE,
        "study_id": study_id,
        "roles": dict(sorted(roles.items())),
        "drugs": dict(sorted(drugs.items())),
        "importer_version": IMPORTER_VERSION,
    }
    raw_dir.mkdir(parents=True, exist_ok=True)
    # a hidden sibling (the workflow lists no folder starting with "."), holding a folder of
    # the study's own name, as the contract requires
    parent = Path(tempfile.mkdtemp(dir=raw_dir, prefix=f".{study_id}.import-"))
    staging = parent / study_id
    staging.mkdir()
    try:
        if target.exists():  # --force: keep every file the import does not generate
            for path in target.iterdir():
                if path.name not in GENERATED:
                    copy = shutil.copytree if path.is_dir() else shutil.copy2
                    copy(path, staging / path.name)
        (staging / RECORD_FILE).write_bytes(data)
        (staging / STUDY_FILE).write_text(_yaml(imported.study), encoding="utf-8")
        (staging / EVENTS_FILE).write_text(
            rows_to_csv(EVENT_COLUMNS, imported.rows), encoding="utf-8"
        )
        (staging / ARGUMENTS_FILE).write_text(_yaml(arguments), encoding="utf-8")
        digest = hashlib.sha256(data).hexdigest()
        (staging / PROVENANCE_FILE).write_text(
            _provenance(imported, digest, arguments), encoding="utf-8"
        )
        if not (staging / EXTRACTION_FILE).exists():
            (staging / EXTRACTION_FILE).write_text(
                f"# Extraction: {study_id}\n\nImported from {imported.facts['registry']} by "
                f"`raremeta import-ctgov`; the record's provenance is in `{PROVENANCE_FILE}`.\n"
                "Check the roles and drugs given to the event groups against the protocol, and "
                "record here what you checked. This file is yours: re-imports never touch it.\n",
                encoding="utf-8",
            )
        load_study(staging, str(target))  # the raw contract, before anything is in place
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    return target, imported
