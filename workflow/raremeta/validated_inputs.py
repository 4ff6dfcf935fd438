"""What the Snakefile needs when it is read: the validated configuration and study folders.

Validating hundreds of study folders takes about a second; a rerun with nothing changed should
not pay it. A successful validation leaves a stamp named by a digest of everything validation
depends on (every file and folder under the raw-data folder, the configuration, the source of
this package, the schemas and the versions of the libraries that read them). A later run whose
digest matches skips re-reading the studies. Any change, even a new empty folder or an edited
schema, gives a new digest and a full validation. Failures are never stamped.

This module imports neither pandas nor matplotlib, so that reading the Snakefile stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from raremeta.io.analysis_config import AnalysisConfig, analysis_from, plain_config
from raremeta.io.raw_studies import load_studies, study_folders
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import SCHEMA_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
#: Libraries whose behaviour validation depends on.
VALIDATION_LIBRARIES = ("jsonschema", "PyYAML")


def _hash_tree(digest, root: Path, label: str) -> None:
    """Feed every folder name, file name and file content under ``root`` (sorted) to digest."""
    if not root.exists():
        digest.update(f"{label}: missing\n".encode())
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root).as_posix()
        digest.update(f"{label} dir {rel}\n".encode())
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(f"{label} file {rel}/{name} {path.stat().st_size}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def inputs_digest(raw_dir: Path, config: Mapping[str, Any]) -> str:
    """sha256 of everything a validation of ``raw_dir`` and ``config`` depends on."""
    digest = hashlib.sha256()
    _hash_tree(digest, raw_dir, "raw")
    digest.update(b"config\n")
    digest.update(json.dumps(plain_config(config), sort_keys=True).encode("utf-8"))
    for source in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(f"code {source.relative_to(PACKAGE_DIR).as_posix()}\n".encode())
        digest.update(source.read_bytes())
    _hash_tree(digest, SCHEMA_DIR, "schemas")
    versions = [platform.python_version()]
    versions += [f"{name} {metadata.version(name)}" for name in VALIDATION_LIBRARIES]
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def validate_inputs(
    raw_dir: Path,
    config: Mapping[str, Any] | Path,
    stamp_dir: Path | None = None,
    config_name: str = "config",
) -> tuple[AnalysisConfig, list[Path]]:
    """Validate the configuration and every study folder; return the config and the folders.

    Parameters
    ----------
    raw_dir : Path
        The raw-data folder.
    config : mapping or Path
        The analysis configuration (Snakemake's ``config``, schema-validated), or its file.
    stamp_dir : Path, optional
        Where successful validations are remembered (e.g. ``.snakemake/raremeta-validated``).
        Without it every call validates everything.
    config_name : str
        How messages name the configuration (e.g. the config files Snakemake read).

    Raises
    ------
    InvalidInputError
        With every problem found (file, line, column, value).
    """
    if not isinstance(config, Mapping):
        config = load_yaml(Path(config), str(config))
    analysis = analysis_from(config, config_name)  # cheap: always checked
    key = inputs_digest(raw_dir, config) if stamp_dir is not None else ""
    if stamp_dir is not None and (stamp_dir / key).is_file():
        return analysis, study_folders(raw_dir)
    load_studies(raw_dir, str(raw_dir))
    if stamp_dir is not None:
        stamp_dir.mkdir(parents=True, exist_ok=True)
        for old in stamp_dir.iterdir():
            old.unlink(missing_ok=True)
        (stamp_dir / key).write_text(f"{raw_dir} and {config_name} validated\n", encoding="utf-8")
    return analysis, study_folders(raw_dir)
