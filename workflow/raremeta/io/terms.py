"""Normalising adverse-event terms so that matching ignores case, spacing and hyphenation."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_/]+")
#: A numeric code of four or more digits some registry records put before the term (CTCAE:
#: ``73600-Seizure``); shorter numbers are chemistry (``5-FU``, ``3-hydroxy...``) and stay.
_CODE_PREFIX = re.compile(r"^\s*\d{4,}\s*-\s*(?=\D)")


def normalise_term(term: str) -> str:
    """Return the matching key of an adverse-event term.

    Case, accents' composition, runs of white space, hyphens and dashes (``-``, en and em dash,
    soft hyphen), underscores and slashes are ignored, as are British/American ``ise``/``ize``
    spellings of "generalised", and so is a leading numeric code (``73600-Seizure``, as some
    ClinicalTrials.gov records print CTCAE terms). Nothing else is changed: synonyms belong in
    ``config.yaml``.

    Parameters
    ----------
    term : str
        A term as reported, e.g. ``"Generalised tonic-clonic seizure"``.

    Returns
    -------
    str
        The key, e.g. ``"generalized tonic clonic seizure"``.

    Examples
    --------
    >>> normalise_term("  Posterior  Reversible-Encephalopathy syndrome ")
    'posterior reversible encephalopathy syndrome'
    >>> normalise_term("73600-Seizure")
    'seizure'
    """
    text = _CODE_PREFIX.sub("", unicodedata.normalize("NFKC", term).replace("\u00ad", ""))
    text = _SEPARATORS.sub(" ", text.casefold()).strip()
    return text.replace("generalised", "generalized")


def without_code(term: str) -> str:
    """``term`` stripped, without the leading numeric code :func:`normalise_term` ignores (for
    display: ``"29700-Epistaxis"`` is shown as ``"Epistaxis"``).

    Examples
    --------
    >>> without_code(" 29700-Epistaxis "), without_code("5-FU toxicity")
    ('Epistaxis', '5-FU toxicity')
    """
    return _CODE_PREFIX.sub("", term).strip()
