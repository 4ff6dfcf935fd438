"""A YAML loader for untrusted files: plain data only, no tags, no aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from raremeta.io.errors import InvalidInputError, Problem


class _PlainDataLoader(yaml.SafeLoader):
    """SafeLoader that also refuses anchors/aliases (alias bombs) and any explicit tag."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(
                problem="YAML anchors and aliases (&name, *name) are not allowed in project files",
                problem_mark=event.start_mark,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise yaml.MarkedYAMLError(
                problem=f"YAML tags ({tag}) are not allowed in project files",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


# Dates stay text ("2026-11-24" is a string, as JSON would read it): the schemas check their form.
_PlainDataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Read a YAML file as plain data (mappings, lists, strings, numbers, booleans, null;
    a date is a string).

    Parameters
    ----------
    path : Path
        The file to read. It must be UTF-8.
    display : str, optional
        The name to use for the file in error messages (defaults to ``str(path)``).

    Returns
    -------
    Any
        The parsed document.

    Raises
    ------
    InvalidInputError
        If the file cannot be decoded, is not valid YAML, or uses tags, anchors or aliases.
    """
    name = display or str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InvalidInputError(
            [Problem(name, f"not valid UTF-8 (byte 0x{raw[err.start]:02x})", row=line)]
        ) from None
    try:
        return yaml.load(text, Loader=_PlainDataLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        row = mark.line + 1 if mark is not None else None
        raise InvalidInputError([Problem(name, f"invalid YAML: {err.problem}", row=row)]) from None
    except yaml.YAMLError as err:
        raise InvalidInputError([Problem(name, f"invalid YAML: {err}")]) from None
