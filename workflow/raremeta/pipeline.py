"""The steps the Snakemake rules run: read inputs, call the library, write outputs atomically.

Each function is what one rule's script calls, so tests can run a step without Snakemake.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raremeta.analysis import (
    outcome_data,
    pooled_effects,
    pooled_rates,
    sensitivity,
    study_effects_frame,
)
from raremeta.config import AnalysisConfig, load_config
from raremeta.harmonise import harmonise
from raremeta.output import write_csv
from raremeta.rawdata import load_study_folders


def read_harmonised(path: Path) -> pd.DataFrame:
    """Read ``harmonised.csv`` keeping empty cells (not reported) apart from zeros."""
    frame = pd.read_csv(
        path,
        dtype={"study": str, "comparison": str, "arms": str},
        keep_default_na=False,
        na_values={"events": [""], "n": [""]},
    )
    frame["reported"] = frame["reported"].astype(str).str.lower() == "true"
    return frame


def run_harmonise(
    study_files: list[Path],
    config_path: Path,
    harmonised: Path,
    alternative: Path,
    log_table: Path,
    checksums: Path | None = None,
) -> None:
    """Write ``harmonised.csv``, the same with the other multi-arm handling, and the log.

    ``study_files`` are the raw files of every study; their folders are the studies.
    """
    config = load_config(config_path, str(config_path))
    studies = load_study_folders(sorted({Path(p).parent for p in study_files}))
    frame, log = harmonise(studies, config)
    alt_config = AnalysisConfig(config.outcomes, config.other_multi_arm, config.percent_tolerance)
    alt_frame, _ = harmonise(studies, alt_config)
    write_csv(frame, harmonised)
    write_csv(alt_frame, alternative)
    write_csv(log, log_table)
    if checksums is not None:
        from raremeta.integrity import write_checksums

        write_checksums([harmonised, alternative, log_table], checksums)
    for record in log.itertuples():
        print(f"[{record.kind}] {record.study}: {record.message}")


def run_pool(
    harmonised: Path,
    alternative: Path,
    config_path: Path,
    pooled: Path,
    rates: Path,
    studies_out: Path,
    sensitivity_out: Path,
) -> None:
    """Write the four results tables for every configured outcome."""
    config = load_config(config_path, str(config_path))
    frame = read_harmonised(harmonised)
    alt = read_harmonised(alternative)
    other = config.other_multi_arm
    multi = alt["comparison"].nunique() != frame["comparison"].nunique()
    tables: dict[str, list[pd.DataFrame]] = {"pooled": [], "rates": [], "studies": [], "sens": []}
    for outcome in config.outcomes:
        data = outcome_data(frame, outcome.id)
        tables["pooled"].append(pooled_effects(data, outcome.primary))
        tables["rates"].append(pooled_rates(data))
        tables["studies"].append(study_effects_frame(data, frame))
        alt_data = outcome_data(alt, outcome.id) if multi else None
        label = f"multi_arm: {other}" + (f" instead of {config.multi_arm}" if multi else "")
        sens = sensitivity(data, outcome.primary, alt_data, label)
        tables["sens"].append(sens)
    write_csv(pd.concat(tables["pooled"], ignore_index=True), pooled)
    write_csv(pd.concat(tables["rates"], ignore_index=True), rates)
    write_csv(pd.concat(tables["studies"], ignore_index=True), studies_out)
    write_csv(pd.concat(tables["sens"], ignore_index=True), sensitivity_out)


def run_figures(
    kind: str,
    inputs: dict[str, Path],
    outcomes: list[str],
    formats: list[str],
    outputs: list[Path],
) -> None:
    """Draw the forest (``kind="forest"``) or incidence plots of several outcomes.

    ``outputs`` lists each outcome's files in ``formats`` order, outcome after outcome.
    """
    import matplotlib.pyplot as plt

    from raremeta.figures import save_figure
    from raremeta.outcome_figures import forest_for_outcome, incidence_for_outcome

    if len(outputs) != len(outcomes) * len(formats):
        raise ValueError(f"{len(outputs)} outputs for {len(outcomes)} outcomes x {formats}")
    config = load_config(inputs["config"], str(inputs["config"]))
    if kind == "forest":
        pooled, studies = pd.read_csv(inputs["pooled"]), pd.read_csv(inputs["studies"])
    elif kind == "incidence":
        harmonised, rates = read_harmonised(inputs["harmonised"]), pd.read_csv(inputs["rates"])
    else:
        raise ValueError(f"unknown figure kind {kind!r}")
    for index, outcome in enumerate(outcomes):
        label = config.outcome(outcome).label
        if kind == "forest":
            fig = forest_for_outcome(outcome, label, pooled, studies)
        else:
            fig = incidence_for_outcome(outcome, label, harmonised, rates)
        files = outputs[index * len(formats) : (index + 1) * len(formats)]
        for path, ext in zip(files, formats, strict=True):
            if Path(path).suffix != f".{ext}" or f"{kind}_{outcome}." not in Path(path).name:
                raise ValueError(f"{path} is not the {ext} {kind} plot of {outcome}")
        save_figure(fig, files)
        plt.close(fig)
        print(f"{kind} plot of {outcome}: {', '.join(str(p) for p in files)}")


def run_summary(
    pooled: Path,
    rates: Path,
    studies: Path,
    config_path: Path,
    markdown: Path,
    html_out: Path,
    latex: Path,
    methods_out: Path,
) -> None:
    """Write the summary tables and the methods paragraph."""
    from raremeta.output import atomic_write_text
    from raremeta.provenance import methods_paragraph, versions
    from raremeta.summary import summarise, to_html, to_latex, to_markdown

    config = load_config(config_path, str(config_path))
    p, r, s = pd.read_csv(pooled), pd.read_csv(rates), pd.read_csv(studies)
    blocks = [summarise(o.id, o.label, p, r, s) for o in config.outcomes]
    methods = methods_paragraph(config, versions())
    atomic_write_text(markdown, to_markdown(blocks, methods))
    atomic_write_text(html_out, to_html(blocks, methods))
    atomic_write_text(latex, to_latex(blocks, methods))
    atomic_write_text(methods_out, methods + "\n")


def run_provenance(
    raw_files: list[Path], config_path: Path, outputs: list[Path], out: Path
) -> None:
    """Write ``provenance.json`` (the one output that records time and commit)."""
    import json

    from raremeta.output import atomic_write_text
    from raremeta.provenance import provenance

    record = provenance(raw_files, config_path, outputs, Path.cwd())
    atomic_write_text(out, json.dumps(record, indent=2, sort_keys=True) + "\n")
