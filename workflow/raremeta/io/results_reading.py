"""Reading the project's own tables back: harmonised counts and cells of the results tables."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raremeta.io.raw_studies import ROLES, ReportingDetail, Role

if TYPE_CHECKING:
    import pandas as pd


def cell_float(x) -> float:
    """A table cell as a float; NaN for an empty or non-numeric cell."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def cell_text(x) -> str:
    """A text cell as a string; empty for a missing one (pandas reads an empty cell as NaN)."""
    return x if isinstance(x, str) else ""


def is_true(x) -> bool:
    """A ``true``/``false`` cell (or a boolean pandas parsed it as) as a bool."""
    return str(x).lower() == "true"


def read_harmonised(path: Path) -> pd.DataFrame:
    """Read ``harmonised.csv`` keeping empty cells (not reported) apart from zeros."""
    import pandas as pd

    frame = pd.read_csv(
        path,
        dtype={"study": str, "comparison": str, "arms": str},
        keep_default_na=False,
        na_values={"events": [""], "n": [""]},
    )
    frame["reported"] = frame["reported"].astype(str).str.lower() == "true"
    return frame


@dataclass(frozen=True)
class ArmReporting:
    """Why one role's arms have no count for an outcome (a row of ``reporting.csv``).

    Attributes
    ----------
    details : tuple of ReportingDetail
        The distinct details of the role's arms, in arm order (one for a role of one arm;
        ``UNSPECIFIED`` for an arm whose study folder says nothing).
    orbit : tuple of str
        The distinct ORBIT letters given, in arm order (empty: none given).
    reason : str
        The reasons given (several arms' distinct reasons joined with `` | ``); empty if none.
    """

    details: tuple[ReportingDetail, ...]
    orbit: tuple[str, ...] = ()
    reason: str = ""

    @property
    def detail(self) -> ReportingDetail | None:
        """The role's one detail, or None when its arms' details differ."""
        return self.details[0] if len(self.details) == 1 else None


def _per_role_cell(text: str) -> dict[Role, tuple[str, ...]]:
    """A ``<role>:<a>+<b>;<role>:<c>`` cell as each role's values."""
    values: dict[Role, tuple[str, ...]] = {}
    for part in text.split(";") if text else []:
        role, _, given = part.partition(":")
        values[Role(role)] = tuple(given.split("+"))
    return values


def reporting_details(row: Mapping[str, Any]) -> dict[Role, ArmReporting]:
    """Why each role of one ``reporting.csv`` row (a dict or a pandas row) reported nothing:
    one entry per role that reported the outcome in no arm, in role order; empty when both
    roles reported it (or for a table without the ``reporting_detail`` column).

    Examples
    --------
    >>> row = {"reporting_detail": "comparator:not_reported", "reporting_orbit": "",
    ...        "reporting_reason": '{"comparator": "the reply speaks of one arm"}'}
    >>> reporting_details(row)[Role.COMPARATOR].detail
    <ReportingDetail.NOT_REPORTED: 'not_reported'>
    """
    details = _per_role_cell(cell_text(row.get("reporting_detail")))
    orbit = _per_role_cell(cell_text(row.get("reporting_orbit")))
    reason_text = cell_text(row.get("reporting_reason"))
    reasons = json.loads(reason_text) if reason_text else {}
    return {
        role: ArmReporting(
            tuple(ReportingDetail(d) for d in details[role]),
            orbit.get(role, ()),
            reasons.get(role.value, ""),
        )
        for role in ROLES
        if role in details
    }
