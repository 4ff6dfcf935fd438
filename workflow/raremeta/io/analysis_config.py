"""Analysis configuration: outcomes and their terms, multi-arm handling, primary method."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import schema_problems, with_defaults
from raremeta.io.terms import normalise_term

#: ``primary: auto``: the rule of the README chooses each outcome's primary estimate.
AUTO = "auto"
#: Method families of ``methods:`` (exact-conditional and mid-p belong to ``exact``).
METHOD_FAMILIES = ("MH", "Peto", "IV", "exact", "Firth", "MN")
#: The families ``primary: auto`` can choose from.
AUTO_FAMILIES = ("MH", "Firth", "MN")


def family(method: str) -> str:
    """The ``methods:`` family of a pooling method."""
    return "exact" if method in ("exact-conditional", "mid-p") else method


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
class Outcome:
    """One outcome: its id, label, the terms that count for it and its primary method
    (``None``: chosen by the rule, ``primary: auto``).
    """

    id: str
    label: str
    terms: tuple[str, ...]
    primary: PrimaryChoice | None

    @property
    def keys(self) -> frozenset[str]:
        """Normalised matching keys of the outcome's terms."""
        return frozenset(normalise_term(t) for t in self.terms)


@dataclass(frozen=True)
class AnalysisConfig:
    """The validated content of ``config.yaml``."""

    outcomes: tuple[Outcome, ...]
    multi_arm: str
    percent_tolerance: float
    methods: tuple[str, ...]

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


def _primary(
    spec: dict[str, Any] | str | None, fallback: PrimaryChoice | None
) -> PrimaryChoice | None:
    if spec is None:
        return fallback
    if spec == AUTO:
        return None
    tau2 = spec.get("tau2_estimator", "") if spec.get("model") == "random" else ""
    return PrimaryChoice(spec["measure"], spec["method"], spec["model"], tau2)


def _primary_problems(spec: dict[str, Any] | str | None, where: str, file: str) -> list[Problem]:
    if spec is None or spec == AUTO:
        return []
    problems = []
    method, model, measure = spec["method"], spec["model"], spec["measure"]
    if model == "random" and method != "IV":
        problems.append(
            Problem(
                file, "random-effects models exist for method IV only", column=where, value=method
            )
        )
    if model == "random" and not spec.get("tau2_estimator"):
        problems.append(
            Problem(
                file, "a random-effects primary needs tau2_estimator (DL, REML or PM)", column=where
            )
        )
    if method in ("Peto", "exact", "exact-conditional", "mid-p", "Firth") and measure != "OR":
        problems.append(
            Problem(
                file, f"method {method} estimates odds ratios only", column=where, value=measure
            )
        )
    if method == "MN" and measure != "RD":
        problems.append(
            Problem(file, "method MN estimates risk differences only", column=where, value=measure)
        )
    return problems


def parse_config(document: Any, file: str = "config.yaml") -> AnalysisConfig:
    """Validate a parsed configuration and return it as an :class:`AnalysisConfig`.

    Parameters
    ----------
    document : Any
        The parsed YAML document.
    file : str
        The file name used in error messages.

    Raises
    ------
    InvalidInputError
        With one problem per schema violation, per term claimed by two outcomes, and per
        impossible primary choice.
    """
    problems = schema_problems(document, "config", file)
    if problems:
        raise InvalidInputError(problems)
    document = with_defaults(document, "config")  # the schema declares every default
    global_primary = _primary(document["primary"], None)
    problems += _primary_problems(document.get("primary"), "primary", file)
    owner: dict[str, str] = {}
    outcomes = []
    for outcome_id, spec in document["outcomes"].items():
        problems += _primary_problems(spec.get("primary"), f"outcomes.{outcome_id}.primary", file)
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
            )
        )
    families = tuple(document["methods"])
    auto = [o.id for o in outcomes if o.primary is None]
    for needed in AUTO_FAMILIES:
        if auto and needed not in families:
            problems.append(
                Problem(
                    file,
                    f"primary: auto (outcomes {', '.join(auto)}) chooses among MH, Firth and MN, "
                    f"but {needed} is not among the configured methods ({', '.join(families)}); "
                    "add it or name a primary method",
                    column="methods",
                    value=needed,
                )
            )
    for outcome in outcomes:
        if outcome.primary is not None and family(outcome.primary.method) not in families:
            problems.append(
                Problem(
                    file,
                    f"the primary method of outcome '{outcome.id}' is not among the configured "
                    f"methods ({', '.join(families)})",
                    column="methods",
                    value=outcome.primary.method,
                )
            )
    if problems:
        raise InvalidInputError(problems)
    return AnalysisConfig(
        outcomes=tuple(outcomes),
        multi_arm=document["multi_arm"],
        percent_tolerance=float(document["percent_tolerance"]),
        methods=families,
    )


def load_config(path: Path, display: str | None = None) -> AnalysisConfig:
    """Read and validate ``config.yaml``; see :func:`parse_config`."""
    name = display or str(path)
    return parse_config(load_yaml(path, name), name)


def analysis_from(source: Path | Mapping[str, Any], display: str = "config") -> AnalysisConfig:
    """The validated configuration from Snakemake's ``config`` (a mapping, passed to a job as a
    param) or from a file (tests, benchmarks); see :func:`parse_config`.
    """
    if isinstance(source, Mapping):
        return parse_config(plain_config(source), display)
    return load_config(Path(source), str(source))


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
    return {**plain, "outcomes": {outcome_id: plain["outcomes"][outcome_id]}}
