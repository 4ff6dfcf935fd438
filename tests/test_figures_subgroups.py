"""The subgroup forest plot (issue 21, item 2), read from its artists.

The table is a fixture built from the contract of ``subgroups.csv`` (columns ``outcome,
subgroup_variable, subgroup, k, events_cni, n_cni, events_comparator, n_comparator, measure,
method, estimate, ci_low, ci_high, p_value, status, reason, q_between, q_df, p_between`` and an
appended ``note``; one row per subgroup and one test row per variable with ``subgroup``
empty). Its numbers are hand computations:

- tacrolimus: log OR ln 4 with SE 0.5, so OR 4 [4 exp(-1.959964 x 0.5), 4 exp(1.959964 x 0.5)]
  = 4 [1.50125, 10.6577], printed "4.00 [1.50, 10.7]" (3 significant digits, README);
  ciclosporin: log OR 0 with SE 0.5, 1 [0.375311, 2.664456] -> "1.00 [0.375, 2.66]";
- the test between them: Q = (ln 4 - 0)² / (0.5² + 0.5²) = 1.921812 / 0.5 = 3.843624 with
  df = 1, p = erfc(sqrt(Q / 2)) = 0.049939 (chi-square with 1 df), printed "Q = 3.84, df = 1,
  p = 0.050";
- the placebo subgroup (one trial): AURA-LV's median-unbiased OR 2.66 [0.329, inf) (R,
  tests/reference/rare_event_reference.csv, ``seed_pres_auralv``), an arrow to the axis edge.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from figure_checks import arrows, layout_problems, points, texts

from raremeta.report.figure_files import save_figure
from raremeta.report.subgroup_plot import differences_line, subgroups_for_outcome
from raremeta.steps.figures import run_outcome_figure

NAN = math.nan
INF = math.inf
#: The contract's columns (issue 21, item 2), then the appended note.
COLUMNS = [
    "outcome", "subgroup_variable", "subgroup", "k", "events_cni", "n_cni", "events_comparator",
    "n_comparator", "measure", "method", "estimate", "ci_low", "ci_high", "p_value", "status",
    "reason", "q_between", "q_df", "p_between", "note",
]  # fmt: skip
Q = (math.log(4) - 0) ** 2 / (0.5**2 + 0.5**2)  # 3.843624, the hand computation above
P = math.erfc(math.sqrt(Q / 2))  # chi-square upper tail with 1 df: 0.049939
Z = 1.959963984540054  # the 97.5% normal quantile


def _row(variable, subgroup, k, counts, estimate=NAN, low=NAN, high=NAN, **kw) -> dict:
    row = dict(zip(COLUMNS, [
        "pres", variable, subgroup, k, *counts, "OR", "MH", estimate, low, high, NAN,
        "estimated", "", NAN, NAN, NAN, "subgroups of trials: an observational comparison",
    ], strict=True))  # fmt: skip
    return {**row, **kw}


def fixture_table() -> pd.DataFrame:
    """Two variables: CNI drug (three subgroups, one not estimable, with Q) and comparator drug
    (a one-trial subgroup with an infinite bound and a not-estimable one, without Q).
    """
    return pd.DataFrame(
        [
            _row("cni_drug", "tacrolimus", 3, (5, 300, 1, 290), 4.0, 4 * math.exp(-Z * 0.5),
                 4 * math.exp(Z * 0.5)),
            _row("cni_drug", "ciclosporin", 2, (2, 120, 2, 118), 1.0, math.exp(-Z * 0.5),
                 math.exp(Z * 0.5)),
            _row("cni_drug", "voclosporin", 1, (0, 100, 0, 98), status="not_estimable",
                 reason="no_events"),
            _row("cni_drug", "", 6, (7, 520, 3, 506), q_between=Q, q_df=1, p_between=P),
            _row("comparator_drug", "placebo", 1, (4, 177, 0, 88), 2.662135482, 0.3287304541,
                 INF, reason="single_study"),
            _row("comparator_drug", "mycophenolate", 2, (3, 343, 0, 418), status="not_estimable",
                 reason="no_comparator_events"),
            _row("comparator_drug", "", 3, (7, 520, 0, 506), status="not_applicable",
                 reason="one_estimable_subgroup"),
        ],
        columns=COLUMNS,
    )  # fmt: skip


def primary_mh() -> pd.DataFrame:
    """The outcome's primary row of pooled_effects.csv (the columns the figure reads)."""
    return pd.DataFrame(
        [{"outcome": "pres", "measure": "OR", "method": "MH", "model": "common",
          "tau2_estimator": NAN, "primary": True}]
    )  # fmt: skip


def test_one_block_per_variable_one_row_per_subgroup_and_the_test_lines():
    fig = subgroups_for_outcome("pres", "PRES", fixture_table(), primary_mh())
    t = texts(fig)
    assert "PRES: subgroups" in t
    assert "CNI drug" in t and "Comparator drug" in t  # the blocks, by role label
    subgroups = ["tacrolimus", "ciclosporin", "voclosporin", "placebo", "mycophenolate"]
    assert [x for x in t if x in subgroups] == subgroups  # one row each, in the table's order
    assert len(points(fig)) == 3  # the estimable ones: tacrolimus, ciclosporin, placebo
    # counts per role, events/N
    for cell in ("5/300", "1/290", "0/100", "0/98", "4/177", "0/88"):
        assert cell in t
    assert "CNI\nevents/N" in t and "Comparator\nevents/N" in t
    assert "4.00 [1.50, 10.7]" in t and "1.00 [0.375, 2.66]" in t  # hand computation above
    assert "Test for subgroup differences: Q = 3.84, df = 1, p = 0.050" in t
    # the not-estimable subgroups say why (wording.short_reason), drawn without a point
    assert "not estimable: no events in any study" in t
    assert "not estimable: no comparator events (OR infinite)" in t
    # the test row without Q says why; its code is shown as words
    assert "Test for subgroup differences: not computed (one estimable subgroup)" in t
    assert layout_problems(fig) == []


def test_a_one_trial_subgroup_says_so_and_its_infinite_bound_is_an_arrow():
    fig = subgroups_for_outcome("pres", "PRES", fixture_table())
    t = texts(fig)
    assert "2.66 [0.329, ∞) (one study)" in t  # status estimated, reason single_study
    assert len(arrows(fig)) == 1  # the placebo subgroup's upper bound
    (x, _), *_ = [p for p in points(fig) if 2.6 < p[0] < 2.7]
    assert x == pytest.approx(2.662135482)


def test_the_method_and_the_observational_caveat_are_named():
    joined = " ".join(texts(subgroups_for_outcome("pres", "PRES", fixture_table(), primary_mh())))
    assert "Within each subgroup: OR, Mantel-Haenszel, common effect (the outcome's primary" in (
        joined
    )
    assert "Subgroups of trials are observational comparisons" in joined
    assert "Odds ratio, log scale" in joined and "Odds ratio [95% CI]" in joined
    # without pooled_effects.csv the table's codes name it
    joined = " ".join(texts(subgroups_for_outcome("pres", "PRES", fixture_table())))
    assert "Within each subgroup: OR, MH (the outcome's primary method)" in joined


def test_role_labels_from_the_config():
    roles = {"cni": "JAK inhibitor", "comparator": "placebo"}
    t = texts(subgroups_for_outcome("pres", "PRES", fixture_table(), roles=roles))
    assert "JAK inhibitor drug" in t and "Placebo drug" in t
    assert "JAK inhibitor\nevents/N" in t and "Placebo\nevents/N" in t
    assert "not estimable: no placebo events (OR infinite)" in t
    assert "← Favours JAK inhibitor" in t and "Favours placebo →" in t
    assert not any("CNI" in x or "omparator" in x for x in t)


def test_the_test_line_in_every_case():
    row = fixture_table().iloc[3]
    # chi-square with 2 df: p = exp(-Q / 2); Q = 16 gives exp(-8) = 0.000335
    low = row.copy()
    low[["q_between", "q_df", "p_between"]] = [16.0, 2, math.exp(-8)]
    assert differences_line(low) == "Test for subgroup differences: Q = 16.0, df = 2, p < 0.001"
    known = row.copy()
    known[["q_between", "q_df", "status", "reason"]] = [NAN, NAN, "not_applicable", "single_study"]
    assert differences_line(known) == "Test for subgroup differences: not computed (one study)"
    known["reason"] = ""
    assert differences_line(known) == "Test for subgroup differences: not computed"
    assert differences_line(None) == "Test for subgroup differences: not computed"


def test_an_outcome_without_rows_is_a_small_panel():
    fig = subgroups_for_outcome("seizure", "Seizure", fixture_table())
    assert "No subgroup analysis for this outcome." in texts(fig)
    assert fig.get_size_inches()[1] < 1.5
    # only test rows, as for an outcome no trial reports in both arms: why, in words
    tma = pd.DataFrame(
        [_row(variable, "", 0, (NAN,) * 4, status="not_estimable", reason="no_comparable_study",
              outcome="tma") for variable in ("cni_drug", "comparator_drug")],
        columns=COLUMNS,
    )  # fmt: skip
    fig = subgroups_for_outcome("tma", "TMA", tma)
    t = texts(fig)
    assert "No subgroup analysis for this outcome." in t
    assert "No study reports it in both arms." in t  # wording.short_reason, once
    assert fig.get_size_inches()[1] < 1.5


def test_a_risk_difference_is_drawn_per_1000():
    table = fixture_table()
    table["measure"] = "RD"
    table.loc[0, ["estimate", "ci_low", "ci_high"]] = [0.0226, 0.0007, 0.0445]
    t = texts(subgroups_for_outcome("pres", "PRES", table))
    assert "22.6 [0.700, 44.5]" in t  # x 1,000
    assert "Risk difference per 1,000 patients" in t


@pytest.mark.parametrize("ext", ["png", "pdf", "svg"])
def test_the_bytes_are_reproducible(tmp_path, ext):
    paths = [tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"]
    for path in paths:  # two figures built and saved apart
        save_figure(subgroups_for_outcome("pres", "PRES", fixture_table()), [path])
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    assert b"CreationDate" not in first and b"<dc:date>" not in first


def test_the_figures_step_reads_the_table_as_written(tmp_path):
    table = fixture_table()
    table.loc[0, "subgroup"] = "NA"  # a subgroup value, not a missing cell
    table.to_csv(tmp_path / "subgroups.csv", index=False)
    outputs = [tmp_path / f"subgroups_pres.{ext}" for ext in ("png", "pdf", "svg")]
    run_outcome_figure("subgroups", "pres", "PRES", {"subgroups": tmp_path / "subgroups.csv"},
                       outputs)  # fmt: skip
    assert all(p.stat().st_size > 0 for p in outputs)
    svg = outputs[2].read_text(encoding="utf-8")  # text kept as text (svg.fonttype none)
    assert ">NA<" in svg and "Q = 3.84, df = 1, p = 0.050" in svg


def test_the_seed_table_each_subgroup_one_trial_and_no_test():
    """The committed seed subgroups.csv (issue 21, "Done when"): by CNI drug and by comparator
    each subgroup is one trial, and with one subgroup per variable there is no Q. AURA-LV's
    Firth OR 4.59 [0.482, 611]: R brglm2, tests/reference/rare_event_reference.csv
    (``seed_pres_auralv``).
    """
    from conftest import ROOT

    table = pd.read_csv(ROOT / "results/tables/subgroups.csv", dtype=str, keep_default_na=False)
    fig = subgroups_for_outcome("pres", "PRES", table)
    t = texts(fig)
    assert [x for x in t if x in ("voclosporin", "placebo")] == ["voclosporin", "placebo"]
    assert t.count("4.59 [0.482, 611] (one trial in the subgroup)") == 2
    assert t.count("Test for subgroup differences: not computed (one subgroup only)") == 2
    assert not any(x.startswith("Test for subgroup differences: Q") for x in t)
    assert len(points(fig)) == 2 and not arrows(fig)
    assert layout_problems(fig) == []
