"""Versions of Python and of the packages the analysis uses."""

from __future__ import annotations

import platform
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
