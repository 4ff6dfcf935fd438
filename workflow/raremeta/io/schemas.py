"""JSON schemas in ``workflow/schemas/``: loading them, turning their errors into Problems."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from raremeta.io.errors import Problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


#: libyaml's safe loader where PyYAML was built with it (the schemas are ours and trusted; it
#: parses them about ten times faster, which every per-study job pays).
_SCHEMA_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the schema ``workflow/schemas/<name>.schema.yaml`` as a dictionary."""
    with (SCHEMA_DIR / f"{name}.schema.yaml").open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SCHEMA_LOADER)


def with_defaults(document: dict[str, Any], schema_name: str) -> dict[str, Any]:
    """``document`` with the top-level defaults the schema declares filled in where absent, as
    ``snakemake.utils.validate`` fills them in the workflow, so that the defaults are declared
    once, in the schema, for the workflow and for code that reads a file directly.
    """
    schema = load_schema(schema_name)
    filled = dict(document)
    for key, spec in schema.get("properties", {}).items():
        if key not in filled:
            default = spec.get("default")
            if default is None and "$ref" in spec:
                default = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]].get("default")
            if default is not None:
                filled[key] = default
    return filled


def _path_text(path: Any) -> str:
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


def schema_problems(document: Any, schema_name: str, file: str) -> list[Problem]:
    """Validate ``document`` against a schema and return one Problem per violation.

    Parameters
    ----------
    document : Any
        Parsed YAML or JSON data.
    schema_name : str
        Name of the schema file without ``.schema.yaml``.
    file : str
        File name to put in the messages.

    Returns
    -------
    list of Problem
        Empty when the document is valid. Sorted by location for stable output.
    """
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.path]):
        value = None
        if not isinstance(error.instance, dict | list):
            value = str(error.instance)
        message = error.message
        if error.validator in ("minItems", "maxItems", "minProperties"):
            size = len(error.instance)
            bound = "at least" if error.validator.startswith("min") else "at most"
            message = f"needs {bound} {error.validator_value} item(s), found {size}"
        problems.append(Problem(file, message, column=_path_text(error.absolute_path), value=value))
    return problems
