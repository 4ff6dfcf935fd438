"""The vectorised engine: all 32 reference meta-analyses (k = 1 to 100) stacked into one call per
method, padded to the longest, give metafor 3.8-1's values (tests/reference/pooled.csv, made by
tests/reference/make_reference.R) row by row; leave-one-out through masks gives metafor's values
for the shorter meta-analysis; and the one-meta-analysis façade is the same kernel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from raremeta.analysis.methods import primary_set
from raremeta.stats.engine import fit, fit_stack
from raremeta.stats.results import Reason, Status
from raremeta.stats.two_by_two import Tables, TableStack

PRIMARY_SET = primary_set()
REF = Path(__file__).parent / "reference"
INPUTS = pd.read_csv(REF / "inputs.csv")
POOLED = pd.read_csv(REF / "pooled.csv").fillna({"tau2_estimator": ""})
DATASETS = list(dict.fromkeys(INPUTS.dataset))


def tables(name: str) -> Tables:
    d = INPUTS[INPUTS.dataset == name]
    return Tables.from_counts(d.ai, d.n1i, d.ci, d.n2i)


def metafor(dataset: str, key: tuple[str, str, str, str]) -> pd.Series | None:
    rows = POOLED[
        (POOLED.dataset == dataset)
        & (POOLED.measure == key[0])
        & (POOLED.method == key[1])
        & (POOLED.model == key[2])
        & (POOLED.tau2_estimator == key[3])
    ]
    return None if rows.empty else rows.iloc[0]


def rel(key) -> float:
    # the accuracy bar of tests/test_metafor_agreement.py: 1e-6 closed form, 1e-4 REML/PM
    return 1e-4 if key[3] in ("REML", "PM") else 1e-6


#: the methods metafor has (the issue-11 methods are pinned in test_rare_event_reference.py)
VECTORISED = [spec for spec in PRIMARY_SET if spec.method in ("MH", "Peto", "IV")]


@pytest.mark.parametrize("spec", VECTORISED, ids=lambda s: " ".join(p for p in s.key if p))
def test_one_call_over_every_reference_meta_analysis_equals_metafor(spec):
    stack = TableStack.of([tables(name) for name in DATASETS])
    assert stack.m == 32 and stack.ai.shape[1] == 100  # padded to the longest (gen07, k = 100)
    fits = fit_stack(stack, spec)
    compared = 0
    for i, name in enumerate(DATASETS):
        theirs = metafor(name, spec.key)
        if theirs is None or math.isnan(theirs.estimate):
            continue
        ours = fits.row(i)
        if spec.model == "random" and theirs.k == 1:
            # issue 11, item 4: one study -> random effects not applicable (metafor fits tau² 0)
            assert ours.reason == Reason.SINGLE_STUDY and math.isnan(ours.estimate), name
            continue
        if spec.method == "IV":  # metafor's k for MH and Peto counts double-zero tables too
            assert int(ours.k) == int(theirs.k), name
        for field in ("estimate", "ci_low", "ci_high"):
            assert math.isclose(
                getattr(ours, field), getattr(theirs, field), rel_tol=rel(spec.key), abs_tol=1e-10
            ), (name, field, getattr(ours, field), getattr(theirs, field))
            compared += 1
    assert compared >= 60


def test_leave_one_out_by_mask_equals_metafor_on_the_shorter_meta_analysis():
    # gen12_k2_p02 is gen?: no; build it: single_zero_mix without its first study, by mask, must
    # equal the same meta-analysis fitted on its own; both against metafor via the k = 4 dataset
    # gen08_k4_p05 extended by one study of single_zero_mix (k = 5) with that study masked out.
    base, extra = tables("gen08_k4_p05"), tables("single_zero_mix")
    longer = Tables.from_counts(
        [*base.ai, extra.ai[0]], [*base.n1i, extra.n1i[0]], [*base.ci, extra.ci[0]],
        [*base.n2i, extra.n2i[0]],
    )  # fmt: skip
    stack = TableStack.of([longer], [np.array([True] * 4 + [False])])
    for spec in VECTORISED:
        theirs = metafor("gen08_k4_p05", spec.key)
        if theirs is None or math.isnan(theirs.estimate):
            continue
        ours = fit_stack(stack, spec).row(0)
        assert math.isclose(ours.estimate, theirs.estimate, rel_tol=rel(spec.key)), spec.key
        assert math.isclose(ours.ci_high, theirs.ci_high, rel_tol=rel(spec.key)), spec.key


def test_facade_is_the_kernel_and_types_the_reason():
    # AURA-LV PRES, 4/177 vs 0/88 (Xu 2020): metafor rma.mh(measure="OR") returns NA
    aura = Tables.from_counts([4], [177], [0], [88])
    mh = fit(aura, PRIMARY_SET[0])
    assert (mh.status, mh.reason) == (Status.NOT_ESTIMABLE, Reason.NO_COMPARATOR_EVENTS)
    assert math.isnan(mh.estimate) and mh.used == (True,)
    # metafor rma.peto(ai=4, n1i=177, ci=0, n2i=88): OR 4.546619778; one study, weight 100%
    peto = fit(aura, PRIMARY_SET[3])
    assert peto.estimate == pytest.approx(4.546619778, rel=1e-8) and peto.weights == pytest.approx(
        (100.0,)
    )
