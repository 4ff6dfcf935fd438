"""Rules `figures` (forest, incidence, cumulative, subgroups), `reporting_figure`: all formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The figure kinds drawn per outcome, and the results tables each one reads.
FIGURE_INPUTS = {
    "forest": ("pooled", "studies"),
    "incidence": ("studies", "rates", "reporting"),
    "cumulative": ("cumulative", "studies", "pooled"),
    "subgroups": ("subgroups", "pooled"),
}
#: Tables read as text, every cell as written (a subgroup or trial called "NA" stays "NA");
#: their figures read numbers with ``cell_float``.
TEXT_TABLES = frozenset({"reporting", "cumulative", "subgroups"})


def run_outcome_figure(
    kind: str,
    outcome: str,
    label: str,
    inputs: dict[str, Path],
    outputs: list[Path],
    roles: dict[str, str] | None = None,
    forest_rows: tuple[str, ...] = (),
) -> None:
    """Draw the forest (``kind="forest"``), incidence, cumulative or subgroup plot of one
    outcome from its results tables (``inputs``, keys :data:`FIGURE_INPUTS`; ``reporting`` is the
    review-wide ``reporting.csv``, optional: without it an arm without a count reads "no
    count") into every file of ``outputs`` (one per format, told by the suffix).

    ``roles`` are the display labels of the roles ``cni`` and ``comparator`` (config ``roles:``)
    and ``forest_rows`` the registry methods whose rows a forest plot adds to the primary and
    exact conditional ones (config ``forest_rows:``).
    """
    import matplotlib.pyplot as plt

    from raremeta.report.cumulative_plot import cumulative_for_outcome
    from raremeta.report.figure_files import save_figure
    from raremeta.report.outcome_figures import forest_for_outcome, incidence_for_outcome
    from raremeta.report.subgroup_plot import subgroups_for_outcome

    if kind not in FIGURE_INPUTS:
        raise ValueError(f"unknown figure kind {kind!r}")
    for path in outputs:
        if not Path(path).name.startswith(f"{kind}_{outcome}."):
            raise ValueError(f"{path} is not a {kind} plot of {outcome}")
    tables = {
        name: (
            pd.read_csv(inputs[name], dtype=str, keep_default_na=False)
            if name in TEXT_TABLES
            else pd.read_csv(inputs[name])
        )
        for name in FIGURE_INPUTS[kind]
        if name in inputs
    }
    if kind == "forest":
        fig = forest_for_outcome(
            outcome, label, tables["pooled"], tables["studies"], roles, tuple(forest_rows)
        )
    elif kind == "cumulative":
        fig = cumulative_for_outcome(
            outcome, label, tables["cumulative"], tables["studies"], tables.get("pooled"), roles
        )
    elif kind == "subgroups":
        fig = subgroups_for_outcome(
            outcome, label, tables["subgroups"], tables.get("pooled"), roles
        )
    else:
        fig = incidence_for_outcome(
            outcome, label, tables["studies"], tables["rates"], tables.get("reporting"), roles
        )
    save_figure(fig, [Path(p) for p in outputs])
    plt.close(fig)
    print(f"{kind} plot of {outcome}: {', '.join(str(p) for p in outputs)}")


def run_reporting_figure(
    reporting: Path,
    outcomes: list[str],
    outputs: list[Path],
    labels: dict[str, str] | None = None,
    roles: dict[str, str] | None = None,
) -> None:
    """Draw ``results/tables/reporting.csv`` (study x configured outcome, in ``outcomes``
    order) into every file of ``outputs`` (one per format): each outcome by its label
    (``labels``, outcome id -> label), a one-arm cell marked with the label of the role that
    reported it (``roles``).
    """
    import matplotlib.pyplot as plt

    from raremeta.io.raw_studies import ROLES
    from raremeta.io.results_reading import reporting_details
    from raremeta.report.figure_files import save_figure
    from raremeta.report.reporting_plot import detail_mark, reporting_plot

    table = pd.read_csv(reporting, dtype=str, keep_default_na=False)
    status = {
        (r["study"], r["outcome"]): (
            r["reported"],
            [role for role in ROLES if r[role] == "true"],
            detail_mark(reporting_details(r)),
        )
        for _, r in table.iterrows()
    }
    studies = dict(zip(table["study"], table["label"], strict=True))
    rows = [(label, [status[(s, o)] for o in outcomes]) for s, label in studies.items()]
    fig = reporting_plot(rows, [(labels or {}).get(o, o) for o in outcomes], roles)
    save_figure(fig, [Path(p) for p in outputs])
    plt.close(fig)
    print(f"reporting matrix: {', '.join(str(p) for p in outputs)}")
