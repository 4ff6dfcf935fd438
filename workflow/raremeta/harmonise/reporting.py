"""Which outcomes each study reported, and in which arms: ``results/tables/reporting.csv``.

For an arm that did not report an outcome, ``study.yaml``'s optional ``reporting:`` says why
(:class:`~raremeta.io.raw_studies.ReportingDetail`: not found in the sources reached, or a
source says it was not reported), with an optional ORBIT letter and a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from raremeta.harmonise.outcome_rows import arm_outcome
from raremeta.io.analysis_config import AnalysisConfig
from raremeta.io.errors import Problem
from raremeta.io.raw_studies import STUDY_FILE, ReportingDetail, ReportingState, Role, Study

#: Columns of ``results/tables/reporting.csv``: one row per study and configured outcome.
REPORTING_COLUMNS = [
    "study",
    "label",
    "outcome",
    "cni",
    "comparator",
    "reported",
    "reporting_detail",
    "reporting_orbit",
    "reporting_reason",
]

#: Keys of the per-arm rows :func:`missing_arms` returns (stored in the per-study record).
MISSING_ARM_KEYS = ["outcome", "role", "arm", "detail", "orbit", "reason"]


def missing_arms(
    study: Study, config: AnalysisConfig
) -> tuple[list[dict[str, str]], list[Problem], list[dict[str, str]]]:
    """One row per configured outcome and arm that did not report it, with what ``study.yaml``
    says about it (``detail`` ``unspecified`` where it says nothing).

    Returns
    -------
    rows : list of dict
        Keys :data:`MISSING_ARM_KEYS`, by outcome (configured order), then arm (declared order).
    problems : list of Problem
        A ``reporting:`` entry for an arm that did report the outcome (a contradiction).
    log : list of dict
        Harmonisation-log rows (``unconfigured_outcome``) for ``reporting:`` entries naming an
        outcome the configuration does not list: ignored, since a study folder may serve
        reviews of other outcomes.
    """
    name = f"{study.folder}/{STUDY_FILE}"
    notes = {(n.outcome, n.arm): n for n in study.reporting}
    configured = {o.id for o in config.outcomes}
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    log = [
        {
            "kind": "unconfigured_outcome",
            "study": study.id,
            "file": name,
            "line": "",
            "message": f"reporting: outcome '{outcome}' is not configured; its entries are ignored",
        }
        for outcome in dict.fromkeys(n.outcome for n in study.reporting)
        if outcome not in configured
    ]
    for outcome in config.outcomes:
        for arm in study.arms:
            note = notes.get((outcome.id, arm.id))
            if arm_outcome(study, arm, outcome).reported:
                if note is not None:
                    problems.append(
                        Problem(
                            name,
                            f"arm '{arm.id}' reports outcome '{outcome.id}' in "
                            "adverse_events.csv, so it cannot also be "
                            f"'{note.detail}'",
                            column=f"reporting.{outcome.id}.{arm.id}.detail",
                            value=note.detail.value,
                        )
                    )
                continue
            rows.append(
                {
                    "outcome": outcome.id,
                    "role": arm.role,
                    "arm": arm.id,
                    "detail": (note.detail if note else ReportingDetail.UNSPECIFIED).value,
                    "orbit": note.orbit if note else "",
                    "reason": note.reason if note else "",
                }
            )
    return rows, problems, log


def _per_role(values: Mapping[Role, list[str]]) -> str:
    """``<role>:<value>`` for each role with a value, ``;``-separated, in role order; the
    distinct values of a role's several arms joined with ``+``.
    """
    parts = []
    for role, given in values.items():
        distinct = list(dict.fromkeys(v for v in given if v))
        if distinct:
            parts.append(f"{role.value}:{'+'.join(distinct)}")
    return ";".join(parts)


def _reporting_cells(
    outcome: str, silent: list[Role], missing: Iterable[Mapping[str, str]]
) -> dict[str, str]:
    """``reporting_detail``, ``reporting_orbit`` and ``reporting_reason`` of one outcome whose
    ``silent`` roles reported it in no arm, from the study's :func:`missing_arms` rows.
    """
    unspecified = {"detail": ReportingDetail.UNSPECIFIED.value, "orbit": "", "reason": ""}
    arms = {
        role: [m for m in missing if m["outcome"] == outcome and m["role"] == role]
        or [unspecified]  # no per-arm rows given (a caller without them): nothing declared
        for role in silent
    }
    reasons = {
        role.value: " | ".join(dict.fromkeys(m["reason"] for m in rows if m["reason"]))
        for role, rows in arms.items()
    }
    reasons = {role: reason for role, reason in reasons.items() if reason}
    return {
        "reporting_detail": _per_role({r: [m["detail"] for m in rows] for r, rows in arms.items()}),
        "reporting_orbit": _per_role({r: [m["orbit"] for m in rows] for r, rows in arms.items()}),
        "reporting_reason": json.dumps(reasons, ensure_ascii=False) if reasons else "",
    }


def reporting_rows(
    study: str,
    label: str,
    rows: Iterable[Mapping[str, Any]],
    outcomes: list[str],
    missing: Iterable[Mapping[str, str]] = (),
) -> list[dict[str, Any]]:
    """The rows of :data:`REPORTING_COLUMNS` for one study, one per outcome of ``outcomes`` (in
    that order), from its harmonised rows (:func:`raremeta.harmonise.outcome_rows.harmonise_study`,
    whose ``reported`` says whether any arm of the row's role reported the outcome) and its
    :func:`missing_arms` rows (why a role that reported nothing did not).
    """
    missing = list(missing)
    reported = {(r["outcome"], Role(r["role"])) for r in rows if r["reported"]}
    matrix = []
    for outcome in outcomes:
        cni = (outcome, Role.CNI) in reported
        comparator = (outcome, Role.COMPARATOR) in reported
        silent = [
            role for role, said in ((Role.CNI, cni), (Role.COMPARATOR, comparator)) if not said
        ]
        matrix.append(
            {
                "study": study,
                "label": label,
                "outcome": outcome,
                "cni": cni,
                "comparator": comparator,
                "reported": ReportingState.of(cni, comparator),
                **_reporting_cells(outcome, silent, missing),
            }
        )
    return matrix
