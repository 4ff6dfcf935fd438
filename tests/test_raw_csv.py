"""What the job graph reads of a study before its job validates it (issue 19, item 4):
``raw_csv.column_values``, the strict reader's own tokenizer, never raises, and it gives no
terms (the study then counts as reporting every outcome) exactly for the files whose layout the
strict reader rejects. Expected values: the bad-input corpus (tests/bad_inputs/*/case.yaml says
what each file is) and the seed's own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from raremeta.io.raw_csv import column_values, read_table

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted((ROOT / "tests/bad_inputs").glob("*/overlay/**/adverse_events.csv"))
#: The corpus files whose layout is rejected whatever the schema: no terms for the job graph.
LAYOUT_REJECTED = {"empty-file", "non-utf8", "ragged-row", "unclosed-quote", "wrong-delimiter"}


def test_the_corpus_has_the_layout_cases():
    assert {p.parts[-6] for p in CORPUS} >= LAYOUT_REJECTED


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.parts[-6])
def test_no_terms_exactly_where_the_strict_reader_rejects_the_layout(path):
    terms = column_values(path.read_bytes(), "term")  # must not raise
    _, problems = read_table(path, "adverse_events", str(path))
    if path.parts[-6] in LAYOUT_REJECTED:
        assert terms is None and problems
    else:
        assert isinstance(terms, list)


@pytest.mark.parametrize(
    "raw", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n", b"  \n", b"\x00\x00", b'"', b"term\n\xff"]
)
def test_no_terms_and_no_exception_for_degenerate_files(raw):
    assert column_values(raw, "term") is None


@pytest.mark.parametrize("study", ["aura-lv", "liu-2015", "mok-2016"])
def test_the_seed_terms_are_the_validated_ones(study):
    path = ROOT / "data/raw" / study / "adverse_events.csv"
    rows, problems = read_table(path, "adverse_events", str(path))
    assert problems == []
    assert column_values(path.read_bytes(), "term") == [row.values["term"] for row in rows]


def test_the_job_graph_and_harmonisation_find_the_same_outcomes():
    # review of issue 19: common.smk plans a study's outcomes from its raw terms
    # (AnalysisConfig.outcomes_of_terms); harmonisation must report rows for exactly those
    # (data/processed/harmonised.csv, rows with reported = true, written by the pipeline)
    import pandas as pd

    from raremeta.analysis.configuration import load_config

    config = load_config(ROOT / "config.yaml")
    harmonised = pd.read_csv(ROOT / "data/processed/harmonised.csv", dtype=str)
    reported = harmonised[harmonised["reported"] == "true"]
    for study in ("aura-lv", "liu-2015", "mok-2016"):
        raw = (ROOT / "data/raw" / study / "adverse_events.csv").read_bytes()
        planned = config.outcomes_of_terms(column_values(raw, "term"))
        assert planned == set(reported[reported["study"] == study]["outcome"]), study
    # the seed (data/raw): AURA-LV and Mok 2016/2020 report PRES, Liu 2015 seizures
    assert [config.outcomes_of_terms([t]) for t in ("PRES", "Convulsions", "Headache")] == [
        {"pres"},
        {"seizure"},
        set(),
    ]
