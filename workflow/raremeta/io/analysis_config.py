"""Analysis configuration: outcomes and their terms, multi-arm handling, primary method."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_studies import is_iso_date
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import load_schema, schema_problems, with_defaults
from raremeta.io.terms import normalise_term

#: ``primary: auto``: the rule of the README chooses each outcome's primary estimate.
AUTO = "auto"
#: Checks of a schema-valid configuration (defaults filled in) that need more than this layer
#: knows: which method estimates which measure is the method registry's
#: (:func:`raremeta.analysis.configuration.method_problems`).
Checks = Callable[[dict[str, Any], str], list[Problem]]


@dataclass(frozen=True)
class PrimaryChoice:
    """Which pooled row is the primary estimate, when the configuration names one."""

    measure: str
    method: str
    model: str
    tau2_estimator: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The (measure, method, model, tau2_estimator) key of the pooled row."""
        return (self.measure, self.method, self.model, self.tau2_estimator)


@dataclass(frozen=True)
class BaselineRisk:
    """An external assumed comparator risk (an outcome's ``baseline_risk:``): the risk as a
    proportion, its citation and the quote that gives it.
    """

    value: float
    source: str
    quote: str


@dataclass(frozen=True)
class ImprecisionSettings:
    """The stated assumptions of the imprecision rating (config ``imprecision:``); see the
    schema for each field. Thresholds are per 1,000 (None: the relative default).
    """

    harm_per_1000: float | None
    benefit_per_1000: float | None
    relative_change: float
    alpha: float
    power: float
    very_few_events: int
    large_effect: float

    @classmethod
    def from_document(cls, spec: Mapping[str, Any]) -> ImprecisionSettings:
        """The settings of a schema-valid ``imprecision:`` mapping, schema defaults filled in."""
        defaults = {
            key: value["default"]
            for key, value in load_schema("config")["properties"]["imprecision"][
                "properties"
            ].items()
            if "default" in value
        }
        spec = {**defaults, **spec}
        return cls(
            harm_per_1000=spec.get("harm_per_1000"),
            benefit_per_1000=spec.get("benefit_per_1000"),
            relative_change=float(spec["relative_change"]),
            alpha=float(spec["alpha"]),
            power=float(spec["power"]),
            very_few_events=int(spec["very_few_events"]),
            large_effect=float(spec["large_effect"]),
        )


@dataclass(frozen=True)
class Outcome:
    """One outcome: its id, label, the terms that count for it, its primary method
    (``None``: chosen by the rule, ``primary: auto``) and its external baseline risk (``None``:
    none configured).
    """

    id: str
    label: str
    terms: tuple[str, ...]
    primary: PrimaryChoice | None
    baseline_risk: BaselineRisk | None = None

    @property
    def keys(self) -> frozenset[str]:
        """Normalised matching keys of the outcome's terms."""
        return frozenset(normalise_term(t) for t in self.terms)


@dataclass(frozen=True)
class RoleLabels:
    """Display labels of the two roles (config ``roles:``); the data keep ``cni`` and
    ``comparator``.
    """

    cni: str
    comparator: str

    @classmethod
    def default(cls) -> RoleLabels:
        """The schema's default labels ("CNI" and "comparator")."""
        roles = load_schema("config")["properties"]["roles"]["default"]
        return cls(roles["cni"], roles["comparator"])

    def of(self, role: str) -> str:
        """The label of ``role`` (``"cni"`` or ``"comparator"``)."""
        if role == "cni":
            return self.cni
        if role == "comparator":
            return self.comparator
        raise KeyError(role)


@dataclass(frozen=True)
class Protocol:
    """The registered protocol that pre-specifies the analysis (config ``protocol:``)."""

    registration: str
    date: str


@dataclass(frozen=True)
class PriorSpec:
    """One prior of config ``bayesian:`` as given: None for a part left out (the analysis layer
    takes it from the main prior, and the main prior's from the defaults).
    """

    name: str
    theta_mean: float | None = None
    theta_sd: float | None = None
    mu_mean: float | None = None
    mu_sd: float | None = None
    tau_distribution: str | None = None
    tau_scale: float | None = None


@dataclass(frozen=True)
class BayesianSettings:
    """Config ``bayesian:``: the main prior, the named sensitivity priors and the thresholds
    (None: the default thresholds).
    """

    prior: PriorSpec = PriorSpec("default")
    sensitivity_priors: tuple[PriorSpec, ...] = ()
    thresholds: tuple[float, ...] | None = None


@dataclass(frozen=True)
class AnalysisConfig:
    """The validated content of ``config.yaml``."""

    outcomes: tuple[Outcome, ...]
    multi_arm: str
    percent_tolerance: float
    methods: tuple[str, ...]
    role_labels: RoleLabels
    protocol: Protocol | None
    forest_rows: tuple[str, ...]
    characteristics_question: str
    #: Subgroup variables of ``subgroups.csv`` (config ``subgroups:``), in order.
    subgroups: tuple[str, ...] = ()
    #: Config ``drug_vocabulary:`` as (normalised drug, term) pairs (:func:`normalise_drug`).
    drug_vocabulary: tuple[tuple[str, str], ...] = ()
    imprecision: ImprecisionSettings | None = None
    #: Config ``bayesian:`` as given (the analysis layer fills in the defaults).
    bayesian: BayesianSettings = field(default_factory=lambda: BayesianSettings())

    def drug_term(self, drug: str) -> tuple[str, bool]:
        """The controlled-vocabulary term of an arm's free-text ``drug`` and whether
        ``drug_vocabulary`` has it; a drug it lacks keeps its :func:`normalise_drug` text.

        >>> config = AnalysisConfig((), "combine", 0.0, (), RoleLabels.default(), None, (), "",
        ...     drug_vocabulary=(("tacrolimus + mycophenolate", "tacrolimus"),))
        >>> config.drug_term("Tacrolimus  +  Mycophenolate"), config.drug_term("Ciclosporin")
        (('tacrolimus', True), ('ciclosporin', False))
        """
        key = normalise_drug(drug)
        terms = dict(self.drug_vocabulary)
        return (terms[key], True) if key in terms else (key, False)

    @cached_property
    def term_outcomes(self) -> dict[str, str]:
        """Normalised term -> the id of the outcome it counts for (a term counts for one)."""
        return {key: outcome.id for outcome in self.outcomes for key in outcome.keys}

    def outcomes_of_terms(self, terms: Iterable[str]) -> frozenset[str]:
        """The ids of the outcomes that raw ``terms`` count for, matched as harmonisation
        matches them (:func:`raremeta.io.terms.normalise_term`).
        """
        owner = self.term_outcomes
        # each distinct spelling once: a table repeats a term for every arm
        return frozenset(owner[key] for key in map(normalise_term, set(terms)) if key in owner)

    @property
    def other_multi_arm(self) -> str:
        """The multi-arm handling that is not chosen (for the sensitivity analysis)."""
        return "split" if self.multi_arm == "combine" else "combine"

    def outcome(self, outcome_id: str) -> Outcome:
        """Return the outcome with this id."""
        for outcome in self.outcomes:
            if outcome.id == outcome_id:
                return outcome
        raise KeyError(outcome_id)


def normalise_drug(drug: str) -> str:
    """The matching key of a free-text drug (``drug_vocabulary`` keys, arms' ``drug``): case
    and runs of white space are ignored.

    >>> normalise_drug("  Mycophenolate   Mofetil ")
    'mycophenolate mofetil'
    """
    return " ".join(drug.casefold().split())


def _primary(
    spec: dict[str, Any] | str | None, fallback: PrimaryChoice | None
) -> PrimaryChoice | None:
    if spec is None:
        return fallback
    if spec == AUTO:
        return None
    tau2 = spec.get("tau2_estimator", "") if spec.get("model") == "random" else ""
    return PrimaryChoice(spec["measure"], spec["method"], spec["model"], tau2)


def _baseline_risk(spec: Mapping[str, Any] | None) -> BaselineRisk | None:
    if spec is None:
        return None
    return BaselineRisk(
        float(spec["value"]), str(spec["source"]).strip(), str(spec["quote"]).strip()
    )


def parse_config(
    document: Any, file: str = "config.yaml", checks: Checks | None = None
) -> AnalysisConfig:
    """Validate a parsed configuration and return it as an :class:`AnalysisConfig`.

    Parameters
    ----------
    document : Any
        The parsed YAML document.
    file : str
        The file name used in error messages.
    checks : callable, optional
        Further checks of the schema-valid document (the method checks of
        :mod:`raremeta.analysis.configuration`), reported with the term checks.

    Raises
    ------
    InvalidInputError
        With one problem per schema violation, else per term claimed by two outcomes and per
        problem ``checks`` finds.
    """
    problems = schema_problems(document, "config", file)
    if problems:
        raise InvalidInputError(problems)
    document = with_defaults(document, "config")  # the schema declares every default
    global_primary = _primary(document["primary"], None)
    if checks is not None:
        problems += checks(document, file)
    owner: dict[str, str] = {}
    outcomes = []
    for outcome_id, spec in document["outcomes"].items():
        for index, term in enumerate(spec["terms"]):
            key = normalise_term(term)
            if not key:
                problems.append(
                    Problem(file, "term is empty", column=f"outcomes.{outcome_id}.terms[{index}]")
                )
            elif key in owner and owner[key] != outcome_id:
                problems.append(
                    Problem(
                        file,
                        f"term is already claimed by outcome '{owner[key]}'; a term may count "
                        "for one outcome only",
                        column=f"outcomes.{outcome_id}.terms[{index}]",
                        value=term,
                    )
                )
            owner.setdefault(key, outcome_id)
        outcomes.append(
            Outcome(
                id=outcome_id,
                label=spec["label"],
                terms=tuple(spec["terms"]),
                primary=_primary(spec.get("primary"), global_primary),
                baseline_risk=_baseline_risk(spec.get("baseline_risk")),
            )
        )
    families = tuple(document["methods"])
    protocol = None
    if "protocol" in document:
        spec = document["protocol"]
        if not is_iso_date(spec["date"]):
            problems.append(
                Problem(
                    file,
                    "protocol date is not a calendar date (YYYY-MM-DD)",
                    column="protocol.date",
                    value=spec["date"],
                )
            )
        protocol = Protocol(str(spec["registration"]).strip(), str(spec["date"]))
    # the schema's default for each role the document leaves out
    roles = {**load_schema("config")["properties"]["roles"]["default"], **document["roles"]}
    vocabulary: dict[str, str] = {}
    for drug, term in document["drug_vocabulary"].items():
        key = normalise_drug(drug)
        if not key:
            problems.append(Problem(file, "drug is empty", column="drug_vocabulary", value=drug))
        elif key in vocabulary and vocabulary[key] != normalise_drug(term):
            problems.append(
                Problem(
                    file,
                    f"drug is already mapped to '{vocabulary[key]}' (keys are compared ignoring "
                    "case and spacing)",
                    column="drug_vocabulary",
                    value=drug,
                )
            )
        vocabulary.setdefault(key, normalise_drug(term))
    if problems:
        raise InvalidInputError(problems)
    return AnalysisConfig(
        outcomes=tuple(outcomes),
        multi_arm=document["multi_arm"],
        percent_tolerance=float(document["percent_tolerance"]),
        methods=families,
        role_labels=RoleLabels(roles["cni"].strip(), roles["comparator"].strip()),
        protocol=protocol,
        forest_rows=tuple(document["forest_rows"]),
        characteristics_question=document.get("characteristics_question", "").strip(),
        subgroups=tuple(document["subgroups"]),
        drug_vocabulary=tuple(vocabulary.items()),
        imprecision=ImprecisionSettings.from_document(document["imprecision"]),
        bayesian=_bayesian(document.get("bayesian", {})),
    )


def _prior_spec(name: str, spec: Mapping[str, Any]) -> PriorSpec:
    """The parts of a schema-valid ``bayes_prior`` mapping that it gives."""
    theta, mu, tau = spec.get("theta", {}), spec.get("mu", {}), spec.get("tau", {})

    def number(part: Mapping[str, Any], key: str) -> float | None:
        return float(part[key]) if key in part else None

    return PriorSpec(
        name,
        number(theta, "mean"),
        number(theta, "sd"),
        number(mu, "mean"),
        number(mu, "sd"),
        tau.get("distribution"),
        number(tau, "scale"),
    )


def _bayesian(spec: Mapping[str, Any]) -> BayesianSettings:
    """Config ``bayesian:`` (schema-valid) as given."""
    return BayesianSettings(
        _prior_spec("default", spec.get("prior", {})),
        tuple(_prior_spec(n, p) for n, p in spec.get("sensitivity_priors", {}).items()),
        tuple(float(t) for t in spec["thresholds"]) if "thresholds" in spec else None,
    )


def load_config(
    path: Path, display: str | None = None, checks: Checks | None = None
) -> AnalysisConfig:
    """Read and validate ``config.yaml``; see :func:`parse_config`."""
    name = display or str(path)
    return parse_config(load_yaml(path, name), name, checks)


def analysis_from(
    source: Path | Mapping[str, Any], display: str = "config", checks: Checks | None = None
) -> AnalysisConfig:
    """The validated configuration from Snakemake's ``config`` (a mapping, passed to a job as a
    param) or from a file (tests, benchmarks); see :func:`parse_config`.
    """
    if isinstance(source, Mapping):
        return parse_config(plain_config(source), display, checks)
    return load_config(Path(source), str(source), checks)


def plain_config(value: Any) -> Any:
    """Snakemake's config as plain dicts and lists (its Namedlist params are not)."""
    if isinstance(value, Mapping):
        return {str(k): plain_config(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_config(v) for v in value]
    return value


def harmonisation_slice(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of Snakemake's ``config`` that harmonising a study depends on: each outcome's
    terms, ``multi_arm`` and ``percent_tolerance``. Labels are replaced by the outcome ids and
    the methods left to their defaults, so that editing a label or a method (passed to a rule
    as a param) does not rerun harmonisation. The slice is itself a valid configuration.
    """
    plain = plain_config(config)
    return {
        "outcomes": {
            outcome_id: {"label": outcome_id, "terms": spec["terms"]}
            for outcome_id, spec in plain["outcomes"].items()
        },
        **{key: plain[key] for key in ("multi_arm", "percent_tolerance") if key in plain},
    }


def outcome_slice(config: Mapping[str, Any], outcome_id: str) -> dict[str, Any]:
    """Snakemake's ``config`` with one outcome only: what the jobs of ``outcome_id`` depend on,
    so that editing another outcome does not rerun them. The slice is a valid configuration.
    """
    plain = plain_config(config)
    # the summary of findings' inputs (baseline risk, imprecision) do not change the pooling
    outcome = {k: v for k, v in plain["outcomes"][outcome_id].items() if k != "baseline_risk"}
    # the registry search feeds the PRISMA flow only, never the pooling
    return {
        **{k: v for k, v in plain.items() if k not in ("imprecision", "registry_search")},
        "outcomes": {outcome_id: outcome},
    }
