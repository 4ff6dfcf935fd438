"""Rule `summary_tables`: the summary tables and the methods paragraph."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from raremeta.analysis.bayes_findings import bayes_findings
from raremeta.analysis.codebook import codebook_markdown
from raremeta.analysis.configuration import analysis_from
from raremeta.analysis.signals import SignalSettings
from raremeta.analysis.subgroup_findings import subgroup_findings
from raremeta.analysis.within_trial_findings import within_trial_lines
from raremeta.harmonise.study_table import data_as_of
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.software import versions
from raremeta.io.writing import atomic_write_text
from raremeta.report.findings import findings_table
from raremeta.report.methods_text import methods_paragraph, run_facts
from raremeta.report.prisma_text import prisma_paragraph
from raremeta.report.signal_summary import signal_summary
from raremeta.report.summary import (
    SummaryContext,
    characteristics_summary,
    data_as_of_text,
    summarise,
    to_html,
    to_latex,
    to_markdown,
)
from raremeta.steps.prisma import read_prisma
from raremeta.steps.provenance import imported_software


def _signals_config(config: Path | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``signals:`` of the config (Snakemake's mapping, or the file)."""
    document = config if isinstance(config, Mapping) else load_yaml(Path(config))
    return document.get("signals") if isinstance(document, Mapping) else None


def run_summary(
    pooled: Path,
    rates: Path,
    studies: Path,
    sensitivity: Path,
    absolute: Path,
    config: Path | Mapping[str, Any],
    markdown: Path,
    html_out: Path,
    latex: Path,
    methods_out: Path,
    codebook: Path | None = None,
    reporting: Path | None = None,
    study_table: Path | None = None,
    characteristics: Path | None = None,
    findings: Path | None = None,
    subgroups: Path | None = None,
    within_trial: Path | None = None,
    prisma: Path | None = None,
    posterior: Path | None = None,
    signals: Path | None = None,
) -> None:
    """Write the summary tables (with the data-as-of line), the methods paragraph and the
    tables' codebook; with ``findings`` (``summary_of_findings.csv``) the GRADE section and
    each outcome's absolute-effect and certainty lines; with ``signals`` (``ae_signals.csv``)
    the signal-screen section; with ``prisma`` (``prisma.csv``) the methods paragraph ends with
    the study selection (search dates and counts).
    """
    settings = SignalSettings.of(_signals_config(config))
    config = analysis_from(config)
    p, r, s = pd.read_csv(pooled), pd.read_csv(rates), pd.read_csv(studies)
    a = pd.read_csv(absolute)
    matrix = None if reporting is None else pd.read_csv(reporting, dtype=str, keep_default_na=False)
    sens = pd.read_csv(sensitivity)
    context = SummaryContext(config.role_labels, config.protocol)
    sof = None if findings is None else pd.read_csv(findings, keep_default_na=False, dtype=str)
    split = (
        ()
        if subgroups is None
        else subgroup_findings(pd.read_csv(subgroups, dtype=str, keep_default_na=False))
    )
    inside = () if within_trial is None else within_trial_lines(pd.read_csv(within_trial))
    bayes = () if posterior is None else bayes_findings(p, sens, pd.read_csv(posterior))
    blocks = [
        summarise(o.id, o.label, p, r, s, a, matrix, sens, context, sof, split, inside, bayes)
        for o in config.outcomes
    ]
    section = None if sof is None else findings_table(sof, config.role_labels)
    as_of, preamble = None, ""
    if study_table is not None:
        dates = list(pd.read_csv(study_table, dtype=str, keep_default_na=False)["data_as_of"])
        as_of = data_as_of(dates)
        preamble = data_as_of_text(as_of, len(dates), sum(1 for d in dates if not d))
    methods = methods_paragraph(
        config,
        run_facts(p, sens),
        imported_software(),
        versions(),
        as_of,
        example_judgements=sof is not None and bool(sof["example_judgements"].eq("true").any()),
    )
    if prisma is not None:
        methods += " " + prisma_paragraph(read_prisma(prisma))
    baseline = None
    if characteristics is not None and study_table is not None:  # None: nothing to say
        found = pd.read_csv(characteristics, dtype={"study": str}, keep_default_na=False)
        table = pd.read_csv(study_table, dtype=str, keep_default_na=False)
        if len(found) or config.characteristics_question:
            baseline = characteristics_summary(
                found,
                list(zip(table["study"], table["label"], strict=True)),
                config.characteristics_question,
            )
    screen = None
    if signals is not None:
        screen = signal_summary(
            pd.read_csv(signals),
            settings.alpha,
            settings.group_alpha,
            settings.min_events,
            config.role_labels,
        )
    atomic_write_text(markdown, to_markdown(blocks, methods, preamble, baseline, section, screen))
    atomic_write_text(html_out, to_html(blocks, methods, preamble, baseline, section, screen))
    atomic_write_text(latex, to_latex(blocks, methods, preamble, baseline, section, screen))
    atomic_write_text(methods_out, methods + "\n")
    if codebook is not None:
        atomic_write_text(codebook, codebook_markdown())
