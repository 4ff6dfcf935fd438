"""Rule `pool`: one outcome's harmonised counts to its results tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from raremeta.analysis.configuration import analysis_from, bayes_options, sensitivity_priors
from raremeta.analysis.exposure import exposure_adjusted
from raremeta.analysis.fitting import cumulative_fits, fit_outcome
from raremeta.analysis.methods import SOURCE_SUBSETS, configured
from raremeta.analysis.outcome_data import outcome_data
from raremeta.analysis.primary_rule import choose_primary
from raremeta.analysis.result_tables import (
    absolute_effects,
    cumulative,
    pooled_effects,
    pooled_rates,
    posterior_probabilities,
    sensitivity,
    study_effects_frame,
)
from raremeta.analysis.subgroups import subgroup_table
from raremeta.analysis.within_trial import within_trial_subgroups
from raremeta.harmonise.outcome_rows import HARMONISED_COLUMNS
from raremeta.io.analysis_config import AnalysisConfig
from raremeta.io.intermediate import read_study_record
from raremeta.io.results_reading import read_harmonised
from raremeta.io.writing import write_csv

#: The per-outcome results tables, by the name the rules give them.
TABLES = (
    "pooled",
    "rates",
    "studies",
    "sensitivity",
    "absolute",
    "cumulative",
    "exposure",
    "subgroups",
    "within_trial",
    "posterior",
)


def outcome_tables(
    frame: pd.DataFrame,
    alt: pd.DataFrame,
    config: AnalysisConfig,
    outcome: str,
    years: Mapping[str, int | None] | None = None,
    study_subgroups: Mapping[str, Mapping[str, str]] | None = None,
    subgroup_counts: Sequence[Mapping[str, Any]] = (),
) -> dict[str, pd.DataFrame]:
    """The results tables of one outcome (keys :data:`TABLES`) from the harmonised rows, the
    rows with the other multi-arm handling, each study's year (study id -> year; None or
    absent: not stated, ordered last in the cumulative meta-analysis), each study's values
    of the study-level subgroup variables (study id -> ``study.yaml`` ``subgroups:``; absent:
    not classified) and the studies' counts by patient subgroup (``subgroup_counts`` of the
    per-study records; none: the within-trial table says no trial reports them).
    """
    frame = frame[frame["outcome"] == outcome]
    alt = alt[alt["outcome"] == outcome]
    other = config.other_multi_arm
    multi = alt["comparison"].nunique() != frame["comparison"].nunique()
    label = f"multi_arm: {other}" + (f" instead of {config.multi_arm}" if multi else "")
    data = outcome_data(frame, outcome)
    primary = choose_primary(data.tables, config.outcome(outcome).primary)
    bayes = bayes_options(config)
    primary = replace(primary, spec=configured(primary.spec, bayes))
    alt_data = outcome_data(alt, outcome) if multi else None
    subsets = {name: data.from_sources(kinds) for name, kinds in SOURCE_SUBSETS.items()}
    fits = fit_outcome(
        data,
        primary.spec,
        config.methods,
        alt_data,
        subsets,
        bayes,
        sensitivity_priors(config),
    )
    years = dict(years or {})
    study_of = dict(zip(frame["comparison"].astype(str), frame["study"].astype(str), strict=True))
    comparison_years = {c: years.get(s) for c, s in study_of.items()}
    steps = (
        cumulative_fits(data.tables, primary.spec, comparison_years)
        if data.tables is not None
        else ()
    )
    return {
        "pooled": pooled_effects(data, fits, primary),
        "rates": pooled_rates(data),
        "studies": study_effects_frame(data, fits),
        "sensitivity": sensitivity(data, fits, primary.spec, label, alt_data),
        "absolute": absolute_effects(data, fits, primary),
        "cumulative": cumulative(data, steps, primary.spec, comparison_years),
        "exposure": exposure_adjusted(data),
        "subgroups": subgroup_table(data, primary.spec, config, study_of, study_subgroups),
        "within_trial": within_trial_subgroups(
            outcome, [r for r in subgroup_counts if r["outcome"] == outcome]
        ),
        "posterior": posterior_probabilities(data, fits),
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Harmonised rows (as a per-study file holds them) as :func:`read_harmonised` reads them."""
    frame = pd.DataFrame(rows, columns=HARMONISED_COLUMNS)
    frame["events"] = pd.to_numeric(frame["events"], errors="raise").astype(float)
    frame["n"] = frame["n"].astype(float)
    return frame


def run_pool_outcome(
    study_files: list[Path],
    config: Path | Mapping[str, Any],
    outcome: str,
    outputs: dict[str, Path],
) -> None:
    """Write the results tables (``outputs``, keys :data:`TABLES`) of one outcome from the
    per-study files of the studies that reported it in at least one arm, leaving out any that
    reports the same participants as another study. Each file is checked against its own
    sha256 first.
    """
    config = analysis_from(config)
    records = [read_study_record(Path(f)) for f in study_files]
    # a report of the same participants as another study is never pooled (that study counts)
    pooled = [record for record in records if record.pooled]
    frames = {
        name: _frame([r for s in pooled for r in getattr(s, name) if r["outcome"] == outcome])
        for name in ("harmonised", "alternative")
    }
    years = {record.study: record.year for record in pooled}
    subgroups = {record.study: record.subgroups for record in pooled}
    by_subgroup = [r for s in pooled for r in s.subgroup_counts if r["outcome"] == outcome]
    tables = outcome_tables(
        frames["harmonised"], frames["alternative"], config, outcome, years, subgroups, by_subgroup
    )
    for name in TABLES:
        write_csv(tables[name], outputs[name])


def run_pool(
    harmonised: Path,
    alternative: Path,
    config: Path | Mapping[str, Any],
    outputs: dict[str, Path],
) -> None:
    """Write the review-wide results tables (``outputs``, keys :data:`TABLES`) for every
    configured outcome from ``harmonised.csv`` and its multi-arm alternative (benchmarks and
    tests; the workflow pools outcome by outcome, see :func:`run_pool_outcome`).
    """
    config = analysis_from(config)
    frame, alt = read_harmonised(harmonised), read_harmonised(alternative)
    per_outcome = [outcome_tables(frame, alt, config, o.id) for o in config.outcomes]
    for name in TABLES:
        write_csv(pd.concat([t[name] for t in per_outcome], ignore_index=True), outputs[name])
