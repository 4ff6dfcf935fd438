"""Which methods are fitted for every outcome: the primary set and the sensitivity variants."""

from __future__ import annotations

from dataclasses import dataclass

from raremeta.io.analysis_config import METHOD_FAMILIES, family
from raremeta.io.raw_studies import SourceKind
from raremeta.stats.penalised_likelihood import SPEC as FIRTH_SPEC
from raremeta.stats.results import MethodSpec

__all__ = [
    "FIRTH",
    "METHOD_FAMILIES",
    "PRIMARY_SET",
    "SENSITIVITY_VARIANTS",
    "SOURCE_SUBSETS",
    "Variant",
    "selected",
]

#: The primary set, one pooled row each: MH OR/RR/RD, Peto OR, IV OR/RR/RD common and random
#: (DL, REML, PM), conditional ML OR, median-unbiased OR with exact and mid-p intervals, Firth
#: OR, and the MH RD with the Miettinen-Nurminen interval.
PRIMARY_SET: tuple[MethodSpec, ...] = (
    *(MethodSpec.of(m, "MH") for m in ("OR", "RR", "RD")),
    MethodSpec.of("OR", "Peto"),
    *(MethodSpec.of(m, "IV") for m in ("OR", "RR", "RD")),
    *(
        MethodSpec.of(m, "IV", "random", e)
        for m in ("OR", "RR", "RD")
        for e in ("DL", "REML", "PM")
    ),
    MethodSpec.of("OR", "exact"),
    MethodSpec.of("OR", "exact-conditional"),
    MethodSpec.of("OR", "mid-p"),
    MethodSpec.of("OR", "Firth"),
    MethodSpec.of("RD", "MN"),
)
#: The Firth OR (also fitted without double-zero studies, a sensitivity analysis).
FIRTH = FIRTH_SPEC


@dataclass(frozen=True)
class Variant:
    """One sensitivity analysis: its group (``analysis``), its label and the method it fits."""

    analysis: str
    variant: str
    spec: MethodSpec


#: Sensitivity variants fitted to every outcome's studies (leave-one-out and the other multi-arm
#: handling are added per outcome, for its primary method).
SENSITIVITY_VARIANTS: tuple[Variant, ...] = (
    *(
        Variant(
            "HKSJ interval", f"HKSJ ad hoc, {e}", MethodSpec.of(m, "IV", "random", e, hksj=True)
        )
        for m in ("OR", "RR", "RD")
        for e in ("DL", "REML", "PM")
    ),
    *(
        Variant("RevMan-style MH", "0.5 inside MH sums", MethodSpec.of(m, "MH", add=0.5))
        for m in ("OR", "RR")
    ),
    *(
        Variant("continuity correction", f"{label}, {name}", MethodSpec.of("OR", method, **kw))
        for label, kw in (
            ("0.5", {"add": 0.5}),
            ("0.01", {"add": 0.01}),
            ("treatment-arm", {"add": 0.5, "correction": "treatment_arm"}),
        )
        for method, name in (("IV", "IV common"), ("MH", "MH"))
    ),
)


#: Sensitivity analyses by the kind of source of the counts (the primary method refitted to the
#: studies whose every count used comes from these kinds): variant label -> kinds kept. Counts
#: from letters and reviews (``secondary``) or of no stated source are left out of both; the
#: second keeps registry results, the sponsor's own posting of the trial's tables.
SOURCE_SUBSETS: dict[str, frozenset[SourceKind]] = {
    "primary sources only": frozenset({SourceKind.PRIMARY}),
    "primary or registry sources": frozenset({SourceKind.PRIMARY, SourceKind.REGISTRY}),
}


def selected(specs, families: tuple[str, ...]):
    """The specs (or variants) whose method family is in ``families``, in order."""
    return tuple(s for s in specs if family(getattr(s, "spec", s).method) in families)
