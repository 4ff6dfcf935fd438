"""Which pooled row is an outcome's primary estimate: the configured one, or the stated rule.

``primary: auto`` (the default) applies, on the studies in the comparison:

(a) no events in any arm of any study: no odds ratio is estimable or meaningful, so the risk
    difference (Mantel-Haenszel estimate, Miettinen-Nurminen score interval) is primary;
(b) the Mantel-Haenszel odds ratio is finite and positive (Σ aᵢdᵢ/Nᵢ > 0 and Σ bᵢcᵢ/Nᵢ > 0):
    the MH OR, without continuity correction (Cochrane Handbook 10.4.4.2; Bradburn et al. 2007);
(c) otherwise (e.g. no events in any comparator arm): the Firth penalised-likelihood OR, which
    is finite for any data and needs no continuity correction (Evrenoglou et al. 2022).

The rule never selects the Peto OR, which is biased with unbalanced arms or large effects
(Greenland & Salvan 1990; Sweeting et al. 2004; Bradburn et al. 2007).

References
----------
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions, version
6.4, 2023, section 10.4.4.
Bradburn MJ, Deeks JJ, Berlin JA, Localio AR. Much ado about nothing: a comparison of the
performance of meta-analytical methods with rare events. Stat Med 2007;26:53-77.
Sweeting MJ, Sutton AJ, Lambert PC. What to add to nothing? Stat Med 2004;23:1351-75.
Efthimiou O. Practical guide to the meta-analysis of rare events. Evid Based Ment Health
2018;21:72-6.
Evrenoglou T, White IR, Afach S, Mavridis D, Chaimani A. Network meta-analysis of rare events
using penalized likelihood regression. Stat Med 2022;41:5203-19.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from raremeta.analysis.table_keys import PrimaryRule
from raremeta.io.analysis_config import PrimaryChoice
from raremeta.stats import registry
from raremeta.stats.engine import fit
from raremeta.stats.results import MethodSpec
from raremeta.stats.two_by_two import Tables

MH_OR = registry.spec(*registry.MH_OR)
FIRTH_OR = registry.spec(*registry.FIRTH_OR)
MN_RD = registry.spec(*registry.MN_RD)

#: The method each branch of the rule chooses.
RULE_METHOD = {
    PrimaryRule.NO_COMPARABLE_STUDY: MH_OR,
    PrimaryRule.NO_EVENTS: MN_RD,
    PrimaryRule.MH_OR_FINITE: MH_OR,
    PrimaryRule.MH_OR_NOT_FINITE: FIRTH_OR,
}


@dataclass(frozen=True)
class Primary:
    """The primary method of one outcome and the rule that chose it."""

    spec: MethodSpec
    rule: PrimaryRule


def auto_rule(tables: Tables | None) -> PrimaryRule:
    """The branch of the rule (module docstring) that ``tables`` fall in."""
    if tables is None or tables.k == 0:
        return PrimaryRule.NO_COMPARABLE_STUDY
    if not np.any(tables.ai + tables.ci > 0):
        return PrimaryRule.NO_EVENTS
    # the MH kernel reports an infinite or zero OR (Σ aᵢdᵢ/Nᵢ or Σ bᵢcᵢ/Nᵢ is 0) as not estimable
    mh = fit(tables, MH_OR)
    if mh.estimable and mh.estimate > 0:
        return PrimaryRule.MH_OR_FINITE
    return PrimaryRule.MH_OR_NOT_FINITE


def choose_primary(tables: Tables | None, configured: PrimaryChoice | None) -> Primary:
    """The configured primary method, or (``configured`` None) the rule's choice."""
    if configured is not None:
        return Primary(registry.spec(*configured.key), PrimaryRule.CONFIGURED)
    rule = auto_rule(tables)
    return Primary(RULE_METHOD[rule], rule)
