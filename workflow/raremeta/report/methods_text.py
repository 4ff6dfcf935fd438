"""The methods paragraph, generated from the configuration and the software versions."""

from __future__ import annotations

from raremeta.io.analysis_config import AnalysisConfig


def methods_paragraph(config: AnalysisConfig, software: dict[str, str]) -> str:
    """A methods paragraph generated from the configuration and the software versions."""
    outcomes = "; ".join(f"{o.label} ({', '.join(o.terms)})" for o in config.outcomes)
    primary = {o.primary.key for o in config.outcomes}
    prim = "; ".join(
        f"{m} {meth} {model}{' ' + est if est else ''}" for m, meth, model, est in sorted(primary)
    )
    arms = (
        "arms of the same role within a trial were combined by summing events and patients "
        "(Cochrane Handbook 23.3.4)"
        if config.multi_arm == "combine"
        else "each CNI arm was compared with the comparator, whose events and patients were "
        "divided evenly among the comparisons (Cochrane Handbook 23.3.4)"
    )
    return (
        f"Adverse-event terms were mapped to outcomes ignoring case, spacing and hyphenation: "
        f"{outcomes}. Outcomes not reported for an arm were treated as missing, never as zero; "
        f"{arms}. For each outcome we computed Mantel-Haenszel odds ratios, risk ratios and "
        "risk differences without continuity correction (Greenland and Robins 1985; Robins, "
        "Breslow and Greenland 1986; Sato, Greenland and Robins 1989), the Peto odds ratio "
        "(Yusuf et al. 1985), inverse-variance common and random-effects estimates with "
        "DerSimonian-Laird, REML and Paule-Mandel tau² after adding 0.5 to every cell of trials "
        "with a zero cell (double-zero trials excluded for ratio measures), Q-profile "
        "confidence intervals for tau² (Viechtbauer 2007) and t-based prediction intervals with "
        "k - 2 df (Higgins, Thompson and Spiegelhalter 2009), and the exact conditional "
        "maximum-likelihood odds ratio. Per-arm incidence was pooled crudely (Clopper-Pearson) "
        "and with a random-intercept logistic model (Stijnen, Hamza and Özdemir 2010). "
        f"The pre-specified primary estimate was: {prim}. Sensitivity analyses used "
        "Hartung-Knapp-Sidik-Jonkman intervals, RevMan-style and treatment-arm (Sweeting, "
        "Sutton and Lambert 2004) continuity corrections, leave-one-out and the alternative "
        "handling of multi-arm trials. Choices follow the Cochrane Handbook (chapter 10), "
        "Bradburn et al. (2007) and Efthimiou (2018). Analyses used raremeta "
        f"{software['raremeta']} (Python {software['python_minor']}; numpy {software['numpy']}, "
        f"scipy {software['scipy']}, pandas {software['pandas']}, statsmodels "
        f"{software['statsmodels']}, matplotlib {software['matplotlib']}; Snakemake "
        f"{software['snakemake']}), whose estimates agree with R metafor 3.8-1."
    )
