"""Normalising adverse-event terms so that matching ignores case, spacing and hyphenation."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_/]+")


def normalise_term(term: str) -> str:
    """Return the matching key of an adverse-event term.

    Case, accents' composition, runs of white space, hyphens and dashes (``-``, en and em dash,
    soft hyphen), underscores and slashes are ignored, as are British/American ``ise``/``ize``
    spellings of "generalised". Nothing else is changed: synonyms belong in ``config.yaml``.

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
    """
    text = unicodedata.normalize("NFKC", term).replace("\u00ad", "")
    text = _SEPARATORS.sub(" ", text.casefold()).strip()
    return text.replace("generalised", "generalized")
