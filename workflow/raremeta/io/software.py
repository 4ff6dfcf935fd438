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


#: Import name -> distribution name of the packages a methods paragraph may cite.
CITABLE = {
    "numpy": "numpy",
    "scipy": "scipy",
    "statsmodels": "statsmodels",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
}
#: The modules each rule of the workflow runs (their imports are what the analysis really used).
RULE_MODULES = (
    "raremeta.steps.study",
    "raremeta.steps.pool",
    "raremeta.steps.figures",
    "raremeta.report.forest",
    "raremeta.report.incidence_plot",
    "raremeta.steps.summary",
)


def imported_software() -> dict[str, str]:
    """Versions of the citable packages that the workflow's modules actually import.

    Imports every rule's modules in a fresh interpreter (so that whatever the calling process
    happens to have loaded does not count) and reads which citable packages are loaded: a
    package the analysis never imports (statsmodels, today) is not cited.
    """
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    package_root = str(Path(__file__).resolve().parents[2])  # where `import raremeta` works
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]),
    }

    probe = (
        "import importlib, json, sys\n"
        f"for m in {list(RULE_MODULES)!r}: importlib.import_module(m)\n"
        f"print(json.dumps([n for n in {list(CITABLE)!r} if n in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    loaded = json.loads(done.stdout)
    return {name: metadata.version(CITABLE[name]) for name in CITABLE if name in loaded}
