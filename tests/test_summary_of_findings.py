"""Summary of findings (issue 21, item 1): absolute effects at an assumed comparator risk, the
computed GRADE imprecision rating, the reviewer's judgements and the overall certainty.

Expected values and where they come from:
- optimal information size: R ``power.prop.test`` (tests/reference/optimal_information_size.R,
  output committed as optimal_information_size.csv);
- corresponding risks: the Cochrane Handbook 14.1.5.1 formulas, computed by hand in each test;
- the seed's numbers: the committed results tables (the MN risk difference per 1,000 of
  absolute_effects.csv, checked against R elsewhere; the primary Firth OR of pooled_effects.csv);
- the imprecision rules: GRADE 6 and GRADE guidance 34/35 as stated in config.schema.yaml.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from raremeta.analysis.summary_of_findings import (
    SOF_COLUMNS,
    _trials_row,
    imprecision_rules,
    summary_of_findings,
)
from raremeta.analysis.table_keys import AssumedRisk
from raremeta.io.analysis_config import load_config, parse_config
from raremeta.io.certainty_file import (
    CertaintyJudgements,
    Domain,
    load_judgements,
    parse_judgements,
)
from raremeta.io.errors import InvalidInputError
from raremeta.report.findings import absolute_text, findings_rows, findings_table
from raremeta.stats.certainty import (
    Certainty,
    ImprecisionReason,
    ImprecisionRules,
    Rating,
    absolute_effect,
    corresponding_risk,
    optimal_information_size,
    overall_certainty,
    rate_imprecision,
)

TABLES = ROOT / "results" / "tables"
OUTCOMES = ("pres", "seizure", "tma", "hypertension")


def _seed_tables():
    return (
        pd.read_csv(TABLES / "pooled_effects.csv"),
        pd.read_csv(TABLES / "pooled_rates.csv"),
        pd.read_csv(TABLES / "absolute_effects.csv"),
    )


def _seed_judgements() -> CertaintyJudgements:
    studies = ["aura-lv", "liu-2015", "mok-2016"]
    return load_judgements(ROOT / "data" / "certainty.yaml", OUTCOMES, studies, "certainty.yaml")


# --- the pure core ---------------------------------------------------------------------------


def test_optimal_information_size_equals_r_power_prop_test():
    with open(ROOT / "tests/reference/optimal_information_size.csv", encoding="utf-8") as f:
        cases = list(csv.DictReader(f))
    assert len(cases) == 5
    for case in cases:
        total = optimal_information_size(
            float(case["p1"]),
            float(case["relative_change"]),
            float(case["alpha"]),
            float(case["power"]),
        )
        assert total == pytest.approx(2 * float(case["n_per_group"]), rel=1e-9), case


def test_optimal_information_size_needs_a_risk_above_zero():
    assert optimal_information_size(0.0, 0.25) is None
    assert optimal_information_size(0.9, 0.25) is None  # 1.125 is not a risk


def test_corresponding_risk_by_hand():
    # OR 2 at 100 per 1,000: 2 x 0.1 / (0.9 + 0.2) = 0.181818...
    assert corresponding_risk("OR", 2.0, 0.1) == pytest.approx(0.2 / 1.1, rel=1e-12)
    # RR 1.5 at 0.1: 0.15; capped at 1
    assert corresponding_risk("RR", 1.5, 0.1) == pytest.approx(0.15)
    assert corresponding_risk("RR", 20.0, 0.1) == 1.0
    # RD 0.02 at 0.1: 0.12; kept within 0-1
    assert corresponding_risk("RD", 0.02, 0.1) == pytest.approx(0.12)
    assert corresponding_risk("RD", -0.2, 0.1) == 0.0
    # an infinite upper OR bound: risk 1; a ratio of a zero risk: 0
    assert corresponding_risk("OR", float("inf"), 0.05) == 1.0
    assert corresponding_risk("OR", 5.0, 0.0) == 0.0


def test_absolute_effect_of_the_pres_odds_ratio_at_10_per_1000():
    # Firth OR 4.590778098 [0.4817419467, 610.9152413] (pooled_effects.csv) at p = 0.01:
    # 0.04590778 / (0.99 + 0.04590778) = 0.0443165; 0.00481742 / (0.99 + 0.00481742) = 0.0048428;
    # 6.109152 / (0.99 + 6.109152) = 0.8605481
    e = absolute_effect("OR", 4.590778098, 0.4817419467, 610.9152413, 0.01)
    assert e.risk == pytest.approx(0.04590778098 / 1.03590778098, rel=1e-12)
    assert e.risk_low == pytest.approx(0.004817419467 / 0.994817419467, rel=1e-12)
    assert e.risk_high == pytest.approx(6.109152413 / 7.099152413, rel=1e-12)
    assert e.difference == pytest.approx(0.04431648 - 0.01, abs=1e-7)


RULES = ImprecisionRules(harm=0.01, benefit=0.01)


@pytest.mark.parametrize(
    ("low", "high", "participants", "events", "rating", "reasons"),
    [
        # inside both thresholds (-10 and +10 per 1,000), OIS met (10,000 >= 2 x 2506.5), 400
        # events: not serious
        (-0.005, 0.005, 10_000, 400, Rating.NOT_SERIOUS, ()),
        # crosses the harm threshold only: one level
        (0.001, 0.02, 10_000, 400, Rating.SERIOUS, (ImprecisionReason.CROSSES_ONE_THRESHOLD,)),
        # crosses both: two levels
        (
            -0.02,
            0.02,
            10_000,
            400,
            Rating.VERY_SERIOUS,
            (ImprecisionReason.CROSSES_BOTH_THRESHOLDS,),
        ),
        # inside the thresholds but 1,000 participants < the OIS of 5,013: one level
        (-0.005, 0.005, 1_000, 100, Rating.SERIOUS, (ImprecisionReason.OIS_NOT_MET,)),
        # very few events (9 < 10): two levels, with the OIS not met too
        (
            -0.005,
            0.005,
            1_000,
            9,
            Rating.VERY_SERIOUS,
            (ImprecisionReason.OIS_NOT_MET, ImprecisionReason.VERY_FEW_EVENTS),
        ),
    ],
)
def test_imprecision_levels(low, high, participants, events, rating, reasons):
    r = rate_imprecision(low, high, 0.8, 1.25, 0.1, participants, events, RULES)
    assert r.rating is rating
    assert r.reasons == reasons
    assert r.information_size == pytest.approx(2 * 2506.537815387, rel=1e-9)


def test_extremely_wide_relative_interval_is_three_levels():
    # OR interval 0.48 to 611: below 1/2 and above 2 (GRADE 9's large effect)
    r = rate_imprecision(-0.005, 0.005, 0.48, 611.0, 0.1, 10_000, 400, RULES)
    assert r.rating is Rating.EXTREMELY_SERIOUS
    assert r.reasons == (ImprecisionReason.EXTREMELY_WIDE,)
    # 0.51 to 611 is not (the lower bound is not a large reduction)
    assert rate_imprecision(-0.005, 0.005, 0.51, 611.0, 0.1, 10_000, 400, RULES).rating is (
        Rating.NOT_SERIOUS
    )


def test_default_thresholds_are_25_percent_of_the_assumed_risk_or_the_null():
    rules = ImprecisionRules()
    assert rules.thresholds(0.04) == pytest.approx((0.01, 0.01))
    assert rules.thresholds(0.0) == (0.0, 0.0)
    # thresholds at the null are one threshold (GRADE 34): an interval that includes no effect
    # crosses it, one level; the OIS at the crude risk 0.04 (R power.prop.test(p1 = 0.04,
    # p2 = 0.05, power = 0.8): 6,744.9 per group) is met by 20,000 participants
    r = rate_imprecision(-0.001, 0.001, None, None, 0.0, 20_000, 400, rules, 0.04)
    assert r.reasons == (ImprecisionReason.CROSSES_NULL,)
    assert r.rating is Rating.SERIOUS
    assert r.information_size == pytest.approx(2 * 6744.933, rel=1e-6)
    # an interval that excludes the null: not rated down for it
    r = rate_imprecision(0.001, 0.002, None, None, 0.0, 20_000, 400, rules, 0.04)
    assert r.rating is Rating.NOT_SERIOUS


def test_no_estimate_no_rating():
    r = rate_imprecision(None, None, None, None, None, 0, 0, RULES)
    assert r.rating is None and r.reasons == (ImprecisionReason.NO_ESTIMATE,)


def test_overall_certainty_steps_down_from_high():
    assert [overall_certainty(n) for n in (0, 1, 2, 3, 6)] == [
        Certainty.HIGH,
        Certainty.MODERATE,
        Certainty.LOW,
        Certainty.VERY_LOW,
        Certainty.VERY_LOW,
    ]
    assert [r.levels for r in Rating] == [0, 1, 2, 3]


# --- configuration and the judgements file ---------------------------------------------------


def _config_document(**outcome_extra) -> dict:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["outcomes"]["pres"].update(outcome_extra)
    return document


def test_baseline_risk_is_validated():
    bad = _config_document(baseline_risk={"value": 12, "source": "x", "quote": "y"})
    with pytest.raises(InvalidInputError, match="baseline_risk"):
        parse_config(bad)
    missing = _config_document(baseline_risk={"value": 0.012, "source": "x"})
    with pytest.raises(InvalidInputError, match="quote"):
        parse_config(missing)


def test_imprecision_defaults_are_the_schema_defaults():
    settings = load_config(ROOT / "config.yaml").imprecision
    assert (settings.harm_per_1000, settings.relative_change, settings.alpha) == (None, 0.25, 0.05)
    assert (settings.power, settings.very_few_events, settings.large_effect) == (0.8, 10, 2.0)
    rules = imprecision_rules(settings)
    assert rules.harm is None and rules.relative_change == 0.25


def _judgements(**changes) -> dict:
    document = yaml.safe_load((ROOT / "data/certainty.yaml").read_text(encoding="utf-8"))
    document.update(changes)
    return document


def test_seed_judgements_are_marked_as_examples():
    j = _seed_judgements()
    assert j.example is True
    assert j.judgement("pres", Domain.RISK_OF_BIAS).rating == "serious"
    assert j.judgement("pres", Domain.RISK_OF_BIAS).trials == ("aura-lv",)
    assert j.judgement("tma", Domain.RISK_OF_BIAS) is None
    assert j.trials["liu-2015"].overall == "some concerns"


@pytest.mark.parametrize(
    ("change", "column", "value"),
    [
        (
            {
                "outcomes": {
                    "pres": {
                        "risk_of_bias": {"rating": "serious", "reason": "r", "trials": ["mok-2016"]}
                    }
                }
            },
            "outcomes.pres.risk_of_bias.trials",
            "mok-2016",
        ),
        ({"date": "2026-02-30"}, "date", "2026-02-30"),
        ({"trials": {"nobody": {"overall": "low", "reason": "r"}}}, "trials", "nobody"),
    ],
)
def test_bad_judgements_name_the_key_and_value(change, column, value):
    with pytest.raises(InvalidInputError) as error:
        parse_judgements(_judgements(**change), "certainty.yaml", OUTCOMES, ["aura-lv", "liu-2015"])
    problem = error.value.problems[0]
    assert (problem.file, problem.column, problem.value) == ("certainty.yaml", column, value)


def test_judgements_of_an_outcome_not_configured_are_not_used():
    # one file serves a configuration that runs some outcomes only (--replace-workflow-config)
    j = parse_judgements(_judgements(), "certainty.yaml", ["seizure"], ["aura-lv", "liu-2015"])
    assert j.ignored == ("pres",)
    assert j.judgement("pres", Domain.RISK_OF_BIAS) is None
    assert j.judgement("seizure", Domain.RISK_OF_BIAS).rating == "serious"


def test_a_rating_outside_the_three_is_rejected():
    document = _judgements()
    document["outcomes"]["pres"]["inconsistency"]["rating"] = "extremely serious"
    with pytest.raises(InvalidInputError, match="inconsistency"):
        parse_judgements(document, "certainty.yaml", OUTCOMES)


# --- the table on the seed -------------------------------------------------------------------


def _seed_sof(config=None, judgements=None) -> pd.DataFrame:
    pooled, rates, absolute = _seed_tables()
    config = config or load_config(ROOT / "config.yaml")
    return summary_of_findings(config, pooled, rates, absolute, judgements or _seed_judgements())


def test_seed_table_layout_and_committed_copy():
    sof = _seed_sof()
    assert list(sof.columns) == SOF_COLUMNS
    # per outcome: the trials' own risk, then the pooled risk difference (no baseline configured)
    # (the trials' own risk is crude where the GLMM has none: no comparator events)
    own = [AssumedRisk.TRIALS_CRUDE] * 2 + [AssumedRisk.TRIALS_GLMM] * 2
    assert list(sof["absolute_source"]) == [s for o in own for s in (o, AssumedRisk.POOLED_RD)]
    committed = pd.read_csv(TABLES / "summary_of_findings.csv")
    assert list(committed.columns) == SOF_COLUMNS and len(committed) == 8


def test_seed_pres_row():
    sof = _seed_sof().set_index(["outcome", "absolute_source"])
    # AURA-LV: comparator 0/88, so the trials' own risk gives no absolute effect
    own = sof.loc[("pres", AssumedRisk.TRIALS_CRUDE)]
    assert own["absolute_status"] == "not_estimable"
    assert own["absolute_reason"] == "no_comparator_events"
    assert own["assumed_risk_per_1000"] == 0
    # the headline: the MN risk difference of absolute_effects.csv, 22.6 [-19.7, 56.7] per 1,000
    rd = sof.loc[("pres", AssumedRisk.POOLED_RD)]
    assert bool(rd["headline"]) and not bool(own["headline"])
    assert rd["difference_per_1000"] == pytest.approx(22.59887006, rel=1e-9)
    assert rd["difference_ci_low_per_1000"] == pytest.approx(-19.69927822, rel=1e-9)
    assert rd["difference_ci_high_per_1000"] == pytest.approx(56.74711589, rel=1e-9)
    # 177 + 88 participants, 4 events, one trial; Firth OR 4.59 [0.482, 611]
    assert (rd["participants"], rd["events"], rd["trials"]) == (265, 4, 1)
    assert rd["estimate"] == pytest.approx(4.590778098, rel=1e-9)
    # imprecision: the null (comparator risk 0) crossed by -19.7 to 56.7; the OIS at the crude
    # risk over both arms, 4/265 = 15.09 per 1,000 (R power.prop.test(p1 = 4/265,
    # p2 = 1.25 * 4/265, power = 0.8): 18,400.52 per group), not met by 265; 4 events (< 10);
    # OR interval 0.48 to 611 spans 1/2 to 2: three levels
    assert rd["imprecision"] == "extremely serious" and rd["imprecision_levels"] == 3
    assert rd["imprecision_reason"].split(";") == [
        "interval_crosses_null",
        "optimal_information_size_not_met",
        "very_few_events",
        "interval_extremely_wide",
    ]
    assert rd["harm_threshold_per_1000"] == 0
    assert rd["information_size_risk_per_1000"] == pytest.approx(4000 / 265, rel=1e-9)
    assert rd["optimal_information_size"] == pytest.approx(2 * 18400.51956, rel=1e-8)
    # example judgements: risk of bias, indirectness, publication bias serious (1 each) +
    # imprecision 3 = 6 levels down from high: very low
    assert rd["certainty"] == "very low" and rd["certainty_levels_down"] == 6
    assert bool(rd["example_judgements"])


def test_outcome_without_comparison_is_not_rated():
    sof = _seed_sof()
    tma = sof[sof["outcome"] == "tma"]
    assert set(tma["absolute_status"]) == {"not_estimable"}
    assert set(tma["absolute_reason"]) == {"no_comparable_study"}
    assert not tma["headline"].any()
    assert set(tma["certainty"]) == {"not stated"}


def test_missing_domain_means_certainty_not_stated():
    j = _seed_judgements()
    partial = CertaintyJudgements(
        j.file,
        j.example,
        {"pres": {d: v for d, v in j.outcomes["pres"].items() if d != Domain.PUBLICATION_BIAS}},
        j.trials,
    )
    row = _seed_sof(judgements=partial).query("outcome == 'pres'").iloc[0]
    assert row["certainty"] == "not stated"
    assert row["not_assessed"] == "publication_bias"
    assert row["imprecision"] == "extremely serious"  # still computed


def test_external_baseline_risk_is_the_headline(tmp_path: Path):
    document = _config_document(
        baseline_risk={"value": 0.01, "source": "Example cohort 2020", "quote": "1% had PRES"}
    )
    sof = _seed_sof(config=parse_config(document)).set_index(["outcome", "absolute_source"])
    ext = sof.loc[("pres", AssumedRisk.EXTERNAL)]
    assert bool(ext["headline"])
    assert not bool(sof.loc[("pres", AssumedRisk.POOLED_RD)]["headline"])
    # 4.590778098 x 0.01 / (0.99 + 0.04590778098) = 0.0443165 -> 44.3 per 1,000, 34.3 more
    assert ext["corresponding_risk_per_1000"] == pytest.approx(45.90778098 / 1.03590778098, 1e-9)
    assert ext["difference_per_1000"] == pytest.approx(45.90778098 / 1.03590778098 - 10, 1e-9)
    assert ext["baseline_quote"] == "1% had PRES"
    # imprecision judged on it: thresholds 25% of 10 per 1,000 = 2.5; OIS at 1% vs 1.25%
    assert ext["imprecision_basis"] == "headline_absolute_effect"
    assert ext["harm_threshold_per_1000"] == pytest.approx(2.5)
    assert ext["information_size_met"] is False or ext["information_size_met"] == False  # noqa: E712


def test_trials_own_glmm_comparator_rate():
    # comparator GLMM rate 0.05 over the comparison; OR 2 [1, 4]:
    # 0.1 / 1.05 = 95.238 per 1,000; 0.05 / 1 = 50; 0.2 / 1.15 = 173.913
    rates = pd.DataFrame(
        {
            "role": ["comparator", "comparator"],
            "subset": ["comparison", "comparison"],
            "method": ["crude", "GLMM"],
            "events": [5, 5],
            "estimate": [0.05, 0.05],
            "status": ["estimated", "estimated"],
            "reason": ["", ""],
        }
    )
    primary = pd.Series(
        {
            "measure": "OR",
            "estimate": 2.0,
            "ci_low": 1.0,
            "ci_high": 4.0,
            "status": "estimated",
            "reason": "",
        }
    )
    row = _trials_row(primary, rates)
    assert row.source is AssumedRisk.TRIALS_GLMM
    assert row.risk == pytest.approx(100 / 1.05)
    assert (row.risk_low, row.risk_high) == pytest.approx((50.0, 200 / 1.15))
    assert row.difference == pytest.approx(100 / 1.05 - 50)


# --- the summary's words ---------------------------------------------------------------------


def test_summary_lines_headline_first_then_certainty():
    sof = pd.read_csv(TABLES / "summary_of_findings.csv", dtype=str, keep_default_na=False)
    rows = findings_rows(
        sof[sof["outcome"] == "pres"], load_config(ROOT / "config.yaml").role_labels
    )
    labels = [label for label, _ in rows]
    assert labels[0].startswith("Absolute effect per 1,000 (headline): the risk difference strat")
    assert rows[0][1] == "22.6 more per 1,000 (from 19.7 fewer to 56.7 more)"
    assert "comparator arms had no events" in rows[1][1]
    assert (
        labels[-1] == "Certainty of the evidence (GRADE; example judgements in data/certainty.yaml)"
    )
    assert rows[-1][1].startswith("very low: risk of bias serious;")


def test_summary_markdown_has_the_grade_section():
    text = (TABLES / "summary.md").read_text(encoding="utf-8")
    assert "## Summary of findings" in text
    assert "not a review team's assessment" in text
    assert (
        "| Posterior reversible encephalopathy syndrome | 265 (1) | OR 4.59 \\[0.482, 611\\], "
        "p = 0.218 (Firth penalised likelihood) | 0 (crude, 0/88) | 22.6 (crude, 4/177) | 22.6 "
        "more per 1,000 (from 19.7 fewer to 56.7 more) (risk difference pooled directly) | "
        "very low | risk of bias (-1); indirectness (-1); publication bias (-1); imprecision "
        "(-3) |"
    ) in text
    # no comparison: nothing to rate
    assert (
        "| Thrombotic microangiopathy | 0 (0) | not estimable | - | - | not estimable: no " in text
    )


def test_findings_table_uses_role_labels():
    sof = pd.read_csv(TABLES / "summary_of_findings.csv", dtype=str, keep_default_na=False)
    from raremeta.io.analysis_config import RoleLabels

    table = findings_table(sof, RoleLabels("voclosporin", "placebo"))
    assert table.header[3:6] == (
        "Risk with placebo per 1,000",
        "Risk with voclosporin per 1,000 [95% CI]",
        "Absolute effect per 1,000 treated with voclosporin",
    )
    own = sof[(sof["outcome"] == "pres") & (sof["absolute_source"] == "trials_crude")].iloc[0]
    assert "placebo arms had no events" in absolute_text(own, RoleLabels("voclosporin", "placebo"))


# --- the summary's subgroup lines (issue 21, item 2) ----------------------------------------


def test_subgroup_lines_of_the_seed_say_one_subgroup():
    text = (TABLES / "summary.md").read_text(encoding="utf-8")
    assert (
        "| Subgroups by CNI drug (between trials: observational, not randomised) | voclosporin "
        "(1 trial); no test of subgroup differences: one subgroup only |"
    ) in text
    assert (
        "| Subgroups by comparator drug (between trials: observational, not randomised) | "
        "cyclophosphamide (1 trial)"
    ) in text


def test_subgroup_line_with_a_test():
    from raremeta.analysis.subgroup_findings import SubgroupFinding
    from raremeta.io.analysis_config import RoleLabels
    from raremeta.report.findings import subgroup_rows
    from raremeta.stats.results import Reason, Status

    # dat.bcg by allocation (tests/reference/subgroups.csv, metafor FE meta-regression):
    # QM = 21.5499, df 2, p = 2.09e-5
    found = SubgroupFinding(
        "bcg",
        "allocation",
        (
            ("alternate", 2, Status.ESTIMATED, Reason.NONE),
            ("random", 7, Status.ESTIMATED, Reason.NONE),
            ("systematic", 4, Status.ESTIMATED, Reason.NONE),
        ),
        1,
        Status.ESTIMATED,
        Reason.NONE,
        21.5499,
        2,
        2.09e-5,
    )
    [(label, value)] = subgroup_rows((found,), RoleLabels.default())
    assert label == "Subgroups by allocation (between trials: observational, not randomised)"
    assert value == (
        "alternate (2 trials); random (7 trials); systematic (4 trials); not classified "
        "(1 trial); test of subgroup differences: Q = 21.5, df 2, p < 0.001"
    )


# --- the summary's within-trial lines (issue 21, item 3) ------------------------------------


def test_within_trial_line_in_words():
    from raremeta.analysis.within_trial import WithinTrialLine
    from raremeta.io.analysis_config import RoleLabels
    from raremeta.report.findings import within_trial_rows
    from raremeta.stats.results import Reason

    # tests/reference/within_trial_interaction.csv, data set "binary" (brglm2 AS_mean, profile
    # penalised-likelihood interval): 8.688 [0.646, 1281], p = 0.110, 3 trials
    estimated = WithinTrialLine(
        "pres",
        "apl",
        "pos",
        "neg",
        3,
        8.68844457669537,
        0.646025610170699,
        1280.82706024243,
        0.110068746854635,
        Reason.NONE,
    )
    seed = WithinTrialLine(
        "pres", "", "", "", 0, math.nan, math.nan, math.nan, math.nan, Reason.NO_SUBGROUP_COUNTS
    )
    rows = within_trial_rows((estimated, seed), RoleLabels.default())
    assert rows == [
        (
            "Within-trial interaction, apl pos vs neg (3 trials; one-stage Firth model, Fisher "
            "et al. 2017)",
            "ratio of odds ratios 8.69 [0.646, 1,281], p = 0.110",
        )
    ]
