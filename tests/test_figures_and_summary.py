"""Forest plots, incidence plots and summary tables (issue 4): structure, escaping, wording."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib
import pytest

from raremeta.report.forest import FIG_WIDTH_IN, PooledRow, StudyRow, forest_plot
from raremeta.report.incidence_plot import ArmRate, incidence_plot
from raremeta.report.numbers import fmt_ci
from raremeta.report.summary import OutcomeSummary, escape_latex, plain_language, to_html, to_latex

matplotlib.use("Agg")

LONG = "The Extremely Long Investigator-Initiated Randomised Trial of Something, Smith et al."


def studies(n: int) -> list[StudyRow]:
    rows = [
        StudyRow(
            f"{LONG} {i}",
            3,
            120,
            0 if i % 3 else 1,
            60,
            2.0 + i / 10,
            1e-5 + i / 1e3,
            900.0,
            100 / n,
            # the widest source text (the arms' kinds differ) and follow-up
            source_kinds_cni="primary;not_stated",
            source_kinds_comparator="registry;secondary",
            follow_up_weeks=208.0 + i,
        )
        for i in range(n)
    ]
    rows.append(
        StudyRow(
            "Trial without the outcome",
            None,
            80,
            None,
            81,
            included=False,
            reason="not_reported_either_arm",
        )
    )
    return rows


POOLED = [
    PooledRow(
        "Primary: OR, Mantel-Haenszel",
        "OR",
        reason="no_comparator_events",
        primary=True,
        status="not_estimable",
    ),
    PooledRow("OR, Peto", "OR", 3.1, 1.2, 8.0),
    PooledRow("RD, Mantel-Haenszel", "RD", 0.02, 0.001, 0.04),
    PooledRow("OR, IV REML", "OR", reason="single_study", status="not_applicable"),
]


def _text_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_text().strip():
                boxes.append((t.get_text(), t.get_window_extent(renderer), t.get_fontsize()))
    return boxes


@pytest.mark.parametrize("n", [1, 2, 10, 60])
def test_forest_text_never_overlaps_and_is_at_least_8pt(n):
    fig = forest_plot("Seizure", "OR", studies(n), POOLED, "Heterogeneity: ...")
    boxes = _text_boxes(fig)
    assert min(size for _, _, size in boxes) >= 8
    for (ta, a, _), (tb, b, _) in itertools.combinations(boxes, 2):
        overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_w <= 1 or overlap_h <= 1, (ta, tb)
    width, height = fig.get_size_inches()
    assert width == FIG_WIDTH_IN and height >= 0.24 * (n + 10)


def test_forest_marks_out_of_axis_intervals_and_non_estimable_results():
    fig = forest_plot("PRES", "OR", studies(3), POOLED, "Heterogeneity: ...")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("not estimable:") for t in texts)
    assert "outcome not reported" in texts  # listed, not dropped
    assert "RD 0.0200 [0.00100, 0.0400]" in texts  # other scale: text only
    assert "not applicable:\none study" in texts  # a status, not "not estimable"
    arrows = [c for c in fig.axes[1].get_children() if type(c).__name__ == "Annotation"]
    assert arrows, "an interval running off the axis must end in an arrow"


def test_open_ended_interval_is_drawn_as_an_arrow():
    # the seed's exact conditional row for PRES: 2.66 [0.33, inf) (issue 11)
    pooled = [PooledRow("OR, median-unbiased", "OR", 2.66, 0.33, math.inf, primary=True)]
    fig = forest_plot("PRES", "OR", studies(1), pooled, "Heterogeneity: ...")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "2.66 [0.330, ∞)" in texts
    ax = fig.axes[1]
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation"]
    right_edge = ax.get_xlim()[1]
    assert any(a.xy[0] == right_edge for a in arrows), "the open end must reach the axis edge"


def test_incidence_plot_has_a_row_per_arm_and_pooled_rate():
    # Clopper-Pearson intervals from R 4.2.2 binom.test(4, 177) and binom.test(0, 88)
    fig = incidence_plot(
        "PRES",
        [
            ArmRate("A", "cni", 4, 177, 4 / 177, 0.006190969085, 0.05684867506),
            ArmRate("B", "comparator", 0, 88, 0.0, 0.0, 0.04105262906),
        ],
        {("cni", "crude"): (0.02, 0.006, 0.06, "estimated")},
    )
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[:2] == ["CNI arms", "A  4/177"]
    assert "Pooled (GLMM): no data" in labels


def _pooled_rows(*rows: dict):
    import pandas as pd

    base = {"model": "common", "tau2_estimator": "", "events_cni": 4, "n_cni": 177}
    base |= {"events_comparator": 0, "n_comparator": 88, "primary_rule": "auto_mh_or_not_finite"}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_single_trial_is_not_called_a_meta_analysis():
    # AURA-LV PRES alone; the numbers are the seed's (Firth 4.59 [0.48, 611] and median-unbiased
    # 2.66 [0.33, inf), p 0.31: issue 11); each row keeps its own interval and p
    p = _pooled_rows(
        {"measure": "OR", "method": "Firth", "estimate": 4.59, "ci_low": 0.48, "ci_high": 611,
         "p_value": 0.218, "status": "estimated", "reason": ""},
        {"measure": "OR", "method": "exact-conditional", "estimate": 2.66, "ci_low": 0.33,
         "ci_high": float("inf"), "p_value": 0.305, "status": "estimated", "reason": ""},
    )  # fmt: skip
    text = plain_language("PRES", 1, "AURA-LV 2019", p.iloc[0], p)
    assert "a single trial, AURA-LV 2019" in text and "meta-analysis" not in text
    assert "neither show nor exclude an effect" in text
    assert "4.59 [0.480, 611], p = 0.218" in text  # the headline's own p, not the exact one's
    # issue 20, item 10: no protocol in the config, so not "pre-specified"
    assert "chosen by the rule in config.yaml: the Mantel-Haenszel odds ratio is not finite" in text
    assert "pre-specified" not in text
    assert "median-unbiased odds ratio of 2.66 [0.330, ∞), p = 0.305" in text
    # issue 20, item 12: 4.59 / 2.66 = 1.73 > 1.5, so the sentence on point estimates appears
    assert "The point estimates (4.59 and 2.66) differ by more than a factor of 1.5" in text


def test_the_rule_is_pre_specified_only_under_a_protocol_and_roles_come_from_the_config():
    # issue 20, items 8 and 10
    from raremeta.io.analysis_config import Protocol, RoleLabels
    from raremeta.report.summary import SummaryContext

    p = _pooled_rows(
        {"measure": "OR", "method": "Firth", "estimate": 4.59, "ci_low": 0.48, "ci_high": 611,
         "p_value": 0.218, "status": "estimated", "reason": "", "events_cni": 4, "n_cni": 177,
         "n_comparator": 88},
    )  # fmt: skip
    context = SummaryContext(
        RoleLabels("voclosporin", "placebo"), Protocol("CRD42026000001", "2026-02-03")
    )
    text = plain_language("PRES", 1, "AURA-LV 2019", p.iloc[0], p, context=context)
    assert "chosen by the rule pre-specified in protocol CRD42026000001 (2026-02-03)" in text
    assert "(4/177 voclosporin vs 0/88 placebo patients)" in text
    assert "CNI" not in text and "comparator" not in text


def test_a_configured_primary_that_is_not_estimable_says_so_and_never_falls_back_to_peto():
    p = _pooled_rows(
        {"measure": "OR", "method": "MH", "estimate": float("nan"), "ci_low": float("nan"),
         "ci_high": float("nan"), "p_value": float("nan"), "status": "not_estimable",
         "reason": "no_comparator_events", "primary_rule": "configured"},
        {"measure": "OR", "method": "Peto", "estimate": 4.55, "ci_low": 0.56, "ci_high": 36.86,
         "p_value": 0.156, "status": "estimated", "reason": "", "primary_rule": "configured"},
        {"measure": "OR", "method": "Firth", "estimate": 4.59, "ci_low": 0.48, "ci_high": 611,
         "p_value": 0.218, "status": "estimated", "reason": "", "primary_rule": "configured"},
    )  # fmt: skip
    text = plain_language("PRES", 1, "AURA-LV 2019", p.iloc[0], p)
    assert "chosen in config.yaml) cannot be estimated: no comparator events" in text
    assert "Peto" not in text and "4.55" not in text
    assert "(Firth penalised likelihood) was 4.59 [0.480, 611], p = 0.218" in text


def test_an_interval_that_excludes_no_difference_says_which_side_plainly():
    # 8/100 vs 0/100: Firth 18.47 [2.25, 2401], p = 0.003 (found in review); no double negative
    # and no "cannot establish or exclude" beside a p of 0.003
    p = _pooled_rows(
        {"measure": "OR", "method": "Firth", "estimate": 18.47, "ci_low": 2.25, "ci_high": 2401,
         "p_value": 0.003, "status": "estimated", "reason": "", "events_cni": 8, "n_cni": 100,
         "n_comparator": 100},
    )  # fmt: skip
    text = plain_language("PRES", 1, "T", p.iloc[0], p)
    assert "the 95% interval lies above 1 (more events with CNI)" in text
    assert "excludes no difference" not in text and "cannot establish" not in text
    assert "This rests on 8 events and is imprecise." in text


HOSTILE = "<script>alert(1)</script> & $x_1$ 50% #1 {a} \\cmd ~^"


def test_labels_are_escaped_in_html_and_latex():
    block = OutcomeSummary("x", HOSTILE, [(HOSTILE, "=1+1")], HOSTILE)
    page = to_html([block], "m")
    assert "<script>" not in page and "&lt;script&gt;" in page
    tex = to_latex([block], "m")
    assert r"\$x\_1\$ 50\% \#1 \{a\} \textbackslash{}cmd" in tex
    assert escape_latex("~^") == r"\textasciitilde{}\textasciicircum{}"


def test_ci_formatting():
    # the rule of tests/test_numbers.py: three significant digits for every measure
    assert fmt_ci(4.546, 0.5608, 36.86, "OR") == "4.55 [0.561, 36.9]"
    assert fmt_ci(math.nan, 1, 2, "OR") == "-"
    assert fmt_ci(0.0226, 0.0007, 0.0445, "RD") == "0.0226 [0.000700, 0.0445]"


def test_a_double_zero_study_says_why_it_has_no_ratio(tmp_path):
    """A double-zero study on an OR plot shows '- (no OR: double zero)', not '- *' (its 0.5
    correction is for the RD only)."""
    import sys

    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import harmonised_project, pool_tables

    from raremeta.report.outcome_figures import forest_for_outcome

    paths = harmonised_project(tmp_path, n_studies=60, n_outcomes=2, seed=2)
    pool_tables(paths)
    studies = pd.read_csv(paths["studies"])
    double_zero = studies[studies["double_zero"].astype(str) == "True"]
    outcome = double_zero["outcome"].iloc[0]
    fig = forest_for_outcome(outcome, "x", pd.read_csv(paths["pooled"]), studies)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    n_double_zero = int((double_zero["outcome"] == outcome).sum())
    assert texts.count("- (no OR: double zero)") == n_double_zero >= 1
    assert "- *" not in texts


def test_methods_paragraph_names_exactly_the_methods_that_ran(tmp_path):
    """A config that runs only MH and IV: the paragraph names those (and their sensitivity
    analyses), not Peto or the exact method; it names the packages
    the workflow imports and no package it does not (statsmodels), and claims no agreement with
    other software."""
    import sys

    from raremeta.io.analysis_config import load_config
    from raremeta.steps.summary import run_summary

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import harmonised_project, pool_tables

    paths = harmonised_project(tmp_path, n_studies=12, n_outcomes=2, seed=4)
    primary = "primary: {measure: OR, method: MH, model: common}\n"
    paths["config"].write_text(paths["config"].read_text() + "methods: [MH, IV]\n" + primary)
    assert load_config(paths["config"]).methods == ("MH", "IV")
    pool_tables(paths)
    out = {name: tmp_path / f"{name}.out" for name in ("md", "html", "tex", "methods", "book")}
    run_summary(
        paths["pooled"], paths["rates"], paths["studies"], paths["sensitivity"],
        paths["absolute"], paths["config"],
        out["md"], out["html"], out["tex"], out["methods"], out["book"],
    )  # fmt: skip
    methods = out["methods"].read_text()
    assert "Mantel-Haenszel" in methods and "inverse-variance" in methods
    assert "Peto odds ratio" not in methods and "exact conditional" not in methods
    assert "Hartung-Knapp-Sidik-Jonkman" in methods and "RevMan-style" in methods
    assert "scipy" in methods and "numpy" in methods and "matplotlib" in methods
    assert "statsmodels" not in methods and "metafor" not in methods


def test_codebook_defines_every_column_and_code():
    from raremeta.analysis.codebook import codebook_markdown
    from raremeta.stats.results import Reason

    book = codebook_markdown()
    # the contract columns as README.md states them (a sample from each table)
    for column in ("status", "reason", "studies", "risk_cni_ci_low", "zero_cell_corrected"):
        assert f"| `{column}` |" in book
    for reason in Reason:
        if reason.value:
            assert f"| `{reason.value}` |" in book
