"""The cumulative meta-analysis figure (issue 21, item 4), read from its artists.

Expected values and where they come from:

- Four steps: ``tests/reference/cumulative.csv`` (metafor ``cumul()`` of ``rma.mh``, script
  ``tests/reference/cumulative.R``): the MH OR of trial-b (2010) alone, then + trial-a (2012),
  + trial-c (2012, the tie by id), + trial-d (no year, last). Printed by the number rule
  (3 significant digits, README "Printed numbers"): 3 [0.306667, 29.3477] -> "3.00 [0.307,
  29.3]"; the last step 2.53389 [0.781584, 8.21486] -> "2.53 [0.782, 8.21]".
- The seed's one step: AURA-LV 2019 PRES, Firth OR 4.59 [0.482, 611] (R brglm2, profile
  penalised likelihood; tests/reference/rare_event_reference.csv, ``seed_pres_auralv``).
- A risk-difference step: 0.0226 [0.0007, 0.0445] is drawn and printed per 1,000 patients,
  22.6 [0.700, 44.5] (x 1,000).
"""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from conftest import ROOT
from figure_checks import arrows, layout_problems, points, texts

from raremeta.analysis.result_tables import CUMULATIVE_COLUMNS
from raremeta.report.cumulative_plot import cumulative_for_outcome
from raremeta.report.figure_files import save_figure

NAN = math.nan
INF = math.inf

with open(ROOT / "tests/reference/cumulative.csv", encoding="utf-8") as f:
    R = list(csv.DictReader(f))


def _row(step, study, year, k, estimate, low, high, **kw) -> dict:
    row = {
        "outcome": "pres", "step": step, "study_added": study, "year": year, "k": k,
        "measure": "OR", "method": "MH", "model": "common", "estimate": estimate,
        "ci_low": low, "ci_high": high, "p_value": NAN, "status": "estimated", "reason": "",
        "note": "",
    }  # fmt: skip
    return {**row, **kw}


def metafor_steps() -> pd.DataFrame:
    """cumulative.csv as the pipeline writes it for the four trials of cumulative.R."""
    return pd.DataFrame(
        [
            _row(int(r["step"]), r["study_added"], float(r["year"] or "nan"), int(r["k"]),
                 float(r["mh_estimate"]), float(r["mh_ci_low"]), float(r["mh_ci_high"]))
            for r in R
        ],
        columns=CUMULATIVE_COLUMNS,
    )  # fmt: skip


def labels(ids) -> pd.DataFrame:
    """study_effects.csv's labels of the trials (the columns the figure reads)."""
    return pd.DataFrame(
        [{"outcome": "pres", "study": i, "label": f"Trial {i[-1].upper()}"} for i in ids]
    )


def seed_step() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The seed's PRES cumulative.csv (one step) and AURA-LV's label."""
    steps = pd.DataFrame(
        [_row(1, "aura-lv", 2019, 1, 4.590778098, 0.4817419467, 610.9152413, method="Firth",
              note="one study: the Firth OR equals the OR after adding 0.5 to every cell")],
        columns=CUMULATIVE_COLUMNS,
    )  # fmt: skip
    studies = pd.DataFrame([{"outcome": "pres", "study": "aura-lv", "label": "AURA-LV 2019"}])
    return steps, studies


def test_one_row_per_step_in_the_tables_order_with_k_and_the_metafor_values():
    fig = cumulative_for_outcome(
        "pres", "PRES", metafor_steps(), labels([r["study_added"] for r in R])
    )
    t = texts(fig)
    rows = [x for x in t if x.startswith("+ ")]
    assert rows == [
        "+ Trial B (2010)",
        "+ Trial A (2012)",
        "+ Trial C (2012)",  # the 2012 tie by id
        "+ Trial D (year not stated)",  # no year: last
    ]
    assert len(points(fig)) == 4  # one point per step
    # metafor cumul(rma.mh), by the 3-significant-digit rule
    for printed in ("3.00 [0.307, 29.3]", "2.48 [0.473, 13.0]", "1.50 [0.415, 5.45]",
                    "2.53 [0.782, 8.21]"):  # fmt: skip
        assert printed in t
    assert [x for x in t if x in {"1", "2", "3", "4"}] == ["1", "2", "3", "4"]  # k per step
    assert "PRES: cumulative meta-analysis" in t
    assert "Odds ratio, log scale" in t and "Odds ratio [95% CI]" in t
    assert not arrows(fig)  # every interval inside the axis
    note = " ".join(t)  # the wrapped lines under the plot, joined again
    assert "Primary method (OR, Mantel-Haenszel, common effect) chosen on all the data" in note
    assert "One trial" not in " ".join(t)
    assert layout_problems(fig) == []


def test_the_seed_single_step_reads_as_one_trial():
    steps, studies = seed_step()
    fig = cumulative_for_outcome("pres", "Posterior reversible encephalopathy syndrome", steps,
                                 studies)  # fmt: skip
    t = texts(fig)
    assert "+ AURA-LV 2019 (2019)" in t
    assert "4.59 [0.482, 611]" in t  # R brglm2, seed_pres_auralv
    assert len(points(fig)) == 1
    joined = " ".join(t)
    assert "Firth penalised likelihood" in joined  # the method, named under the plot
    assert "refitted at each step" in joined
    assert "order of year, ties and missing years by trial id" in joined
    assert "One trial: the single step is the primary analysis of that trial alone." in t
    assert layout_problems(fig) == []
    # title, header, one step, the axis and four lines of notes: 0.24 in a row, no half page
    assert fig.get_size_inches()[1] < 3.2


def test_an_infinite_bound_is_an_arrow_and_a_step_without_estimate_says_why():
    steps = metafor_steps()
    steps.loc[0, ["estimate", "ci_low", "ci_high", "status", "reason"]] = [
        NAN, NAN, NAN, "not_estimable", "no_comparator_events"]  # fmt: skip
    steps.loc[1, "ci_high"] = INF  # e.g. a median-unbiased step [0.473, inf)
    roles = {"cni": "JAK inhibitor", "comparator": "placebo"}
    fig = cumulative_for_outcome("pres", "PRES", steps, labels([r["study_added"] for r in R]),
                                 roles=roles)  # fmt: skip
    t = texts(fig)
    # wording.short_reason(no_comparator_events), with the configured role label
    assert "not estimable: no placebo events (OR infinite)" in t
    assert "2.48 [0.473, ∞)" in t
    assert len(points(fig)) == 3  # the not-estimable step has none
    assert len(arrows(fig)) == 1  # the infinite bound
    assert "← Favours JAK inhibitor" in t and "Favours placebo →" in t
    assert layout_problems(fig) == []


def test_a_risk_difference_is_drawn_per_1000():
    steps, studies = seed_step()
    steps[["measure", "method", "estimate", "ci_low", "ci_high"]] = [
        "RD", "MN", 0.0226, 0.0007, 0.0445]  # fmt: skip
    t = texts(cumulative_for_outcome("pres", "PRES", steps, studies))
    assert "22.6 [0.700, 44.5]" in t  # x 1,000
    assert "Risk difference per 1,000 patients" in t
    assert "Risk difference per 1,000 [95% CI]" in t


def test_an_outcome_without_a_step_is_a_small_panel():
    steps = pd.DataFrame(
        [_row(NAN, NAN, NAN, 0, NAN, NAN, NAN, status="not_estimable",
              reason="no_comparable_study")],
        columns=CUMULATIVE_COLUMNS,
    )  # fmt: skip
    fig = cumulative_for_outcome("pres", "TMA", steps, labels([]))
    assert "No trial reported this outcome in both arms: no cumulative meta-analysis." in texts(fig)
    assert fig.get_size_inches()[1] < 1.5


@pytest.mark.parametrize("ext", ["png", "pdf", "svg"])
def test_the_bytes_are_reproducible(tmp_path, ext):
    steps, studies = seed_step()
    paths = [tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"]
    for path in paths:  # two figures built and saved apart
        save_figure(cumulative_for_outcome("pres", "PRES", steps, studies), [path])
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    assert b"CreationDate" not in first and b"<dc:date>" not in first
