"""The analysis configuration with its method checks: which method can estimate which measure
with which model, and which methods ``primary: auto`` needs, read from the method registry.

:mod:`raremeta.io.analysis_config` validates the structure (the schema, the terms); this module
adds the checks that need the registry and is what the workflow and the steps call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from raremeta.io import analysis_config
from raremeta.io.analysis_config import AUTO, AnalysisConfig, PriorSpec
from raremeta.io.ctgov_search import search_problems
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.schemas import schema_problems
from raremeta.stats import registry
from raremeta.stats.priors import (
    DEFAULT_PRIOR,
    DEFAULT_THRESHOLDS,
    SENSITIVITY_PRIORS,
    BayesOptions,
    BinomialNormalPrior,
    NormalPrior,
    TauFamily,
    TauPrior,
)

_MEASURE_WORDS = {"OR": "odds ratios", "RR": "risk ratios", "RD": "risk differences"}


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def _primary_problems(spec: Any, where: str, file: str) -> list[Problem]:
    """What is impossible about one ``primary:`` choice (none for ``auto``)."""
    if spec is None or spec == AUTO:
        return []
    method, model, measure = spec["method"], spec["model"], spec["measure"]
    entry = registry.method(method)
    problems = []
    if model not in entry.models:
        with_model = [m.name for m in registry.METHODS.values() if model in m.models]
        problems.append(
            Problem(
                file,
                f"{model}-effects models exist for method {_or(with_model)} only",
                column=where,
                value=method,
            )
        )
    estimators = any(est for _, mdl, est in entry.fits if mdl == registry.RANDOM)
    if model == registry.RANDOM and estimators and not spec.get("tau2_estimator"):
        estimators = _or(list(registry.TAU2_ESTIMATORS))
        problems.append(
            Problem(
                file, f"a random-effects primary needs tau2_estimator ({estimators})", column=where
            )
        )
    if measure not in entry.measures:
        words = " and ".join(_MEASURE_WORDS[m] for m in entry.measures)
        problems.append(
            Problem(file, f"method {method} estimates {words} only", column=where, value=measure)
        )
    return problems


def method_problems(document: dict[str, Any], file: str) -> list[Problem]:
    """The method checks of a schema-valid configuration with its defaults filled in: each
    primary choice is possible, ``primary: auto`` has the methods its rule chooses from, and
    every named primary method is among the configured ``methods:``.
    """
    problems = _primary_problems(document.get("primary"), "primary", file)
    for outcome_id, spec in document["outcomes"].items():
        problems += _primary_problems(spec.get("primary"), f"outcomes.{outcome_id}.primary", file)
    families = tuple(document["methods"])
    top = document.get("primary")
    chosen = {
        o: top if spec.get("primary") is None else spec["primary"]
        for o, spec in document["outcomes"].items()
    }
    auto = [o for o, choice in chosen.items() if choice in (None, AUTO)]
    rule = [registry.MH_OR, registry.FIRTH_OR, registry.MN_RD]
    needed = list(dict.fromkeys(registry.method(key[1]).family for key in rule))
    for family in needed:
        if auto and family not in families:
            problems.append(
                Problem(
                    file,
                    f"primary: auto (outcomes {', '.join(auto)}) chooses among "
                    f"{', '.join(needed[:-1])} and {needed[-1]}, but {family} is not among the "
                    f"configured methods ({', '.join(families)}); add it or name a primary method",
                    column="methods",
                    value=family,
                )
            )
    taken = {"default", *(p.name for p in SENSITIVITY_PRIORS)}
    for name in document.get("bayesian", {}).get("sensitivity_priors", {}):
        if name in taken:
            problems.append(
                Problem(
                    file,
                    "prior name is taken (by the main prior or a built-in alternative: "
                    f"{', '.join(sorted(taken))})",
                    column="bayesian.sensitivity_priors",
                    value=name,
                )
            )
    for outcome_id, choice in chosen.items():
        if not isinstance(choice, Mapping):
            continue
        if registry.method(choice["method"]).family not in families:
            problems.append(
                Problem(
                    file,
                    f"the primary method of outcome '{outcome_id}' is not among the configured "
                    f"methods ({', '.join(families)})",
                    column="methods",
                    value=choice["method"],
                )
            )
    return problems + search_problems(document, file)


def parse_config(document: Any, file: str = "config.yaml") -> AnalysisConfig:
    """Validate a parsed configuration (structure, terms and methods) and return it; see
    :func:`raremeta.io.analysis_config.parse_config`.
    """
    return analysis_config.parse_config(document, file, method_problems)


def load_config(path: Path, display: str | None = None) -> AnalysisConfig:
    """Read and validate ``config.yaml``; see :func:`parse_config`."""
    return analysis_config.load_config(path, display, method_problems)


def analysis_from(source: Path | Mapping[str, Any], display: str = "config") -> AnalysisConfig:
    """The validated configuration from Snakemake's ``config`` or from a file; see
    :func:`raremeta.io.analysis_config.analysis_from`.
    """
    return analysis_config.analysis_from(source, display, method_problems)


def workflow_config(
    config: dict[str, Any], display: str, validate: Callable[[dict[str, Any]], None]
) -> AnalysisConfig:
    """What the workflow does with Snakemake's ``config`` when the Snakefile is read
    (``workflow/rules/common.smk``; the tests call it too): ``validate`` (Snakemake's own
    ``validate()`` against the config schema, which fills in the schema's defaults), its failure
    reported one problem per line (Snakemake's message prints the whole schema), then the
    semantic checks of :func:`analysis_from`.

    Raises
    ------
    InvalidInputError
        With one problem per schema violation, or per term or method problem.
    """
    try:
        validate(config)
    except Exception:  # Snakemake raises WorkflowError; any failure is the schema's
        raise InvalidInputError(schema_problems(config, "config", display)) from None
    return analysis_from(config, display)


def _prior(spec: PriorSpec, base: BinomialNormalPrior) -> BinomialNormalPrior:
    """``base`` with the parts ``spec`` gives replaced, under ``spec``'s name."""

    def pick(value: float | None, default: float) -> float:
        return default if value is None else value

    return BinomialNormalPrior(
        spec.name,
        NormalPrior(pick(spec.theta_mean, base.theta.mean), pick(spec.theta_sd, base.theta.sd)),
        NormalPrior(pick(spec.mu_mean, base.mu.mean), pick(spec.mu_sd, base.mu.sd)),
        TauPrior(
            TauFamily(spec.tau_distribution or base.tau.family),
            pick(spec.tau_scale, base.tau.scale),
        ),
    )


def bayes_options(config: AnalysisConfig) -> BayesOptions:
    """The Bayesian model's main prior (config ``bayesian.prior`` over the defaults of
    :data:`raremeta.stats.priors.DEFAULT_PRIOR`) and thresholds.
    """
    settings = config.bayesian
    thresholds = settings.thresholds or DEFAULT_THRESHOLDS
    return BayesOptions(_prior(settings.prior, DEFAULT_PRIOR), tuple(thresholds))


def sensitivity_priors(config: AnalysisConfig) -> tuple[BinomialNormalPrior, ...]:
    """The prior-sensitivity analyses: the built-in alternatives, each changing one part of
    the main prior (tau ~ half-normal(1), theta ~ N(0, 1.5²), mu_i ~ N(0, 2.5²)), then the
    configured ones (config ``bayesian.sensitivity_priors``), each the main prior with the
    parts it names replaced.
    """
    main = bayes_options(config).prior
    tau, theta, mu = SENSITIVITY_PRIORS
    builtin = (
        BinomialNormalPrior(tau.name, main.theta, main.mu, tau.tau),
        BinomialNormalPrior(theta.name, theta.theta, main.mu, main.tau),
        BinomialNormalPrior(mu.name, main.theta, mu.mu, main.tau),
    )
    return builtin + tuple(_prior(spec, main) for spec in config.bayesian.sensitivity_priors)
