"""Checksums of intermediate files, so that a corrupted one is noticed by the job that reads it."""

from __future__ import annotations

from pathlib import Path

from raremeta.io.checksums import sha256
from raremeta.io.writing import atomic_write_text


def write_checksums(files: list[Path], out: Path) -> None:
    """Write ``sha256  path`` lines (the ``sha256sum`` format) for ``files`` to ``out``."""
    lines = [f"{sha256(f)}  {f}" for f in files]
    atomic_write_text(out, "\n".join(lines) + "\n")


def corrupted(checksums: Path) -> list[Path]:
    """Files listed in ``checksums`` whose content no longer matches (missing files are fine:
    Snakemake regenerates those by itself).
    """
    bad = []
    if not checksums.is_file():
        return bad
    for line in checksums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = Path(name)
        if path.is_file() and sha256(path) != digest:
            bad.append(path)
    return bad


class CorruptedIntermediateError(ValueError):
    """An intermediate file changed since the rule that wrote it ran."""


def verify_checksums(checksums: Path, files: list[Path], rule: str) -> None:
    """Raise :class:`CorruptedIntermediateError` naming each of ``files`` whose content no
    longer matches ``checksums`` and the command that regenerates it (``rule`` wrote them).
    Nothing is deleted: the job that reads a damaged file fails instead.
    """
    wanted = {Path(f).as_posix() for f in files}
    bad = [p for p in corrupted(checksums) if p.as_posix() in wanted]
    if bad:
        names = ", ".join(str(p) for p in bad)
        raise CorruptedIntermediateError(
            f"{names} changed since rule '{rule}' wrote it (sha256 differs from {checksums}); "
            f"regenerate it with: snakemake --cores all --forcerun {rule}"
        )
