"""Benjamini-Hochberg and the three double-FDR variants (raremeta.stats.multiplicity)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from raremeta.stats.multiplicity import (
    DOUBLE_FDR,
    bh_adjust,
    double_fdr_2004,
    double_fdr_2012,
    double_fdr_c212,
)

#: Mehrotra & Adewale (2012), Example 4.1: the p-values of 42 adverse events in 6 body systems,
#: as the R MHTmult documentation of DFDR.p.adjust and DFDR2.p.adjust gives them.
EXAMPLE_4_1 = [
    [0.031, 0.023, 0.029, 0.005, 0.031, 0.000, 0.874, 0.399, 0.293, 0.077],
    [0.216, 0.843, 0.864],
    [1, 0.878, 0.766, 0.598, 0.011, 0.864],
    [0.889, 0.557, 0.767, 0.009, 0.644],
    [1, 0.583, 0.147, 0.789, 0.217, 1, 0.02, 0.784, 0.579, 0.439],
    [0.898, 0.619, 0.193, 0.806, 0.611, 0.526, 0.702, 0.196],
]
P = np.concatenate(EXAMPLE_4_1)
GROUPS = [f"b{i}" for i, group in enumerate(EXAMPLE_4_1) for _ in group]


def test_bh_hand_computed():
    # sorted 0.01, 0.03, 0.04 of n = 3: 0.01*3/1 = 0.03, 0.03*3/2 = 0.045 -> min(0.045, 0.04)
    # = 0.04, 0.04*3/3 = 0.04; the NaN is not in the family
    out = bh_adjust([0.01, 0.04, 0.03, math.nan])
    assert out[:3] == pytest.approx([0.03, 0.04, 0.04], abs=1e-15)
    assert math.isnan(out[3])


def test_bh_caps_at_one_and_empty():
    # 0.9 * 2 / 1 = 1.8 -> 1 (R caps at 1); 0.8 * 2 / 2 = 0.8... cumulative min from the top
    assert bh_adjust([0.9, 0.8]).tolist() == [0.9, 0.9]
    assert bh_adjust([]).tolist() == []


def test_example_4_1_counts_at_0_1():
    # MHTmult documentation: sum(p.adjust(unlist(pval), "BH") <= 0.1) is 1,
    # sum(unlist(DFDR.p.adjust(pval, t = 0.1)) <= 0.1) is 8 (2004),
    # sum(unlist(DFDR2.p.adjust(pval, t = 0.1)) <= 0.1) is 6 (2012)
    assert int((bh_adjust(P) <= 0.1).sum()) == 1
    assert int(double_fdr_2004(P, GROUPS, 0.1, 0.1).flag.sum()) == 8
    assert int(double_fdr_2012(P, GROUPS, 0.1, 0.1).flag.sum()) == 6


def test_example_4_1_which_groups():
    # 2004: representatives are the raw minima 0, 0.216, 0.011, 0.009, 0.02, 0.193; BH of these
    # (n = 6): 0; 0.009*6/2 = 0.027; 0.011*6/3 = 0.022; 0.02*6/4 = 0.03; 0.193*6/5 = 0.2316;
    # 0.216*6/6 = 0.216 -> groups b0, b2, b3, b4 kept at 0.1. Within b0 (sorted 0, 0.005,
    # 0.023, 0.029, 0.031, 0.031, 0.077, ...): rank 6 0.031*10/6 = 0.0517, rank 7 0.077*10/7 =
    # 0.11 -> 6 flagged; b2 0.011*6 = 0.066 (1); b3 0.009*5 = 0.045 (1); b4 0.02*10 = 0.2 (0):
    # 8 in all.
    res = double_fdr_2004(P, GROUPS, 0.1, 0.1)
    kept = sorted({g for g, k in zip(GROUPS, res.group_kept, strict=True) if k})
    assert kept == ["b0", "b2", "b3", "b4"]
    # 2012: representatives are within-group BH minima: b0 0*10 = 0; b1 0.216*3 = 0.648;
    # b2 0.011*6 = 0.066; b3 0.009*5 = 0.045; b4 0.02*10 = 0.2; b5 0.193*8/1 = 1.544 ->
    # min over ranks = 0.196*8/2 = 0.784. BH of (0, 0.648, 0.066, 0.045, 0.2, 0.784): 0;
    # 0.045*6/2 = 0.135; 0.066*6/3 = 0.132 -> 0.132; ... so only b0 is kept at 0.1, and its 6
    # BH flags (above) are the 6.
    res = double_fdr_2012(P, GROUPS, 0.1, 0.1)
    kept = sorted({g for g, k in zip(GROUPS, res.group_kept, strict=True) if k})
    assert kept == ["b0"]
    assert res.p_group[0] == pytest.approx(0.0, abs=1e-15)


def test_constructed_case_separates_2012_from_c212():
    # A = (0.03, 0.04), B = (0.001, 0.9, 0.9, 0.9), both thresholds 0.05.
    # 2012: BH within A: 0.03*2/1 = 0.06 -> min(0.06, 0.04) = 0.04; 0.04*2/2 = 0.04; min 0.04.
    # BH within B: 0.001*4 = 0.004. BH over the representatives (0.04, 0.004): 0.004*2/1 =
    # 0.008, 0.04*2/2 = 0.04: both groups kept; flags: A 0.04, 0.04 <= 0.05 (2), B 0.004 (1) = 3.
    # c212: BH over the 6 pooled: 0.001*6 = 0.006; 0.03*6/2 = 0.09, 0.04*6/3 = 0.08 -> 0.08;
    # 0.9: 0.9 -> only the first flagged = 1.
    p = [0.03, 0.04, 0.001, 0.9, 0.9, 0.9]
    groups = list("AABBBB")
    r2012 = double_fdr_2012(p, groups, 0.05, 0.05)
    rc212 = double_fdr_c212(p, groups, 0.05, 0.05)
    assert r2012.flag.tolist() == [True, True, True, False, False, False]
    assert rc212.flag.tolist() == [False, False, True, False, False, False]
    assert rc212.p_adjusted[:3] == pytest.approx([0.08, 0.08, 0.006], abs=1e-15)
    assert r2012.p_adjusted[:3] == pytest.approx([0.04, 0.04, 0.004], abs=1e-15)


def test_untested_terms_are_outside_every_family():
    # the NaN term of group A is not counted: A alone is (0.01,) -> 0.01; B (0.02,) -> 0.02;
    # BH over (0.01, 0.02): 0.02, 0.02: both kept at 0.05
    res = double_fdr_2012([0.01, math.nan, 0.02], ["A", "A", "B"], 0.05, 0.05)
    assert res.flag.tolist() == [True, False, True]
    assert math.isnan(res.p_adjusted[1]) and math.isnan(res.p_group[1])


def test_pipeline_uses_2012():
    assert DOUBLE_FDR is double_fdr_2012
