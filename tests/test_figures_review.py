"""The figures as a journal's statistical reviewer reads them (issue 20, items 1, 6-8, 15, 19-21).

What is drawn is read from the figures' text artists. The tables are small hand-made copies of
the seed's results with the columns issue 20 appends (``caution``, ``or_firth*``,
``rd_crude*``, ``drug_*``, ``population_*``, ``subset``); their numbers come from outside the
code:

- AURA-LV 2019 PRES, 4/177 vs 0/88: Firth OR 4.59 [0.48, 611] (R brglm2, profile penalised
  likelihood; tests/reference/rare_event_reference.csv, ``seed_pres_auralv``; with one trial the
  single-trial Firth interval is the pooled one); median-unbiased OR 2.66 [0.33, inf) (same file,
  fisher.test); Peto OR 4.55 [0.56, 36.86] (metafor, tests/reference/pooled.csv); the 0.5-added
  OR 4.59 [0.24, 86.23] (metafor escalc, tests/reference/escalc.csv: log OR 1.524, variance
  2.239, exp(1.524 +- 1.96 sqrt(2.239))).
- The per-arm Clopper-Pearson intervals: R 4.2.2 binom.test(4, 177), binom.test(0, 74),
  binom.test(0, 88).
- PRES MH risk difference 0.0226 [0.0007, 0.0445] with a Wald interval over trials that all have
  an arm without events (issue 20, item 1).
"""

from __future__ import annotations

import math

import matplotlib
import pandas as pd
import pytest

from raremeta.report.forest import PooledRow, StudyRow, forest_plot
from raremeta.report.outcome_figures import forest_for_outcome, incidence_for_outcome
from raremeta.report.reporting_plot import reporting_plot

matplotlib.use("Agg")

INF = math.inf
NAN = math.nan


def _texts(fig) -> list[str]:
    """Every text a figure draws: texts of its axes and of the figure, tick labels, legend."""
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [t.get_text() for t in fig.texts]
    out += [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    out += [ax.get_xlabel() for ax in fig.axes]
    for legend in fig.legends:
        out += [t.get_text() for t in legend.get_texts()]
    return out


def _pooled_row(measure, method, estimate, low, high, **kw) -> dict:
    row = {
        "outcome": "pres", "measure": measure, "method": method, "model": "common",
        "tau2_estimator": "", "primary": False, "k": 1, "k_excluded": 1, "estimate": estimate,
        "ci_low": low, "ci_high": high, "status": "estimated", "reason": "",
        "primary_rule": "auto_mh_or_not_finite", "caution": "",
        "tau2": NAN, "tau2_ci_low": NAN, "tau2_ci_high": NAN, "i2": NAN, "q": NAN,
        "q_df": NAN, "q_p": NAN,
    }  # fmt: skip
    return {**row, **kw}


def seed_pooled() -> pd.DataFrame:
    """The PRES rows of pooled_effects.csv a forest plot may draw (seed values, see above)."""
    return pd.DataFrame(
        [
            _pooled_row("OR", "MH", NAN, NAN, NAN, status="not_estimable",
                        reason="no_comparator_events"),
            _pooled_row("RD", "MH", 0.0226, 0.0007, 0.0445, caution="wald_zero_arm"),
            _pooled_row("OR", "Peto", 4.546619778, 0.5608130462, 36.86032546),
            _pooled_row("OR", "IV", NAN, NAN, NAN, model="random", tau2_estimator="REML",
                        status="not_applicable", reason="single_study"),
            _pooled_row("OR", "exact-conditional", 2.662135482, 0.3287304541, INF),
            _pooled_row("OR", "mid-p", 2.662135482, 0.45, INF),
            _pooled_row("OR", "Firth", 4.590778098, 0.4817419467, 610.9152413, primary=True),
            _pooled_row("RD", "MN", 0.0226, -0.0202, 0.0571),
        ]
    )  # fmt: skip


def seed_studies() -> pd.DataFrame:
    """The PRES rows of study_effects.csv: AURA-LV in the comparison, Mok's MMF arm without a
    count; with the appended single-trial Firth, crude RD, drug and population columns.
    """
    base = {
        "outcome": "pres", "correction": "", "note": "", "source_kinds_cni": "secondary",
        "source_kinds_comparator": "secondary", "follow_up_weeks": NAN,
        "weight_mh_or": NAN, "weight_peto": NAN, "weight_mh_rd": NAN,
    }  # fmt: skip
    aura = {
        **base, "study": "aura-lv", "label": "AURA-LV 2019", "included": True,
        "events_cni": 4, "n_cni": 177, "events_comparator": 0, "n_comparator": 88,
        "or": 4.590778098, "or_ci_low": 0.2444149261, "or_ci_high": 86.22731796,
        "double_zero": False, "zero_cell_corrected": True, "reason": "",
        "risk_cni": 4 / 177, "risk_cni_ci_low": 0.006190969085,
        "risk_cni_ci_high": 0.05684867506, "risk_comparator": 0.0, "risk_comparator_ci_low": 0.0,
        "risk_comparator_ci_high": 0.04105262906,
        "rd_crude": 4 / 177, "rd_crude_ci_low": -0.0202, "rd_crude_ci_high": 0.0571,
        "or_firth": 4.590778098, "or_firth_ci_low": 0.4817419467, "or_firth_ci_high": 610.9152413,
        "drug_cni": "voclosporin;voclosporin", "drug_comparator": "placebo",
        "population_cni": "randomised", "population_comparator": "randomised",
    }  # fmt: skip
    mok = {
        **base, "study": "mok-2016", "label": "Mok 2016/2020", "included": False,
        "events_cni": 0, "n_cni": 74, "events_comparator": NAN, "n_comparator": 76,
        "or": NAN, "or_ci_low": NAN, "or_ci_high": NAN, "double_zero": False,
        "zero_cell_corrected": False, "reason": "not_reported_comparator_arm",
        "risk_cni": 0.0, "risk_cni_ci_low": 0.0, "risk_cni_ci_high": 0.04862761624,
        "risk_comparator": NAN, "risk_comparator_ci_low": NAN, "risk_comparator_ci_high": NAN,
        "rd_crude": NAN, "rd_crude_ci_low": NAN, "rd_crude_ci_high": NAN,
        "or_firth": NAN, "or_firth_ci_low": NAN, "or_firth_ci_high": NAN,
        "drug_cni": "tacrolimus", "drug_comparator": "mycophenolate mofetil",
        "population_cni": "", "population_comparator": "",
    }  # fmt: skip
    return pd.DataFrame([aura, mok])


def test_study_intervals_follow_the_primary_and_the_header_names_them():
    fig = forest_for_outcome("pres", "PRES", seed_pooled(), seed_studies())
    texts = _texts(fig)
    assert "Odds ratio [95% CI]\n(trials: Firth)" in texts
    # the single-trial Firth interval from R brglm2, not the 0.5-added 4.59 [0.24, 86.23]
    assert "4.59 [0.482, 611]" in texts  # 3 significant digits (README)
    assert not any("86.2" in t for t in texts) and "4.59 [0.482, 611] *" not in texts
    assert not any(t.startswith("* 0.5 added") for t in texts)  # nothing was corrected


def test_by_default_only_the_primary_and_exact_conditional_rows_are_drawn():
    labels = [p for p in _texts(forest_for_outcome("pres", "PRES", seed_pooled(), seed_studies()))
              if p.startswith(("Primary:", "OR, ", "RD, "))]  # fmt: skip
    assert labels == [
        "Primary: OR, Firth penalised likelihood",
        "OR, median-unbiased, exact conditional CI",
    ]


def test_forest_rows_adds_the_named_methods():
    fig = forest_for_outcome("pres", "PRES", seed_pooled(), seed_studies(), forest_rows=("Peto",))
    texts = _texts(fig)
    assert "OR, Peto, common effect" in texts
    assert "4.55 [0.561, 36.9]" in texts  # metafor rma.peto, tests/reference/pooled.csv
    assert "OR, Mantel-Haenszel, common effect" not in texts


def test_axis_title_single_trial_and_role_labels():
    roles = {"cni": "JAK inhibitor", "comparator": "placebo"}
    texts = _texts(forest_for_outcome("pres", "PRES", seed_pooled(), seed_studies(), roles))
    assert "Odds ratio, log scale" in texts
    assert "Single trial (nothing pooled)" in texts  # k = 1: AURA-LV alone
    assert not any(t.startswith("Pooled") for t in texts)
    assert "← Favours JAK inhibitor" in texts and "Favours placebo →" in texts
    assert "JAK inhibitor\nevents/N" in texts and "Placebo\nevents/N" in texts
    assert not any("CNI" in t for t in texts)
    # Mok's reason (reason code not_reported_comparator) names the role by its label too
    assert "not reported for placebo" in texts
    assert not any("comparator" in t for t in texts)


def test_pooled_block_is_called_pooled_with_two_trials():
    rows = [StudyRow(f"T{i}", 1, 50, 0, 50, 3.0, 0.1, 90.0, 50.0) for i in (1, 2)]
    fig = forest_plot("X", "OR", rows, [PooledRow("Primary: OR", "OR", 3, 0.3, 30, primary=True)],
                      "Heterogeneity: ...")  # fmt: skip
    assert "Pooled (2 trials)" in _texts(fig)


def test_drug_columns_and_a_constant_column_summarised_under_the_plot():
    texts = _texts(forest_for_outcome("pres", "PRES", seed_pooled(), seed_studies()))
    # drugs differ between the two trials: drawn as columns, each drug once per arm
    assert "CNI\ndrug" in texts and "voclosporin" in texts and "tacrolimus" in texts
    assert "Comparator\ndrug" in texts and "mycophenolate mofetil" in texts
    # source (both "secondary") and follow-up (both not stated) are the same for every trial
    assert "Source" not in texts and "Follow-up\n(weeks)" not in texts
    under = next(t for t in texts if t.startswith("All trials: "))
    assert "counts from letter or review" in under and "follow-up not stated" in under
    # denominators differ (randomised vs not stated): a column
    assert "Denominator" in texts and "randomised" in texts and "not stated" in texts


def test_a_wald_interval_over_zero_arms_never_appears_without_its_caution():
    pooled = seed_pooled()
    pooled["primary"] = (pooled["measure"] == "RD") & (pooled["method"] == "MH")
    pooled["primary_rule"] = "configured"
    texts = _texts(forest_for_outcome("pres", "PRES", pooled, seed_studies()))
    # 0.0226 [0.0007, 0.0445] per 1,000 patients = 22.6 [0.7, 44.5]
    assert "22.6 [0.700, 44.5] †" in texts
    assert any(
        "† normal-approximation interval; every trial has an arm without events." in t
        for t in texts
    )
    assert "Risk difference per 1,000 patients" in texts  # the axis's unit
    assert "Risk difference per 1,000 [95% CI]\n(trials: Miettinen-Nurminen)" in texts
    # the crude RD 4/177 - 0/88 = 22.6 per 1,000, with its MN interval, no 0.5 added
    assert "22.6 [-20.2, 57.1]" in texts


def test_an_outcome_without_any_comparison_is_a_small_panel():
    empty = seed_studies().iloc[0:0]
    fig = forest_for_outcome("tma", "Thrombotic microangiopathy", seed_pooled(), empty)
    texts = _texts(fig)
    assert "No trial reported this outcome in both arms: nothing to compare." in texts
    assert fig.get_size_inches()[1] < 1.5
    rates = pd.DataFrame(columns=["outcome", "role", "method", "k", "estimate", "ci_low",
                                  "ci_high", "status", "reason", "subset"])  # fmt: skip
    reporting = pd.DataFrame(
        [{"study": "aura-lv", "label": "AURA-LV 2019", "outcome": "tma", "cni": "false",
          "comparator": "false", "reported": "neither"}]
    )  # fmt: skip
    fig = incidence_for_outcome("tma", "Thrombotic microangiopathy", empty, rates, reporting)
    texts = _texts(fig)
    assert "No trial reported this outcome in any arm." in texts
    assert "Trials that reported the outcome in neither arm: see the reporting matrix." in texts
    assert fig.get_size_inches()[1] < 1.5


def seed_rates() -> pd.DataFrame:
    """pooled_rates.csv for PRES: the seed's rows over all arms (Mok's tacrolimus arm with
    AURA-LV's) and the comparison subset (AURA-LV alone), with the GLMM not estimable for the
    comparator (0 events).
    """
    rows = []
    for subset, k_cni, cni in (
        ("all_arms", 2, (0.01593625498, 0.004358724376, 0.04029820605)),
        ("comparison", 1, (4 / 177, 0.006190969085, 0.05684867506)),
    ):
        for method in ("crude", "GLMM"):
            rows.append({"outcome": "pres", "role": "cni", "method": method, "k": k_cni,
                         "estimate": cni[0], "ci_low": cni[1], "ci_high": cni[2],
                         "status": "estimated", "reason": "", "subset": subset})  # fmt: skip
        rows.append({"outcome": "pres", "role": "comparator", "method": "crude", "k": 1,
                     "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.04105262906,
                     "status": "estimated", "reason": "", "subset": subset})  # fmt: skip
        rows.append({"outcome": "pres", "role": "comparator", "method": "GLMM", "k": 1,
                     "estimate": NAN, "ci_low": NAN, "ci_high": NAN, "status": "not_estimable",
                     "reason": "no_events", "subset": subset})  # fmt: skip
    return pd.DataFrame(rows)


def seed_reporting() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("aura-lv", "AURA-LV 2019", "pres", "true", "true", "both_arms"),
            ("liu-2015", "Liu 2015", "pres", "false", "false", "neither"),
            ("mok-2016", "Mok 2016/2020", "pres", "true", "false", "one_arm"),
        ],
        columns=["study", "label", "outcome", "cni", "comparator", "reported"],
    )


class _Detail:
    """One role's reporting detail as the typed reader of reporting.csv gives it (its arms'
    detail codes, ORBIT letters and reason).
    """

    def __init__(self, details, orbit=(), reason=""):
        self.details, self.orbit, self.reason = details, orbit, reason


@pytest.fixture
def detail_reader(monkeypatch):
    """The reporting details of the seed's extraction records (issue 20, item 16): Liu 2015 PRES
    not found in the sources reached; Mok's MMF arm for PRES not reported (the author's reply
    states PRES for the tacrolimus arm only).
    """
    from raremeta.report import reporting_details as figure_details

    details = {
        "liu-2015": {"cni": _Detail(("not_found",)), "comparator": _Detail(("not_found",))},
        "mok-2016": {
            "comparator": _Detail(("not_reported",), ("E",), "stated for tacrolimus only")
        },
    }
    monkeypatch.setattr(
        figure_details, "reporting_details", lambda row: details.get(row["study"], {})
    )


def test_incidence_shows_an_arm_without_a_count_with_its_reporting_detail(detail_reader):
    fig = incidence_for_outcome("pres", "PRES", seed_studies(), seed_rates(), seed_reporting())
    texts = _texts(fig)
    assert "Mok 2016/2020" in texts  # the MMF arm: listed, not silently missing
    # the reason is the summary's, not the figure's
    assert "not reported by the source (ORBIT E)" in texts
    # Liu 2015 reported PRES in neither arm: in the reporting matrix, not here
    assert not any("Liu 2015" in t for t in texts)
    assert "Trials that reported the outcome in neither arm: see the reporting matrix." in texts


def test_incidence_pooled_rates_are_of_the_comparison_and_say_why_not_estimable(detail_reader):
    fig = incidence_for_outcome("pres", "PRES", seed_studies(), seed_rates(), seed_reporting())
    texts = _texts(fig)
    # AURA-LV alone is in the comparison: one trial, not "pooled"
    assert "Single trial (crude)" in texts and "Single trial (GLMM)" in texts
    assert not any(t.startswith("Pooled") for t in texts)
    # Mok's tacrolimus arm (0/74) is drawn above the CNI rates but is not in the comparison
    assert texts.count("Over the trials in the comparison:") == 1
    assert "not estimable: no events in any study" in texts
    assert "2.26% [0.619%, 5.68%]" in texts  # 100 x binom.test(4, 177)
    assert "Patients with the event (%), 95% CI" in texts  # the unit, on the axis


def test_incidence_rates_over_all_arms_are_not_a_randomised_comparison():
    rates = seed_rates()
    rates = rates[rates["subset"] == "all_arms"]
    texts = _texts(incidence_for_outcome("pres", "PRES", seed_studies(), rates, seed_reporting()))
    assert texts.count("Over all arms, not a randomised comparison:") == 2
    assert "2 trials (crude)" in texts
    assert "1.59% [0.436%, 4.03%]" in texts  # 4/251 with binom.test(4, 251): the seed's crude CNI


def test_reporting_matrix_labels_outcomes_names_the_arm_and_fits_its_content():
    # the seed's reporting.csv: Liu 2015's PRES and Mok's seizures are not found in the sources
    # reached (study.yaml reporting:), AURA-LV's seizures too
    rows = [
        ("AURA-LV 2019", [("both_arms", ["cni", "comparator"], ""), ("neither", [], "NF")]),
        ("Liu 2015", [("neither", [], "NF"), ("both_arms", ["cni", "comparator"], "")]),
        ("Mok 2016/2020", [("one_arm", ["cni"], ""), ("neither", [], "NF")]),
    ]
    labels = ["Posterior reversible encephalopathy syndrome", "Seizure"]
    fig = reporting_plot(rows, labels, {"cni": "CNI", "comparator": "comparator"})
    texts = _texts(fig)
    assert "Seizure" in texts and "seizure" not in texts and "pres" not in texts
    assert any("encephalopathy" in t for t in texts)
    assert texts.count("CNI") == 1  # Mok's one-arm PRES cell names the arm that reported it
    # issue 20, item 16: the matrix shows why a study has no count, and says what the mark means
    assert texts.count("NF") == 3
    assert "NF: not found in the sources reached (both arms)" in texts
    assert not any(t.startswith("NR:") for t in texts)  # no such cell: no such legend line
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    for t in [t for ax in fig.axes for t in ax.texts] + list(fig.texts):
        box = t.get_window_extent(renderer)
        assert box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1, t.get_text()
        assert box.y0 >= frame.y0 - 1 and box.y1 <= frame.y1 + 1, t.get_text()
    width, height = fig.get_size_inches()
    assert width < 5 and height < 5  # the seed's 3 x 2 matrix: no empty half page


def test_reporting_details_from_the_reporting_table_columns():
    """The same words from the ``reporting_detail`` columns as ``reporting.csv`` writes them
    (``<role>:<detail>`` per role, reasons as JSON), read by the table's own reader.
    """
    reporting = seed_reporting()
    reporting["reporting_detail"] = ["", "cni:not_found;comparator:not_found",
                                     "comparator:not_reported"]  # fmt: skip
    reporting["reporting_orbit"] = ""
    reporting["reporting_reason"] = ["", "", '{"comparator": "stated for tacrolimus only"}']
    fig = incidence_for_outcome("pres", "PRES", seed_studies(), seed_rates(), reporting)
    texts = _texts(fig)
    assert "not reported by the source" in texts and not any("tacrolimus only" in t for t in texts)
