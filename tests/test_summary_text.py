"""Issue 20: the summary's limitations (item 14), the methods text's lists (items 5, 10, 11)
and the rate note's wording (item 15), each fact tested both ways on hand-made rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from raremeta.analysis.configuration import parse_config
from raremeta.analysis.wording import rate_note
from raremeta.report.methods_text import methods_paragraph, run_facts
from raremeta.report.summary import SummaryContext, limitations
from raremeta.stats.results import PooledRate, RateMethod, Reason, Status


def _trials(*rows: dict) -> pd.DataFrame:
    base = {
        "source_kinds_cni": "primary",
        "source_kinds_comparator": "primary",
        "follow_up_weeks": 52.0,
        "population_cni": "safety",
        "population_comparator": "safety",
        "randomised_arms_cni": 1.0,
        "randomised_arms_comparator": 1.0,
    }
    return pd.DataFrame([{**base, "label": f"T{i}", **r} for i, r in enumerate(rows)])


def _has(sentences: list[str], text: str) -> bool:
    return any(text in s for s in sentences)


def test_a_clean_comparison_of_two_trials_has_no_limitation():
    assert limitations(_trials({}, {}), SummaryContext()) == []


@pytest.mark.parametrize(
    ("rows", "text"),
    [
        (({},), "One trial: consistency across trials cannot be assessed."),
        (
            ({"source_kinds_cni": "secondary", "source_kinds_comparator": "secondary"}, {}),
            "1 of 2 trials have counts from letters or reviews (T0).",
        ),
        (
            ({"source_kinds_cni": "secondary"}, {"source_kinds_comparator": "secondary"}),
            "No trial in this comparison has every count from its own report or registry",
        ),
        (
            ({"population_cni": "randomised", "population_comparator": "randomised"}, {}),
            "The denominators of T0 are randomised numbers, not safety populations.",
        ),
        (
            ({"population_cni": ""}, {}),
            "The denominators of T0 do not state whether they count randomised or treated",
        ),
        (({"follow_up_weeks": math.nan}, {}), "Follow-up is not stated for T0;"),
        (
            ({"randomised_arms_cni": 2.0}, {}),
            "The counts of T0 combine several randomised arms (e.g. doses reported only together)",
        ),
        (
            ({"population_cni": "safety;randomised"}, {}),
            "The denominators of T0 are randomised numbers, not safety populations.",
        ),
        (
            ({"follow_up_weeks": 24.0}, {}),
            "Follow-up differs between trials (24 to 52 weeks); counts are not adjusted for it.",
        ),
    ],
)
def test_each_limitation_appears_when_and_only_when_its_fact_holds(rows, text):
    assert _has(limitations(_trials(*rows), SummaryContext()), text)
    # two trials without the fact: the sentence is gone
    assert not _has(limitations(_trials({}, {}), SummaryContext()), text)


def _rate(events: float, tau2_at_zero: bool = True) -> PooledRate:
    return PooledRate(
        RateMethod.GLMM, Status.ESTIMATED, Reason.NONE, 3, events, 300.0,
        tau2_at_zero=tau2_at_zero,
    )  # fmt: skip


def test_no_detectable_variation_is_never_said_of_fewer_than_10_events():
    # issue 20, item 15: the rule is 10 events (README, "Printed numbers")
    assert rate_note(_rate(10)) == "tau² estimated at 0 (no detectable between-study variation)"
    few = rate_note(_rate(4))
    assert "no detectable" not in few and "with 4 events (fewer than 10)" in few


CONFIG = {"outcomes": {"a": {"label": "A", "terms": ["x"]}}}


def _pooled(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "outcome": "a",
                "method": m,
                "measure": "OR",
                "model": model,
                "status": st,
                "reason": r,
            }
            for m, model, st, r in rows
        ]
    )


def _sensitivity(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [("a", c, st, r) for c, st, r in rows],
        columns=["outcome", "analysis_code", "status", "reason"],
    )


def _paragraph(config: dict, pooled: pd.DataFrame, sensitivity: pd.DataFrame) -> str:
    return methods_paragraph(
        parse_config(config),
        run_facts(pooled, sensitivity),
        {"numpy": "2"},
        {"raremeta": "0", "python_minor": "3.11", "snakemake": "9"},
    )


def test_the_methods_text_lists_what_produced_an_estimate_and_the_rest_once_with_why():
    pooled = _pooled(
        ("MH", "common", "estimated", ""),
        ("IV", "common", "estimated", ""),
        ("IV", "random", "not_applicable", "single_study"),
        ("exact", "common", "not_estimable", "no_comparator_events"),
    )
    sens = _sensitivity(
        ("leave_one_out", "not_applicable", "single_study"),
        ("hksj_interval", "not_applicable", "single_study"),
        ("continuity_correction", "estimated", ""),
    )
    text = _paragraph(CONFIG, pooled, sens)
    assert "inverse-variance common-effect estimates after adding 0.5" in text
    assert "DerSimonian-Laird" not in text  # no random-effects model produced an estimate
    assert (
        "Not applicable with these data, one trial per outcome: random-effects models and "
        "prediction intervals, Hartung-Knapp-Sidik-Jonkman intervals and leave-one-out."
    ) in text
    assert (
        "Not estimable with these data, no comparator events: the "
        "conditional maximum-likelihood odds ratio"
    ) in text
    assert "Sensitivity analyses used constant (0.5, 0.01)" in text
    # a method that estimated one measure but not another says which (the review of issue 20:
    # "we computed Mantel-Haenszel odds ratios" beside an MH odds ratio that was not estimable)
    assert "Not estimable with these data, no comparator events: the Mantel-Haenszel" not in (
        text
    )  # the MH row here is estimated
    # item 5: no "was: chosen", and item 10: no protocol, so not "pre-specified"
    assert "was: chosen" not in text and "pre-specified" not in text
    assert "The primary estimate of each outcome was chosen by the rule in config.yaml:" in text
    assert "The rule depends on the data (one comparator event" in text


def test_with_random_effects_estimated_the_full_sentence_and_no_not_applicable_line():
    pooled = _pooled(("IV", "common", "estimated", ""), ("IV", "random", "estimated", ""))
    sens = _sensitivity(("leave_one_out", "estimated", ""))
    text = _paragraph(
        {**CONFIG, "protocol": {"registration": "CRD42026000001", "date": "2026-02-03"}},
        pooled,
        sens,
    )
    assert "DerSimonian-Laird, REML and Paule-Mandel" in text
    assert "Not applicable" not in text and "Not estimable" not in text
    assert "chosen by the rule pre-specified in protocol CRD42026000001 (2026-02-03)" in text


def test_an_outcome_no_trial_reported_is_named_once_and_changes_no_list():
    # issue 20, item 18: TMA with no comparison must not add "no study reports it in both arms"
    # to the reasons of the methods that ran for the outcomes with data
    config = {
        "outcomes": {"a": {"label": "A", "terms": ["x"]}, "t": {"label": "TMA", "terms": ["y"]}}
    }
    pooled = pd.concat(
        [
            _pooled(("IV", "random", "not_applicable", "single_study")),
            _pooled(("IV", "random", "not_estimable", "no_comparable_study")).assign(outcome="t"),
        ]
    )
    text = _paragraph(config, pooled, _sensitivity())
    assert (
        "No trial reported tma in both arms (see the reporting matrix); nothing was pooled" in text
    )
    assert "For each outcome with a comparison we computed" in text
    assert "no study reports it in both arms" not in text
    assert "Not applicable with these data, one trial per outcome: random-effects models" in text


def test_measures_a_method_could_not_estimate_are_named():
    pooled = pd.DataFrame(
        [
            {"outcome": "a", "method": "MH", "measure": m, "model": "common", "status": st,
             "reason": r}
            for m, st, r in (
                ("OR", "not_estimable", "no_comparator_events"),
                ("RR", "not_estimable", "no_comparator_events"),
                ("RD", "estimated", ""),
            )
        ]
    )  # fmt: skip
    text = _paragraph(CONFIG, pooled, _sensitivity())
    assert (
        "Not estimable with these data, no comparator events: the Mantel-Haenszel odds ratio "
        "and the Mantel-Haenszel risk ratio."
    ) in text
