"""Versions of Python and of the packages the analysis uses.

Which of them the workflow actually imports is found in the steps layer, the one that knows
which modules the workflow's rules run; this module only reads versions.
"""

from __future__ import annotations

import platform
from collections.abc import Collection
from importlib import metadata

from raremeta import __version__

PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "matplotlib",
    "PyYAML",
    "jsonschema",
    "snakemake",
)


def versions() -> dict[str, str]:
    """Python and package versions actually installed."""
    out = {"python": platform.python_version(), "raremeta": __version__}
    out["python_minor"] = ".".join(platform.python_version_tuple()[:2])
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


#: Import name -> distribution name of the packages a methods paragraph may cite.
CITABLE = {
    "numpy": "numpy",
    "scipy": "scipy",
    "statsmodels": "statsmodels",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
}


def citable_versions(loaded: Collection[str]) -> dict[str, str]:
    """Versions of the citable packages among ``loaded``, in the order of :data:`CITABLE`.

    Parameters
    ----------
    loaded : collection of str
        Import names of the packages the analysis imported.

    Returns
    -------
    dict
        Import name -> installed version, for each citable package in ``loaded``.
    """
    return {name: metadata.version(CITABLE[name]) for name in CITABLE if name in loaded}
