"""Reading the project's own tables back: harmonised counts and cells of the results tables."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

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
