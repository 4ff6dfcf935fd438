"""Rule `pool`: harmonised counts to the four results tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from raremeta.analysis.fitting import fit_outcome
from raremeta.analysis.outcome_data import outcome_data
from raremeta.analysis.primary_rule import choose_primary
from raremeta.analysis.result_tables import (
    absolute_effects,
    pooled_effects,
    pooled_rates,
    sensitivity,
    study_effects_frame,
)
from raremeta.integrity import verify_checksums
from raremeta.io.analysis_config import analysis_from
from raremeta.io.results_reading import read_harmonised
from raremeta.io.writing import write_csv


def run_pool(
    harmonised: Path,
    alternative: Path,
    config: Path | Mapping[str, Any],
    pooled: Path,
    rates: Path,
    studies_out: Path,
    sensitivity_out: Path,
    absolute_out: Path,
    checksums: Path | None = None,
) -> None:
    """Write the results tables for every configured outcome; with ``checksums``, first check
    that the harmonised tables are still what rule ``harmonise`` wrote.
    """
    if checksums is not None:
        verify_checksums(checksums, [harmonised, alternative], "harmonise")
    config = analysis_from(config)
    frame = read_harmonised(harmonised)
    alt = read_harmonised(alternative)
    other = config.other_multi_arm
    multi = alt["comparison"].nunique() != frame["comparison"].nunique()
    label = f"multi_arm: {other}" + (f" instead of {config.multi_arm}" if multi else "")
    tables: dict[str, list[pd.DataFrame]] = {
        "pooled": [],
        "rates": [],
        "studies": [],
        "sens": [],
        "absolute": [],
    }
    for outcome in config.outcomes:
        data = outcome_data(frame, outcome.id)
        primary = choose_primary(data.tables, outcome.primary)
        alt_data = outcome_data(alt, outcome.id) if multi else None
        fits = fit_outcome(data, primary.spec, config.methods, alt_data)
        tables["pooled"].append(pooled_effects(data, fits, primary))
        tables["rates"].append(pooled_rates(data))
        tables["studies"].append(study_effects_frame(data, fits))
        tables["sens"].append(sensitivity(data, fits, primary.spec, label))
        tables["absolute"].append(absolute_effects(data, fits, primary))
    write_csv(pd.concat(tables["pooled"], ignore_index=True), pooled)
    write_csv(pd.concat(tables["rates"], ignore_index=True), rates)
    write_csv(pd.concat(tables["studies"], ignore_index=True), studies_out)
    write_csv(pd.concat(tables["sens"], ignore_index=True), sensitivity_out)
    write_csv(pd.concat(tables["absolute"], ignore_index=True), absolute_out)
