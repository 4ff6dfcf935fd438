"""The rare-event methods against independent R reference values (tests/reference/rare_event_*.csv).

Every expected number is read from ``rare_event_reference.csv``, written by
``tests/reference/make_rare_event_reference.R`` (R 4.2.2 with BiasedUrn 2.0.9, brglm2 0.9 and
metadat 1.2.0; exact versions in ``rare_event_session.txt``); none comes from raremeta:

* ``exact-conditional`` and ``mid-p``: the conditional distribution of T = sum ai given all margins
  by the script's own log-space convolution of lchoose() weights (cross-checked against BiasedUrn
  ``dFNCHypergeo``), every root solved by uniroot to 1e-13 on the log-OR scale; the exact p-value
  is ``fisher.test`` (k = 1) or ``mantelhaen.test(exact = TRUE)``, whose own (loosely solved)
  intervals agree with the tight ones within 1.6e-3 relative;
* ``Firth``: ``glm(..., method = brglm2::brglmFit, type = "MPL_Jeffreys")`` with fixed study
  intercepts for the estimate and se, a profile of l + 1/2 log|I| maximised over all intercepts by
  a generic optimiser for the interval and the penalised likelihood-ratio p-value;
  ``Firth_no_double_zero`` is the same after removing double-zero studies (done here too);
* ``MN``: a stratified Miettinen-Nurminen score interval written in R (restricted MLE by numerical
  maximisation, not the closed-form cubic), with ``mantelhaen.test(correct = FALSE)``'s p as a
  second reference for the score p-value (``p_value_cmh``);
* ``MN_published``: printed intervals (Newcombe 1998 Table II, Fagerland et al. 2017, PropCIs),
  compared at their printed precision.

Tolerances (relative, with an absolute floor of 1e-10 for values at 0): 1e-6 for closed forms
(the MN estimate, which is the MH risk difference; the exact, mid-p, score and CMH p-values; the
Firth estimate for k = 1, which is the OR with 0.5 added to every cell) and 1e-4 for everything
solved iteratively (intervals, the median-unbiased estimate, the Firth estimate, se and p). An
infinite bound must be infinite in ours; an empty reference cell (not estimable, or no p-value
without events) must be NaN in ours.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
import pytest

from raremeta.stats import registry
from raremeta.stats.engine import fit
from raremeta.stats.results import Reason
from raremeta.stats.two_by_two import Tables

REF = Path(__file__).parent / "reference"
INPUTS = pd.read_csv(REF / "rare_event_inputs.csv")
REFERENCE = pd.read_csv(
    REF / "rare_event_reference.csv", keep_default_na=False, na_values=[""], dtype={"value": float}
)
COMPUTED = REFERENCE[REFERENCE.method != "MN_published"]
PUBLISHED = REFERENCE[REFERENCE.method == "MN_published"]

#: reference method -> the spec that computes it (Firth_no_double_zero subsets the data first)
SPECS = {
    "exact-conditional": registry.spec("OR", "exact-conditional"),
    "mid-p": registry.spec("OR", "mid-p"),
    "Firth": registry.spec("OR", "Firth"),
    "Firth_no_double_zero": registry.spec("OR", "Firth"),
    "MN": registry.spec("RD", "MN"),
}
#: the quantity of the reference -> the field of the result (the CMH p is the score p)
FIELD = {"p_value_cmh": "p_value"}
#: the k = 100 set with at least 300 events, for the timing test
LARGE = "g21_k100_events"

CLOSED_FORM = 1e-6
ITERATIVE = 1e-4
FLOOR = 1e-10


def counts(dataset: str, drop_double_zero: bool = False) -> pd.DataFrame:
    d = INPUTS[INPUTS.dataset == dataset]
    assert len(d) > 0, f"{dataset} is not in rare_event_inputs.csv"
    if drop_double_zero:
        d = d[(d.ai > 0) | (d.ci > 0)]
    return d


def tables(dataset: str, drop_double_zero: bool = False) -> Tables:
    d = counts(dataset, drop_double_zero)
    return Tables.from_counts(d.ai, d.n1i, d.ci, d.n2i)


_CACHE: dict[tuple[str, str], object] = {}


def result(dataset: str, method: str):
    """Our fit of ``method`` (a reference method name) to ``dataset``, computed once."""
    key = (dataset, method)
    if key not in _CACHE:
        t = tables(dataset, drop_double_zero=method == "Firth_no_double_zero")
        _CACHE[key] = fit(t, SPECS[method])
    return _CACHE[key]


def tolerance(row) -> float:
    if row.method == "MN" and row.quantity == "estimate":
        return CLOSED_FORM
    if row.quantity in ("p_value", "p_value_cmh") and row.method in (
        "exact-conditional",
        "mid-p",
        "MN",
    ):
        return CLOSED_FORM
    if row.method == "Firth" and row.quantity == "estimate" and len(counts(row.dataset)) == 1:
        return CLOSED_FORM
    return ITERATIVE


def _id(row) -> str:
    return f"{row.dataset}-{row.method}-{row.quantity}"


def test_reference_files_cover_the_brief():
    """The reference has every method on every rare-event set, and the cases the tests rely on."""
    rare = set(COMPUTED[COMPUTED.method == "Firth"].dataset)
    assert len(rare) >= 25
    for method in ("exact-conditional", "mid-p", "Firth", "MN"):
        assert set(COMPUTED[COMPUTED.method == method].dataset) >= rare, method
    generated = {name for name in rare if name.startswith("g")}
    assert len(generated) >= 20
    ks = INPUTS.groupby("dataset").size()
    assert ks[LARGE] == 100
    assert counts(LARGE)[["ai", "ci"]].to_numpy().sum() >= 300
    assert {1, 50, 100} <= set(ks[list(rare)])
    assert "inf" in (REF / "rare_event_reference.csv").read_text()


@pytest.mark.parametrize("row", list(COMPUTED.itertuples()), ids=_id)
def test_equals_r_reference(row):
    res = result(row.dataset, row.method)
    ours = getattr(res, FIELD.get(row.quantity, row.quantity))
    theirs = row.value
    where = f"{row.dataset} {row.method} {row.quantity}: ours {ours!r}, R {theirs!r} ({row.r_call})"
    events = counts(row.dataset)[["ai", "ci"]].to_numpy().sum()
    if row.method.startswith("Firth") and events == 0:
        # a deliberate departure from brglm2: with no events the penalty alone decides the
        # Firth estimate, which can have two equal maxima (tests/reference/firth_no_events.R)
        assert res.reason == Reason.NO_EVENTS and math.isnan(ours), where
        return
    if math.isnan(theirs):
        assert math.isnan(ours), where
    elif math.isinf(theirs):
        assert ours == theirs, where
    else:
        assert math.isclose(ours, theirs, rel_tol=tolerance(row), abs_tol=FLOOR), where


@pytest.mark.parametrize("row", list(PUBLISHED.itertuples()), ids=_id)
def test_mn_equals_published_interval(row):
    """Our MN interval rounds to the printed value (half a unit in the last printed place).

    PropCIs' diffscoreci stops its bisection at 1e-7, so its 7th decimal gets one unit of slack.
    """
    ours = getattr(result(row.dataset, "MN"), row.quantity)
    digits = int(row.digits)
    slack = 10.0**-digits if digits >= 7 else 0.0
    assert abs(ours - row.value) <= 0.5 * 10.0**-digits + slack + 1e-12, (ours, row.r_call)


def test_seed_numbers_of_the_issue():
    """The numbers quoted in the issue, at their printed precision."""
    pres = result("seed_pres_auralv", "Firth")
    assert (round(pres.estimate, 2), round(pres.ci_low, 2), round(pres.ci_high)) == (
        4.59,
        0.48,
        611,
    )
    exact = result("seed_pres_auralv", "exact-conditional")
    assert round(exact.estimate, 2) == 2.66
    assert round(exact.ci_low, 2) == 0.33
    assert exact.ci_high == math.inf
    assert round(exact.p_value, 2) == 0.31
    seizure = result("seed_seizure_liu", "Firth")
    assert (round(seizure.estimate, 2), round(seizure.ci_low, 2), round(seizure.ci_high)) == (
        3.02,
        0.16,
        441,
    )
    # 1/181 vs 0/181: P(T >= 1; psi) = psi / (1 + psi) = 1/2 at psi = 1
    assert math.isclose(result("seed_seizure_liu", "exact-conditional").estimate, 1.0, rel_tol=1e-9)


def test_exact_conditional_k100_is_fast():
    """Exact conditional inference on k = 100 studies with >= 300 events takes under 2 s."""
    from raremeta.stats.exact_conditional import _inference

    t = tables(LARGE)
    assert t.k == 100 and (t.ai + t.ci).sum() >= 300
    _inference.cache_clear()  # the reference tests may have computed these counts already
    start = time.perf_counter()
    res = fit(t, registry.spec("OR", "exact-conditional"))
    elapsed = time.perf_counter() - start
    assert math.isfinite(res.estimate) and math.isfinite(res.ci_high)
    assert elapsed < 2.0, f"{elapsed:.2f} s"
