"""The methods paragraph, generated from what ran: the configuration, the methods that produced
rows in the results tables, and the software the workflow imported, with versions.
"""

from __future__ import annotations

from raremeta.analysis.table_keys import AnalysisCode
from raremeta.analysis.wording import ANALYSIS_SENTENCES, METHOD_WORDS
from raremeta.io.analysis_config import AnalysisConfig

#: The primary-method rule of ``primary: auto`` (README, "Choice of primary method").
AUTO_RULE_SENTENCE = (
    "chosen per outcome by a pre-specified rule: with no events in any arm the "
    "Mantel-Haenszel risk difference with the Miettinen-Nurminen interval; when the "
    "Mantel-Haenszel odds ratio is finite and positive, that odds ratio; otherwise the Firth "
    "odds ratio (never the Peto odds ratio)"
)


def _unique(texts) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def _join(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _as_of_sentence(data_as_of: str | None) -> str:
    """The paragraph's first sentence: the date of the data (none when ``data_as_of`` is None)."""
    if data_as_of is None:
        return ""
    if not data_as_of:
        return "No study folder states the date of its data. "
    return (
        f"Data are as of {data_as_of}, the latest date of extraction from the sources or of the "
        "registry data release among the study folders. "
    )


def methods_paragraph(
    config: AnalysisConfig,
    methods_run: list[str],
    sensitivity: list[str],
    software: dict[str, str],
    versions: dict[str, str],
    data_as_of: str | None = None,
) -> str:
    """A methods paragraph naming exactly the methods that ran and the software imported.

    Parameters
    ----------
    config : AnalysisConfig
        Outcomes, their terms and primary methods, multi-arm handling.
    methods_run : list of str
        The methods with rows in pooled_effects.csv (names of the method registry); each one's
        sentence comes from :data:`raremeta.analysis.wording.METHOD_WORDS` (a method without
        words is an error, never a silently missing sentence).
    sensitivity : list of str
        The ``analysis_code`` values of sensitivity.csv.
    software : dict
        Citable packages the workflow imported, with versions.
    versions : dict
        ``python_minor``, ``raremeta`` and ``snakemake`` versions.
    data_as_of : str, optional
        The latest date of the studies' data (ISO); empty when no study states one; None to
        leave the sentence out.
    """
    outcomes = "; ".join(f"{o.label} ({', '.join(o.terms)})" for o in config.outcomes)
    primary = {o.primary.key for o in config.outcomes if o.primary is not None}
    prim = "; ".join(
        [
            *(
                f"{m} {meth} {model}{' ' + est if est else ''}"
                for m, meth, model, est in sorted(primary)
            ),
            *([AUTO_RULE_SENTENCE] if any(o.primary is None for o in config.outcomes) else []),
        ]
    )
    arms = (
        "arms of the same role within a trial were combined by summing events and patients "
        "(Cochrane Handbook 23.3.4)"
        if config.multi_arm == "combine"
        else "each CNI arm was compared with the comparator, whose events and patients were "
        "divided evenly among the comparisons (Cochrane Handbook 23.3.4)"
    )
    ran = set(methods_run)
    methods = _unique(
        METHOD_WORDS[w.sentence_with].sentence if w.sentence_with else w.sentence
        for name, w in METHOD_WORDS.items()
        if name in ran
    )
    unknown = ran - set(METHOD_WORDS)
    if unknown:
        raise KeyError(f"no words for method(s) {sorted(unknown)}: add them to METHOD_WORDS")
    silent = set(sensitivity) - set(ANALYSIS_SENTENCES) - {AnalysisCode.NO_COMPARABLE_STUDY}
    if silent:
        raise KeyError(f"no methods sentence for analyses {sorted(silent)}: add them to wording")
    sens = _unique(ANALYSIS_SENTENCES[c] for c in ANALYSIS_SENTENCES if c in sensitivity)
    packages = ", ".join(f"{name} {version}" for name, version in software.items())
    return (
        _as_of_sentence(data_as_of)
        + "Each count was recorded with the kind of source it came from (the trial's own "
        "report, registry results, or a letter or review) and each trial's follow-up where its "
        "source states it; counts are patients with at least one event over that follow-up, "
        "not adjusted for its length. "
        "Adverse-event terms were mapped to outcomes ignoring case, spacing and hyphenation: "
        f"{outcomes}. Outcomes not reported for an arm were treated as missing, never as zero; "
        f"{arms}. For each outcome we computed {_join(methods)}. Per-arm incidence was pooled "
        "crudely (Clopper-Pearson) and with a random-intercept logistic model (Stijnen, Hamza "
        f"and Özdemir 2010). The pre-specified primary estimate was: {prim}. "
        + (f"Sensitivity analyses used {_join(sens)}. " if sens else "")
        + "Choices follow the Cochrane Handbook (chapter 10), Bradburn et al. (2007) and "
        f"Efthimiou (2018). Analyses used raremeta {versions['raremeta']} (Python "
        f"{versions['python_minor']}; {packages}; Snakemake {versions['snakemake']})."
    )
