"""The one rule for printed numbers (issue 20, item 6; README "Printed numbers").

Expected strings are the rule applied by hand: three significant digits, every digit of the
integer part, ``m × 10ⁿ`` from 10⁶, and more digits only where two different numbers of one
interval would otherwise print alike.
"""

from __future__ import annotations

import math

import pytest

from raremeta.report.numbers import fmt_ci, fmt_percent, fmt_value, fmt_values


@pytest.mark.parametrize(
    ("x", "printed"),
    [
        (0.14, "0.140"),  # was "0.1" in "5.5 [0.1, 30]": a bound must not lose its only digit
        (0.0014, "0.00140"),  # a rate of 0.014% printed as "0.01%" before
        (36.86, "36.9"),  # Peto's bound printed "36.86" beside "611" and "441"
        (86.23, "86.2"),  # the forest printed "86.23"
        (610.9, "611"),  # every digit of the integer part: not 610
        (1e10, "1.00 × 10¹⁰"),
        (0.09996, "0.100"),  # rounding that carries into a new digit keeps three
        (12345.6, "12,346"),
        (-19.699, "-19.7"),
        (0.0, "0"),
        (math.inf, "∞"),
        (math.nan, "-"),
    ],
)
def test_one_rule_for_every_number(x, printed):
    assert fmt_value(x) == printed


def test_bounds_stay_distinguishable_from_their_neighbours():
    # 1.0041 [1.0012, 1.0078] at three digits would read "1.00 [1.00, 1.01]"
    assert fmt_values([1.0041, 1.0012, 1.0078]) == ["1.004", "1.001", "1.008"]
    assert fmt_values([1.0041, 1.0042, 1.0078]) == ["1.0041", "1.0042", "1.0078"]


def test_intervals_and_percentages():
    # AURA-LV PRES, Firth OR 4.590778 [0.4817419, 610.9152] (pooled_effects.csv, which
    # tests/test_rare_event_reference.py checks against R brglm2)
    assert fmt_ci(4.590778, 0.4817419, 610.9152) == "4.59 [0.482, 611]"
    assert fmt_ci(2.66, 0.326, math.inf) == "2.66 [0.326, ∞)"
    assert fmt_ci(math.nan, 1, 2) == "-"
    # Clopper-Pearson 4/251 = 1.593625% [0.435872%, 4.029821%] (pooled_rates.csv, R binom.test)
    assert fmt_percent(0.01593625, 0.004358724, 0.04029821) == "1.59% [0.436%, 4.03%]"


def test_large_numbers_reach_latex_as_powers_of_ten():
    from raremeta.report.summary import escape_latex

    assert escape_latex(fmt_value(1e10)) == r"1.00 $\times$ 10\textsuperscript{10}"
