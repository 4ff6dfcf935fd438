"""Every method of the statistical core against R metafor 3.8-1 (tests/reference/*.csv).

Tolerances (relative, from the accuracy bar of issue 3): 1e-6 for the closed-form methods (MH,
Peto, IV common, DL, crude), 1e-4 for REML and PM, 1e-3 for exact and GLMM. An absolute floor
of 1e-10 (1e-7 for tau² and its CI, whose Q-profile bounds are root-found) covers values at 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from raremeta.stats.conditional_ml import conditional_mle
from raremeta.stats.effect_sizes import study_effects
from raremeta.stats.incidence import crude_rate, glmm_rate
from raremeta.stats.inverse_variance import inverse_variance
from raremeta.stats.mantel_haenszel import mantel_haenszel
from raremeta.stats.peto import peto
from raremeta.stats.two_by_two import Tables

REF = Path(__file__).parent / "reference"
INPUTS = pd.read_csv(REF / "inputs.csv")
POOLED = pd.read_csv(REF / "pooled.csv", keep_default_na=False, na_values=[""])
SENS = pd.read_csv(REF / "sensitivity.csv")
RATES = pd.read_csv(REF / "rates.csv")
ESCALC = pd.read_csv(REF / "escalc.csv")


def tables(name: str) -> Tables:
    d = INPUTS[INPUTS.dataset == name]
    return Tables.from_counts(d.ai, d.n1i, d.ci, d.n2i)


def tolerance(method: str, estimator: str) -> float:
    if method == "exact":
        return 1e-3
    if method == "exact_information":
        # sum of BiasedUrn::varFNCHypergeo at metafor's estimate (precision 1e-12)
        return 1e-4
    if estimator in ("REML", "PM"):
        return 1e-4
    return 1e-6


def compute(row) -> object:
    t = tables(row.dataset)
    if row.method == "MH":
        return mantel_haenszel(t, row.measure)
    if row.method == "Peto":
        return peto(t)
    if row.method in ("exact", "exact_information"):
        return conditional_mle(t)
    eff = study_effects(t, row.measure)
    return inverse_variance(eff.yi, eff.vi, row.measure, row.model, row.tau2_estimator or "")


def close(ours: float, theirs: float, rel: float, floor: float = 1e-10) -> bool:
    if math.isnan(theirs):
        return True
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=floor)


#: confint.rma.uni's default upper end of the tau² search interval
METAFOR_TAU2_MAX = 100.0
#: the one looser case: lme4's numerical Hessian for k = 2 (gen12, CNI arm) gives se 0.44511 on
#: the logit scale; ours is 0.44697 and stable to 1e-6 across difference steps 1e-2 to 1e-5 and
#: across (tau, tau²) parametrisations, so the CI bounds differ by up to 4e-3 relative.
GLMM_LOOSER = {("gen12_k2_p02", "cni"): 5e-3}

FIELDS = [
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "se",
    "q",
    "q_p",
    "i2",
    "tau2",
    "tau2_ci_low",
    "tau2_ci_high",
    "pi_low",
    "pi_high",
]


def _id(row) -> str:
    return f"{row.dataset}-{row.measure}-{row.method}-{row.model}-{row.tau2_estimator}"


@pytest.mark.parametrize("row", list(POOLED.fillna({"tau2_estimator": ""}).itertuples()), ids=_id)
def test_pooled_equals_metafor(row):
    result = compute(row)
    rel = tolerance(row.method, row.tau2_estimator)
    runaway = row.method.startswith("exact") and (
        not np.isfinite(row.ci_high) or row.estimate > 1e8 or row.estimate < 1e-8
    )
    if runaway:
        # metafor's optimiser runs off to a huge OR with CI [0, Inf]; we say "not estimable".
        assert (not result.estimable and "infinite" in result.note) or "is 0" in result.note
        return
    if math.isnan(row.estimate):
        assert not result.estimable, result
        assert result.note.startswith("not estimable")
        return
    fields = FIELDS
    if row.method == "exact":
        # metafor's standard error for CM.EL comes from a numerical Hessian, which is off by up to
        # 1.8e-3 (yusuf1985) and by 64% on li2007 (studies of 29,000 patients): only the estimate
        # is compared here; se, CI and p are compared with the exact observed information.
        fields = ["estimate"]
    for field in fields:
        theirs = getattr(row, field)
        floor = 1e-7 if field.startswith("tau2") or field == "i2" else 1e-10
        ours = getattr(result, field)
        if field == "tau2_ci_high" and theirs == METAFOR_TAU2_MAX:
            # confint() stops its search at tau2.max = 100 and reports that; we solve further
            assert ours >= theirs
            continue
        assert close(ours, theirs, rel, floor), f"{field}: ours {ours!r}, metafor {theirs!r}"


@pytest.mark.parametrize(
    "row", list(ESCALC.itertuples()), ids=lambda r: f"{r.dataset}-{r.study}-{r.measure}"
)
def test_escalc_equals_metafor(row):
    t = tables(row.dataset)
    eff = study_effects(t, row.measure)
    i = row.study - 1
    if math.isnan(row.yi):
        assert math.isnan(eff.yi[i])
    else:
        assert close(eff.yi[i], row.yi, 1e-12) and close(eff.vi[i], row.vi, 1e-12)


@pytest.mark.parametrize(
    "row", list(RATES.itertuples()), ids=lambda r: f"{r.dataset}-{r.role}-{r.method}"
)
def test_rates_equal_metafor(row):
    d = INPUTS[INPUTS.dataset == row.dataset]
    x, n = (d.ai, d.n1i) if row.role == "cni" else (d.ci, d.n2i)
    result = crude_rate(x, n) if row.method == "crude" else glmm_rate(x, n)
    rel = 1e-6 if row.method == "crude" else 1e-3
    for field in ("estimate", "ci_low", "ci_high"):
        theirs, ours = getattr(row, field), getattr(result, field)
        if row.method == "GLMM" and field != "estimate":
            rel = GLMM_LOOSER.get((row.dataset, row.role), rel)
        assert close(ours, theirs, rel), f"{field}: ours {ours!r}, metafor {theirs!r}"


def _sensitivity(row):
    t = tables(row.dataset)
    if row.variant == "MH_revman_0.5":
        return mantel_haenszel(t, row.measure, add=0.5)
    if row.variant.startswith("HKSJ_adhoc_"):
        eff = study_effects(t, row.measure)
        return inverse_variance(eff.yi, eff.vi, row.measure, "random", row.variant[11:], hksj=True)
    if row.variant.startswith(("IV_cc_", "MH_cc_")):
        label = row.variant[6:]
        add, kind = {
            "0.5": (0.5, "constant"),
            "0.01": (0.01, "constant"),
            "treatment_arm": (0.5, "treatment_arm"),
        }[label]
        if row.variant.startswith("MH_"):
            return mantel_haenszel(t, "OR", add=add, kind=kind)
        eff = study_effects(t.subset(~t.double_zero), "OR", add=add, kind=kind)
        return inverse_variance(eff.yi, eff.vi, "OR", "common")
    return None  # HKSJ_raw_*: metafor's unmodified knha, used only to derive the ad hoc one


@pytest.mark.parametrize(
    "row", list(SENS.itertuples()), ids=lambda r: f"{r.dataset}-{r.variant}-{r.measure}"
)
def test_sensitivity_equals_metafor(row):
    result = _sensitivity(row)
    if result is None:
        return
    rel = 1e-4 if ("REML" in row.variant or "PM" in row.variant) else 1e-6
    if math.isnan(row.estimate):
        assert not result.estimable
        return
    for field in ("estimate", "ci_low", "ci_high", "p_value"):
        theirs, ours = getattr(row, field), getattr(result, field)
        assert close(ours, theirs, rel), f"{field}: ours {ours!r}, metafor {theirs!r}"


@pytest.mark.parametrize(
    "row",
    [r for r in RATES.itertuples() if r.method == "GLMM"],
    ids=lambda r: f"{r.dataset}-{r.role}",
)
def test_glmm_tau2_equals_metafor(row):
    d = INPUTS[INPUTS.dataset == row.dataset]
    x, n = (d.ai, d.n1i) if row.role == "cni" else (d.ci, d.n2i)
    assert close(glmm_rate(x, n).tau2, row.tau2, 1e-3, 1e-6)
