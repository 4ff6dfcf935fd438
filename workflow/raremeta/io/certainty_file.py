"""The reviewer's certainty judgements, ``data/certainty.yaml``: read, validated, typed.

GRADE rates five domains; imprecision is computed (:mod:`raremeta.stats.certainty`), the other
four are judgements read here. A domain the file leaves out is not assessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.raw_studies import is_iso_date
from raremeta.io.safe_yaml import load_yaml
from raremeta.io.schemas import schema_problems


class Domain(StrEnum):
    """The judged GRADE domains, as keys of the file and prefixes of the table's columns."""

    RISK_OF_BIAS = "risk_of_bias"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"
    PUBLICATION_BIAS = "publication_bias"


#: RoB 2 domains (Sterne et al., BMJ 2019;366:l4898), as keys of a trial's entry, in order.
ROB2_DOMAINS = (
    "randomisation",
    "deviations",
    "missing_outcome_data",
    "outcome_measurement",
    "reported_result_selection",
)


@dataclass(frozen=True)
class Judgement:
    """One domain's judgement for one outcome.

    Attributes
    ----------
    rating : str
        ``not serious``, ``serious`` or ``very serious``.
    reason : str
        Why.
    assessed_by, date : str
        Who and when (the file's defaults where the judgement gives none; empty if neither).
    trials : tuple of str
        Study ids whose risk-of-bias entry the judgement rests on.
    """

    rating: str
    reason: str
    assessed_by: str
    date: str
    trials: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrialRiskOfBias:
    """One trial's RoB 2 assessment: (domain, level) pairs in RoB 2 order, overall, reason."""

    study: str
    domains: tuple[tuple[str, str], ...]
    overall: str
    reason: str
    assessed_by: str
    date: str


@dataclass(frozen=True)
class CertaintyJudgements:
    """The content of the judgements file.

    Attributes
    ----------
    file : str
        The file as the user knows it (empty: no file, nothing assessed).
    example : bool
        Whether the judgements are marked as examples.
    outcomes : mapping
        Outcome id -> {domain -> judgement}; a domain absent is not assessed.
    trials : mapping
        Study id -> its RoB 2 assessment.
    ignored : tuple of str
        Outcome ids the file judges that the configuration does not have (another review's,
        or a configuration that runs some outcomes only): not used, and reported by the rule.
    """

    file: str = ""
    example: bool = False
    outcomes: Mapping[str, Mapping[Domain, Judgement]] = field(default_factory=dict)
    trials: Mapping[str, TrialRiskOfBias] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def judgement(self, outcome: str, domain: Domain) -> Judgement | None:
        """The judgement of ``domain`` for ``outcome``; None when not assessed."""
        return self.outcomes.get(outcome, {}).get(domain)


def _date_problems(file: str, where: str, date: str) -> list[Problem]:
    if date and not is_iso_date(date):
        return [Problem(file, "not a calendar date (YYYY-MM-DD)", column=where, value=date)]
    return []


def parse_judgements(
    document: Any,
    file: str,
    outcome_ids: Iterable[str],
    study_ids: Iterable[str] | None = None,
) -> CertaintyJudgements:
    """Validate a parsed judgements file against its schema, the configured outcomes and
    (when given) the study ids, and return it typed.

    Outcomes the configuration does not have are validated but not used (listed in
    ``ignored``), so that one file serves a configuration that runs some outcomes only.

    Raises
    ------
    InvalidInputError
        One problem per schema violation, else per unknown study id, dangling trial citation
        or impossible date (file, key and value named).
    """
    problems = schema_problems(document, "certainty", file)
    if problems:
        raise InvalidInputError(problems)
    outcome_ids, studies = set(outcome_ids), None if study_ids is None else set(study_ids)
    assessed_by = str(document.get("assessed_by", "")).strip()
    date = str(document.get("date", ""))
    problems += _date_problems(file, "date", date)
    trials: dict[str, TrialRiskOfBias] = {}
    for study, spec in document.get("trials", {}).items():
        if studies is not None and study not in studies:
            problems.append(
                Problem(
                    file,
                    "no study folder has this id (data/raw/<study>/)",
                    column="trials",
                    value=study,
                )
            )
        when = str(spec.get("date", date))
        problems += _date_problems(file, f"trials.{study}.date", when)
        trials[study] = TrialRiskOfBias(
            study,
            tuple((d, spec[d]) for d in ROB2_DOMAINS if d in spec),
            spec["overall"],
            spec["reason"].strip(),
            str(spec.get("assessed_by", assessed_by)).strip(),
            when,
        )
    outcomes: dict[str, dict[Domain, Judgement]] = {}
    for outcome, domains in document["outcomes"].items():
        judged: dict[Domain, Judgement] = {}
        for name, spec in domains.items():
            where = f"outcomes.{outcome}.{name}"
            cited = tuple(spec.get("trials", ()))
            problems += [
                Problem(
                    file,
                    "cites a trial that has no entry under trials:",
                    column=f"{where}.trials",
                    value=study,
                )
                for study in cited
                if study not in trials
            ]
            when = str(spec.get("date", date))
            problems += _date_problems(file, f"{where}.date", when)
            judged[Domain(name)] = Judgement(
                spec["rating"],
                spec["reason"].strip(),
                str(spec.get("assessed_by", assessed_by)).strip(),
                when,
                cited,
            )
        outcomes[outcome] = judged
    if problems:
        raise InvalidInputError(problems)
    ignored = tuple(o for o in outcomes if o not in outcome_ids)
    used = {o: j for o, j in outcomes.items() if o in outcome_ids}
    return CertaintyJudgements(file, bool(document["example"]), used, trials, ignored)


def load_judgements(
    path: Path | None,
    outcome_ids: Iterable[str],
    study_ids: Iterable[str] | None = None,
    display: str | None = None,
) -> CertaintyJudgements:
    """Read ``data/certainty.yaml``; no file (``None``): nothing assessed."""
    if path is None:
        return CertaintyJudgements()
    name = display or str(path)
    return parse_judgements(load_yaml(path, name), name, outcome_ids, study_ids)
