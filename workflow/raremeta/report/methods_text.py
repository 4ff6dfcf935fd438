"""The methods paragraph, generated from what ran: the configuration, the methods that produced
rows in the results tables, and the software the workflow imported, with versions.
"""

from __future__ import annotations

from raremeta.io.analysis_config import AnalysisConfig

#: What each method family contributes to the paragraph, with its references.
METHOD_SENTENCES = {
    "MH": "Mantel-Haenszel odds ratios, risk ratios and risk differences without continuity "
    "correction (Greenland and Robins 1985; Robins, Breslow and Greenland 1986; Sato, "
    "Greenland and Robins 1989)",
    "Peto": "the Peto odds ratio (Yusuf et al. 1985)",
    "IV": "inverse-variance common and random-effects estimates with DerSimonian-Laird, REML "
    "and Paule-Mandel tau² after adding 0.5 to every cell of trials with a zero cell "
    "(double-zero trials excluded for ratio measures), Q-profile confidence intervals for tau² "
    "(Viechtbauer 2007) and t-based prediction intervals with k - 2 df (Higgins, Thompson and "
    "Spiegelhalter 2009)",
    "exact": "the conditional maximum-likelihood odds ratio (Breslow and Day 1980)",
    "exact-conditional": "the median-unbiased odds ratio (Hirji, Tsiatis and Mehta 1989) with "
    "exact conditional (Cornfield 1956) and mid-p intervals and p-values, computed from the "
    "exact distribution of the total CNI events given every margin",
    "Firth": "the penalised-likelihood (Firth) logistic-regression odds ratio with fixed study "
    "intercepts, its profile penalised-likelihood interval and likelihood-ratio p-value (Firth "
    "1993; Heinze and Schemper 2002; Evrenoglou et al. 2022)",
    "MN": "the Mantel-Haenszel risk difference with the stratified Miettinen-Nurminen score "
    "interval and score test (Miettinen and Nurminen 1985)",
}
#: The primary-method rule of ``primary: auto`` (README, "Choice of primary method").
AUTO_RULE_SENTENCE = (
    "chosen per outcome by a pre-specified rule: with no events in any arm the "
    "Mantel-Haenszel risk difference with the Miettinen-Nurminen interval; when the "
    "Mantel-Haenszel odds ratio is finite and positive, that odds ratio; otherwise the Firth "
    "odds ratio (never the Peto odds ratio)"
)
#: Sensitivity analyses by the ``analysis`` column of sensitivity.csv.
SENSITIVITY_SENTENCES = {
    "HKSJ interval": "Hartung-Knapp-Sidik-Jonkman intervals",
    "RevMan-style MH": "RevMan-style continuity corrections inside the MH sums",
    "continuity correction": "constant (0.5, 0.01) and treatment-arm (Sweeting, Sutton and "
    "Lambert 2004) continuity corrections",
    "leave-one-out": "leave-one-out",
    "source of counts": "the primary method restricted to the trials whose every count came "
    "from their own reports, and from their own reports or registry results (leaving out "
    "counts from letters, reviews or of unstated source)",
    "double-zero studies": "the Firth odds ratio without double-zero trials",
    "multi-arm handling": "the alternative handling of multi-arm trials",
}


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
    families: list[str],
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
    families : list of str
        The methods with rows in pooled_effects.csv (``MH``, ``Peto``, ``IV``, ``exact``,
        ``exact-conditional``, ``mid-p``, ``Firth``, ``MN``).
    sensitivity : list of str
        The ``analysis`` values of sensitivity.csv.
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
    methods = [METHOD_SENTENCES[f] for f in METHOD_SENTENCES if f in families]
    sens = [SENSITIVITY_SENTENCES[s] for s in SENSITIVITY_SENTENCES if s in sensitivity]
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
