"""Two-by-two tables in metafor's notation (ai, n1i, ci, n2i): one meta-analysis
(:class:`Tables`) or many stacked for the vectorised kernels (:class:`TableStack`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Tables:
    """The 2x2 tables of k studies: events and patients at risk in each arm.

    Group 1 is the CNI (treatment) arm and group 2 the comparator, as in metafor
    (``ai``/``n1i`` and ``ci``/``n2i``). Counts may be non-integer only when a shared
    comparator has been split.

    Attributes
    ----------
    ai, n1i : ndarray
        Events and patients at risk in the CNI arm.
    ci, n2i : ndarray
        Events and patients at risk in the comparator arm.
    labels : tuple of str
        Study labels, in the same order.
    """

    ai: NDArray[np.float64]
    n1i: NDArray[np.float64]
    ci: NDArray[np.float64]
    n2i: NDArray[np.float64]
    labels: tuple[str, ...] = field(default=())

    @classmethod
    def from_counts(
        cls,
        ai: ArrayLike,
        n1i: ArrayLike,
        ci: ArrayLike,
        n2i: ArrayLike,
        labels: list[str] | tuple[str, ...] | None = None,
    ) -> Tables:
        """Build and check the tables.

        Raises
        ------
        ValueError
            If the arrays differ in length, a count is negative or not finite, an arm has no
            patients, or events exceed patients.
        """
        arrays = [np.atleast_1d(np.asarray(x, dtype=float)) for x in (ai, n1i, ci, n2i)]
        k = len(arrays[0])
        if any(len(a) != k for a in arrays):
            raise ValueError("ai, n1i, ci and n2i must have the same length")
        for name, a in zip(("ai", "n1i", "ci", "n2i"), arrays, strict=True):
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                raise ValueError(f"{name} must be finite and non-negative")
        if np.any(arrays[1] <= 0) or np.any(arrays[3] <= 0):
            raise ValueError("every arm needs at least one patient at risk")
        if np.any(arrays[0] > arrays[1]) or np.any(arrays[2] > arrays[3]):
            raise ValueError("events cannot exceed patients at risk")
        names = tuple(labels) if labels is not None else tuple(f"study {i + 1}" for i in range(k))
        if len(names) != k:
            raise ValueError("labels must match the number of studies")
        for a in arrays:
            a.setflags(write=False)
        return cls(*arrays, labels=names)

    @property
    def k(self) -> int:
        """Number of studies."""
        return len(self.ai)

    @property
    def bi(self) -> NDArray[np.float64]:
        """Patients without the event in the CNI arm."""
        return self.n1i - self.ai

    @property
    def di(self) -> NDArray[np.float64]:
        """Patients without the event in the comparator arm."""
        return self.n2i - self.ci

    @property
    def double_zero(self) -> NDArray[np.bool_]:
        """Studies with no events in either arm (or events in every patient of both arms)."""
        return ((self.ai == 0) & (self.ci == 0)) | ((self.bi == 0) & (self.di == 0))

    @property
    def any_zero(self) -> NDArray[np.bool_]:
        """Studies with at least one zero cell."""
        return (self.ai == 0) | (self.bi == 0) | (self.ci == 0) | (self.di == 0)

    def subset(self, mask: ArrayLike) -> Tables:
        """The tables of the studies where ``mask`` is true."""
        m = np.asarray(mask, dtype=bool)
        return Tables.from_counts(
            self.ai[m],
            self.n1i[m],
            self.ci[m],
            self.n2i[m],
            [lab for lab, keep in zip(self.labels, m, strict=True) if keep],
        )

    def swapped(self) -> Tables:
        """The same studies with the two arms exchanged."""
        return Tables.from_counts(self.ci, self.n2i, self.ai, self.n1i, self.labels)

    @property
    def present(self) -> NDArray[np.bool_]:
        """Every study of a Tables is present (see :class:`TableStack`)."""
        return np.ones(self.k, dtype=bool)


@dataclass(frozen=True)
class TableStack:
    """m meta-analyses of up to k studies as arrays of shape (m, k), the kernels' input.

    ``present`` marks the studies of each meta-analysis; a missing one (a shorter meta-analysis,
    a study left out) is stored as 0 events of 1 patient in each arm and contributes nothing.
    Properties are those of :class:`Tables`, computed along the last axis.
    """

    ai: NDArray[np.float64]
    n1i: NDArray[np.float64]
    ci: NDArray[np.float64]
    n2i: NDArray[np.float64]
    present: NDArray[np.bool_]

    @classmethod
    def of(cls, tables: list[Tables], masks: list[NDArray[np.bool_]] | None = None) -> TableStack:
        """Stack ``tables`` (each optionally restricted to the studies where its mask is true)."""
        k = max((t.k for t in tables), default=0)
        m = len(tables)
        arrays = [np.zeros((m, k)), np.ones((m, k)), np.zeros((m, k)), np.ones((m, k))]
        present = np.zeros((m, k), dtype=bool)
        for i, t in enumerate(tables):
            keep = np.ones(t.k, dtype=bool) if masks is None else np.asarray(masks[i], bool)
            for array, values in zip(arrays, (t.ai, t.n1i, t.ci, t.n2i), strict=True):
                array[i, : t.k] = np.where(keep, values, array[i, : t.k])
            present[i, : t.k] = keep
        return cls(*arrays, present=present)

    @classmethod
    def from_arrays(
        cls, ai: ArrayLike, n1i: ArrayLike, ci: ArrayLike, n2i: ArrayLike
    ) -> TableStack:
        """Every study present; arrays of shape (m, k) (checked as :meth:`Tables.from_counts`)."""
        arrays = [np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i)]
        if arrays[0].ndim != 2 or any(a.shape != arrays[0].shape for a in arrays):
            raise ValueError("ai, n1i, ci, n2i must be arrays of the same shape (m, k)")
        if np.any(arrays[1] <= 0) or np.any(arrays[3] <= 0):
            raise ValueError("every arm needs at least one patient at risk")
        if np.any(arrays[0] > arrays[1]) or np.any(arrays[2] > arrays[3]):
            raise ValueError("events cannot exceed patients at risk")
        return cls(*arrays, present=np.ones(arrays[0].shape, dtype=bool))

    def take(self, rows) -> TableStack:
        """The meta-analyses ``rows`` (indices) of this stack."""
        rows = np.asarray(rows, dtype=int)
        return TableStack(
            self.ai[rows], self.n1i[rows], self.ci[rows], self.n2i[rows], self.present[rows]
        )

    @property
    def m(self) -> int:
        """Number of meta-analyses."""
        return self.ai.shape[0]

    @property
    def bi(self) -> NDArray[np.float64]:
        """Patients without the event in the CNI arm."""
        return self.n1i - self.ai

    @property
    def di(self) -> NDArray[np.float64]:
        """Patients without the event in the comparator arm."""
        return self.n2i - self.ci

    @property
    def double_zero(self) -> NDArray[np.bool_]:
        """Present studies with no events in either arm (or events in every patient)."""
        dz = ((self.ai == 0) & (self.ci == 0)) | ((self.bi == 0) & (self.di == 0))
        return dz & self.present

    @property
    def any_zero(self) -> NDArray[np.bool_]:
        """Present studies with at least one zero cell."""
        zero = (self.ai == 0) | (self.bi == 0) | (self.ci == 0) | (self.di == 0)
        return zero & self.present


def as_stack(tables: Tables | TableStack) -> TableStack:
    """A stack of one meta-analysis from ``tables``, or the stack itself."""
    return tables if isinstance(tables, TableStack) else TableStack.of([tables])
