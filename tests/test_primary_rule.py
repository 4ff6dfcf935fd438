"""The primary-method rule of issue 11 (README, "Choice of primary method"), the absolute effects
table and the seed summary's headline.

The branches are decided from the 2x2 counts alone; the expected branch of each case is worked
out by hand from the rule's definition (stated beside each case). Numbers come from outside:
Clopper-Pearson bounds from R 4.2.2 ``binom.test`` (tests/reference/stats_core.csv), the MN
interval of AURA-LV from tests/reference/rare_event_reference.csv (an independent R
implementation) and the issue's printed values.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from raremeta.analysis.primary_rule import PrimaryRule, auto_rule, choose_primary
from raremeta.io.analysis_config import PrimaryChoice
from raremeta.stats.two_by_two import Tables

REFERENCE = Path(__file__).parent / "reference"


@pytest.mark.parametrize(
    ("counts", "rule", "method"),
    [
        # (a) no events anywhere: 0/177 vs 0/88 and 0/50 vs 0/50 -> the MN risk difference
        (([0, 0], [177, 50], [0, 0], [88, 50]), PrimaryRule.NO_EVENTS, ("RD", "MN")),
        # (b) sum a*d/N = 3*48/100 > 0 and sum b*c/N = 47*2/100 > 0 -> MH OR
        (([3], [50], [2], [50]), PrimaryRule.MH_OR_FINITE, ("OR", "MH")),
        # (b) across studies: study 1 has only CNI events, study 2 only comparator events; both
        # sums are positive, so the MH OR is finite although each study's own OR is not
        (([2, 0], [40, 40], [0, 1], [40, 40]), PrimaryRule.MH_OR_FINITE, ("OR", "MH")),
        # (c) AURA-LV PRES 4/177 vs 0/88: no comparator events, sum b*c/N = 0 -> Firth
        (([4], [177], [0], [88]), PrimaryRule.MH_OR_NOT_FINITE, ("OR", "Firth")),
        # (c) every CNI arm without events: sum a*d/N = 0 -> Firth
        (([0, 0], [30, 40], [1, 2], [30, 40]), PrimaryRule.MH_OR_NOT_FINITE, ("OR", "Firth")),
        # (c) every patient of every comparator arm had the event: sum a*d/N = 0 -> Firth
        (([1], [10], [10], [10]), PrimaryRule.MH_OR_NOT_FINITE, ("OR", "Firth")),
    ],
)
def test_auto_rule_branches(counts, rule, method):
    tables = Tables.from_counts(*counts)
    assert auto_rule(tables) == rule
    chosen = choose_primary(tables, None)
    assert (chosen.spec.measure, chosen.spec.method, chosen.rule) == (*method, rule)
    assert chosen.spec.method != "Peto"


def test_no_study_and_configured_primary():
    assert choose_primary(None, None).rule == PrimaryRule.NO_COMPARABLE_STUDY
    # an explicit primary wins even where it cannot be estimated (no comparator events)
    configured = PrimaryChoice("OR", "MH", "common")
    chosen = choose_primary(Tables.from_counts([4], [177], [0], [88]), configured)
    assert chosen.rule == PrimaryRule.CONFIGURED and chosen.spec.key == configured.key


def test_absolute_effects_of_aura_lv():
    from raremeta.analysis.fitting import fit_outcome
    from raremeta.analysis.outcome_data import OutcomeData
    from raremeta.analysis.result_tables import absolute_effects

    tables = Tables.from_counts([4], [177], [0], [88], ["aura-lv"])
    data = OutcomeData("pres", tables, {}, {"aura-lv": {}}, {"aura-lv": "AURA-LV"})
    primary = choose_primary(tables, None)
    row = absolute_effects(data, fit_outcome(data, primary.spec), primary).iloc[0]
    # R: binom.test(4, 177)$conf.int = [0.006190969, 0.05684868]; binom.test(0, 88) upper
    # 0.04105263 (tests/reference/stats_core.csv); per 1,000
    assert row.risk_cni_per_1000 == pytest.approx(1000 * 4 / 177, rel=1e-12)
    assert row.risk_cni_ci_low_per_1000 == pytest.approx(6.190969, rel=1e-6)
    assert row.risk_cni_ci_high_per_1000 == pytest.approx(56.84868, rel=1e-6)
    assert row.risk_comparator_per_1000 == 0 and row.risk_comparator_ci_low_per_1000 == 0
    assert row.risk_comparator_ci_high_per_1000 == pytest.approx(41.05263, rel=1e-6)
    # MN interval, the issue's [-0.020, 0.057] and the R reference to 1e-6
    ref = pd.read_csv(REFERENCE / "rare_event_reference.csv")
    mn = ref[(ref.dataset == "seed_pres_auralv") & (ref.method == "MN")].set_index("quantity")
    assert row.rd_ci_low_per_1000 == pytest.approx(1000 * mn.value["ci_low"], rel=1e-6)
    assert row.rd_ci_high_per_1000 == pytest.approx(1000 * mn.value["ci_high"], rel=1e-6)
    assert round(row.rd_ci_low_per_1000) == -20 and round(row.rd_ci_high_per_1000) == 57
    assert row.rd_ci_method == "Miettinen-Nurminen score (MH weights)"
    assert row.primary_rule == "auto_mh_or_not_finite"
    assert math.isclose(row.rd_per_1000, 1000 * 4 / 177, rel_tol=1e-12)
