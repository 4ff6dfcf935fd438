from __future__ import annotations

import pandas as pd

from raremeta.harmonise.quality import percent_mismatch
from raremeta.io.terms import normalise_term
from raremeta.io.writing import format_cell, frame_to_csv


def test_matching_ignores_case_spacing_hyphens_and_ise():
    assert normalise_term("Generalised  Tonic-Clonic seizure") == normalise_term(
        "generalized tonic clonic Seizure"
    )
    assert normalise_term("Posterior reversible\u2013encephalopathy") == (
        "posterior reversible encephalopathy"
    )


def test_letter_percentage_slip_is_flagged():
    # Xu 2020: "48 out of 150 patients (28%)"; 48/150 = 32.0%
    assert percent_mismatch(48, 150, 28) == "48/150 is 32.0%, not the reported 28%"
    # Mok 2022: "four (2.7%)" of 150 = 2.67%, agrees at one decimal
    assert percent_mismatch(4, 150, 2.7) is None


def test_cells_are_deterministic_and_spreadsheet_safe():
    assert format_cell(0.1 + 0.2) == "0.3"
    assert format_cell(float("nan")) == ""
    assert format_cell(None) == ""
    assert format_cell(False) == "false"
    assert format_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert format_cell(-0.5) == "-0.5"  # numbers are never prefixed
    text = frame_to_csv(pd.DataFrame({"a": [1, None], "b": ["x,y", "@z"]}))
    assert text == 'a,b\n1,"x,y"\n,\'@z\n'
