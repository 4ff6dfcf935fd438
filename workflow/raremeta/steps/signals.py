"""The signal screen's step: raw study folders in, ``ae_signals.csv`` and its figure out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from raremeta.analysis.configuration import analysis_from
from raremeta.analysis.signals import (
    SIGNAL_COLUMNS,
    SignalAnalysis,
    SignalSettings,
    signal_rows,
)
from raremeta.io.intermediate import rows_to_csv
from raremeta.io.raw_studies import load_study_folders
from raremeta.io.writing import atomic_write_text
from raremeta.report.figure_files import DEFAULT_ROLES, save_figure
from raremeta.report.signal_plot import signal_figure

log = logging.getLogger(__name__)


def run_signals(
    folders: list[Path],
    config: Mapping[str, Any],
    table: Path,
    figures: list[Path],
    roles: Mapping[str, str] = DEFAULT_ROLES,
) -> list[dict[str, Any]]:
    """Screen every term of the studies in ``folders`` (validated already by their jobs);
    write the table and the figure in every format of ``figures``; return the rows.
    """
    analysis = analysis_from(config)
    settings = SignalSettings.of(config.get("signals"))
    studies = load_study_folders([Path(f) for f in folders])
    rows = signal_rows(studies, analysis, settings)
    for row in rows:
        if row["organ_system_note"]:
            log.warning("term %r: organ system %s", row["term"], row["organ_system_note"])
    atomic_write_text(Path(table), rows_to_csv(SIGNAL_COLUMNS, rows))
    screened = [r for r in rows if r["analysis"] == SignalAnalysis.REPORTED]
    fig = signal_figure(screened, settings.top, roles)
    save_figure(fig, [Path(f) for f in figures])
    return rows
