"""Within-trial treatment x subgroup interaction (raremeta.stats.within_trial).

Expected values: ``tests/reference/within_trial_interaction.R`` (brglm2 0.9 ``brglmFit``,
``type = "AS_mean"``, for the estimate and se; logistf-style profile penalised likelihood and
penalised LR test computed in the script), committed as
``tests/reference/within_trial_interaction.csv``; the data sets are written out below as in the
script. Tolerance: 1e-6 relative (the R fit converges to epsilon 1e-12, both profiles to a
score below 1e-6 or better). The design fitter underneath
(``raremeta.stats.penalised_likelihood.firth_design``) is also checked on the common-OR design
against the Firth values of ``tests/reference/rare_event_reference.csv``
(``make_rare_event_reference.R``).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from raremeta.stats.results import Reason
from raremeta.stats.within_trial import SubgroupCounts, within_trial_interaction

ROOT = Path(__file__).resolve().parents[1]
with open(ROOT / "tests/reference/within_trial_interaction.csv", encoding="utf-8") as f:
    REFERENCE = {(r["dataset"], r["subgroup"]): r for r in csv.DictReader(f)}


def _cells(trial, sub, ai, n1i, ci, n2i):
    return [SubgroupCounts(*row) for row in zip(trial, sub, ai, n1i, ci, n2i, strict=True)]


#: The data sets of within_trial_interaction.R (trial, subgroup, ai, n1i, ci, n2i).
SETS = {
    "binary": _cells(
        ["t1", "t1", "t2", "t2", "t3", "t3"],
        ["neg", "pos", "neg", "pos", "neg", "pos"],
        [3, 4, 1, 2, 0, 1],
        [60, 20, 45, 15, 30, 10],
        [1, 0, 2, 0, 0, 1],
        [58, 22, 47, 13, 29, 11],
    ),
    "three_levels": _cells(
        ["a", "a", "a", "b", "b"],
        ["low", "mid", "high", "low", "high"],
        [2, 0, 5, 1, 3],
        [40, 25, 30, 50, 20],
        [1, 1, 0, 2, 0],
        [42, 24, 28, 49, 21],
    ),
    "one_trial": _cells(
        ["solo", "solo"], ["negative", "positive"], [6, 0], [137, 40], [2, 1], [130, 43]
    ),
}
REFERENCES = {"binary": "neg", "three_levels": "low", "one_trial": "negative"}


@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_interaction_matches_brglm2_and_profile(key):
    dataset, subgroup = key
    expected = REFERENCE[key]
    effects = {e.subgroup: e for e in within_trial_interaction(SETS[dataset], REFERENCES[dataset])}
    got = effects[subgroup]
    assert got.reason == Reason.NONE
    assert got.reference == expected["reference"]
    assert got.k == int(expected["k"])
    for name in ("estimate", "ci_low", "ci_high", "p_value", "se"):
        assert getattr(got, name) == pytest.approx(float(expected[name]), rel=1e-6), name


def test_default_reference_is_first_subgroup_of_first_trial():
    # 'binary' lists 'neg' first in trial t1: the reference without being told
    (effect,) = within_trial_interaction(SETS["binary"])
    assert (effect.subgroup, effect.reference) == ("pos", "neg")
    # the interaction OR inverts when the reference changes (8.688... in the R output)
    (flipped,) = within_trial_interaction(SETS["binary"], "pos")
    expected = float(REFERENCE[("binary", "pos")]["estimate"])
    assert flipped.estimate == pytest.approx(1 / expected, rel=1e-6)


def test_trials_with_one_subgroup_do_not_contribute():
    # a trial with one subgroup only adds no within-trial comparison: k counts 3, as in R
    extra = [SubgroupCounts("t9", "neg", 5, 50, 1, 50)]
    (effect,) = within_trial_interaction(SETS["binary"] + extra, "neg")
    assert effect.k == 3 and "t9" not in effect.trials
    assert effect.estimate == pytest.approx(float(REFERENCE[("binary", "pos")]["estimate"]))


def test_not_estimable_without_two_subgroups_or_events():
    # every trial with a single subgroup: no within-trial comparison at all
    cells = [SubgroupCounts("a", "neg", 1, 10, 0, 10), SubgroupCounts("b", "pos", 2, 10, 1, 10)]
    (effect,) = within_trial_interaction(cells, "neg")
    assert (effect.k, effect.reason) == (0, Reason.NO_WITHIN_TRIAL_CONTRAST)
    assert math.isnan(effect.estimate)
    # two subgroups, no event anywhere: the penalty alone would decide the estimate
    cells = [SubgroupCounts("a", "neg", 0, 10, 0, 10), SubgroupCounts("a", "pos", 0, 5, 0, 6)]
    (effect,) = within_trial_interaction(cells, "neg")
    assert (effect.k, effect.reason) == (1, Reason.NO_EVENTS)


def test_disjoint_subgroups_do_not_identify_the_interaction():
    # trial a compares x with y, trial b z with w: 8 cells, 3 + 3 trial parameters and 3
    # interactions (y, z, w vs x) = 9 > 8, so the design is rank-deficient
    cells = [
        SubgroupCounts("a", "x", 1, 10, 0, 10),
        SubgroupCounts("a", "y", 2, 10, 1, 10),
        SubgroupCounts("b", "z", 1, 10, 1, 10),
        SubgroupCounts("b", "w", 0, 10, 2, 10),
    ]
    effects = within_trial_interaction(cells, "x")
    assert [(e.subgroup, e.k, e.reason) for e in effects] == [
        (s, 2, Reason.INTERACTION_NOT_IDENTIFIED) for s in ("y", "z", "w")
    ]


with open(ROOT / "tests/reference/rare_event_reference.csv", encoding="utf-8") as f:
    #: Every data set with Firth reference values but the k = 100 one (6 s of dense algebra).
    FIRTH_SETS = sorted(
        {r["dataset"] for r in csv.DictReader(f) if r["method"] == "Firth"} - {"g21_k100_events"}
    )


@pytest.mark.parametrize("dataset", FIRTH_SETS)
def test_design_fitter_on_the_common_odds_ratio_model_equals_r(dataset):
    # firth_design with the design of the common-OR model (study intercepts + treatment) gives
    # the Firth values of tests/reference/rare_event_reference.csv (make_rare_event_reference.R:
    # brglm2 MPL_Jeffreys estimate and se, profile interval and penalised LR p computed there)
    import numpy as np

    from raremeta.stats.penalised_likelihood import firth_design

    with open(ROOT / "tests/reference/rare_event_inputs.csv", encoding="utf-8") as f:
        studies = [r for r in csv.DictReader(f) if r["dataset"] == dataset]
    with open(ROOT / "tests/reference/rare_event_reference.csv", encoding="utf-8") as f:
        expected = {
            r["quantity"]: float(r["value"])
            for r in csv.DictReader(f)
            if r["dataset"] == dataset and r["method"] == "Firth"
        }
    k = len(studies)
    x = np.zeros((2 * k, k + 1))
    y, n = np.zeros(2 * k), np.zeros(2 * k)
    for i, s in enumerate(studies):
        x[2 * i, i] = x[2 * i + 1, i] = 1.0
        x[2 * i, k] = 1.0  # CNI arm
        y[2 * i], n[2 * i] = float(s["ai"]), float(s["n1i"])
        y[2 * i + 1], n[2 * i + 1] = float(s["ci"]), float(s["n2i"])
    fit = firth_design(x, y, n, k)
    got = {
        "estimate": math.exp(fit.coef[k]),
        "se": fit.se[k],
        "ci_low": math.exp(fit.ci_low),
        "ci_high": math.exp(fit.ci_high),
        "p_value": fit.p_value,
    }
    for name, value in got.items():
        assert value == pytest.approx(expected[name], rel=1e-6), name
