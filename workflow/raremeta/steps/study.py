"""Rule `study`: validate one study folder and harmonise it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from raremeta.harmonise.outcome_rows import harmonise_study
from raremeta.harmonise.reporting import study_reporting
from raremeta.harmonise.study_table import study_facts
from raremeta.io.analysis_config import analysis_from
from raremeta.io.intermediate import write_checked_json
from raremeta.io.raw_studies import load_study_folders


def run_study(folder: Path, config: Path | Mapping[str, Any], out: Path) -> None:
    """Validate ``folder`` (every problem at once) and write its harmonised rows to ``out``.

    ``out`` holds the rows of ``data/processed/harmonised.csv`` for this study, the same with
    the other multi-arm handling, its harmonisation-log rows, per outcome whether each role
    reported it, and its row of ``results/tables/studies.csv``.

    Raises
    ------
    InvalidInputError
        With every problem of the folder (file, line, column, value); nothing is written.
    """
    config = analysis_from(config)
    (study,) = load_study_folders([Path(folder)])
    rows, log = harmonise_study(study, config)
    alternative, _ = harmonise_study(study, replace(config, multi_arm=config.other_multi_arm))
    reported = study_reporting(rows, [o.id for o in config.outcomes])
    content = {
        "study": study.id,
        "label": study.label,
        "registry": study.registry,
        "same_participants_as": study.same_participants_as,
        "facts": study_facts(study),
        "reported": reported,
        "harmonised": rows,
        "alternative": alternative,
        "log": log,
    }
    write_checked_json(out, content)
    for record in log:
        print(f"[{record['kind']}] {record['study']}: {record['message']}")
