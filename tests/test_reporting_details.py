"""Issue 20, items 14, 16, 17 and 18: arm populations, why an outcome has no count ("not found"
is not "not reported"), the baseline-characteristics table and the TMA and hypertension
outcomes. Expected values come from the seed's extraction records (``data/raw/*/EXTRACTION.md``
and the form ``tests/fixtures/extraction/seed_trials.csv``, status column) or are worked by hand
in the test.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from raremeta.harmonise.outcome_rows import population_code
from raremeta.harmonise.quality import percent_check
from raremeta.harmonise.reporting import REPORTING_COLUMNS, missing_arms, reporting_rows
from raremeta.harmonise.study_table import characteristic_rows, study_facts
from raremeta.io.analysis_config import load_config
from raremeta.io.errors import InvalidInputError
from raremeta.io.raw_studies import PercentCheck, Population, ReportingDetail, Role, load_study
from raremeta.io.results_reading import reporting_details
from raremeta.io.terms import normalise_term
from raremeta.io.writing import csv_text

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT / "config.yaml")


def seed_study(name: str):
    return load_study(ROOT / "data" / "raw" / name, f"data/raw/{name}")


def write_study(folder: Path, arms: list[dict], reporting: dict | None = None, events=()) -> Path:
    """A minimal study folder: ``arms`` (id, role, optional population), ``events`` rows
    (arm, term, events)."""
    folder.mkdir(parents=True)
    document = {
        "id": folder.name,
        "label": "Test",
        "citation": "Test citation",
        "arms": [
            {"label": a["id"], "drug": a.get("drug", a["id"]), "n": 100, "n_basis": "t", **a}
            for a in arms
        ],
    }
    if reporting is not None:
        document["reporting"] = reporting
    (folder / "study.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    events = events or [(arms[0]["id"], "Nausea", 0)]  # a file needs a row; no outcome's term
    rows = [[arm, term, str(events), "Source"] for arm, term, events in events]
    (folder / "adverse_events.csv").write_text(csv_text(["arm", "term", "events", "source"], rows))
    return folder


# item 14: population -------------------------------------------------------------------------


def test_seed_populations_follow_the_extraction_records():
    # EXTRACTION.md: AURA-LV "These are randomised numbers"; Liu 2015 "safety population, from
    # the abstract's 50.3% (91 of 181)"; Mok "Randomised numbers"
    expected = {
        "aura-lv": ("randomised", "randomised"),
        "liu-2015": ("safety", "safety"),
        "mok-2016": ("randomised", "randomised"),
    }
    for name, (cni, comparator) in expected.items():
        facts = study_facts(seed_study(name))
        assert (facts["population_cni"], facts["population_comparator"]) == (cni, comparator)


def test_population_is_typed_and_absent_stays_empty(tmp_path):
    folder = write_study(
        tmp_path / "t",
        [{"id": "a", "role": "cni", "population": "safety"}, {"id": "b", "role": "comparator"}],
    )
    study = load_study(folder)
    assert study.arm("a").population is Population.SAFETY
    assert study.arm("b").population is None  # not stated: never guessed
    facts = study_facts(study)
    assert (facts["population_cni"], facts["population_comparator"]) == ("safety", "")


def test_population_code_of_several_arms(tmp_path):
    # by hand: codes in enum order safety, randomised, other; not_stated last when some arm
    # states none
    folder = write_study(
        tmp_path / "t",
        [
            {"id": "a", "role": "cni", "population": "randomised"},
            {"id": "b", "role": "cni", "population": "safety"},
            {"id": "c", "role": "cni"},
            {"id": "d", "role": "comparator"},
        ],
    )
    study = load_study(folder)
    assert population_code(study.arms_of("cni")) == "safety;randomised;not_stated"
    assert population_code(study.arms_of("comparator")) == ""


# item 16: reporting details ------------------------------------------------------------------


def _matrix(study, outcomes=None):
    from raremeta.harmonise.outcome_rows import harmonise_study

    rows, _ = harmonise_study(study, CONFIG)
    missing, problems, _ = missing_arms(study, CONFIG)
    assert not problems
    ids = outcomes or [o.id for o in CONFIG.outcomes]
    return {r["outcome"]: r for r in reporting_rows(study.id, study.label, rows, ids, missing)}


def test_seed_reporting_details_follow_the_extraction_form():
    # seed_trials.csv status column: AURA-LV seizure not_found (both arms), Liu PRES not_found,
    # Mok MMF arm PRES not_reported, Mok seizure not_found
    aura, liu, mok = (_matrix(seed_study(s)) for s in ("aura-lv", "liu-2015", "mok-2016"))
    assert aura["seizure"]["reporting_detail"] == "cni:not_found;comparator:not_found"
    assert aura["pres"]["reporting_detail"] == ""  # both arms reported
    assert liu["pres"]["reporting_detail"] == "cni:not_found;comparator:not_found"
    assert mok["pres"]["reporting_detail"] == "comparator:not_reported"
    assert mok["seizure"]["reporting_detail"] == "cni:not_found;comparator:not_found"
    details = reporting_details(mok["pres"])
    assert list(details) == [Role.COMPARATOR]
    assert details[Role.COMPARATOR].detail is ReportingDetail.NOT_REPORTED
    assert "tacrolimus arm only" in details[Role.COMPARATOR].reason
    # item 18: the new outcomes are not found in any seed trial
    for matrix in (aura, liu, mok):
        for outcome in ("tma", "hypertension"):
            assert matrix[outcome]["reported"] == "neither"
            assert matrix[outcome]["reporting_detail"] == "cni:not_found;comparator:not_found"


def test_undeclared_detail_is_unspecified_and_several_arms_are_joined(tmp_path):
    folder = write_study(
        tmp_path / "t",
        [
            {"id": "a", "role": "cni"},
            {"id": "b", "role": "cni"},
            {"id": "c", "role": "comparator"},
        ],
        reporting={"pres": {"a": {"detail": "not_found", "orbit": "H", "reason": "x; y: z"}}},
        events=[("c", "PRES", 0)],
    )
    row = _matrix(load_study(folder), ["pres", "seizure"])
    # pres: the comparator reported; CNI arm a not_found, arm b says nothing
    assert row["pres"]["reporting_detail"] == "cni:not_found+unspecified"
    assert row["pres"]["reporting_orbit"] == "cni:H"
    assert json.loads(row["pres"]["reporting_reason"]) == {"cni": "x; y: z"}
    assert row["seizure"]["reporting_detail"] == "cni:unspecified;comparator:unspecified"
    assert row["seizure"]["reporting_orbit"] == row["seizure"]["reporting_reason"] == ""
    # through the CSV and back: a reason with ';' and ':' survives (JSON cell)
    text = csv_text(REPORTING_COLUMNS, [[row["pres"][c] for c in REPORTING_COLUMNS]])
    (read,) = list(csv.DictReader(text.splitlines()))
    details = reporting_details(read)
    assert details[Role.CNI].details == (ReportingDetail.NOT_FOUND, ReportingDetail.UNSPECIFIED)
    assert details[Role.CNI].detail is None  # the arms differ
    assert details[Role.CNI].orbit == ("H",)
    assert details[Role.CNI].reason == "x; y: z"


def test_reporting_rows_without_per_arm_rows_say_unspecified():
    harmonised = [
        {"outcome": "pres", "role": "cni", "reported": True},
        {"outcome": "pres", "role": "comparator", "reported": False},
    ]
    (row,) = reporting_rows("s", "S", harmonised, ["pres"])
    assert row["reported"] == "one_arm"
    assert row["reporting_detail"] == "comparator:unspecified"


def test_detail_for_an_arm_that_reported_is_an_error(tmp_path):
    folder = write_study(
        tmp_path / "t",
        [{"id": "a", "role": "cni"}, {"id": "c", "role": "comparator"}],
        reporting={"seizure": {"a": {"detail": "not_reported"}}},
        events=[("a", "Convulsion", 1)],
    )
    _, problems, _ = missing_arms(load_study(folder), CONFIG)
    assert [str(p) for p in problems] == [
        f"{folder}/study.yaml, column 'reporting.seizure.a.detail', value 'not_reported': arm "
        "'a' reports outcome 'seizure' in adverse_events.csv, so it cannot also be "
        "'not_reported'"
    ]


def test_unconfigured_outcome_is_logged_not_refused(tmp_path):
    folder = write_study(
        tmp_path / "t",
        [{"id": "a", "role": "cni"}, {"id": "c", "role": "comparator"}],
        reporting={"seizures": {"a": {"detail": "not_found"}}},  # a typo of 'seizure'
    )
    _, problems, log = missing_arms(load_study(folder), CONFIG)
    assert problems == []
    assert [r["kind"] for r in log] == ["unconfigured_outcome"]
    assert "'seizures'" in log[0]["message"]


@pytest.mark.parametrize(
    ("entry", "column", "value"),
    [
        ({"detail": "missing"}, "reporting.pres.a.detail", "missing"),
        ({"detail": "not_found", "orbit": "Z"}, "reporting.pres.a.orbit", "Z"),
        ({"detail": "not_found", "extra": 1}, "reporting.pres.a", None),
    ],
)
def test_reporting_entries_are_validated(tmp_path, entry, column, value):
    folder = write_study(
        tmp_path / "t",
        [{"id": "a", "role": "cni"}, {"id": "c", "role": "comparator"}],
        reporting={"pres": {"a": entry}},
    )
    with pytest.raises(InvalidInputError) as error:
        load_study(folder)
    (problem,) = error.value.problems
    assert problem.column == column
    assert problem.value == value or value is None


# item 17: characteristics --------------------------------------------------------------------


def test_mok_characteristics_and_their_percent_check():
    rows = {r["characteristic"]: r for r in characteristic_rows(seed_study("mok-2016"))}
    acl = rows["Anticardiolipin or lupus anticoagulant present at entry"]
    # by hand: 48 / 150 = 0.32 -> 32.0%, printed 28% (Xu 2020): mismatch
    assert (acl["count"], acl["denominator"], acl["reported_percent"]) == (48, 150, 28)
    assert acl["computed_percent"] == pytest.approx(32.0)
    assert acl["percent_check"] == "mismatch"
    aps = rows["Antiphospholipid syndrome (consensus criteria) at entry"]
    # by hand: 4 / 150 = 2.67%, printed 2.7%: agrees to half a unit of the last digit
    assert aps["computed_percent"] == pytest.approx(2.6667, abs=1e-4)
    assert aps["percent_check"] == "ok"
    ever = rows["Antiphospholipid antibodies ever positive at entry"]
    assert ever["count"] is None and ever["computed_percent"] is None
    assert ever["percent_check"] == "no_count"


def test_percent_check_codes():
    assert percent_check(48, 150, 28) is PercentCheck.MISMATCH  # 32.0 vs 28
    assert percent_check(48, 150, 28, tolerance=4.0) is PercentCheck.OK  # |32 - 28| <= 0.5 + 4
    assert percent_check(1, 3, 33.3) is PercentCheck.OK  # 33.33 vs 33.3: within 0.05
    assert percent_check(1, 3, None) is PercentCheck.NO_PERCENT


# item 18: the new outcomes -------------------------------------------------------------------


def test_tma_and_hypertension_terms_in_both_spellings():
    term_outcome = CONFIG.term_outcomes
    for term in (
        "Haemolytic uraemic syndrome",
        "hemolytic-uremic syndrome",
        "Atypical haemolytic uraemic syndrome",
        "aHUS",
        "Thrombotic thrombocytopenic purpura",
        "Microangiopathic hemolytic anemia",
        "thrombotic microangiopathy",
    ):
        assert term_outcome[normalise_term(term)] == "tma", term
    for term in (
        "Hypertension",
        "Hypertensive crisis",
        "Hypertensive emergency",
        "Blood pressure increased",
        "Malignant hypertension",
    ):
        assert term_outcome[normalise_term(term)] == "hypertension", term
    # kept out of both (a different diagnosis; "Hypertensive encephalopathy with PRES" is PRES)
    assert normalise_term("Hypertensive encephalopathy") not in term_outcome


# end to end: the seed run (conftest.seed_results) ----------------------------------------


def _rows(project: Path, table: str) -> list[dict[str, str]]:
    with open(project / "results" / "tables" / table, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.pipeline
def test_seed_run_handles_outcomes_no_trial_reported(seed_results):
    for outcome in ("tma", "hypertension"):
        pooled = [r for r in _rows(seed_results, "pooled_effects.csv") if r["outcome"] == outcome]
        # README: 22 rows per outcome; no trial reports it in both arms, so none is estimable
        assert len(pooled) == 22
        assert {(r["status"], r["reason"], r["k"]) for r in pooled} == {
            ("not_estimable", "no_comparable_study", "0")
        }
        assert sum(r["primary"] == "true" for r in pooled) == 1
        rates = [r for r in _rows(seed_results, "pooled_rates.csv") if r["outcome"] == outcome]
        # crude and GLMM per role, over all arms and over the trials in the comparison (issue 20)
        assert len(rates) == 8
        assert {(r["subset"], r["status"], r["reason"]) for r in rates} == {
            ("all_arms", "not_estimable", "no_reporting_arm"),
            ("comparison", "not_estimable", "no_comparable_study"),
        }
        # a trial that reported it in neither arm is listed in reporting.csv only
        assert not [r for r in _rows(seed_results, "study_effects.csv") if r["outcome"] == outcome]
        reporting = [r for r in _rows(seed_results, "reporting.csv") if r["outcome"] == outcome]
        assert [r["reported"] for r in reporting] == ["neither"] * 3
        for kind in ("forest", "incidence", "cumulative", "subgroups"):
            for ext in ("png", "pdf", "svg"):
                assert (
                    (seed_results / "results" / "figures" / f"{kind}_{outcome}.{ext}")
                    .stat()
                    .st_size
                )
    summary = (seed_results / "results" / "tables" / "summary.md").read_text(encoding="utf-8")
    assert "## Thrombotic microangiopathy" in summary and "## Hypertension" in summary


@pytest.mark.pipeline
def test_seed_run_new_columns(seed_results):
    studies = {r["study"]: r for r in _rows(seed_results, "studies.csv")}
    assert studies["liu-2015"]["population_cni"] == "safety"  # EXTRACTION.md: 91 of 181
    assert studies["aura-lv"]["population_comparator"] == "randomised"
    effects = {(r["outcome"], r["study"]): r for r in _rows(seed_results, "study_effects.csv")}
    aura = effects["pres", "aura-lv"]
    assert (aura["drug_cni"], aura["drug_comparator"]) == ("voclosporin", "placebo")
    assert (aura["population_cni"], aura["population_comparator"]) == ("randomised",) * 2
    mok = effects["pres", "mok-2016"]  # the MMF arm did not report: its drug is still shown
    assert (mok["drug_cni"], mok["drug_comparator"]) == ("tacrolimus", "mycophenolate mofetil")
    reporting = {(r["study"], r["outcome"]): r for r in _rows(seed_results, "reporting.csv")}
    assert reporting["mok-2016", "pres"]["reporting_detail"] == "comparator:not_reported"
    assert reporting["aura-lv", "seizure"]["reporting_detail"] == (
        "cni:not_found;comparator:not_found"
    )
    baseline = _rows(seed_results, "characteristics.csv")
    assert [
        (
            r["study"],
            r["count"],
            r["denominator"],
            r["reported_percent"],
            r["computed_percent"],
            r["percent_check"],
        )
        for r in baseline
    ] == [
        ("mok-2016", "48", "150", "28", "32", "mismatch"),  # 48/150 = 32.0%, printed 28%
        ("mok-2016", "", "150", "28", "", "no_count"),
        ("mok-2016", "4", "150", "2.7", "2.666666667", "ok"),  # 4/150 = 2.67%, printed 2.7%
    ]
