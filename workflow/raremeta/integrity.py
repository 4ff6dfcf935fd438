"""Checksums of intermediate files, so that a corrupted one is noticed and regenerated."""

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


def remove_corrupted(checksums: Path) -> list[Path]:
    """If any listed file was changed since it was written, delete every listed file and the
    checksum file, so that the rule that writes them runs again. Returns the changed files.
    """
    bad = corrupted(checksums)
    if bad:
        for line in checksums.read_text(encoding="utf-8").splitlines():
            Path(line.partition("  ")[2]).unlink(missing_ok=True)
        checksums.unlink(missing_ok=True)
    return bad
