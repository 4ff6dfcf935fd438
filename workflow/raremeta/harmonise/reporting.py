"""Which outcomes each study reported, and in which arms: ``results/tables/reporting.csv``."""

from __future__ import annotations

from raremeta.io.raw_studies import ROLES

#: Columns of ``results/tables/reporting.csv``: one row per study and configured outcome.
REPORTING_COLUMNS = ["study", "label", "outcome", "cni", "comparator", "reported"]
#: The ``reported`` codes: any arm of both roles, of one role only, of neither.
BOTH_ARMS, ONE_ARM, NEITHER = "both_arms", "one_arm", "neither"


def reporting_status(cni: bool, comparator: bool) -> str:
    """``both_arms``, ``one_arm`` or ``neither`` (a role counts when any of its arms reported)."""
    return BOTH_ARMS if cni and comparator else ONE_ARM if cni or comparator else NEITHER


def study_reporting(rows: list[dict], outcomes: list[str]) -> dict[str, dict]:
    """Outcome id -> ``{"cni": bool, "comparator": bool, "status": code}`` from one study's
    harmonised rows (:func:`raremeta.harmonise.outcome_rows.harmonise_study`).
    """
    reported = {}
    for outcome in outcomes:
        by_role = {
            role.value: any(
                r["reported"] for r in rows if r["outcome"] == outcome and r["role"] == role
            )
            for role in ROLES
        }
        reported[outcome] = {**by_role, "status": reporting_status(*by_role.values())}
    return reported
