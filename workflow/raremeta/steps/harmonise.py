"""Rule `harmonise`: raw study folders to harmonised counts and the harmonisation log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from raremeta.harmonise.outcome_rows import harmonise
from raremeta.io.analysis_config import analysis_from
from raremeta.io.raw_studies import load_study_folders
from raremeta.io.writing import write_csv


def run_harmonise(
    study_files: list[Path],
    config: Path | Mapping[str, Any],
    harmonised: Path,
    alternative: Path,
    log_table: Path,
    checksums: Path | None = None,
) -> None:
    """Write ``harmonised.csv``, the same with the other multi-arm handling, and the log.

    ``study_files`` are the raw files of every study; their folders are the studies.
    """
    config = analysis_from(config)
    studies = load_study_folders(sorted({Path(p).parent for p in study_files}))
    frame, log = harmonise(studies, config)
    alt_config = replace(config, multi_arm=config.other_multi_arm)
    alt_frame, _ = harmonise(studies, alt_config)
    write_csv(frame, harmonised)
    write_csv(alt_frame, alternative)
    write_csv(log, log_table)
    if checksums is not None:
        from raremeta.integrity import write_checksums

        write_checksums([harmonised, alternative, log_table], checksums)
    for record in log.itertuples():
        print(f"[{record.kind}] {record.study}: {record.message}")
