"""Files one rule writes and another reads, each checked by its reader.

A per-study file (``data/processed/studies/<study>.json``) holds one :class:`StudyRecord`,
written by :func:`write_study_record` and read by :func:`read_study_record` only, and carries
the sha256 of its own content; the review-wide tables gathered from them are listed with their
sha256 in ``data/processed/checksums.sha256``. A file edited by hand after the rule that wrote
it ran is noticed by the job that reads it, which fails naming the file and the command that
regenerates it. Nothing is deleted.

This module imports neither pandas nor matplotlib (per-study jobs stay light).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from raremeta.io.checksums import sha256
from raremeta.io.writing import atomic_write_text, csv_text


class CorruptedIntermediateError(ValueError):
    """An intermediate file changed since the rule that wrote it ran (or is unreadable)."""

    def __init__(self, path: Path, detail: str, rule: str):
        super().__init__(
            f"{path} changed since rule '{rule}' wrote it ({detail}); regenerate it with: "
            f"snakemake --cores all --forcerun {rule}"
        )


def _canonical(content: Mapping[str, Any], indent: int | None = None) -> str:
    """Sorted keys, UTF-8 text, no NaN; compact unless ``indent`` (compact JSON is written by
    the json module's C encoder, an indented one by its Python encoder: about 3 ms for a study
    of 40 outcomes, which every pool and figure job read by the hundred).
    """
    separators = None if indent else (",", ":")
    return json.dumps(
        content,
        sort_keys=True,
        ensure_ascii=False,
        indent=indent,
        separators=separators,
        allow_nan=False,
    )


def _sha256(content: Mapping[str, Any]) -> str:
    """The sha256 of the compact canonical JSON of ``content``."""
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def write_checked_json(path: Path, content: Mapping[str, Any]) -> None:
    """Write ``content`` as JSON under ``"content"`` (indented, for people reading it), with
    the sha256 of its compact canonical form under ``"sha256"``.
    """
    document = {"content": content, "sha256": _sha256(content)}
    atomic_write_text(path, _canonical(document, indent=1) + "\n")


def read_checked_json(path: Path, rule: str) -> dict[str, Any]:
    """The content written by :func:`write_checked_json`.

    Raises
    ------
    CorruptedIntermediateError
        If the file is not such a file or its content no longer matches its sha256.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        content, digest = document["content"], document["sha256"]
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptedIntermediateError(path, f"unreadable: {error}", rule) from None
    if _sha256(content) != digest:
        raise CorruptedIntermediateError(path, "its sha256 differs", rule)
    return content


#: The layout of :class:`StudyRecord` files, stored in each (``"format"``) and a param of rule
#: `study`: a new layout reruns every study's job instead of failing on the old files.
STUDY_RECORD_FORMAT = 8

#: The rule that writes the per-study files (named in the message of a damaged one).
STUDY_RULE = "study"


#: The fields of :class:`StudyRecord` that hold rows (lists of dicts), not facts.
ROW_FIELDS = (
    "harmonised",
    "alternative",
    "log",
    "missing_arms",
    "characteristics",
    "subgroup_counts",
)


@dataclass(frozen=True)
class StudyRecord:
    """What rule `study` writes for one validated study folder: the facts of its row of
    ``results/tables/studies.csv`` and its rows of the review-wide data files.

    Each fact is stored once: ``pooled`` is derived from ``same_participants_as``, and which
    outcomes each role reported from the harmonised rows' ``reported``
    (:func:`raremeta.harmonise.reporting.reporting_rows`).
    """

    study: str
    label: str
    registry: str
    #: The study whose participants this report describes ("" if none): then never pooled.
    same_participants_as: str
    follow_up_weeks: float | None
    #: The kinds of source of every count the folder gives (``primary;registry``).
    source_kinds: str
    data_as_of: str
    #: The populations behind the ``n`` of each role's arms (``safety;randomised``; empty:
    #: not stated), :func:`raremeta.harmonise.outcome_rows.population_code`.
    population_cni: str
    population_comparator: str
    #: Rows of ``data/processed/harmonised.csv`` (one per outcome, comparison and role).
    harmonised: tuple[dict[str, Any], ...]
    #: The same with the other multi-arm handling.
    alternative: tuple[dict[str, Any], ...]
    #: Rows of ``data/processed/harmonisation_log.csv``.
    log: tuple[dict[str, Any], ...]
    #: One row per configured outcome and arm that did not report it, with what
    #: ``study.yaml`` says about it (:func:`raremeta.harmonise.reporting.missing_arms`).
    missing_arms: tuple[dict[str, Any], ...] = ()
    #: Rows of ``results/tables/characteristics.csv``
    #: (:func:`raremeta.harmonise.study_table.characteristic_rows`).
    characteristics: tuple[dict[str, Any], ...] = ()
    #: The trial's year (study.yaml ``year``; None when not stated): the order of the
    #: cumulative meta-analysis.
    year: int | None = None
    #: The study's values of study-level subgroup variables (study.yaml ``subgroups:``;
    #: variable -> value): the subgroups of ``subgroups.csv``.
    subgroups: dict[str, str] = field(default_factory=dict)
    #: Counts by patient subgroup, per outcome, subgroup and role (``adverse_events.csv`` rows
    #: with a ``subgroup``; :func:`raremeta.harmonise.subgroup_rows.subgroup_count_rows`): the
    #: within-trial interaction's input, never part of :attr:`harmonised`.
    subgroup_counts: tuple[dict[str, Any], ...] = ()

    @property
    def pooled(self) -> bool:
        """False for a report of the same participants as another study."""
        return not self.same_participants_as

    def facts(self) -> dict[str, Any]:
        """The study's facts (every field but the rows) and ``pooled``, by name."""
        rows = set(ROW_FIELDS)
        facts = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in rows}
        return {**facts, "pooled": self.pooled}

    def to_json(self) -> dict[str, Any]:
        """The record as JSON content: its fields and ``"format"``."""
        content: dict[str, Any] = {"format": STUDY_RECORD_FORMAT}
        for item in fields(self):
            value = getattr(self, item.name)
            content[item.name] = list(value) if isinstance(value, tuple) else value
        return content

    @classmethod
    def from_json(cls, content: Mapping[str, Any], path: Path) -> StudyRecord:
        """The record :meth:`to_json` wrote to ``path``.

        Raises
        ------
        CorruptedIntermediateError
            If ``content`` is not such a record of :data:`STUDY_RECORD_FORMAT` (a missing or
            unknown key, a value of the wrong type).
        """
        names = [f.name for f in fields(cls)]

        def wrong(detail: str) -> CorruptedIntermediateError:
            return CorruptedIntermediateError(path, detail, STUDY_RULE)

        if not isinstance(content, Mapping):
            raise wrong("not a per-study record")
        if content.get("format") != STUDY_RECORD_FORMAT:
            raise wrong(
                f"format {content.get('format')!r}, this version reads {STUDY_RECORD_FORMAT}"
            )
        keys = set(content) - {"format"}
        if keys != set(names):
            missing, unknown = sorted(set(names) - keys), sorted(keys - set(names))
            raise wrong(f"keys missing: {missing or 'none'}, unknown: {unknown or 'none'}")
        values = {}
        for name in names:
            value = content[name]
            if name in ROW_FIELDS:
                if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                    raise wrong(f"'{name}' is not a list of rows")
                value = tuple(value)
            elif name == "follow_up_weeks":
                if value is not None and not (
                    isinstance(value, int | float) and not isinstance(value, bool)
                ):
                    raise wrong(f"'{name}' is not a number")
            elif name == "subgroups":
                if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()
                ):
                    raise wrong(f"'{name}' is not a mapping of text to text")
            elif name == "year":
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    raise wrong(f"'{name}' is not a whole number")
            elif not isinstance(value, str):
                raise wrong(f"'{name}' is not text")
            values[name] = value
        return cls(**values)


def write_study_record(path: Path, record: StudyRecord) -> None:
    """Write ``record`` to ``path``, atomically, with its sha256 (:func:`write_checked_json`)."""
    write_checked_json(path, record.to_json())


def read_study_record(path: Path) -> StudyRecord:
    """The record :func:`write_study_record` wrote to ``path``: the one reader of the per-study
    files.

    Raises
    ------
    CorruptedIntermediateError
        If the file changed since rule `study` wrote it, or is not a record of this version.
    """
    return StudyRecord.from_json(read_checked_json(Path(path), STUDY_RULE), Path(path))


def rows_to_csv(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of ``rows`` (dicts keyed by ``columns``), without pandas, in the format of
    every table (:func:`raremeta.io.writing.csv_text`).
    """
    return csv_text(columns, ([row[c] for c in columns] for row in rows))


def concatenate_csv(parts: list[Path], out: Path) -> None:
    """Write the rows of every CSV in ``parts`` (in order) under their common header, bytes
    unchanged (no number is parsed and rewritten).

    Raises
    ------
    ValueError
        If the parts do not share one header.
    """
    header: str | None = None
    lines: list[str] = []
    for part in parts:
        text = Path(part).read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        if header is None:
            header = first
        elif first != header:
            raise ValueError(f"{part}: header {first!r} differs from {parts[0]}'s {header!r}")
        lines.append(rest)
    if header is None:
        raise ValueError(f"no table to gather into {out}")
    atomic_write_text(out, header + "\n" + "".join(lines))


def write_checksums(files: list[Path], out: Path) -> None:
    """Write ``sha256  path`` lines (the ``sha256sum`` format) for ``files`` to ``out``."""
    atomic_write_text(out, "".join(f"{sha256(f)}  {f}\n" for f in files))


def verify_checksums(checksums: Path, files: list[Path], rule: str) -> None:
    """Raise :class:`CorruptedIntermediateError` for the first of ``files`` whose content no
    longer matches its line in ``checksums`` (written by ``rule``).
    """
    recorded = {}
    for line in Path(checksums).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        recorded[Path(name).as_posix()] = digest
    for path in files:
        expected = recorded.get(Path(path).as_posix())
        if expected is not None and sha256(path) != expected:
            raise CorruptedIntermediateError(
                Path(path), f"its sha256 differs from {checksums}", rule
            )
