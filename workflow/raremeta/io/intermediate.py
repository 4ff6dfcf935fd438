"""Files one rule writes and another reads, each checked by its reader.

A per-study file (``data/processed/studies/<study>.json``) carries the sha256 of its own
content; the review-wide tables gathered from them are listed with their sha256 in
``data/processed/checksums.sha256``. A file edited by hand after the rule that wrote it ran is
noticed by the job that reads it, which fails naming the file and the command that regenerates
it. Nothing is deleted.

This module imports neither pandas nor matplotlib (per-study jobs stay light).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
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


def _canonical(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False)


def write_checked_json(path: Path, content: Mapping[str, Any]) -> None:
    """Write ``content`` as JSON under ``"content"``, with its sha256 under ``"sha256"``."""
    body = _canonical(content)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    atomic_write_text(path, _canonical({"content": content, "sha256": digest}) + "\n")


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
    if hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest() != digest:
        raise CorruptedIntermediateError(path, "its sha256 differs", rule)
    return content


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
