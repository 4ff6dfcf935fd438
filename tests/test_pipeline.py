"""End-to-end: the real Snakemake workflow on copies of fixture projects (issue 2, issue 3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from conftest import HARMONISED_CONTRACT, copy_project, run_snakemake

pytestmark = pytest.mark.pipeline
TABLES = ["pooled_effects", "pooled_rates", "study_effects", "sensitivity", "absolute_effects"]

# The output contract, spelled out as README.md ("Results tables (the output contract)") states
# it; deliberately not imported from the package, so that a change of the code cannot change it.
POOLED_CONTRACT = [
    "outcome",
    "measure",
    "method",
    "model",
    "tau2_estimator",
    "primary",
    "k",
    "k_excluded",
    "events_cni",
    "n_cni",
    "events_comparator",
    "n_comparator",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "i2",
    "q",
    "q_df",
    "q_p",
    "pi_low",
    "pi_high",
    "pi_method",
    "ci_method",
    "correction",
    "note",
    "status",
    "reason",
    "studies",
    # issue 11: new columns in every row
    "estimator",
    "p_method",
    "primary_rule",
    # issue 20: appended (README, pooled_effects.csv columns)
    "caution",
    # issue 22: appended (the Bayesian row's error estimate)
    "posterior_error",
]
RATES_CONTRACT = [
    "outcome",
    "role",
    "method",
    "k",
    "events",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "tau2",
    "note",
    "status",
    "reason",
    # issue 20: appended (README, pooled_rates.csv)
    "subset",
]
SENSITIVITY_CONTRACT = [
    "outcome",
    "analysis",
    "variant",
    "measure",
    "method",
    "model",
    "tau2_estimator",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "ci_method",
    "correction",
    "note",
    "status",
    "reason",
    "estimator",
    "p_method",
    # issue 19: appended (README: "analysis_code, appended in issue 19")
    "analysis_code",
    # issue 20: appended (README: "caution: as in `pooled_effects.csv`")
    "caution",
]
#: reporting.csv (issue 12, item 4): one row per study and configured outcome
REPORTING_CONTRACT = ["study", "label", "outcome", "cni", "comparator", "reported"]
# issue 20, item 16: appended
REPORTING_CONTRACT += ["reporting_detail", "reporting_orbit", "reporting_reason"]
#: absolute_effects.csv (issue 11, item 6)
ABSOLUTE_CONTRACT = [
    "outcome",
    "k",
    "studies",
    "events_cni",
    "n_cni",
    "risk_cni_per_1000",
    "risk_cni_ci_low_per_1000",
    "risk_cni_ci_high_per_1000",
    "events_comparator",
    "n_comparator",
    "risk_comparator_per_1000",
    "risk_comparator_ci_low_per_1000",
    "risk_comparator_ci_high_per_1000",
    "rd_per_1000",
    "rd_ci_low_per_1000",
    "rd_ci_high_per_1000",
    "risk_ci_method",
    "rd_ci_method",
    "primary_rule",
    "note",
    "status",
    "reason",
]
#: study_effects.csv: the columns README names (besides the counts and the CIs); weight_iv_ is
#: README's `weight_iv_<measure>_<common|dl|reml|pm>`
STUDY_EFFECTS_NAMED = [
    "included",
    "or",
    "rr",
    "rd",
    "correction",
    "weight_mh_or",
    "weight_mh_rr",
    "weight_mh_rd",
    "weight_peto",
    "weight_iv_or_common",
    "weight_iv_or_dl",
    "weight_iv_or_reml",
    "weight_iv_or_pm",
    "weight_iv_rr_common",
    "weight_iv_rr_dl",
    "weight_iv_rr_reml",
    "weight_iv_rr_pm",
    "weight_iv_rd_common",
    "weight_iv_rd_dl",
    "weight_iv_rd_reml",
    "weight_iv_rd_pm",
    "note",
    "double_zero",
    "zero_cell_corrected",
    "reason",
    "risk_cni",
    "risk_cni_ci_low",
    "risk_cni_ci_high",
    "risk_comparator",
    "risk_comparator_ci_low",
    "risk_comparator_ci_high",
]
#: README: "MH OR/RR/RD; Peto OR; IV OR/RR/RD common and random with DL, REML and PM; exact
#: conditional OR: 17 rows per outcome", as (measure, method, model, tau2_estimator)
PRIMARY_CONTRACT = {
    ("OR", "MH", "common", ""),
    ("RR", "MH", "common", ""),
    ("RD", "MH", "common", ""),
    ("OR", "Peto", "common", ""),
    ("OR", "IV", "common", ""),
    ("RR", "IV", "common", ""),
    ("RD", "IV", "common", ""),
    ("OR", "IV", "random", "DL"),
    ("OR", "IV", "random", "REML"),
    ("OR", "IV", "random", "PM"),
    ("RR", "IV", "random", "DL"),
    ("RR", "IV", "random", "REML"),
    ("RR", "IV", "random", "PM"),
    ("RD", "IV", "random", "DL"),
    ("RD", "IV", "random", "REML"),
    ("RD", "IV", "random", "PM"),
    ("OR", "exact", "common", ""),
    # issue 11: the new rows of the output contract
    ("OR", "exact-conditional", "common", ""),
    ("OR", "mid-p", "common", ""),
    ("OR", "Firth", "common", ""),
    ("RD", "MN", "common", ""),
    # issue 22: the Bayesian binomial-normal model
    ("OR", "Bayesian", "random", ""),
}


#: The seed's study folders (data/raw/).
STUDY_IDS = ("aura-lv", "liu-2015", "mok-2016")


def digest(project: Path) -> dict[str, str]:
    files = sorted((project / "results").rglob("*.csv")) + sorted(
        (project / "data" / "processed").rglob("*.csv")
    )
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory, seed_results):
    """A copy of the session's seed run (conftest.seed_results): this module's tests rerun it."""
    from conftest import copy_seed_results

    return copy_seed_results(seed_results, tmp_path_factory.mktemp("seed") / "seed")


def test_seed_run_writes_every_table(seed_run):
    assert len(PRIMARY_CONTRACT) == 22 and len(POOLED_CONTRACT) == 37  # as README lists them
    harmonised = pd.read_csv(seed_run / "data/processed/harmonised.csv")
    assert list(harmonised.columns) == HARMONISED_CONTRACT
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv")
    assert list(pooled.columns) == POOLED_CONTRACT
    rates = pd.read_csv(seed_run / "results/tables/pooled_rates.csv")
    assert list(rates.columns) == RATES_CONTRACT
    assert set(rates.method) == {"crude", "GLMM"}  # README: method (crude|GLMM)
    sens = pd.read_csv(seed_run / "results/tables/sensitivity.csv")
    assert list(sens.columns) == SENSITIVITY_CONTRACT
    studies = pd.read_csv(seed_run / "results/tables/study_effects.csv")
    missing = [c for c in STUDY_EFFECTS_NAMED if c not in studies.columns]
    assert not missing, f"study_effects.csv lacks {missing}"
    # per study and outcome, of the studies that reported it in at least one arm (issue 12):
    # PRES in AURA-LV (both arms) and Mok 2016 (CNI arm only), seizures in Liu 2015
    assert sorted(zip(studies.outcome, studies.study, strict=True)) == [
        ("pres", "aura-lv"),
        ("pres", "mok-2016"),
        ("seizure", "liu-2015"),
    ]
    reporting = pd.read_csv(seed_run / "results/tables/reporting.csv", keep_default_na=False)
    assert list(reporting.columns) == REPORTING_CONTRACT
    # data/raw/*/adverse_events.csv: AURA-LV reports PRES only (Xu 2020 letter), Liu 2015
    # seizures only, Mok 2016 PRES in the tacrolimus arm only
    assert {(r.study, r.outcome): r.reported for r in reporting.itertuples()} == {
        ("aura-lv", "pres"): "both_arms",
        ("aura-lv", "seizure"): "neither",
        ("liu-2015", "pres"): "neither",
        ("liu-2015", "seizure"): "both_arms",
        ("mok-2016", "pres"): "one_arm",
        ("mok-2016", "seizure"): "neither",
        # issue 20: TMA and hypertension are in none of the seed's adverse_events.csv files
        **{(s, o): "neither" for s in STUDY_IDS for o in ("tma", "hypertension")},
    }
    absolute = pd.read_csv(seed_run / "results/tables/absolute_effects.csv")
    assert list(absolute.columns) == ABSOLUTE_CONTRACT
    # issue 13: the study table (README "results/tables/studies.csv") and the columns appended
    # to study_effects.csv
    table = pd.read_csv(seed_run / "results/tables/studies.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == [
        "study",
        "label",
        "registry",
        "pooled",
        "same_participants_as",
        "follow_up_weeks",
        "source_kinds",
        "data_as_of",
        "in_comparison",  # issue 20, item 4
        # issue 20, item 14: appended
        "population_cni",
        "population_comparator",
        "year",  # issue 21, item 4: appended
    ]
    # issue 20 (appended): aura-lv is in the PRES comparison, Liu 2015 in the seizure one; Mok's
    # tacrolimus arm reported PRES without its comparator arm (only in the pooled rates)
    assert list(table.in_comparison) == ["pres", "seizure", ""]
    assert list(studies.columns[-15:]) == [
        "source_kinds_cni",
        "source_kinds_comparator",
        "follow_up_weeks",
        # issue 20: appended
        "rd_crude",
        "rd_crude_ci_low",
        "rd_crude_ci_high",
        "or_firth",
        "or_firth_ci_low",
        "or_firth_ci_high",
        "population_cni",
        "population_comparator",
        "drug_cni",
        "drug_comparator",
        "randomised_arms_cni",
        "randomised_arms_comparator",
    ]


def test_seed_sources_follow_up_and_data_as_of(seed_run):
    # data/raw/*/adverse_events.csv: every seed count is from a letter (Xu 2020; Mok's reply),
    # source_kind secondary; no seed source states the follow-up behind its counts; the three
    # EXTRACTION.md files date the second extraction 2026-11-24 (study.yaml data_as_of)
    table = pd.read_csv(seed_run / "results/tables/studies.csv", dtype=str, keep_default_na=False)
    assert list(table.source_kinds) == ["secondary"] * 3
    assert list(table.follow_up_weeks) == [""] * 3
    assert list(table.data_as_of) == ["2026-11-24"] * 3
    assert list(table.pooled) == ["true"] * 3
    studies = pd.read_csv(seed_run / "results/tables/study_effects.csv", keep_default_na=False)
    pres = studies[studies.outcome == "pres"].set_index("study")
    assert pres.loc["aura-lv", ["source_kinds_cni", "source_kinds_comparator"]].tolist() == [
        "secondary",
        "secondary",
    ]
    # Mok 2016: the reply gives PRES for the tacrolimus arm only
    assert pres.loc["mok-2016", ["source_kinds_cni", "source_kinds_comparator"]].tolist() == [
        "secondary",
        "",
    ]
    sens = pd.read_csv(seed_run / "results/tables/sensitivity.csv", keep_default_na=False)
    rows = sens[sens.analysis == "source of counts"]
    assert sorted(zip(rows.outcome, rows.variant, rows.status, rows.reason, strict=True)) == [
        (o, v, "not_applicable", "no_study_from_sources")
        for o in ("pres", "seizure")
        for v in ("primary or registry sources", "primary sources only")
    ]
    summary = (seed_run / "results/tables/summary.md").read_text()
    assert summary.count("Data as of 2026-11-24: the latest extraction") == 1
    # issue 20, item 9: a value every trial shares is summarised (PRES: AURA-LV and Mok)
    assert (
        "| Source of the counts; follow-up (trials reporting it) | 2 trials: letter or review, "
        "follow-up not stated |"
    ) in summary
    assert summary.count("the counts come from letters or reviews.") == 2  # PRES and seizure
    methods = (seed_run / "results/methods.md").read_text()
    assert methods.startswith("Data are as of 2026-11-24, the latest date of extraction")
    assert "restricted to the trials whose every count came from their own reports" in methods


def test_one_row_per_method_and_outcome(seed_run):
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv", keep_default_na=False)
    keys = list(
        zip(
            pooled.outcome,
            pooled.measure,
            pooled.method,
            pooled.model,
            pooled.tau2_estimator,
            strict=True,
        )
    )
    # 4 configured outcomes (config.yaml: pres, seizure, tma, hypertension) x 22 rows
    assert len(keys) == len(set(keys)) == 4 * 22
    for outcome in ("pres", "seizure", "tma", "hypertension"):
        assert {key[1:] for key in keys if key[0] == outcome} == PRIMARY_CONTRACT, outcome
    assert pooled.primary.sum() == 4  # one per outcome; "true"/"false" parse as booleans


def test_seed_pres_numbers(seed_run):
    pooled = pd.read_csv(seed_run / "results/tables/pooled_effects.csv", keep_default_na=False)
    pres = pooled[pooled.outcome == "pres"].set_index(
        ["measure", "method", "model", "tau2_estimator"]
    )
    mh_or = pres.loc[("OR", "MH", "common", "")]
    # AURA-LV has no comparator events: the MH OR is infinite (metafor rma.mh returns NA)
    assert mh_or.estimate == "" and mh_or.status == "not_estimable"
    assert mh_or.reason == "no_comparator_events" and mh_or.studies == "aura-lv"
    # R: rma.mh(ai=4, n1i=177, ci=0, n2i=88, measure="RD") = 0.0225988700564972
    # (tests/reference/stats_core.csv, aura_pres mh_rd); the table has 10 significant digits
    mh_rd = float(pres.loc[("RD", "MH", "common", "")].estimate)
    assert mh_rd == pytest.approx(0.0225988700564972, rel=1e-9)
    # Mok 2016 (no comparator count) is excluded; Liu 2015, which reports PRES in neither arm,
    # is not counted: it is listed in reporting.csv (issue 12)
    assert (int(mh_or.k), int(mh_or.k_excluded)) == (1, 1)
    # issue 11: primary: auto -> rule (c), the Firth OR (4.59 [0.48, 611] in the issue; the
    # closed form for one study is the OR with 0.5 added to every cell: 4.5*88.5/(173.5*0.5))
    firth = pres.loc[("OR", "Firth", "common", "")]
    assert str(firth.primary).lower() == "true" and firth.status == "estimated"
    assert float(firth.estimate) == pytest.approx(4.5 * 88.5 / (173.5 * 0.5), rel=1e-9)
    assert set(pres.primary_rule) == {"auto_mh_or_not_finite"}
    assert str(mh_or.primary).lower() == "false"
    # every frequentist random-effects row is not applicable with one study, and no row has Q
    # or tau²; the Bayesian model has a posterior with one study (tau's is its prior)
    random = pres.xs("random", level="model").drop(index="Bayesian", level="method")
    assert set(random.status) == {"not_applicable"} and set(random.reason) == {"single_study"}
    bayes = pres.xs(("OR", "Bayesian", "random"), level=("measure", "method", "model"))
    assert set(bayes.status) == {"estimated"}
    for column in ("tau2", "i2", "q", "q_df", "q_p", "pi_low", "pi_high"):
        assert set(pres[column]) == {""}, column
    # the exact conditional row: median-unbiased 2.66, CI [0.33, inf), p 0.31 (the issue)
    exact = pres.loc[("OR", "exact-conditional", "common", "")]
    assert exact.ci_high == "inf" and float(exact.estimate) == pytest.approx(2.66, abs=5e-3)
    assert exact.ci_method == "exact conditional (Cornfield)"
    assert exact.estimator == "median-unbiased"


def test_rerun_is_a_no_op_and_byte_identical(seed_run):
    # the figures too (one rerun of every job, figures included, serves both checks: issue 19,
    # item 8; was test_figures_are_byte_identical_across_runs, with --forcerun figures)
    figures = sorted((seed_run / "results" / "figures").iterdir())
    # forest, incidence, cumulative and subgroups (issue 21), 4 outcomes, the reporting matrix,
    # the signal dot plot (issue 23) and the PRISMA flow (issue 24); png/pdf/svg: (4 x 4 + 3) x 3
    assert len(figures) == 57
    before_figures = {p.name: p.read_bytes() for p in figures}
    written = {p.name: p.stat().st_mtime_ns for p in figures}
    assert b"CreationDate" not in before_figures["forest_pres.pdf"]
    before = digest(seed_run)
    result = run_snakemake(seed_run, "--forceall")
    assert result.returncode == 0, result.stderr
    assert digest(seed_run) == before
    assert {p.name: p.read_bytes() for p in figures} == before_figures
    assert all(p.stat().st_mtime_ns > written[p.name] for p in figures)  # drawn again


def test_new_trials_as_a_user_would_add_them(tmp_path):
    project = copy_project("new_trials", tmp_path)
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    pooled = pd.read_csv(project / "results/tables/pooled_effects.csv", keep_default_na=False)
    assert sorted(pooled.outcome.unique()) == ["pres", "seizure", "tma"]
    pres_peto = pooled[(pooled.outcome == "pres") & (pooled.method == "Peto")].iloc[0]
    assert pres_peto.primary and pres_peto.k == 2 and pres_peto.k_excluded == 1
    tma = pooled[pooled.outcome == "tma"]
    # one double-zero study only: no ratio, Firth's neither (no events: the penalty alone would
    # decide it; tests/reference/firth_no_events.R)
    assert (tma[tma.measure != "RD"].estimate == "").all()
    assert set(tma[tma.method == "Firth"].reason) == {"no_events"}
    assert set(tma.primary_rule) == {"configured"}
    log = pd.read_csv(project / "data/processed/harmonisation_log.csv")
    assert {"multi_arm", "unmapped_term", "data_quality"} <= set(log.kind)
    sens = pd.read_csv(project / "results/tables/sensitivity.csv", keep_default_na=False)
    split = sens[(sens.analysis == "multi-arm handling") & (sens.outcome == "pres")].iloc[0]
    assert split.variant == "multi_arm: split instead of combine" and split.estimate != ""


def test_report_contains_every_figure_and_table(seed_run):
    result = run_snakemake(seed_run, "--report", "results/report.html")
    assert result.returncode == 0, result.stderr
    page = (seed_run / "results" / "report.html").read_text(encoding="utf-8")
    # issue 12, item 5: every figure (PNG, PDF, SVG), every table and the methods text
    figures = [
        f"{kind}_{outcome}.{ext}"
        for kind in ("forest", "incidence", "cumulative", "subgroups")
        for outcome in ("pres", "seizure")
        for ext in ("png", "pdf", "svg")
    ] + [f"reporting.{ext}" for ext in ("png", "pdf", "svg")]
    tables = [
        f"{name}.csv"
        for name in (
            "pooled_effects",
            "pooled_rates",
            "study_effects",
            "sensitivity",
            "absolute_effects",
            "harmonised",
            "harmonisation_log",
            "reporting",
        )
    ]
    for name in (*figures, *tables, "summary.html", "summary.md", "summary.tex", "methods.md"):
        assert name in page, name


def test_seed_summary_leads_with_the_rule_then_exact_then_absolute(seed_run):
    # issue 11, "Done when": the rule's estimate, named, then the exact line, then absolute effects
    text = (seed_run / "results/tables/summary.md").read_text(encoding="utf-8")
    pres = text.split("## Posterior reversible encephalopathy syndrome")[1].split("## Seizure")[0]
    rows = [line for line in pres.splitlines() if line.startswith("| ") and "---" not in line]
    rows = rows[1:]  # the empty header row
    # issue 20, item 10: the shipped config declares no protocol, so not "pre-specified"
    assert rows[0].startswith(
        "| Primary: OR, Firth penalised likelihood (by the rule in config.yaml: no comparator"
    )
    assert "4.59 \\[0.482, 611\\]" in rows[0]  # Firth 4.590778 [0.4817419, 610.9152]
    assert rows[1] == "| OR, median-unbiased, exact conditional CI | 2.66 \\[0.329, ∞), p = 0.305 |"
    # issue 20, item 13 and issue 21, item 1: the headline absolute effect, here the stratified
    # risk difference per 1,000 (MN, 4/177 vs 0/88: 22.6 [-19.7, 56.7], absolute_effects.csv)
    # since the trials' own comparator risk is 0; then the other source (none), the certainty,
    # then the single trial's own per-arm risks
    assert rows[2] == (
        "| Absolute effect per 1,000 (headline): the risk difference stratified by trial and "
        "pooled directly (Mantel-Haenszel weights, Miettinen-Nurminen interval), no assumed "
        "risk | 22.6 more per 1,000 (from 19.7 fewer to 56.7 more) |"
    )
    assert rows[3].startswith("| Absolute effect per 1,000: the trials' own comparator risk")
    assert "not estimable: the comparator arms had no events" in rows[3]
    assert rows[4].startswith("| Certainty of the evidence (GRADE; example judgements")
    # issue 22: the Bayesian line (tests/reference/bayes/quadrature_reference.csv, seed_pres:
    # median OR 10.660, 95% CrI 0.6258 to 672.7, P(OR > 1) 0.9442; across the four priors
    # 0.8846 (theta_normal_1.5) to 0.9442) and, with one trial, the prior's role
    assert rows[5].startswith("| Bayesian random effects (theta ~ N(0, 2.82²)")
    assert "posterior median OR 10.7 \\[0.626, 673\\] (95% credible interval)" in rows[5]
    assert "exceeds 1: 0.94 after the data, 0.50 before them; 0.88 to 0.94" in rows[5]
    assert "tau: prior only (one trial)" in rows[5]
    assert rows[6].startswith(
        "| Bayesian: role of the priors | With one trial and 4 events the prior dominates"
    )
    # no comparator events: both priors named, and each alternative's median (quadrature
    # reference: theta ~ N(0, 1.5²) 3.4958, mu_i ~ N(0, 2.5²) 5.1395)
    assert "between 1/251 and 251" in rows[6]  # exp(1.96 x 2.82) = 251.4
    assert "baseline risks" in rows[6]
    assert "theta ~ N(0, 1.5²): 3.50" in rows[6] and "mu\\_i ~ N(0, 2.5²): 5.14" in rows[6]
    assert "significant" not in rows[5] + rows[6]
    assert rows[7].startswith("| Risk per 1,000 patients in AURA-LV 2019 | 22.6 \\[6.19, 56.8\\]")
    assert "Peto" not in pres.split("|")[0]  # the sentence never leads with Peto
    seizure = text.split("## Seizure")[1].split("## Methods")[0]
    assert "median-unbiased odds ratio of 1.00" in seizure  # one event, balanced arms: exactly 1
    assert "3.02 \\[0.160, 441\\]" in seizure  # Firth 3.016620 [0.1598436, 441.3925]


def test_configfile_config_and_the_old_option_run_another_review(seed_run, tmp_path):
    # issue 12, item 1: --configfile merges into config.yaml unless --replace-workflow-config;
    # --config on the command line is applied on top. One run checks both (issue 19, item 8:
    # were test_configfile_with_replace_workflow_config_runs_another_review, with multi_arm in
    # the file, and test_config_on_the_command_line_and_the_old_option, each a whole rerun).
    import shutil

    project = tmp_path / "p"
    shutil.copytree(seed_run, project, ignore=shutil.ignore_patterns(".snakemake"))
    (project / "other.yaml").write_text(
        "outcomes:\n  seizure:\n    label: Seizure (other review)\n"
        "    terms: [Seizure, Epilepsy]\n",
        encoding="utf-8",
    )
    args = ("--configfile", str(project / "other.yaml"), "--replace-workflow-config")
    result = run_snakemake(project, *args, "--config", "multi_arm=split", "--forceall")
    assert result.returncode == 0, result.stderr
    pooled = pd.read_csv(project / "results/tables/pooled_effects.csv")
    assert set(pooled.outcome) == {"seizure"}  # config.yaml's pres is gone: replaced, not merged
    summary = (project / "results/tables/summary.md").read_text(encoding="utf-8")
    assert "Seizure (other review)" in summary
    # multi_arm: split from the command line (other.yaml leaves the default, combine)
    assert "each CNI arm was compared with the comparator" in summary
    methods = (project / "results/methods.md").read_text(encoding="utf-8")
    assert "each CNI arm was compared with the comparator" in methods
    rates = pd.read_csv(project / "results/tables/pooled_rates.csv")
    crude = rates[(rates.method == "crude") & (rates.subset == "all_arms")]
    assert crude.k.tolist() == [1, 1]  # Liu 2015 reports seizures
    old = run_snakemake(project, "--config", "analysis_config=other.yaml")
    assert old.returncode != 0
    assert "use --configfile PATH" in old.stderr and "Traceback" not in old.stderr


def test_seed_summary_reporting_details_and_the_letters_question(seed_run):
    # issue 20, items 16 and 17: data/raw/*/study.yaml `reporting:` (Mok's reply states PRES
    # for the tacrolimus arm only; Liu 2015's sources reached do not mention PRES) and Mok's
    # characteristics.csv (Xu 2020: "48 out of 150 patients (28%)", which is 32.0%; Mok 2022:
    # "four (2.7%)" with APS, 4/150 = 2.67%)
    text = (seed_run / "results/tables/summary.md").read_text(encoding="utf-8")
    pres = text.split("## Posterior reversible encephalopathy syndrome")[1].split("## Seizure")[0]
    assert (
        "| Not in the comparison | Mok 2016/2020 (comparator arm not reported by the source) |"
        in (pres)
    )
    assert "| Not found in the sources reached (see reporting.csv) | Liu 2015 |" in pres
    characteristics = text.split("## Patient characteristics")[1].split("## Methods")[0]
    assert characteristics.lstrip().startswith(
        "Trial totals cannot answer whether antiphospholipid-antibody-positive patients are at "
        "higher risk of PRES or seizures: no trial reports the outcomes by these characteristics."
    )
    assert (
        "Anticardiolipin or lupus anticoagulant present at entry (all randomised): 48/150 "
        "(32.0%; the source prints 28%, which does not match)"
    ) in characteristics
    assert (
        "Antiphospholipid syndrome (consensus criteria) at entry (all randomised): 4/150 (2.67%)"
        in (characteristics)
    )
    assert "- AURA-LV 2019: none recorded from its sources." in characteristics
