"""Imports run one way through the package's layers, in letter and in spirit (README "Layout";
issues 10 and 19).

Every module of workflow/raremeta is parsed with ``ast``, function bodies included. A module
imports another when it

- has an ``import`` or ``from ... import`` statement for it; relative imports are resolved
  against the module's package (``from ..analysis import wording`` in ``stats/x.py`` imports
  ``raremeta.analysis.wording``), and a name imported from a package counts as that submodule
  (``from raremeta.stats import results`` imports ``raremeta.stats.results``, not the engine);
- calls ``importlib.import_module`` or ``__import__`` with its name as a literal string;
- names it in a string (``"import raremeta.steps.study"`` in a subprocess probe, say).
  Docstrings are prose and do not count: a cross-reference is not a dependency.

The rules, by layer (a module may always import its own layer):

- io: nothing else of raremeta (the bottom layer).
- stats: nothing else of raremeta, no pandas, matplotlib or snakemake, and nothing that reads or
  writes files, streams, processes or the network (``IO_IN_STATS``): no such module imported and
  no reference to such a function, even through an alias (``np.loadtxt``, ``sp.run``), nor a call
  of a file method on whatever object (``.tofile``, ``.read_text``). ``print`` counts too: the
  core hands back values, and a line printed from it would bypass the results and the logs.
- harmonise: io.
- analysis: io, harmonise, stats.
- report: io, analysis, and of stats only the result types (``raremeta.stats.results``), the
  method registry (``raremeta.stats.registry``) and the Bayesian priors' types
  (``raremeta.stats.priors``), never an estimator.
- steps: anything (they are the only modules that know files and paths).
- cli: io and steps.

A call of ``importlib.import_module`` or ``__import__`` whose name is computed at run time
cannot be checked here, so it is a violation everywhere except in ``stats/engine.py``
(``DYNAMIC_IMPORTER``): the engine imports each method's kernel from the import path the method
registry (``stats/registry.py``) gives, and the registry's own test checks that every such path
lies in ``raremeta.stats``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "raremeta"

ALLOWED = {
    "io": {"io"},
    "stats": {"stats"},
    "harmonise": {"io", "harmonise"},
    "analysis": {"io", "harmonise", "stats", "analysis"},
    "report": {"io", "analysis", "report", "stats.results", "stats.registry", "stats.priors"},
    "steps": {"io", "harmonise", "stats", "analysis", "report", "steps"},
    "cli": {"io", "steps"},
    "__init__": set(),
}
#: What reads or writes files, streams, processes or the network (and ``eval``/``exec``, which
#: could do any of it): a name matches itself and everything under it (``os`` matches
#: ``os.path.join``).
IO_IN_STATS = (
    *("open", "print", "input", "eval", "exec", "builtins"),
    *("io", "os", "pathlib", "shutil", "tempfile", "glob", "pickle", "shelve", "sqlite3"),
    *("subprocess", "socket", "urllib", "http"),
    *("sys.stdin", "sys.stdout", "sys.stderr", "sys.__stdin__", "sys.__stdout__", "sys.__stderr__"),
    *("numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.fromregex"),
    *("numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "numpy.memmap"),
    *("numpy.lib.npyio", "scipy.io"),
)
#: Modules the pure core must not import.
NOT_IN_STATS = ("pandas", "matplotlib", "snakemake", *IO_IN_STATS)
#: Methods that read or write a file whatever object they are called on (an array, a path).
IO_METHODS = ("tofile", "dump", "open", "read_text", "read_bytes", "write_text", "write_bytes")
#: Functions that import the module they are given by name.
IMPORTERS = ("importlib.import_module", "importlib.__import__", "__import__", "builtins.__import__")
#: The one module allowed to import a module named at run time (see the module docstring).
DYNAMIC_IMPORTER = "stats/engine.py"
#: A dotted raremeta module name inside a string.
MODULE_IN_TEXT = re.compile(r"\braremeta(?:\.\w+)+")


def matches(name: str, prefixes: Iterable[str]) -> bool:
    """Whether ``name`` is one of ``prefixes`` or lies under one (``os.path`` under ``os``)."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def may_import(layer: str, name: str) -> bool:
    """Whether a module of ``layer`` may import the module (or object) ``name``."""
    if layer == "stats" and matches(name, NOT_IN_STATS):
        return False
    parts = name.split(".")
    if parts[0] != "raremeta" or len(parts) == 1 or parts[1] == "__version__":
        return True
    return matches(".".join(parts[1:]), ALLOWED[layer])


def absolute(module: str | None, level: int, package: str) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in ``package``.

    Examples
    --------
    >>> absolute("analysis", 2, "raremeta.stats")
    'raremeta.analysis'
    >>> absolute(None, 1, "raremeta.report")
    'raremeta.report'
    """
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - level + 1]
    return ".".join([*base, module] if module else base)


def bound_names(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> the absolute name it stands for, from every import in ``tree``.

    ``import numpy as np`` binds ``np`` to ``numpy``; ``from pathlib import Path`` binds ``Path``
    to ``pathlib.Path``; ``import os.path`` binds ``os`` to ``os``.
    """
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bound[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module, node.level, package)
            bound.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names})
    return bound


def dotted(node: ast.expr, bound: dict[str, str]) -> str | None:
    """The absolute name an expression such as ``np.lib.npyio.loadtxt`` refers to
    (``numpy.lib.npyio.loadtxt``), or None if it is not a chain of names.
    """
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([bound.get(node.id, node.id), *attributes])


def imports(tree: ast.Module, package: str, bound: dict[str, str]) -> list[tuple[int, str | None]]:
    """``(line, module)`` for every import in ``tree``, statements and importer calls alike;
    the module is None when a call's name is not a literal absolute name.
    """
    found: list[tuple[int, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module, node.level, package)
            found += [
                (node.lineno, base if alias.name == "*" else f"{base}.{alias.name}")
                for alias in node.names
            ]
        elif isinstance(node, ast.Call) and dotted(node.func, bound) in IMPORTERS:
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            name = first.value if literal and not first.value.startswith(".") else None
            found.append((node.lineno, name))
    return found


def named_in_strings(tree: ast.Module) -> list[tuple[int, str]]:
    """``(line, module)`` for every raremeta module named in a string that is not a docstring
    (f-strings included: their literal parts are strings).
    """
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, documented) and ast.get_docstring(node, clean=False) is not None
    }
    return [
        (node.lineno, name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
        for name in MODULE_IN_TEXT.findall(node.value)
    ]


def io_references(tree: ast.Module, bound: dict[str, str]) -> list[tuple[int, str]]:
    """``(line, what)`` for every reference in ``tree`` to something in ``IO_IN_STATS``, and
    every use of a method in ``IO_METHODS``.

    Only whole chains are looked at (``os.path.join``, not also ``os.path`` and ``os``), so that
    each reference is reported once.
    """
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    found = []
    for node in ast.walk(tree):
        if id(node) in inner or not isinstance(node, ast.Name | ast.Attribute):
            continue
        name = dotted(node, bound)
        if name is not None and matches(name, IO_IN_STATS):
            found.append((node.lineno, name))
        elif isinstance(node, ast.Attribute) and node.attr in IO_METHODS:
            found.append((node.lineno, f".{node.attr}"))
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    """``module:line: what`` for everything that breaks the rules of the module docstring."""
    found = []
    for module in sorted(package.rglob("*.py")):
        where = module.relative_to(package).as_posix()
        layer = where.split("/")[0].removesuffix(".py")
        home = ".".join(["raremeta", *module.relative_to(package).parts[:-1]])
        tree = ast.parse(module.read_text(encoding="utf-8"))
        bound = bound_names(tree, home)
        for line, name in imports(tree, home, bound):
            if name is None and where != DYNAMIC_IMPORTER:
                found.append(f"{where}:{line}: imports a module named at run time")
            elif name is not None and not may_import(layer, name):
                found.append(f"{where}:{line}: imports {name}")
        for line, name in named_in_strings(tree):
            if not may_import(layer, name):
                found.append(f"{where}:{line}: names {name} in a string")
        if layer == "stats":
            for line, name in io_references(tree, bound):
                found.append(f"{where}:{line}: reads or writes outside the core: {name}")
    return found


def test_every_module_respects_the_layers():
    assert violations() == []


def plant(tmp_path: Path, where: str, source: str) -> Path:
    """A package ``raremeta`` under ``tmp_path`` holding one module, ``where``."""
    package = tmp_path / "raremeta"
    (package / where).parent.mkdir(parents=True, exist_ok=True)
    (package / where).write_text(source)
    return package


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        # absolute imports, at module level and in functions
        ("stats", "import pandas as pd\n", "imports pandas"),
        (
            "stats",
            "def f():\n    from raremeta.analysis import wording\n",
            "imports raremeta.analysis",
        ),
        (
            "report",
            "def f():\n    from raremeta.stats.engine import fit\n",
            "imports raremeta.stats",
        ),
        ("report", "from raremeta.stats.peto import peto_fits\n", "imports raremeta.stats.peto"),
        ("report", "from raremeta.stats import engine\n", "imports raremeta.stats.engine"),
        ("report", "from raremeta import stats\n", "imports raremeta.stats"),
        ("report", "import raremeta.stats\n", "imports raremeta.stats"),
        ("io", "from raremeta.harmonise.outcome_rows import harmonise\n", "imports raremeta.harm"),
        ("analysis", "import raremeta.report.forest\n", "imports raremeta.report.forest"),
        # relative imports
        ("stats", "from ..analysis import wording\n", "imports raremeta.analysis.wording"),
        ("stats", "def f():\n    from .. import report\n", "imports raremeta.report"),
        ("report", "from ..stats import engine\n", "imports raremeta.stats.engine"),
        ("report", "from ..stats.peto import peto_fits\n", "imports raremeta.stats.peto"),
        ("io", "from ..steps.study import run_study\n", "imports raremeta.steps.study"),
        # importlib and __import__ with a literal name
        (
            "stats",
            "import importlib\nimportlib.import_module('raremeta.analysis.wording')\n",
            "imports raremeta.analysis.wording",
        ),
        (
            "io",
            "from importlib import import_module as load\nload('raremeta.steps.study')\n",
            "imports raremeta.steps.study",
        ),
        ("stats", "__import__('pandas')\n", "imports pandas"),
        # a name computed at run time, in a stats module other than the engine, and elsewhere
        (
            "stats",
            "import importlib\n\n\ndef kernel(path):\n    return importlib.import_module(path)\n",
            "imports a module named at run time",
        ),
        (
            "report",
            "import importlib\nimportlib.import_module('raremeta.' + 'stats.engine')\n",
            "imports a module named at run time",
        ),
        (
            "stats",
            "import importlib\nimportlib.import_module('.peto', 'raremeta.stats')\n",
            "imports a module named at run time",
        ),
        # a module named in a string
        ("io", 'PROBE = "import raremeta.steps.study"\n', "names raremeta.steps.study in a string"),
        ("io", 'PROBE = f"import raremeta.steps.{name}"\n', "names raremeta.steps in a string"),
        ("io", 'MODULES = ("raremeta.report.forest",)\n', "names raremeta.report.forest"),
        ("stats", 'KERNEL = "raremeta.analysis.wording:describe"\n', "names raremeta.analysis"),
    ],
)
def test_a_planted_forbidden_import_is_found(tmp_path, layer, source, expected):
    found = violations(plant(tmp_path, f"{layer}/planted.py", source))
    assert any(expected in v for v in found), f"{source!r} in {layer}: {found}"
    assert all(v.startswith(f"{layer}/planted.py:") for v in found), found


@pytest.mark.parametrize(
    "source",
    [
        "def f(path):\n    return open(path).read()\n",
        "import io\n\n\ndef f(path):\n    return io.open(path)\n",
        "import os\n\n\ndef f():\n    return os.getcwd()\n",
        "from os import path\n\n\ndef f(name):\n    return path.exists(name)\n",
        "import subprocess as sp\n\n\ndef f():\n    sp.run(['ls'])\n",
        "import shutil\n\n\ndef f():\n    shutil.copy('a', 'b')\n",
        "import socket\n\n\ndef f():\n    socket.create_connection(('example.org', 80))\n",
        "from urllib.request import urlopen\n\n\ndef f():\n    urlopen('https://example.org')\n",
        "import numpy as np\n\n\ndef f():\n    return np.loadtxt('counts.txt')\n",
        "import numpy as np\n\n\ndef f():\n    return np.genfromtxt('counts.csv')\n",
        "import numpy as np\n\n\ndef f():\n    return np.load('counts.npy')\n",
        "import numpy as np\n\n\ndef f(x):\n    np.save('x.npy', x)\n",
        "import numpy as np\n\n\ndef f(x):\n    np.savez('x.npz', x=x)\n",
        "import numpy as np\n\n\ndef f(x):\n    np.savetxt('x.txt', x)\n",
        "import numpy as np\n\n\ndef f():\n    return np.fromfile('x.bin')\n",
        "import numpy\n\nREAD = numpy.loadtxt\n",
        "from numpy import loadtxt\n\n\ndef f():\n    return loadtxt('x')\n",
        "import numpy as np\n\n\ndef f(x):\n    np.asarray(x).tofile('x.bin')\n",
        "def f(path):\n    return path.read_text()\n",
        "import pathlib\n\n\ndef f():\n    return pathlib.Path('x').exists()\n",
        "from pathlib import Path\n\n\ndef f(name):\n    return Path(name)\n",
        "import pickle\n\n\ndef f(x):\n    return pickle.dumps(x)\n",
        "import sys\n\n\ndef f(x):\n    sys.stdout.write(x)\n",
        "import sys\n\n\ndef f(x):\n    sys.stderr.write(x)\n",
        "def f(x):\n    print(x)\n",
        "def f():\n    return input()\n",
        "def f(code):\n    return eval(code)\n",
    ],
)
def test_planted_file_or_process_access_in_stats_is_found(tmp_path, source):
    found = violations(plant(tmp_path, "stats/planted.py", source))
    assert any(": reads or writes outside the core: " in v for v in found), (source, found)
    assert all(v.startswith("stats/planted.py:") for v in found), found


def test_allowed_imports_are_not_flagged(tmp_path):
    allowed = {
        "report/a.py": [
            "from raremeta.stats.results import Reason",
            "from raremeta.stats.registry import METHODS",
            "from raremeta.analysis import wording",
            "from raremeta import __version__",
        ],
        "report/b.py": [
            "from raremeta.stats import results, registry",
            "import raremeta.stats.results",
        ],
        "report/c.py": [
            "from . import numbers",
            "from ..io import writing",
            "from ..stats import results",
        ],
        "stats/a.py": [
            "from . import results",
            "from .two_by_two import Tables",
            "import numpy as np",
        ],
        "stats/b.py": [
            "import sys",
            "EPS = sys.float_info.epsilon",
            "KERNEL = 'raremeta.stats.peto:fits'",
        ],
        "stats/engine.py": [
            "import importlib",
            "def kernel(path):",
            "    module, _, name = path.partition(':')",
            "    return getattr(importlib.import_module(module), name)",
        ],
        "io/a.py": ['"""Read by :mod:`raremeta.steps.gather` (a docstring is prose)."""'],
        "steps/a.py": ['PROBE = "import raremeta.steps.study"', "HANDLE = open('log.txt')"],
        "cli.py": ["from raremeta.steps import study", "from raremeta.io.errors import Problem"],
    }
    for where, lines in allowed.items():
        package = plant(tmp_path, where, "\n".join(lines) + "\n")
    assert violations(package) == []
