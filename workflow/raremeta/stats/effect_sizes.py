"""Per-study effect sizes and continuity corrections (metafor's ``escalc``).

Conventions follow metafor's ``escalc(measure, ai, n1i, ci, n2i, add=1/2, to="only0",
drop00=...)``: the correction is added to every cell of a study with at least one zero cell, and
only to those studies. Variances: log OR ``1/a + 1/b + 1/c + 1/d``; log RR
``1/a - 1/n1 + 1/c - 1/n2``; RD ``a*b/n1^3 + c*d/n2^3`` (large-sample, metafor ``vtype="LS"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from raremeta.stats.two_by_two import Tables, TableStack

MEASURES = ("OR", "RR", "RD")


@dataclass(frozen=True)
class StudyEffects:
    """Per-study effects on the analysis scale (log OR, log RR, or RD), arrays shaped as the
    input's counts (k, or m x k for a :class:`~raremeta.stats.two_by_two.TableStack`).

    Attributes
    ----------
    measure : str
        'OR', 'RR' or 'RD'.
    yi, vi : ndarray
        Effects and sampling variances; NaN for studies that were dropped or are absent.
    corrected : ndarray of bool
        Studies whose cells received a continuity correction.
    dropped : ndarray of bool
        Studies left out (double-zero studies for OR and RR).
    """

    measure: str
    yi: NDArray[np.float64]
    vi: NDArray[np.float64]
    corrected: NDArray[np.bool_]
    dropped: NDArray[np.bool_]


def corrected_cells(
    tables: Tables | TableStack, add: float = 0.5, kind: str = "constant", only_zero: bool = True
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray[np.bool_]]:
    """Return cells a, b, c, d after a continuity correction, and which studies were corrected.

    Parameters
    ----------
    tables : Tables or TableStack
        The studies.
    add : float
        The total correction per arm pair: with ``kind="constant"`` ``add`` goes to every cell
        (0.5 is the usual choice, 0.01 a small one). With ``kind="treatment_arm"`` (Sweeting,
        Sutton & Lambert 2004, *Stat Med* 23:1351) the cells of the CNI arm receive
        ``2 * add / (R + 1)`` and those of the comparator ``2 * add * R / (R + 1)``, with
        ``R = n2 / n1``: each arm's correction is proportional to the reciprocal of the opposite
        arm's size, and the two sum to the same total as the constant correction.
    kind : {'constant', 'treatment_arm'}
        Which correction.
    only_zero : bool
        Correct only studies with a zero cell (metafor ``to="only0"``); otherwise all studies.
    """
    a, b, c, d = tables.ai, tables.bi, tables.ci, tables.di
    target = tables.any_zero if only_zero else tables.present
    if kind == "constant":
        k1 = k2 = np.full(a.shape, add)
    elif kind == "treatment_arm":
        ratio = tables.n2i / tables.n1i
        k1 = 2 * add / (ratio + 1)
        k2 = 2 * add * ratio / (ratio + 1)
    else:
        raise ValueError(f"unknown correction kind {kind!r}")
    k1 = np.where(target, k1, 0.0)
    k2 = np.where(target, k2, 0.0)
    return a + k1, b + k1, c + k2, d + k2, target & ((k1 > 0) | (k2 > 0))


def effects_from_cells(a, b, c, d, measure: str) -> tuple[NDArray, NDArray]:
    """Effect (log OR, log RR or RD) and sampling variance from cells of any array shape.

    Non-finite where a cell makes them undefined (e.g. log of 0); corrections are the caller's.
    """
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
        if measure == "RR":
            return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2
        if measure == "RD":
            p1, p2 = a / n1, c / n2
            return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    raise ValueError(f"measure must be one of {MEASURES}")


def study_effects(
    tables: Tables | TableStack,
    measure: str,
    add: float = 0.5,
    kind: str = "constant",
    drop00: bool | None = None,
) -> StudyEffects:
    """Per-study effect sizes with a continuity correction for studies with a zero cell.

    Equivalent to metafor ``escalc(measure, ai, n1i, ci, n2i, add=add, to="only0",
    drop00=drop00)``. By default double-zero studies are dropped for OR and RR (they carry no
    information on a ratio) and kept for RD.

    Parameters
    ----------
    tables : Tables or TableStack
        The studies.
    measure : {'OR', 'RR', 'RD'}
        Effect measure; OR and RR are returned on the log scale.
    add : float
        Continuity correction (see :func:`corrected_cells`); 0 for none.
    kind : {'constant', 'treatment_arm'}
        Kind of correction.
    drop00 : bool, optional
        Drop double-zero studies; defaults to ``measure != "RD"``.

    Returns
    -------
    StudyEffects
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    if drop00 is None:
        drop00 = measure != "RD"
    dropped = tables.double_zero & drop00
    a, b, c, d, corrected = (
        corrected_cells(tables, add, kind)
        if add > 0
        else (tables.ai, tables.bi, tables.ci, tables.di, np.zeros(tables.ai.shape, dtype=bool))
    )
    yi, vi = effects_from_cells(a, b, c, d, measure)
    bad = dropped | ~tables.present | ~np.isfinite(yi) | ~np.isfinite(vi)
    return StudyEffects(
        measure,
        np.where(bad, np.nan, yi),
        np.where(bad, np.nan, vi),
        corrected & ~dropped & tables.present,
        dropped,
    )
