"""Which methods are fitted for every outcome: the primary set and the sensitivity variants,
both read from the method registry (:mod:`raremeta.stats.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from raremeta.analysis.table_keys import AnalysisCode
from raremeta.io.raw_studies import SourceKind
from raremeta.stats import registry
from raremeta.stats.priors import BayesOptions, BinomialNormalPrior
from raremeta.stats.registry import IV, MEASURES, MH, TAU2_ESTIMATORS
from raremeta.stats.results import MethodSpec

__all__ = [
    "SOURCE_SUBSETS",
    "Variant",
    "configured",
    "firth",
    "primary_set",
    "prior_variants",
    "selected",
    "sensitivity_variants",
]


def primary_set() -> tuple[MethodSpec, ...]:
    """The primary set, one pooled row each, in table order: every fit of every registered
    method (MH OR/RR/RD, Peto OR, IV OR/RR/RD common and random (DL, REML, PM), conditional ML
    OR, median-unbiased OR with exact and mid-p intervals, Firth OR, and the MH RD with the
    Miettinen-Nurminen interval).
    """
    return registry.primary_set()


def firth() -> MethodSpec:
    """The Firth OR (also fitted without double-zero studies, a sensitivity analysis)."""
    return registry.spec(*registry.FIRTH_OR)


@dataclass(frozen=True)
class Variant:
    """One sensitivity analysis: its code, its label within the analysis and the method it
    fits.
    """

    code: AnalysisCode | str
    variant: str
    spec: MethodSpec


#: Sensitivity variants fitted to every outcome's studies (leave-one-out and the other multi-arm
#: handling are added per outcome, for its primary method).
_VARIANTS: tuple[Variant, ...] = (
    *(
        Variant(
            AnalysisCode.HKSJ,
            f"HKSJ ad hoc, {e}",
            registry.spec(m, IV, registry.RANDOM, e, hksj=True),
        )
        for m in MEASURES
        for e in TAU2_ESTIMATORS
    ),
    *(
        Variant(AnalysisCode.REVMAN_MH, "0.5 inside MH sums", registry.spec(m, MH, add=0.5))
        for m in ("OR", "RR")
    ),
    *(
        Variant(
            AnalysisCode.CONTINUITY_CORRECTION,
            f"{label}, {name}",
            registry.spec("OR", method, **kw),
        )
        for label, kw in (
            ("0.5", {"add": 0.5}),
            ("0.01", {"add": 0.01}),
            ("treatment-arm", {"add": 0.5, "correction": "treatment_arm"}),
        )
        for method, name in ((IV, f"{IV} common"), (MH, MH))
    ),
)


def sensitivity_variants() -> tuple[Variant, ...]:
    """The variants above, then those the registry's entries declare (:attr:`Method.variants`)."""
    declared = tuple(
        Variant(code, label, spec)
        for entry in registry.METHODS.values()
        for code, label, spec in entry.variants
    )
    return _VARIANTS + declared


#: Sensitivity analyses by the kind of source of the counts (the primary method refitted to the
#: studies whose every count used comes from these kinds): analysis code -> kinds kept. Counts
#: from letters and reviews (``secondary``) or of no stated source are left out of both; the
#: second keeps registry results, the sponsor's own posting of the trial's tables.
SOURCE_SUBSETS: dict[AnalysisCode, frozenset[SourceKind]] = {
    AnalysisCode.PRIMARY_SOURCES: frozenset({SourceKind.PRIMARY}),
    AnalysisCode.PRIMARY_OR_REGISTRY_SOURCES: frozenset({SourceKind.PRIMARY, SourceKind.REGISTRY}),
}


def selected(specs, families: tuple[str, ...]):
    """The specs (or variants) whose method family is in ``families``, in order."""
    return tuple(
        s for s in specs if registry.method(getattr(s, "spec", s).method).family in families
    )


def configured(spec: MethodSpec, options: BayesOptions | None) -> MethodSpec:
    """``spec`` with the configured Bayesian options when it is the Bayesian method (``None``:
    the defaults), unchanged otherwise.
    """
    if spec.method != registry.BAYESIAN or options is None:
        return spec
    return replace(spec, bayes=options)


def prior_variants(
    options: BayesOptions, priors: tuple[BinomialNormalPrior, ...]
) -> tuple[Variant, ...]:
    """The prior-sensitivity analyses: the Bayesian model under each of ``priors`` (labelled
    with its name), with the configured thresholds.
    """
    base = registry.spec("OR", registry.BAYESIAN, registry.RANDOM)
    return tuple(
        Variant(
            AnalysisCode.PRIOR_SENSITIVITY,
            prior.name,
            replace(base, bayes=BayesOptions(prior, options.thresholds)),
        )
        for prior in priors
    )
