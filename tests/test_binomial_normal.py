"""The Bayesian binomial-normal model (issue 22) against two references computed outside the
code, committed with their scripts in tests/reference/bayes/ (README there):

- ``quadrature_reference.csv``: an independent deterministic computation in R (nested
  ``integrate()``, a cubic spline of log g and Simpson's rule on a 361 x 161 grid; its own
  resolution check puts it within 5e-5 relative, its inner integrals within 1e-9). Tolerance
  here: 1e-4 (relative for odds ratios and tau, absolute for probabilities).
- ``rstan_reference.csv``: rstan 2.21, 4 chains x 50,000 draws, no divergences, R-hat <= 1.0002.
  Tolerance: 3 Monte Carlo standard errors (``rstan::monitor``).

Data sets: the seed (AURA-LV PRES 4/177 vs 0/88; Liu 2015 seizure 1/181 vs 0/181), a
hand-made set with a double-zero study, and the example of Günhan, Röver & Friede (2020):
Crins et al. (2014) paediatric liver transplantation, deaths and PTLD.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from raremeta.io.errors import InvalidInputError
from raremeta.stats.binomial_normal import posterior
from raremeta.stats.engine import fit
from raremeta.stats.priors import (
    BayesOptions,
    BinomialNormalPrior,
    NormalPrior,
    TauFamily,
    TauPrior,
    prior_probability,
    probability_key,
)
from raremeta.stats.registry import BAYESIAN, RANDOM, spec
from raremeta.stats.results import Status
from raremeta.stats.two_by_two import Tables

REFERENCE = Path(__file__).parent / "reference" / "bayes"
#: (r_t, n_t, r_c, n_c) per study, as in quadrature_reference.R and rstan_reference.R.
DATA = {
    "seed_pres": ([4], [177], [0], [88]),
    "seed_seizure": ([1], [181], [0], [181]),
    "double_zero": ([2, 0, 1], [50, 40, 60], [0, 0, 1], [50, 40, 58]),
    "crins_deaths": ([4, 1, 4, 2], [61, 54, 36, 50], [3, 3, 3, 3], [20, 54, 36, 34]),
    "crins_ptld": ([0, 1, 1], [18, 54, 36], [0, 0, 1], [12, 54, 36]),
    # quadrature_extra.csv: a trial entered twice (Crins PTLD's second trial)
    "repeated": ([1, 1, 1], [54, 54, 36], [0, 0, 1], [54, 54, 36]),
}


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def _posterior(
    data: str,
    mu_sd: float,
    theta_sd: float,
    tau_scale: float,
    mu_mean: float = 0.0,
    theta_mean: float = 0.0,
):
    prior = BinomialNormalPrior(
        "test",
        NormalPrior(theta_mean, theta_sd),
        NormalPrior(mu_mean, mu_sd),
        TauPrior(TauFamily.HALF_NORMAL, tau_scale),
    )
    return posterior(*DATA[data], BayesOptions(prior, (1.0, 2.0)))


def _computed(row: dict[str, str]) -> dict[str, float]:
    p = _posterior(
        row["data"],
        float(row["mu_sd"]),
        float(row["theta_sd"]),
        float(row["tau_scale"]),
        float(row.get("mu_mean", 0)),
        float(row.get("theta_mean", 0)),
    )
    return {
        "or_median": math.exp(p.theta_median),
        "or_q025": math.exp(p.theta_low),
        "or_q975": math.exp(p.theta_high),
        "p_or_gt1": p.probability(1.0),
        "p_or_gt2": p.probability(2.0),
        "tau_median": p.tau_median,
    }


QUADRATURE = _rows("quadrature_reference.csv")
#: `Rscript quadrature_reference.R extra`: a repeated trial (each copy is a study of its own)
#: and prior means other than 0 (theta ~ N(0.5, 2.82²), mu_i ~ N(-3, 10²)).
EXTRA = _rows("quadrature_extra.csv")
RSTAN = _rows("rstan_reference.csv")


@pytest.mark.parametrize("row", QUADRATURE + EXTRA, ids=lambda r: f"{r['data']}-{r['prior']}")
def test_agrees_with_the_r_quadrature_within_1e_4(row):
    got = _computed(row)
    for name in ("or_median", "or_q025", "or_q975", "tau_median"):
        assert got[name] == pytest.approx(float(row[name]), rel=1e-4), name
    for name in ("p_or_gt1", "p_or_gt2"):
        assert got[name] == pytest.approx(float(row[name]), abs=1e-4), name


#: seed_seizure with mu_i ~ N(0, 2.5²): the committed rstan run lies 3.3 MCSE from the R
#: quadrature on the median (README, "Results and agreement"); importance sampling sides with
#: the quadrature. Two more rstan runs (extra_checks/rerun_seizure_mu2.5.txt, seeds 777 and 778)
#: are pooled with it here: each value is the mean of the three runs, its MCSE the root sum of
#: squares over 3. Values (estimate, MCSE) copied from that file.
RERUNS = {
    "or_median": [(2.7633457, 0.015090991), (2.7883581, 0.01438546)],
    "p_or_gt1": [(0.75335, 0.0012187989), (0.758245, 0.0011984476)],
    "p_or_gt2": [(0.58467, 0.0013816162), (0.588455, 0.0013697636)],
    "tau_median": [(0.3339763, 0.001167025), (0.3342401, 0.00126018)],
}


@pytest.mark.parametrize("row", RSTAN, ids=lambda r: f"{r['data']}-{r['prior']}")
def test_agrees_with_rstan_within_3_monte_carlo_errors(row):
    # the reference itself: 4 chains, no divergence, converged
    assert int(row["chains"]) == 4 and int(row["divergences"]) == 0
    assert float(row["max_rhat_all"]) <= 1.001
    got = _computed(row)
    pooled = row["data"] == "seed_seizure" and row["prior"] == "mu_normal_2.5"
    for name in ("or_median", "or_q025", "or_q975", "p_or_gt1", "p_or_gt2", "tau_median"):
        value, mcse = float(row[name]), float(row[f"{name}_mcse"])
        if pooled and name in RERUNS:
            runs = [(value, mcse), *RERUNS[name]]
            value = sum(v for v, _ in runs) / 3
            mcse = math.sqrt(sum(e * e for _, e in runs)) / 3
        assert abs(got[name] - value) <= 3 * mcse, (name, got[name], value, mcse)


@pytest.mark.parametrize("data", sorted(DATA))
def test_error_checks_are_within_the_tolerance(data):
    p = _posterior(data, 10.0, 2.82, 0.5)
    assert p.error <= 1e-5  # grid: every-second-node check (module TOLERANCE)
    assert p.quadrature_error <= 1e-6  # Gauss-Legendre against twice its order
    assert p.interpolation_error <= 1e-6  # L below one d step, interpolated in tau²
    assert p.edge_density <= 1e-6  # truncation of the grid


def test_the_registry_kernel_reports_the_posterior_of_the_seed_pres():
    """Through the engine, as the pipeline runs it: quadrature_reference.csv seed_pres default
    (median OR 10.660132, 95% CrI 0.62575042 to 672.690617, P(OR > 1) 0.94423183)."""
    result = fit(Tables.from_counts([4], [177], [0], [88]), spec("OR", BAYESIAN, RANDOM))
    assert result.status == Status.ESTIMATED
    assert result.estimate == pytest.approx(10.660132082, rel=1e-4)
    assert result.ci_low == pytest.approx(0.6257504235, rel=1e-4)
    assert result.ci_high == pytest.approx(672.690617206, rel=1e-4)
    assert dict(result.extra)[probability_key(1.0)] == pytest.approx(0.9442318285, abs=1e-4)
    assert math.isnan(result.p_value)  # a posterior has no p-value
    assert math.isnan(result.tau2)  # one study: tau's posterior is its prior, not reported


def test_double_zero_studies_enter_the_model():
    """Every study is used, the double-zero one included (its k counts it)."""
    result = fit(Tables.from_counts(*DATA["double_zero"]), spec("OR", BAYESIAN, RANDOM))
    assert result.k == 3 and all(result.used)
    # quadrature_reference.csv double_zero default: tau median 0.339359077
    assert result.tau2 == pytest.approx(0.3393590770**2, rel=2e-4)


def test_half_cauchy_prior_for_tau_runs_over_its_long_tail():
    """A half-Cauchy(0.5) prior has 1.3% of its mass above 25 (2/pi atan(0.5/25)); the grid in
    v = asinh(tau / 0.5) covers its tail to the 1 - 1e-9 quantile (3e8). With one study tau's
    posterior is close to its prior, whose median is the scale: 0.5 tan(pi/4) = 0.5.
    """
    prior = BinomialNormalPrior(tau=TauPrior(TauFamily.HALF_CAUCHY, 0.5))
    p = posterior([4], [177], [0], [88], BayesOptions(prior))
    assert p.error <= 1e-5 and p.edge_density <= 1e-6
    assert 0.45 < p.tau_median < 0.55


def test_prior_probability_of_harm_is_a_half_for_a_prior_centred_on_no_effect():
    # 1 - Phi(log 2 / 2.82) = 0.402920 (R: 1 - pnorm(log(2), 0, 2.82))
    assert prior_probability(BinomialNormalPrior(), 1.0) == 0.5
    assert prior_probability(BinomialNormalPrior(), 2.0) == pytest.approx(0.4029197, abs=1e-6)


def test_the_default_prior_puts_95_percent_of_the_odds_ratio_between_1_250_and_250():
    # Günhan, Röver & Friede (2020): theta ~ N(0, 2.82²); 1.96 * 2.82 = 5.527 = log 251.9
    sd = BinomialNormalPrior().theta.sd
    assert math.exp(1.959964 * sd) == pytest.approx(250, rel=0.01)


@pytest.mark.parametrize(
    "block, message",
    [
        ({"prior": {"theta": {"sd": 0}}}, "sd"),
        ({"prior": {"tau": {"distribution": "uniform"}}}, "distribution"),
        ({"sensitivity_priors": {"default": {"theta": {"sd": 1}}}}, "default"),
        ({"sensitivity_priors": {"mu_normal_2.5": {"mu": {"sd": 1}}}}, "mu_normal_2.5"),
        ({"thresholds": [0]}, "thresholds"),
    ],
)
def test_bad_priors_are_refused_naming_the_value(tmp_path, block, message):
    from raremeta.analysis.configuration import load_config

    config = Path(__file__).parents[1] / "config.yaml"
    text = config.read_text(encoding="utf-8")
    import yaml

    document = yaml.safe_load(text)
    document["bayesian"] = block
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:
        load_config(path)
    assert message in str(error.value)


def test_configured_priors_reach_the_alternatives(tmp_path):
    """A main prior and a named alternative from config.yaml: the built-in alternatives change
    one part of the main prior each, and the configured one the parts it names."""
    import yaml

    from raremeta.analysis.configuration import bayes_options, load_config, sensitivity_priors

    document = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text("utf-8"))
    document["bayesian"] = {
        "prior": {"mu": {"sd": 5}},
        "sensitivity_priors": {"cauchy": {"tau": {"distribution": "half-Cauchy"}}},
        "thresholds": [1, 1.5],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    config = load_config(path)
    options, alternatives = bayes_options(config), sensitivity_priors(config)
    assert options.prior.mu.sd == 5 and options.thresholds == (1.0, 1.5)
    names = [p.name for p in alternatives]
    assert names == ["tau_halfnormal_1", "theta_normal_1.5", "mu_normal_2.5", "cauchy"]
    cauchy = alternatives[-1]
    assert cauchy.tau == TauPrior(TauFamily.HALF_CAUCHY, 0.5) and cauchy.mu.sd == 5
    assert alternatives[0].mu.sd == 5  # the main prior's mu


def test_seed_results_tables_hold_the_reference_values():
    """results/tables/posterior_probabilities.csv (committed output of the pipeline) against
    quadrature_reference.csv, seed rows, every prior."""
    root = Path(__file__).parents[1]
    with open(root / "results/tables/posterior_probabilities.csv", encoding="utf-8") as f:
        table = {(r["outcome"], r["prior"], float(r["threshold"])): r for r in csv.DictReader(f)}
    for row in QUADRATURE:
        if not row["data"].startswith("seed_"):
            continue
        outcome = row["data"].removeprefix("seed_")
        for t, column in ((1.0, "p_or_gt1"), (2.0, "p_or_gt2")):
            got = float(table[(outcome, row["prior"], t)]["probability"])
            assert got == pytest.approx(float(row[column]), abs=1e-4)
    assert np.isfinite(float(table[("pres", "default", 1.0)]["prior_probability"]))


def test_a_config_may_name_it_the_primary_and_its_refits_use_the_kernel(tmp_path):
    """primary: {measure: OR, method: Bayesian, model: random} is valid (no tau2_estimator:
    the model has none), and the refits of a primary (here the cumulative meta-analysis) run
    the Bayesian kernel: its last step, all three Crins et al. PTLD trials, is the full
    posterior (quadrature_reference.csv crins_ptld default: median OR 1.935149999)."""
    import yaml

    from raremeta.analysis.configuration import load_config
    from raremeta.analysis.fitting import cumulative_fits

    document = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text("utf-8"))
    document["primary"] = {"measure": "OR", "method": "Bayesian", "model": "random"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    config = load_config(path)
    assert config.outcome("pres").primary.method == BAYESIAN
    rt, nt, rc, nc = DATA["crins_ptld"]
    tables = Tables.from_counts(rt, nt, rc, nc, labels=["a", "b", "c"])
    steps = cumulative_fits(tables, spec("OR", BAYESIAN, RANDOM), {"a": 1, "b": 2, "c": 3})
    assert [study for study, _ in steps] == ["a", "b", "c"]
    assert steps[0][1].reason == "no_events"  # 0/18 vs 0/12 alone: no event at all
    assert steps[-1][1].estimate == pytest.approx(1.935149999, rel=1e-4)


@pytest.mark.parametrize("row", QUADRATURE[:3], ids=lambda r: f"{r['data']}-{r['prior']}")
def test_direct_evaluation_where_the_interpolant_does_not_converge(row, monkeypatch):
    """With the Chebyshev interpolant of log g capped below what it needs, g is evaluated
    directly on the final grid; the results still equal the R quadrature (same rows and
    tolerances as above)."""
    import raremeta.stats.binomial_normal as kernel

    monkeypatch.setattr(kernel, "_CHEB_MAX", 10)
    p = kernel.posterior(
        *DATA[row["data"]],
        BayesOptions(
            BinomialNormalPrior(
                "test",
                NormalPrior(0.0, float(row["theta_sd"])),
                NormalPrior(0.0, float(row["mu_sd"])),
                TauPrior(TauFamily.HALF_NORMAL, float(row["tau_scale"])),
            ),
            (1.0, 2.0),
        ),
    )
    assert math.exp(p.theta_median) == pytest.approx(float(row["or_median"]), rel=1e-4)
    assert math.exp(p.theta_low) == pytest.approx(float(row["or_q025"]), rel=1e-4)
    assert math.exp(p.theta_high) == pytest.approx(float(row["or_q975"]), rel=1e-4)
    assert p.probability(1.0) == pytest.approx(float(row["p_or_gt1"]), abs=1e-4)
