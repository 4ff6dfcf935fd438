"""Summary tables (Markdown, HTML, LaTeX) and the plain-language result of each outcome.

Pure functions from the results tables to text. Labels from the data are escaped for each
format, so a study label cannot become markup or code.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import pandas as pd

from raremeta.analysis.table_keys import AnalysisCode
from raremeta.analysis.wording import (
    SUBSET_LABELS,
    method_words,
    primary_rule_text,
    short_reason,
    status_text,
)
from raremeta.io.raw_studies import ReportingState
from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import cell_text as _text
from raremeta.io.results_reading import is_true
from raremeta.report.numbers import (
    fmt_ci,
    fmt_p,
    fmt_percent,
    fmt_sources,
    fmt_value,
    fmt_weeks,
)
from raremeta.report.pooled_rows import (
    method_label,
    method_name,
    outcome_pooled,
    pooled_row,
    row_key,
    shown_rows,
)
from raremeta.stats.registry import HETEROGENEITY, MH_OR, companion_keys, fallback_keys
from raremeta.stats.results import RateMethod, Reason

MEASURE_WORDS = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}


@dataclass(frozen=True)
class OutcomeSummary:
    """The rows of one outcome's block and its plain-language sentence (unescaped text)."""

    outcome: str
    label: str
    rows: list[tuple[str, str]]
    sentence: str


def _value(row: pd.Series) -> str:
    """``est [lo, hi], p = x`` of one pooled row (its own interval and p), or why not."""
    est = _f(row["estimate"])
    if not math.isfinite(est):
        return f"{status_text(str(row['status']))}: {short_reason(str(row['reason']))}"
    text = fmt_ci(est, _f(row["ci_low"]), _f(row["ci_high"]), row["measure"])
    p = _f(row["p_value"])
    return text + (f", p = {fmt_p(p)}" if math.isfinite(p) else "")


def _compatible(row: pd.Series) -> bool:
    null = 0.0 if row["measure"] == "RD" else 1.0
    return _f(row["ci_low"]) <= null <= _f(row["ci_high"])


def _verdict(row: pd.Series) -> str:
    """What the row's 95% interval says about no difference, in words."""
    lo, hi = _f(row["ci_low"]), _f(row["ci_high"])
    if math.isnan(lo) or math.isnan(hi):
        return "no confidence interval could be computed"
    if _compatible(row):
        return (
            "the 95% interval includes no difference, so these data neither show nor exclude "
            "an effect"
        )
    null = "0" if row["measure"] == "RD" else "1"
    side, direction = (
        ("above", "more") if lo > (0.0 if null == "0" else 1.0) else ("below", "fewer")
    )
    return f"the 95% interval lies {side} {null} ({direction} events with CNI)"


def _rule(primary: pd.Series, p: pd.DataFrame) -> str:
    """How the primary row was chosen (under rule (c) with the MH odds ratio's reason)."""
    mh = pooled_row(p, MH_OR)
    return primary_rule_text(primary["primary_rule"], "" if mh is None else str(mh["reason"]))


def plain_language(
    label: str,
    k: int,
    trial_label: str,
    primary: pd.Series,
    p: pd.DataFrame,
    absolute: pd.Series | None = None,
) -> str:
    """A few sentences that never overstate: a single trial is called a single trial, the
    headline is the primary row with its own interval and p and the rule that chose it, the
    exact conditional result follows, and the absolute effect per 1,000 patients closes.
    """
    if k == 0:
        return (
            f"No trial reported {label.lower()} in both arms, so no comparison of CNIs "
            "with comparators is possible."
        )
    n_events = _f(primary["events_cni"]) + _f(primary["events_comparator"])
    events = (
        f"{_f(primary['events_cni']):g}/{_f(primary['n_cni']):g} CNI vs "
        f"{_f(primary['events_comparator']):g}/{_f(primary['n_comparator']):g} "
        "comparator patients"
    )
    basis = f"a single trial, {trial_label}" if k == 1 else f"{k} trials"
    key = row_key(primary)
    how = f"{method_name(*key[1:])}; {_rule(primary, p)}"
    words = MEASURE_WORDS[key[0]]
    headline = primary
    if math.isfinite(_f(primary["estimate"])):
        parts = [
            f"From {basis} ({events}), the {words} ({how}) was {_value(primary)}; "
            f"{_verdict(primary)}."
        ]
        shown = [key]
    else:
        parts = [
            f"From {basis} ({events}), the {words} ({how}) cannot be estimated: "
            f"{short_reason(str(primary['reason']))}."
        ]
        alt = next(
            (
                r
                for fk in fallback_keys()
                if fk != key
                and (r := pooled_row(p, fk)) is not None
                and math.isfinite(_f(r["estimate"]))
            ),
            None,
        )
        shown = [key]
        if alt is not None:
            shown.append(row_key(alt))
            headline = alt
            parts.append(
                f"The {MEASURE_WORDS[alt['measure']]} ({method_name(*row_key(alt)[1:])}) was "
                f"{_value(alt)}; {_verdict(alt)}."
            )
    for companion in companion_keys():
        row = pooled_row(p, companion)
        if row is None or companion in shown or not math.isfinite(_f(row["estimate"])):
            continue
        parts.append(method_words(companion[1]).summary_phrase.format(value=_value(row)))
        est, other = _f(headline["estimate"]), _f(row["estimate"])
        if headline["measure"] == companion[0] and max(est, other) > 2 * min(est, other):
            parts.append(
                "The point estimates differ between methods because the data are so sparse; "
                "the intervals, not the point estimates, carry the information."
            )
    if absolute is not None and math.isfinite(_f(absolute["rd_per_1000"])):
        parts.append(f"Per 1,000 patients in these trials: {_absolute_text(absolute)}.")
    if n_events < 10 and not _compatible(headline) and math.isfinite(_f(headline["estimate"])):
        parts.append(f"This rests on {n_events:g} events and is imprecise.")
    return " ".join(parts)


def _absolute_text(a: pd.Series) -> str:
    """``23 [6, 57] with CNI vs 0 [0, 41] with comparator; difference 23 [-20, 57]``."""
    risk = {
        role: fmt_ci(
            _f(a[f"risk_{role}_per_1000"]),
            _f(a[f"risk_{role}_ci_low_per_1000"]),
            _f(a[f"risk_{role}_ci_high_per_1000"]),
        )
        for role in ("cni", "comparator")
    }
    text = f"{risk['cni']} with CNI vs {risk['comparator']} with comparator"
    if math.isfinite(_f(a["rd_per_1000"])):
        rd = fmt_ci(_f(a["rd_per_1000"]), _f(a["rd_ci_low_per_1000"]), _f(a["rd_ci_high_per_1000"]))
        text += f"; difference {rd} (Miettinen-Nurminen)"
    return text


#: The kinds of source (``source_kinds`` codes) in a sentence.
KIND_PLURALS = {
    "primary": "trial reports",
    "registry": "registry results",
    "secondary": "letters or reviews",
    "not_stated": "sources not stated",
}


def sources_text(s: pd.DataFrame) -> str:
    """Each study's kinds of source and follow-up: ``AURA-LV 2019: letter or review, follow-up
    48 weeks`` (study_effects.csv rows of one outcome).
    """
    parts = []
    for _, r in s.iterrows():
        kinds = fmt_sources(_text(r["source_kinds_cni"]), _text(r["source_kinds_comparator"]))
        weeks = _f(r["follow_up_weeks"])
        stated = math.isfinite(weeks)
        follow = f"follow-up {fmt_weeks(weeks)} weeks" if stated else "follow-up not stated"
        parts.append(f"{r['label']}: {kinds}, {follow}")
    return "; ".join(parts)


def _sensitivity_value(row: pd.Series) -> str:
    """``est [lo, hi], p = x, k = n`` of a sensitivity row, or why not."""
    k = int(_f(row["k"])) if math.isfinite(_f(row["k"])) else 0
    return _value(row) + (f", k = {k}" if math.isfinite(_f(row["estimate"])) else "")


def summarise(
    outcome: str,
    label: str,
    pooled: pd.DataFrame,
    rates: pd.DataFrame,
    studies: pd.DataFrame,
    absolute: pd.DataFrame | None = None,
    reporting: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> OutcomeSummary:
    """Collect one outcome's summary rows from the results tables: the primary row (naming
    the rule that chose it), the exact conditional row, the absolute effects, the counts, the
    trials that reported the outcome in neither arm (from ``reporting.csv``), each trial's
    kinds of source and follow-up, the pooled rates, the other key methods, the sensitivity
    rows by source of counts and heterogeneity.
    """
    p, primary = outcome_pooled(pooled, outcome)
    s = studies[studies["outcome"] == outcome]
    inc = s[s["included"].map(is_true)]
    k = len(inc)
    key = row_key(primary)
    a = None
    if absolute is not None:
        found = absolute[absolute["outcome"] == outcome]
        a = None if found.empty else found.iloc[0]
    rows: list[tuple[str, str]] = [
        (
            f"Primary: {method_label(*key)} ({_rule(primary, p)})",
            _value(primary),
        )
    ]
    for companion in companion_keys():
        row = pooled_row(p, companion)
        if row is not None and key != companion:
            rows.append((method_label(*companion), _value(row)))
    if a is not None and k:
        rows.append(
            ("Absolute effect per 1,000 patients (trials in the comparison)", _absolute_text(a))
        )
    n_patients = _f(inc["n_cni"].sum()) + _f(inc["n_comparator"].sum()) if k else 0.0
    rows += [
        ("Trials in the comparison", f"{k} of {len(s)} reporting it ({n_patients:g} patients)"),
        (
            "Events, CNI",
            f"{_f(inc['events_cni'].sum()):g}/{_f(inc['n_cni'].sum()):g}" if k else "-",
        ),
        (
            "Events, comparator",
            f"{_f(inc['events_comparator'].sum()):g}/{_f(inc['n_comparator'].sum()):g}"
            if k
            else "-",
        ),
    ]
    excluded = s[~s["included"].map(is_true)]
    if len(excluded):
        rows.append(
            (
                "Not in the comparison",
                "; ".join(
                    f"{r['label']} ({short_reason(str(r['reason']))})"
                    for _, r in excluded.iterrows()
                ),
            )
        )
    if reporting is not None:
        neither = reporting["reported"] == ReportingState.NEITHER
        silent = reporting[(reporting["outcome"] == outcome) & neither]
        if len(silent):
            rows.append(
                (
                    "Not reported in either arm (see reporting.csv)",
                    "; ".join(str(x) for x in silent["label"]),
                )
            )
    if len(s):
        rows.append(("Source of the counts; follow-up", sources_text(s)))
    r = rates[rates["outcome"] == outcome]
    for role, name in (("cni", "CNI"), ("comparator", "comparator")):
        for method in RateMethod:
            row = r[(r["role"] == role) & (r["method"] == method)]
            if row.empty:
                continue
            x = row.iloc[0]
            value = (
                fmt_percent(_f(x["estimate"]), _f(x["ci_low"]), _f(x["ci_high"]))
                if math.isfinite(_f(x["estimate"]))
                else "not estimable"
            )
            rows.append((f"Pooled rate, {name} ({method})", f"{value}, k = {int(_f(x['k']))}"))
    for k_alt, x in shown_rows(p, primary):
        if k_alt != key and k_alt not in companion_keys():
            rows.append((method_label(*k_alt), _value(x)))
    by_source = pd.DataFrame()
    if sensitivity is not None:
        codes = sensitivity["analysis_code"].map(_text)
        by_source = sensitivity[(sensitivity["outcome"] == outcome) & codes.isin(SUBSET_LABELS)]
        for _, x in by_source.iterrows():
            rows.append((SUBSET_LABELS[AnalysisCode(x["analysis_code"])][1], _sensitivity_value(x)))
    x = pooled_row(p, (key[0], *HETEROGENEITY))
    if x is not None and _f(x["k"]) >= 2 and math.isfinite(_f(x["q"])):
        rows.append(
            (
                f"Heterogeneity ({HETEROGENEITY[0]}, {HETEROGENEITY[2]})",
                f"tau² = {fmt_value(_f(x['tau2']))}; I² = {_f(x['i2']):.0f}%; "
                f"Q = {fmt_value(_f(x['q']))} (df {int(_f(x['q_df']))}), "
                f"p = {fmt_p(_f(x['q_p']))}",
            )
        )
    else:
        rows.append(("Heterogeneity", "not assessable (fewer than two trials)"))
    trial = str(inc["label"].iloc[0]) if k == 1 else ""
    sentence = plain_language(label, k, trial, primary, p, a)
    if k and len(by_source) and (by_source["reason"] == Reason.NO_STUDY_FROM_SOURCES).all():
        codes = {
            code
            for column in ("source_kinds_cni", "source_kinds_comparator")
            for cell in inc[column]
            for code in _text(cell).split(";")
            if code
        }
        kinds = ", ".join(KIND_PLURALS[c] for c in KIND_PLURALS if c in codes)
        sentence += (
            " No trial in this comparison has every count from its own report or registry "
            f"results; the counts come from {kinds}."
        )
    return OutcomeSummary(outcome, label, rows, sentence)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


#: Superscript runs (tau², the exponent of ``m × 10ⁿ``) and their plain digits for LaTeX.
_SUPERSCRIPTS = re.compile("[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_FROM_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def data_as_of_text(date: str, k: int, k_without: int) -> str:
    """The "data as of" line: the latest date of the ``k`` studies' data, and how many state
    none.
    """
    if not date:
        return f"Data as of: not stated (none of the {k} study folders gives the date of its data)."
    text = (
        f"Data as of {date}: the latest extraction or registry-release date of the {k} "
        "study folders (results/tables/studies.csv)"
    )
    return text + (f"; {k_without} of them state no date." if k_without else ".")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown specials and HTML-escape angle brackets and ampersands."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def escape_latex(text: str) -> str:
    r"""Escape LaTeX specials (``\\ & % $ # _ { } ~ ^ < >``) and map superscript digits (tau²,
    ``1.00 × 10¹⁰``), ×, ≥ and ∞ to LaTeX.
    """
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    out = _SUPERSCRIPTS.sub(
        lambda m: r"\textsuperscript{" + m.group().translate(_FROM_SUPERSCRIPT) + "}", out
    )
    out = out.replace("×", r"$\times$").replace("≥", r"$\geq$")
    return out.replace("∞", r"$\infty$")


def to_markdown(blocks: list[OutcomeSummary], methods: str, preamble: str = "") -> str:
    """All outcomes as one Markdown document, ``preamble`` (e.g. the data-as-of line) first."""
    parts = ["# Summary of results", ""]
    if preamble:
        parts += [escape_markdown(preamble), ""]
    for b in blocks:
        parts += [
            f"## {escape_markdown(b.label)}",
            "",
            escape_markdown(b.sentence),
            "",
            "| | |",
            "| --- | --- |",
        ]
        parts += [f"| {escape_markdown(a)} | {escape_markdown(v)} |" for a, v in b.rows]
        parts.append("")
    parts += ["## Methods", "", escape_markdown(methods), ""]
    return "\n".join(parts)


def to_html(blocks: list[OutcomeSummary], methods: str, preamble: str = "") -> str:
    """All outcomes as one self-contained HTML page (every data string escaped)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Summary of results</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td{border-top:1px solid #999;padding:.2em .6em;"
        "vertical-align:top}</style></head><body>",
        "<h1>Summary of results</h1>",
    ]
    if preamble:
        parts.append(f"<p>{e(preamble)}</p>")
    for b in blocks:
        parts += [
            f'<h2 id="{e(b.outcome)}">{e(b.label)}</h2>',
            f"<p>{e(b.sentence)}</p>",
            "<table>",
        ]
        parts += [f"<tr><td>{e(a)}</td><td>{e(v)}</td></tr>" for a, v in b.rows]
        parts.append("</table>")
    parts += ["<h2>Methods</h2>", f"<p>{e(methods)}</p>", "</body></html>", ""]
    return "\n".join(parts)


def to_latex(blocks: list[OutcomeSummary], methods: str, preamble: str = "") -> str:
    r"""All outcomes as a LaTeX fragment (``\\input`` it; needs no extra packages)."""
    parts = ["% Generated by raremeta; do not edit."]
    if preamble:
        parts += [escape_latex(preamble), ""]
    for b in blocks:
        parts += [
            f"\\subsection*{{{escape_latex(b.label)}}}",
            escape_latex(b.sentence),
            "",
            "\\begin{tabular}{p{0.38\\linewidth}p{0.55\\linewidth}}",
            "\\hline",
        ]
        parts += [f"{escape_latex(a)} & {escape_latex(v)} \\\\" for a, v in b.rows]
        parts += ["\\hline", "\\end{tabular}", ""]
    parts += ["\\subsection*{Methods}", escape_latex(methods), ""]
    return "\n".join(parts)
