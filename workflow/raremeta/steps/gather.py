"""Rules `gather_studies` and `results_tables`: the review-wide files, gathered from the
per-study and per-outcome files (their bytes unchanged).
"""

from __future__ import annotations

import json
from pathlib import Path

from raremeta.analysis.outcome_data import outcomes_in_comparison
from raremeta.harmonise.outcome_rows import HARMONISED_COLUMNS, LOG_COLUMNS, sort_rows
from raremeta.harmonise.reporting import REPORTING_COLUMNS, reporting_rows
from raremeta.harmonise.study_table import CHARACTERISTIC_COLUMNS, STUDY_TABLE_COLUMNS
from raremeta.io.checksums import sha256
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.intermediate import (
    concatenate_csv,
    read_study_record,
    rows_to_csv,
    write_checksums,
)
from raremeta.io.raw_studies import linked_study_problems
from raremeta.io.writing import atomic_write_text
from raremeta.steps.registry_import import set_aside_studies


def run_check_studies(study_files: list[Path], manifest: Path, raw_dir: Path | None = None) -> None:
    """Check what no single study's job can: a ``same_participants_as`` naming no study, two
    studies naming one registry id without being linked, and (``raw_dir``) a study folder that
    an interrupted registry import set aside with nothing in its place (the run would
    otherwise go on without that study). Write ``manifest`` (the studies and their sha256) only
    if every check passed: the review-wide files depend on it, so a failure here leaves them as
    they were.

    Raises
    ------
    InvalidInputError
        One problem per fault (:func:`raremeta.io.raw_studies.linked_study_problems`).
    """
    records = sorted((read_study_record(Path(f)) for f in study_files), key=lambda r: r.study)
    problems = linked_study_problems([r.facts() for r in records])
    for study in set_aside_studies(raw_dir) if raw_dir is not None else []:
        problems.append(
            Problem(
                f"{raw_dir}/.{study}.replaced",
                f"study folder '{study}' was set aside by an interrupted registry import; run "
                "`raremeta refresh-ctgov` (or the import again) to restore it",
            )
        )
    if problems:
        raise InvalidInputError(problems)
    entries = {Path(f).stem: sha256(Path(f)) for f in study_files}
    atomic_write_text(manifest, json.dumps(entries, indent=1, sort_keys=True) + "\n")


def run_gather_studies(
    study_files: list[Path],
    outcomes: list[str],
    harmonised: Path,
    alternative: Path,
    log_table: Path,
    reporting: Path,
    checksums: Path,
    study_table: Path,
    characteristics: Path | None = None,
) -> None:
    """Write ``harmonised.csv``, its multi-arm alternative, the harmonisation log, the
    outcome-reporting matrix (study x outcome, with why a role reported nothing), the
    checksums of the first three, the study table (one row per study: pooled or not,
    follow-up, kinds of source, data as of, the outcomes whose comparison uses it,
    populations) and the baseline characteristics (one row per study and characteristic,
    with the check of its printed percentage).

    ``outcomes`` are the configured outcome ids, in order.
    """
    records = sorted((read_study_record(Path(f)) for f in study_files), key=lambda r: r.study)
    for name, out in (("harmonised", harmonised), ("alternative", alternative)):
        rows = sort_rows((r for s in records for r in getattr(s, name)), outcomes)
        atomic_write_text(out, rows_to_csv(HARMONISED_COLUMNS, rows))
    log_rows = (r for s in records for r in s.log)
    atomic_write_text(log_table, rows_to_csv(LOG_COLUMNS, log_rows))
    matrix = (
        row
        for s in records
        for row in reporting_rows(s.study, s.label, s.harmonised, outcomes, s.missing_arms)
    )
    atomic_write_text(reporting, rows_to_csv(REPORTING_COLUMNS, matrix))
    facts = (
        {
            **s.facts(),
            "in_comparison": ";".join(
                outcomes_in_comparison(s.harmonised, outcomes) if s.pooled else []
            ),
        }
        for s in records
    )
    atomic_write_text(study_table, rows_to_csv(STUDY_TABLE_COLUMNS, facts))
    if characteristics is not None:
        baseline = (row for s in records for row in s.characteristics)
        atomic_write_text(characteristics, rows_to_csv(CHARACTERISTIC_COLUMNS, baseline))
    write_checksums([harmonised, alternative, log_table], checksums)


def run_gather_tables(parts: dict[str, list[Path]], outputs: dict[str, Path]) -> None:
    """Concatenate each results table's per-outcome files (configured order) into
    ``outputs[name]``.
    """
    for name, files in parts.items():
        concatenate_csv(files, outputs[name])
