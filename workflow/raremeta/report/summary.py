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

from raremeta.analysis.wording import short_reason
from raremeta.io.results_reading import cell_float as _f
from raremeta.io.results_reading import is_true
from raremeta.report.numbers import fmt_ci, fmt_number
from raremeta.report.pooled_rows import (
    method_label,
    outcome_pooled,
    pooled_row,
    row_key,
    shown_rows,
)

MEASURE_WORDS = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}


def _pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.2f}%"


@dataclass(frozen=True)
class OutcomeSummary:
    """The rows of one outcome's block and its plain-language sentence (unescaped text)."""

    outcome: str
    label: str
    rows: list[tuple[str, str]]
    sentence: str


def plain_language(
    label: str, k: int, trial_label: str, primary: pd.Series, alternatives: list[pd.Series]
) -> str:
    """One sentence that never overstates: a single trial is called a single trial."""
    measure = primary["measure"]
    est, lo, hi = _f(primary["estimate"]), _f(primary["ci_low"]), _f(primary["ci_high"])
    events = (
        f"{_f(primary['events_cni']):g}/{_f(primary['n_cni']):g} CNI vs "
        f"{_f(primary['events_comparator']):g}/{_f(primary['n_comparator']):g} "
        "comparator patients"
    )
    if k == 0:
        return (
            f"No trial reported {label.lower()} in both arms, so no comparison of CNIs "
            "with comparators is possible."
        )
    basis = f"a single trial, {trial_label}" if k == 1 else f"{k} trials"
    if math.isfinite(est):
        null = 0.0 if measure == "RD" else 1.0
        verdict = (
            "the interval includes no difference, so the data neither show nor exclude an effect"
            if lo <= null <= hi
            else "the interval excludes no difference"
        )
        return (
            f"From {basis} ({events}), the {MEASURE_WORDS[measure]} was "
            f"{fmt_ci(est, lo, hi, measure)}; {verdict}."
        )
    alt = next((a for a in alternatives if math.isfinite(_f(a["estimate"]))), None)
    tail = ""
    if alt is not None:
        a_lo, a_hi, a_m = _f(alt["ci_low"]), _f(alt["ci_high"]), alt["measure"]
        ci = fmt_ci(_f(alt["estimate"]), a_lo, a_hi, a_m)
        compatible = a_lo <= (0.0 if a_m == "RD" else 1.0) <= a_hi
        tail = (
            f" The {MEASURE_WORDS[a_m]} ({alt['method']}) was {ci}"
            f"{', compatible with no difference' if compatible else ''}."
        )
    return (
        f"From {basis} ({events}), the {MEASURE_WORDS[measure]} cannot be estimated: "
        f"{short_reason(str(primary['reason']))}.{tail} Such sparse data cannot establish "
        "or exclude a difference."
    )


def summarise(
    outcome: str, label: str, pooled: pd.DataFrame, rates: pd.DataFrame, studies: pd.DataFrame
) -> OutcomeSummary:
    """Collect one outcome's summary rows from the results tables."""
    p, primary = outcome_pooled(pooled, outcome)
    s = studies[studies["outcome"] == outcome]
    inc = s[s["included"].map(is_true)]
    k = len(inc)
    n_patients = _f(inc["n_cni"].sum()) + _f(inc["n_comparator"].sum()) if k else 0.0
    rows: list[tuple[str, str]] = [
        ("Trials in the comparison", f"{k} of {len(s)} ({n_patients:g} patients)"),
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
    r = rates[rates["outcome"] == outcome]
    for role, name in (("cni", "CNI"), ("comparator", "comparator")):
        for method in ("crude", "GLMM"):
            row = r[(r["role"] == role) & (r["method"] == method)]
            if row.empty:
                continue
            x = row.iloc[0]
            value = (
                f"{_pct(_f(x['estimate']))} [{_pct(_f(x['ci_low']))}, {_pct(_f(x['ci_high']))}]"
                if math.isfinite(_f(x["estimate"]))
                else "not estimable"
            )
            rows.append((f"Pooled rate, {name} ({method})", f"{value}, k = {int(_f(x['k']))}"))
    key = row_key(primary)
    alternatives = []
    for k_alt, x in shown_rows(p, primary):
        if k_alt != key:
            alternatives.append(x)
        est = _f(x["estimate"])
        value = (
            fmt_ci(est, _f(x["ci_low"]), _f(x["ci_high"]), k_alt[0])
            + (f", p = {fmt_number(_f(x['p_value']), 'RD')}" if math.isfinite(est) else "")
            if math.isfinite(est)
            else "not estimable: " + short_reason(str(x["reason"]))
        )
        rows.append((("Primary: " if k_alt == key else "") + method_label(*k_alt), value))
    x = pooled_row(p, (key[0], "IV", "random", "REML"))
    if x is not None and _f(x["k"]) >= 2:
        rows.append(
            (
                "Heterogeneity (IV, REML)",
                f"tau² = {_f(x['tau2']):.3g}; I² = {_f(x['i2']):.0f}%; Q = {_f(x['q']):.2f} "
                f"(df {int(_f(x['q_df']))}), p = {_f(x['q_p']):.3f}",
            )
        )
    else:
        rows.append(("Heterogeneity", "not assessable (fewer than two trials)"))
    trial = str(inc["label"].iloc[0]) if k == 1 else ""
    sentence = plain_language(label, k, trial, primary, alternatives)
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


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown specials and HTML-escape angle brackets and ampersands."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def escape_latex(text: str) -> str:
    r"""Escape LaTeX specials (``\\ & % $ # _ { } ~ ^ < >``) and map ² to a superscript."""
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    return out.replace("²", r"\textsuperscript{2}").replace("≥", r"$\geq$")


def to_markdown(blocks: list[OutcomeSummary], methods: str) -> str:
    """All outcomes as one Markdown document."""
    parts = ["# Summary of results", ""]
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


def to_html(blocks: list[OutcomeSummary], methods: str) -> str:
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


def to_latex(blocks: list[OutcomeSummary], methods: str) -> str:
    r"""All outcomes as a LaTeX fragment (``\\input`` it; needs no extra packages)."""
    parts = ["% Generated by raremeta; do not edit."]
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
