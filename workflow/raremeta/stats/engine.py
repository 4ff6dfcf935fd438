"""The one entry point of the statistical core: a method (:class:`MethodSpec`) fitted to many
meta-analyses at once (:func:`fit_stack`) or to one (:func:`fit`, a façade over the same kernels).

Which kernel fits a method is the method registry's (:mod:`raremeta.stats.registry`): each
entry names its kernel as an import path, imported here on first use, so that reading the
registry (figure jobs do) imports no estimator. The closed-form and random-effects methods, the
Firth penalised likelihood and the Miettinen-Nurminen score interval are numpy kernels over
arrays of shape (meta-analyses x studies); the exact conditional methods run one meta-analysis
at a time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from raremeta.stats.registry import method
from raremeta.stats.results import MethodSpec, PooledEffect, PooledFits
from raremeta.stats.two_by_two import Tables, TableStack, as_stack

Kernel = Callable[[TableStack, MethodSpec], PooledFits]


@cache
def _load(path: str) -> Kernel:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def kernel(name: str) -> Kernel:
    """The kernel of the registered method ``name``.

    Raises
    ------
    ValueError
        When ``name`` is not a registered method.
    """
    try:
        entry = method(name)
    except KeyError as error:
        raise ValueError(error.args[0]) from None
    return _load(entry.kernel)


def fit_stack(stack: TableStack, spec: MethodSpec) -> PooledFits:
    """Fit ``spec`` to every meta-analysis of ``stack`` with its registered kernel."""
    return kernel(spec.method)(stack, spec)


def fit(tables: Tables, spec: MethodSpec) -> PooledEffect:
    """Fit ``spec`` to one meta-analysis."""
    return fit_stack(as_stack(tables), spec).row(0)
