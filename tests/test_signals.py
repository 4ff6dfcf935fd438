"""The signal screen (issue 23): every term, organ systems, the exact conditional tests, BH and
the double FDR, against R (tests/reference/signals.R) and hand computations.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT
from test_registry_fetch import RECORD, api  # noqa: F401 (the local registry fixture)

from raremeta.analysis.configuration import analysis_from
from raremeta.analysis.signals import (
    SIGNAL_COLUMNS,
    SignalAnalysis,
    SignalSettings,
    TermStrata,
    screen,
    signal_rows,
    term_strata,
)
from raremeta.cli import main
from raremeta.io.organ_systems import UNCLASSIFIED, soc_mapping, soc_name
from raremeta.io.raw_studies import Arm, EventRecord, Study, load_study
from raremeta.report.signal_plot import chosen_rows, signal_figure
from raremeta.report.signal_summary import signal_summary
from raremeta.stats.multiplicity import double_fdr_2004, double_fdr_2012, double_fdr_c212
from raremeta.stats.stratified_exact import exact_tests
from raremeta.stats.two_by_two import TableStack

REFERENCE = ROOT / "tests" / "reference"
SETTINGS = SignalSettings(alpha=0.1, group_alpha=0.1, min_events=2, top=20,
                          serious_absent_as_zero=False)  # fmt: skip


def _r_float(text: str) -> float:
    return math.nan if text in ("NA", "") else float(text)


# ---- the kernel, by hand -----------------------------------------------------------------------


def test_exact_and_mid_p_of_one_table_by_hand():
    # 3/3 vs 0/3: given 3 events among 6, P(a = 3) = C(3,3)C(3,0)/C(6,3) = 1/20, P(a = 0) =
    # 1/20, P(a = 1) = P(a = 2) = 9/20. Two-sided exact: a = 0 and a = 3 are no more probable
    # than the observed: 2/20 = 0.1 (R fisher.test gives 0.1). Mid-p: 2 * min(19/20 + 1/40,
    # 0 + 1/40) = 1/20 = 0.05.
    res = exact_tests(TableStack.from_arrays([[3]], [[3]], [[0]], [[3]]))
    assert res.p_value[0] == pytest.approx(0.1, rel=1e-12)
    assert res.p_mid[0] == pytest.approx(0.05, rel=1e-12)
    assert res.informative[0] == 1


def test_a_double_zero_trial_changes_nothing_and_absent_trials_are_left_out():
    # the 3/3 vs 0/3 table with a double-zero trial (0/50 vs 0/50) and an absent trial: the
    # conditional distribution is the same, so p = 0.1 and mid-p = 0.05 as above
    stack = TableStack(
        np.array([[3.0, 0.0, 7.0]]),
        np.array([[3.0, 50.0, 9.0]]),
        np.array([[0.0, 0.0, 1.0]]),
        np.array([[3.0, 50.0, 9.0]]),
        np.array([[True, True, False]]),
    )
    res = exact_tests(stack)
    assert res.p_value[0] == pytest.approx(0.1, rel=1e-12)
    assert res.p_mid[0] == pytest.approx(0.05, rel=1e-12)
    assert res.informative[0] == 1


def test_non_integer_counts_have_no_test():
    res = exact_tests(TableStack.from_arrays([[1.5]], [[3]], [[0]], [[3]]))
    assert math.isnan(res.p_value[0]) and math.isnan(res.p_mid[0])


# ---- against R --------------------------------------------------------------------------------


def _reference_terms() -> tuple[list[TermStrata], dict[str, dict[str, str]]]:
    counts = pd.read_csv(REFERENCE / "signals_counts.csv")
    terms = []
    for term, d in counts.groupby("term", sort=True):
        d = d.sort_values("trial")
        terms.append(
            TermStrata(
                str(term), "", d.organ_system.iloc[0], "", tuple(d.trial),
                *(tuple(int(x) for x in d[c]) for c in ("a", "n1", "c", "n2")),
            )
        )  # fmt: skip
    with (REFERENCE / "signals_reference.csv").open() as handle:
        expected = {r["term"]: r for r in csv.DictReader(handle)}
    return terms, expected


def test_every_term_agrees_with_r():
    # tests/reference/signals.R: mantelhaen.test(exact = TRUE) / fisher.test p-values, a mid-p
    # from R's own dhyper convolution, metafor rma.mh odds ratios, p.adjust BH and the double
    # FDR written in R from Mehrotra & Adewale's steps, on 62 generated terms in 12 trials with
    # 4 planted signals (3 nervous-system terms OR 2.2, 1 infection term OR 1.8)
    terms, expected = _reference_terms()
    rows = {r["term"]: r for r in screen(terms, SETTINGS)}
    assert set(rows) == set(expected)
    for term, r in rows.items():
        e = expected[term]
        assert r["k"] == int(e["k"])
        for column in ("events_cni", "n_cni", "events_comparator", "n_comparator"):
            assert r[column] == int(e[column]), (term, column)
        for column in ("p_value", "p_mid"):
            assert r[column] == pytest.approx(float(e[column]), rel=1e-9, abs=1e-300), (
                term,
                column,
            )
        for column in ("p_bh", "p_organ_system", "p_double_fdr"):
            value = _r_float(e[column])
            if math.isnan(value):
                assert math.isnan(r[column]), (term, column)
            else:
                assert r[column] == pytest.approx(value, rel=1e-9), (term, column)
        for column in ("estimate", "ci_low", "ci_high"):
            value = _r_float(e[column])
            if math.isnan(value):
                assert r[column] is None, (term, column)
            else:
                assert r[column] == pytest.approx(value, rel=1e-9), (term, column)
        for column in ("in_family", "flag_bh", "flag_double_fdr"):
            assert r[column] == (e[column] == "TRUE"), (term, column)


def test_the_reference_plants_signals_the_flags_find():
    # signals_reference.csv: BH flags Term 01, 02, 09; the double FDR also Term 17 (its organ
    # system, nervous system disorders, is kept on the strength of Term 09)
    terms, _ = _reference_terms()
    rows = screen(terms, SETTINGS)
    assert sorted(r["term"] for r in rows if r["flag_bh"]) == ["Term 01", "Term 02", "Term 09"]
    assert sorted(r["term"] for r in rows if r["flag_double_fdr"]) == [
        "Term 01", "Term 02", "Term 09", "Term 17",
    ]  # fmt: skip
    one_event = next(r for r in rows if r["term"] == "One event term")
    assert not one_event["in_family"] and math.isnan(one_event["p_bh"])


def test_example_4_1_flags_per_term_agree_with_the_r_implementation():
    # tests/reference/signals_example41.csv: the R script's own implementation of the three
    # variants from the papers' steps (it asserts MHTmult's documented counts 1, 8 and 6)
    frame = pd.read_csv(REFERENCE / "signals_example41.csv")
    p, groups = frame.p.to_numpy(), list(frame.group)
    for variant, column in (
        (double_fdr_2004, "flag_2004"),
        (double_fdr_2012, "flag_2012"),
        (double_fdr_c212, "flag_c212"),
    ):
        assert variant(p, groups, 0.1, 0.1).flag.tolist() == frame[column].tolist(), column


# ---- terms from study folders ----------------------------------------------------------------


def _study(study_id: str, rows: list[tuple], n=(100, 100), **extra) -> Study:
    arms = (
        Arm("t", "T", "cni", "tacrolimus", n[0], "n"),
        Arm("c", "C", "comparator", "mycophenolate", n[1], "n"),
    )
    events = tuple(
        EventRecord(arm, term, count, "src", i + 2, organ_system=organ, table=table,
                    source_kind=kind, n_at_risk=at_risk)
        for i, (arm, term, count, organ, table, kind, at_risk) in enumerate(
            (r + ("", "", "", None)[len(r) - 3 :]) for r in rows
        )
    )  # fmt: skip
    return Study(study_id, study_id.upper(), "c", arms, events, **extra)


CONFIG = analysis_from(ROOT / "config.yaml")


def test_a_trial_enters_a_term_only_where_both_roles_report_it():
    # s1 reports Rash for both arms (2/100 vs 0/100), s2 for the CNI arm only (5/100): an
    # absent comparator count is unknown, never 0, so Rash has k = 1 and 2 CNI events
    studies = [
        _study("s1", [("t", "Rash", 2), ("c", "Rash", 0)]),
        _study("s2", [("t", "Rash", 5)]),
    ]
    (rash,) = term_strata(studies, CONFIG)
    assert (rash.studies, rash.ai, rash.ci) == (("s1",), (2,), (0,))


def test_configured_synonyms_are_one_term_under_the_outcome_label():
    # config.yaml: "Epilepsy" and "Seizure" both count for the outcome seizure (label Seizure)
    studies = [
        _study("s1", [("t", "Epilepsy", 1), ("c", "Epilepsy", 0)]),
        _study("s2", [("t", "Seizure", 2), ("c", "seizure", 1)]),
    ]
    (seizure,) = term_strata(studies, CONFIG)
    label = next(o.label for o in CONFIG.outcomes if o.id == "seizure")
    assert (seizure.term, seizure.outcome, seizure.ai, seizure.ci) == (
        label,
        "seizure",
        (1, 2),
        (0, 1),
    )


def test_serious_and_other_rows_of_one_arm_are_not_added():
    # one arm reports Nausea in the serious (1) and the other table (7): the largest single
    # count, 7, as harmonisation does (a patient may be in both tables)
    studies = [
        _study("s1", [("t", "Nausea", 1, "", "serious"), ("t", "Nausea", 7, "", "other"),
                      ("c", "Nausea", 3, "", "other")]),
    ]  # fmt: skip
    (nausea,) = term_strata(studies, CONFIG)
    assert (nausea.ai, nausea.ci) == ((7,), (3,))


def test_an_organ_system_conflict_takes_the_most_frequent_and_says_so():
    gi, gen = "Gastrointestinal disorders", "General disorders"
    studies = [
        _study(f"s{i}", [("t", "Nausea", 1, organ), ("c", "Nausea", 0, organ)])
        for i, organ in enumerate([gi, gi, gen])
    ] + [_study("s9", [("t", "Rash", 1), ("c", "Rash", 0)])]
    nausea, rash = term_strata(studies, CONFIG)
    assert nausea.organ_system == gi
    assert nausea.organ_system_note == (
        "also given as General disorders and administration site conditions (1 of 3 trials); "
        "the most frequent is used"
    )
    assert (rash.organ_system, rash.organ_system_note) == (UNCLASSIFIED, "")


def test_serious_absent_as_zero_counts_a_missing_registry_serious_row_as_zero():
    # a registry study with a serious table: Sepsis 2/100 serious in the CNI arm, nothing for
    # the comparator in the serious table -> 0/100 in the sensitivity; Headache only in the
    # "other" table is not a serious count at all; the reported screen has no Sepsis (one arm)
    registry = "registry"
    study = _study("r1", [
        ("t", "Sepsis", 2, "", "serious", registry), ("t", "Headache", 9, "", "other", registry),
        ("c", "Headache", 4, "", "other", registry), ("c", "Pneumonia", 1, "", "serious", registry),
    ])  # fmt: skip
    reported = {t.term: t for t in term_strata([study], CONFIG)}
    assert reported["Sepsis"].studies == ()
    serious = {
        t.term: t for t in term_strata([study], CONFIG, SignalAnalysis.SERIOUS_ABSENT_AS_ZERO)
    }
    assert set(serious) == {"Sepsis", "Pneumonia"}
    assert (serious["Sepsis"].ai, serious["Sepsis"].n1i, serious["Sepsis"].ci) == (
        (2,),
        (100,),
        (0,),
    )
    assert (serious["Pneumonia"].ai, serious["Pneumonia"].ci) == ((0,), (1,))
    # an arm whose serious table was not assessed (no serious row at all: the registry's
    # numAtRisk 0) stays unknown: here the comparator of r2, so r2 enters no serious term
    r2 = _study("r2", [
        ("t", "Sepsis", 1, "", "serious", registry, 90),
        ("c", "Headache", 4, "", "other", registry),
    ])  # fmt: skip
    serious = {
        t.term: t for t in term_strata([study, r2], CONFIG, SignalAnalysis.SERIOUS_ABSENT_AS_ZERO)
    }
    assert serious["Sepsis"].studies == ("r1",)
    # the zero's denominator is the arm's serious-table numAtRisk (r3: 80 of its 100)
    r3 = _study("r3", [
        ("t", "Sepsis", 3, "", "serious", registry, 85),
        ("c", "Pneumonia", 0, "", "serious", registry, 80),
    ])  # fmt: skip
    serious = {t.term: t for t in term_strata([r3], CONFIG, SignalAnalysis.SERIOUS_ABSENT_AS_ZERO)}
    assert (serious["Sepsis"].ai, serious["Sepsis"].n1i) == ((3,), (85,))
    assert (serious["Sepsis"].ci, serious["Sepsis"].n2i) == ((0,), (80,))
    settings = SignalSettings.of({"serious_absent_as_zero": True})
    rows = signal_rows([study], CONFIG, settings)
    assert {r["analysis"] for r in rows} == {"reported", "serious_absent_as_zero"}


def test_same_participants_study_is_left_out():
    studies = [
        _study("s1", [("t", "Rash", 2), ("c", "Rash", 0)]),
        _study("s2", [("t", "Rash", 5), ("c", "Rash", 0)], same_participants_as="s1"),
    ]
    (rash,) = term_strata(studies, CONFIG)
    assert rash.studies == ("s1",)


def test_settings_defaults_come_from_the_schema():
    # workflow/schemas/config.schema.yaml signals: alpha 0.1, group_alpha 0.1, min_events 2,
    # top 20, serious_absent_as_zero false
    assert SignalSettings.of(None) == SETTINGS
    assert SignalSettings.of({"alpha": 0.05}).alpha == 0.05


# ---- organ systems -----------------------------------------------------------------------------


def test_the_mapping_file_has_the_27_soc_names_and_a_source():
    # MedDRA 19.0 and later: 27 system organ classes
    mapping = soc_mapping()
    assert len(mapping.names) == 27 == len(set(mapping.names))
    assert "Product issues" in mapping.names and "MedDRA" in mapping.source


def test_registry_spellings_map_and_unmatched_names_are_kept():
    assert soc_name("General disorders") == (
        "General disorders and administration site conditions", True,
    )  # fmt: skip
    assert soc_name("Product Issues") == ("Product issues", True)
    assert soc_name("NERVOUS SYSTEM DISORDERS") == ("Nervous system disorders", True)
    assert soc_name("Something else") == ("Something else", False)


def test_import_fills_organ_system_from_the_record(tmp_path):
    # NCT00716976 (tests/fixtures/ctgov): RPLS is listed under "Nervous system disorders"
    raw = tmp_path / "raw"
    command = ["import-ctgov", str(RECORD), "--study-id", "accl0431", "--raw-dir", str(raw)]
    command += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    command += ["--drug", "EG000=thiosulfate", "--drug", "EG001=observation"]
    assert main(command) == 0
    study = load_study(raw / "accl0431")
    organs = {r.term: r.organ_system for r in study.events}
    assert organs["Reversible posterior leukoencephalopathy syndrome"] == "Nervous system disorders"
    names = set(soc_mapping().names)
    assert set(organs.values()) <= names  # every organSystem of this record maps to a SOC
    saved = yaml.safe_load((raw / "accl0431" / "registry_import.yaml").read_text())
    assert saved["importer_version"] == 2


def test_unmatched_organ_system_is_kept_and_noted(tmp_path):
    record = json.loads(RECORD.read_text())
    record["resultsSection"]["adverseEventsModule"]["seriousEvents"][0]["organSystem"] = "Odd"
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    raw = tmp_path / "raw"
    command = ["import-ctgov", str(path), "--study-id", "accl0431", "--raw-dir", str(raw)]
    command += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    command += ["--drug", "EG000=thiosulfate", "--drug", "EG001=observation"]
    assert main(command) == 0
    assert "Odd" in {r.organ_system for r in load_study(raw / "accl0431").events}
    assert "organ system 'Odd' is not a MedDRA system organ class name" in (
        (raw / "accl0431" / "REGISTRY.md").read_text()
    )


def test_refresh_reimports_an_import_of_an_older_importer(tmp_path, api):  # noqa: F811
    # the record is unchanged, but the folder was written by importer version 1 (no
    # organ_system column, no importer_version): refresh re-imports it; a second refresh
    # changes nothing
    raw = tmp_path / "raw"
    command = ["import-ctgov", str(RECORD), "--study-id", "accl0431", "--raw-dir", str(raw)]
    command += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    command += ["--drug", "EG000=thiosulfate", "--drug", "EG001=observation"]
    assert main(command) == 0
    folder = raw / "accl0431"
    current = {p.name: p.read_bytes() for p in folder.iterdir()}
    events = pd.read_csv(folder / "adverse_events.csv", dtype=str, keep_default_na=False)
    events.drop(columns="organ_system").to_csv(folder / "adverse_events.csv", index=False)
    saved = yaml.safe_load((folder / "registry_import.yaml").read_text())
    del saved["importer_version"]
    (folder / "registry_import.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == current
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == current


# ---- outputs ----------------------------------------------------------------------------------


def test_the_figure_draws_flagged_terms_first_then_the_smallest_p_values():
    terms, _ = _reference_terms()
    rows = screen(terms, SETTINGS)
    shown = chosen_rows(rows, top=6)
    # 4 flagged (above) + the 2 smallest other p-values: "Single trial term" (p 0.063, no odds
    # ratio: last) and Term 32 (p 0.076); sorted by odds ratio, largest first
    assert len(shown) == 6
    assert {r["term"] for r in shown} >= {"Term 01", "Term 02", "Term 09", "Term 17"}
    assert shown[-1]["term"] == "Single trial term"
    estimates = [r["estimate"] for r in shown[:-1]]
    assert estimates == sorted(estimates, reverse=True)
    signal_figure(rows, 6)  # draws without error


def test_the_summary_names_flagged_terms_as_screening(tmp_path):
    terms, _ = _reference_terms()
    path = tmp_path / "ae_signals.csv"
    from raremeta.io.intermediate import rows_to_csv

    path.write_text(rows_to_csv(SIGNAL_COLUMNS, screen(terms, SETTINGS)))
    section = signal_summary(pd.read_csv(path), 0.1, 0.1, 2)
    assert "screening, not confirmation" in section.lead
    assert "The trials report few terms" not in section.lead  # 61 terms in the family
    assert [item.split(" (")[0] for item in section.items] == [
        "Term 02", "Term 09", "Term 01", "Term 17",
    ]  # fmt: skip
    assert section.items[3].endswith("flagged by double FDR by organ system")


def test_seed_table_and_summary_say_the_seed_has_few_terms():
    # the committed results of the seed: PRES (4/177 vs 0/88, AURA-LV alone: R
    # fisher.test(matrix(c(4, 173, 0, 88), 2))$p.value = 0.3050829) and Seizure (1 event,
    # outside the family)
    table = pd.read_csv(ROOT / "results" / "tables" / "ae_signals.csv")
    assert list(table.columns) == SIGNAL_COLUMNS
    pres = table.set_index("outcome").loc["pres"]
    assert pres.p_value == pytest.approx(0.3050829432, rel=1e-9)
    summary = (ROOT / "results" / "tables" / "summary.md").read_text()
    assert "screening, not confirmation" in summary
    assert "The trials report few terms (1 in the family)" in summary


def test_r_reference_files_are_present():
    for name in ("signals.R", "signals_counts.csv", "signals_reference.csv",
                 "signals_example41.csv"):  # fmt: skip
        assert (REFERENCE / name).is_file()
    assert Path(REFERENCE / "signals.R").read_text().startswith("#!/usr/bin/env Rscript")
