"""Organ systems of adverse-event terms: the 27 MedDRA system organ class (SOC) names and the
registry spellings mapped to them (``workflow/resources/meddra_soc.yaml``, with its source).

Names are compared after :func:`raremeta.io.terms.normalise_term` with commas, parentheses and
full stops removed, so "Musculoskeletal and Connective Tissue Disorders" is the SOC name. A name
that matches neither a SOC name nor a registry spelling is kept as given (stripped) and the
caller logs it; an empty one is :data:`UNCLASSIFIED`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from raremeta.io.terms import normalise_term

MAPPING_FILE = Path(__file__).resolve().parents[2] / "resources" / "meddra_soc.yaml"
#: The organ system of a term given none (hand-entered rows may leave it empty).
UNCLASSIFIED = "unclassified"
_PUNCTUATION = re.compile(r"[,().]")


def organ_key(name: str) -> str:
    """The matching key of an organ-system name.

    Examples
    --------
    >>> organ_key("Neoplasms Benign, Malignant and Unspecified (incl Cysts and Polyps)")
    'neoplasms benign malignant and unspecified incl cysts and polyps'
    """
    return " ".join(_PUNCTUATION.sub(" ", normalise_term(name)).split())


@dataclass(frozen=True)
class SocMapping:
    """The SOC names (in file order), the key of every accepted spelling -> SOC name, and the
    mapping file's source statement.
    """

    names: tuple[str, ...]
    by_key: dict[str, str]
    source: str


@cache
def soc_mapping(path: Path = MAPPING_FILE) -> SocMapping:
    """Read the mapping file (once per process)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = tuple(document["soc_names"])
    by_key = {organ_key(name): name for name in names}
    for spelling, name in document.get("registry_spellings", {}).items():
        if name not in names:
            raise ValueError(f"{path}: registry spelling {spelling!r} maps to {name!r}, not a SOC")
        by_key[organ_key(spelling)] = name
    return SocMapping(names, by_key, " ".join(str(document["source"]).split()))


def soc_name(name: str) -> tuple[str, bool]:
    """The SOC name of ``name`` and whether it matched; an unmatched name is returned stripped,
    an empty one as :data:`UNCLASSIFIED` (matched: there is nothing to log).

    Examples
    --------
    >>> soc_name("General disorders")
    ('General disorders and administration site conditions', True)
    >>> soc_name("Product Issues"), soc_name(" Odd class "), soc_name("")
    (('Product issues', True), ('Odd class', False), ('unclassified', True))
    """
    text = name.strip()
    if not text:
        return UNCLASSIFIED, True
    found = soc_mapping().by_key.get(organ_key(text))
    return (found, True) if found else (text, False)
