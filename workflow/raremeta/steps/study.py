"""Rule `study`: validate one study folder and harmonise it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from raremeta.harmonise.outcome_rows import harmonise_study
from raremeta.harmonise.reporting import missing_arms
from raremeta.harmonise.study_table import characteristic_rows, study_facts
from raremeta.harmonise.subgroup_rows import subgroup_count_rows

# the config slice of harmonisation needs the structural checks only (io), not the method
# registry: a study job imports no numpy
from raremeta.io.analysis_config import analysis_from
from raremeta.io.errors import InvalidInputError
from raremeta.io.intermediate import StudyRecord, write_study_record
from raremeta.io.raw_studies import load_study_folders


def run_study(folder: Path, config: Path | Mapping[str, Any], out: Path) -> None:
    """Validate ``folder`` (every problem at once) and write its harmonised rows to ``out``.

    ``out`` holds a :class:`~raremeta.io.intermediate.StudyRecord`: the facts of the study's
    row of ``results/tables/studies.csv``, its rows of ``data/processed/harmonised.csv``, the
    same with the other multi-arm handling, its harmonisation-log rows, why each arm that did
    not report an outcome did not (``reporting:`` of ``study.yaml``) and its rows of
    ``results/tables/characteristics.csv``, and its counts by patient subgroup.

    Raises
    ------
    InvalidInputError
        With every problem of the folder (file, line, column, value); nothing is written.
    """
    config = analysis_from(config)
    (study,) = load_study_folders([Path(folder)])
    missing, problems, reporting_log = missing_arms(study, config)
    if problems:
        raise InvalidInputError(problems)
    rows, log = harmonise_study(study, config)
    log += reporting_log
    alternative, _ = harmonise_study(study, replace(config, multi_arm=config.other_multi_arm))
    record = StudyRecord(
        **study_facts(study),
        harmonised=tuple(rows),
        alternative=tuple(alternative),
        log=tuple(log),
        missing_arms=tuple(missing),
        characteristics=tuple(characteristic_rows(study, config.percent_tolerance)),
        subgroup_counts=tuple(subgroup_count_rows(study, config)),
    )
    write_study_record(out, record)
    for record in log:
        print(f"[{record['kind']}] {record['study']}: {record['message']}")
