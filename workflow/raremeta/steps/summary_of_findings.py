"""Rule `summary_of_findings`: the GRADE summary-of-findings table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from raremeta.analysis.configuration import analysis_from
from raremeta.analysis.summary_of_findings import summary_of_findings
from raremeta.io.certainty_file import load_judgements
from raremeta.io.writing import write_csv


def run_summary_of_findings(
    pooled: Path,
    rates: Path,
    absolute: Path,
    study_table: Path,
    certainty: Path | None,
    config: Path | Mapping[str, Any],
    output: Path,
) -> None:
    """Write ``summary_of_findings.csv`` from the review-wide results tables, config.yaml and
    the reviewer's judgements (``certainty``; None: no file, every judged domain not assessed).
    The judgements file is validated against the configured outcomes and the study ids first.
    """
    config = analysis_from(config)
    studies = pd.read_csv(study_table, dtype=str, keep_default_na=False)["study"]
    judgements = load_judgements(certainty, [o.id for o in config.outcomes], list(studies))
    for outcome in judgements.ignored:
        print(
            f"{judgements.file}: outcome '{outcome}' is not configured; its judgements are not used"
        )
    table = summary_of_findings(
        config,
        pd.read_csv(pooled),
        pd.read_csv(rates),
        pd.read_csv(absolute),
        judgements,
    )
    write_csv(table, output)
