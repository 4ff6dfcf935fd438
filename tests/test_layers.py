"""Imports run one way through the package's layers (README "Layout"; issue 10).

Every module of workflow/raremeta is parsed with ``ast``, function-level imports included. The
rules, by layer (a module may always import its own layer):

- io: nothing else of raremeta (the bottom layer).
- stats: nothing else of raremeta, and no pandas, matplotlib or file system.
- harmonise: io.
- analysis: io, harmonise, stats.
- report: io, analysis and the result types of stats (``raremeta.stats.results``), never an
  estimator.
- steps: anything (they are the only modules that know files and paths).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "raremeta"

ALLOWED = {
    "io": {"io"},
    "stats": {"stats"},
    "harmonise": {"io", "harmonise"},
    "analysis": {"io", "harmonise", "stats", "analysis"},
    "report": {"io", "analysis", "report", "stats.results"},
    "steps": {"io", "harmonise", "stats", "analysis", "report", "steps"},
    "cli": {"io", "steps"},
    "__init__": set(),
}
#: Third-party packages the pure core must not import.
NOT_IN_STATS = ("pandas", "matplotlib", "snakemake", "os", "pathlib", "io")


def layer_of(module: Path, package: Path = PACKAGE) -> str:
    """The layer of a module: its folder under the package, or its own name at the top."""
    parts = module.relative_to(package).with_suffix("").parts
    return parts[0]


def imported_names(source: str) -> list[str]:
    """Every module named by an import statement anywhere in ``source`` (absolute imports)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def violations(package: Path = PACKAGE) -> list[str]:
    """``module: import`` for every import that breaks the rules above."""
    found = []
    for module in sorted(package.rglob("*.py")):
        layer = layer_of(module, package)
        allowed = ALLOWED[layer]
        for name in imported_names(module.read_text(encoding="utf-8")):
            top = name.split(".")[0]
            if layer == "stats" and top in NOT_IN_STATS:
                found.append(f"{module.relative_to(package)}: {name}")
            if top != "raremeta" or name == "raremeta":
                continue
            target = name.split(".")[1]
            if target == "__version__":
                continue
            if target in allowed or ".".join(name.split(".")[1:3]) in allowed:
                continue
            found.append(f"{module.relative_to(package)}: {name}")
    return found


def test_every_module_respects_the_layers():
    assert violations() == []


@pytest.mark.parametrize(
    ("layer", "statement"),
    [
        ("stats", "import pandas as pd\n"),
        ("stats", "def f():\n    from raremeta.analysis import wording\n"),
        ("report", "def f():\n    from raremeta.stats.engine import fit\n"),
        ("report", "from raremeta.stats.mantel_haenszel import mantel_haenszel\n"),
        ("io", "from raremeta.harmonise.outcome_rows import harmonise\n"),
        ("analysis", "import raremeta.report.forest\n"),
    ],
)
def test_a_planted_forbidden_import_is_found(tmp_path, layer, statement):
    package = tmp_path / "raremeta"
    (package / layer).mkdir(parents=True)
    (package / layer / "planted.py").write_text(statement)
    found = violations(package)
    assert found, f"{statement!r} in {layer} was not caught"
    assert all(v.startswith(f"{layer}/planted.py: ") for v in found), found


def test_allowed_imports_are_not_flagged(tmp_path):
    package = tmp_path / "raremeta"
    (package / "report").mkdir(parents=True)
    (package / "report" / "ok.py").write_text(
        "from raremeta.stats.results import Reason\nfrom raremeta.analysis import wording\n"
    )
    assert violations(package) == []
