"""Rule `provenance`: hashes of every input and output, software, commit and time."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from raremeta.io.checksums import sha256
from raremeta.io.software import versions
from raremeta.io.writing import atomic_write_text


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def git_commit(cwd: Path) -> str:
    """The current commit (with ``-dirty`` if tracked files differ), or ``unknown``."""
    try:
        dirty = _git(cwd, "status", "--porcelain", "--untracked-files=no")
        return _git(cwd, "rev-parse", "HEAD") + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(raw_files: list[Path], config_path: Path, outputs: list[Path], cwd: Path) -> dict:
    """Provenance record: hashes of every input and output, software, commit and time."""
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": git_commit(cwd),
        "software": versions(),
        "platform": platform.platform(),
        "config": {"path": str(config_path), "sha256": sha256(config_path)},
        "raw_files": {str(p): sha256(p) for p in sorted(raw_files)},
        "outputs": {str(p): sha256(p) for p in sorted(outputs)},
    }


def run_provenance(
    raw_files: list[Path], config_path: Path, outputs: list[Path], out: Path
) -> None:
    """Write ``provenance.json`` (the one output that records time and commit)."""
    record = provenance(raw_files, config_path, outputs, Path.cwd())
    atomic_write_text(out, json.dumps(record, indent=2, sort_keys=True) + "\n")
