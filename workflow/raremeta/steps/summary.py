"""Rule `summary_tables`: the summary tables and the methods paragraph."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raremeta.io.analysis_config import load_config
from raremeta.io.software import versions
from raremeta.io.writing import atomic_write_text
from raremeta.report.methods_text import methods_paragraph
from raremeta.report.summary import summarise, to_html, to_latex, to_markdown


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
    config = load_config(config_path, str(config_path))
    p, r, s = pd.read_csv(pooled), pd.read_csv(rates), pd.read_csv(studies)
    blocks = [summarise(o.id, o.label, p, r, s) for o in config.outcomes]
    methods = methods_paragraph(config, versions())
    atomic_write_text(markdown, to_markdown(blocks, methods))
    atomic_write_text(html_out, to_html(blocks, methods))
    atomic_write_text(latex, to_latex(blocks, methods))
    atomic_write_text(methods_out, methods + "\n")
