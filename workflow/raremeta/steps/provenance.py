"""Rule `provenance`: hashes of every input and output, software, commit and time; and the
software the workflow's rules import, which the methods paragraph cites.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raremeta.io.analysis_config import plain_config
from raremeta.io.checksums import sha256
from raremeta.io.intermediate import verify_checksums
from raremeta.io.software import CITABLE, citable_versions, versions
from raremeta.io.writing import atomic_write_text

#: The modules each rule of the workflow runs (their imports are what the analysis really used).
RULE_MODULES = (
    "raremeta.steps.study",
    "raremeta.steps.pool",
    "raremeta.steps.figures",
    "raremeta.report.forest",
    "raremeta.report.incidence_plot",
    "raremeta.steps.summary",
)


def imported_software() -> dict[str, str]:
    """Versions of the citable packages that the workflow's modules actually import.

    Imports every rule's modules (:data:`RULE_MODULES`) in a fresh interpreter, so that whatever
    the calling process happens to have loaded does not count, and reads which citable packages
    are loaded: a package the analysis never imports (statsmodels, today) is not cited. This is
    the steps layer's job because only it knows which modules the rules run.

    Returns
    -------
    dict
        Import name -> installed version of each citable package loaded, in the order of
        :data:`raremeta.io.software.CITABLE`.
    """
    package_root = str(Path(__file__).resolve().parents[2])  # where `import raremeta` works
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]),
    }
    probe = (
        "import importlib, json, sys\n"
        f"for m in {list(RULE_MODULES)!r}: importlib.import_module(m)\n"
        f"print(json.dumps([n for n in {list(CITABLE)!r} if n in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return citable_versions(json.loads(done.stdout))


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


def provenance(
    raw_files: list[Path],
    config: Mapping[str, Any],
    config_files: list[str],
    outputs: list[Path],
    cwd: Path,
) -> dict:
    """Provenance record: hashes of every input and output, software, commit and time; the
    configuration as Snakemake merged it (files, ``--config`` and defaults), with its sha256.
    """
    merged = json.dumps(plain_config(config), sort_keys=True, ensure_ascii=False)
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": git_commit(cwd),
        "software": versions(),
        "platform": platform.platform(),
        "config": {
            "files": {name: sha256(Path(name)) for name in config_files},
            "merged": json.loads(merged),
            "merged_sha256": hashlib.sha256(merged.encode("utf-8")).hexdigest(),
        },
        "raw_files": {str(p): sha256(p) for p in sorted(raw_files)},
        "outputs": {str(p): sha256(p) for p in sorted(outputs)},
    }


def run_provenance(
    raw_files: list[Path],
    config: Mapping[str, Any],
    config_files: list[str],
    outputs: list[Path],
    out: Path,
    checksums: Path | None = None,
) -> None:
    """Write ``provenance.json`` (the one output that records time and commit); with
    ``checksums``, first check that the gathered data files listed there are still what rule
    ``gather_studies`` wrote.
    """
    if checksums is not None:
        verify_checksums(checksums, outputs, "gather_studies")
    record = provenance(raw_files, config, config_files, outputs, Path.cwd())
    atomic_write_text(out, json.dumps(record, indent=2, sort_keys=True) + "\n")
