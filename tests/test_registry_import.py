"""`raremeta import-ctgov` on real ClinicalTrials.gov records (issue 13, items 1-3, 5, 7).

The records are in tests/fixtures/ctgov/ (provenance in its README). Expected counts are read off
the records by hand and quoted in each test: e.g. NCT00716976's serious table lists "Reversible
posterior leukoencephalopathy syndrome" with numAffected 1 of numAtRisk 59 for EG000 and 0 of 0
for EG001 (not assessed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_seed_project, run_snakemake

from raremeta.cli import main
from raremeta.harmonise.outcome_rows import harmonise
from raremeta.io.analysis_config import load_config
from raremeta.io.raw_studies import load_studies

RECORDS = Path(__file__).parent / "fixtures" / "ctgov"
#: record -> (study id, roles, drugs) as a reviewer would give them (these are not CNI trials:
#: the roles only exercise the importer)
IMPORTS = {
    "NCT00716976": ("accl0431", {"EG000": "cni", "EG001": "comparator"}),
    "NCT00567567": ("anbl0532", {"EG001": "cni", "EG000": "comparator"}),
    "NCT01987596": ("filgrastim", {"EG000": "cni", "EG001": "comparator"}),
    "NCT02513394": ("pallas", {"EG000": "cni", "EG001": "comparator"}),
}


def args(record: Path, study: str, roles: dict[str, str], raw: Path, *extra: str) -> list[str]:
    out = ["import-ctgov", str(record), "--study-id", study, "--raw-dir", str(raw)]
    for group, role in roles.items():
        out += ["--role", f"{group}={role}", "--drug", f"{group}=drug {group.lower()}"]
    return out + list(extra)


def imported(tmp_path: Path, nct: str) -> Path:
    study, roles = IMPORTS[nct]
    raw = tmp_path / "raw"
    assert main(args(RECORDS / f"{nct}.json", study, roles, raw)) == 0
    return raw


def cell(frame, study, outcome, role):
    row = frame[(frame.study == study) & (frame.outcome == outcome) & (frame.role == role)]
    assert len(row) == 1
    return row.iloc[0]


def harmonised(raw: Path) -> pd.DataFrame:
    frame, _ = harmonise(load_studies(raw, "raw"), load_config(ROOT / "config.yaml"))
    return frame


@pytest.mark.parametrize("nct", sorted(IMPORTS))
def test_every_shared_record_imports_into_the_contract(tmp_path, nct):
    raw = imported(tmp_path, nct)
    study, roles = IMPORTS[nct]
    folder = raw / study
    [loaded] = load_studies(raw, "raw")
    assert loaded.registry == nct and {a.id for a in loaded.arms} == {g.lower() for g in roles}
    assert (folder / "ctgov_record.json").read_bytes() == (RECORDS / f"{nct}.json").read_bytes()
    provenance = (folder / "REGISTRY.md").read_text()
    for fact in ("record sha256", "versionHolder", "results first posted", "frequency threshold"):
        assert fact in provenance
    assert yaml.safe_load((folder / "registry_import.yaml").read_text())["roles"] == roles
    events = pd.read_csv(folder / "adverse_events.csv", keep_default_na=False)
    assert set(events.source_kind) == {"registry"} and set(events.table) <= {"serious", "other"}
    assert not list(raw.glob(".*")), "no staging folder left behind"


def test_rpls_one_of_59_against_not_assessed(tmp_path):
    # NCT00716976 serious table: RPLS 1/59 (EG000) and numAtRisk 0 for EG001 (observation arm
    # not at risk for serious events): no comparator row, so PRES is reported in one arm only
    frame = harmonised(imported(tmp_path, "NCT00716976"))
    cni, comparator = (cell(frame, "accl0431", "pres", r) for r in ("cni", "comparator"))
    assert (cni.events, cni.n, cni.reported) == (1, 59, True)
    assert not comparator.reported and pd.isna(comparator.events)
    study = yaml.safe_load((tmp_path / "raw/accl0431/study.yaml").read_text())
    # n: the larger of seriousNumAtRisk and otherNumAtRisk (EG001: 0 and 64)
    assert [a["n"] for a in study["arms"]] == [59, 64]


def test_ctcae_code_prefix_matches_and_unassigned_group_is_left_out(tmp_path):
    # NCT00567567 other table: "73600-Seizure" 0/206 (EG000), 0/176 (EG001); EG002 "Not
    # Assigned" has no role
    raw = imported(tmp_path, "NCT00567567")
    frame = harmonised(raw)
    cni, comparator = (cell(frame, "anbl0532", "seizure", r) for r in ("cni", "comparator"))
    assert (cni.events, cni.n, comparator.events, comparator.n) == (0, 176, 0, 206)
    assert (
        "EG002 (Not Assigned) has no role: left out" in (raw / "anbl0532/REGISTRY.md").read_text()
    )


def test_pallas_seizure_terms_in_both_tables_take_the_largest_count(tmp_path):
    # NCT02513394: Epilepsy (serious) 2/2841 vs 0/2902; Partial seizures 1/2841 vs 0/2902,
    # Petit mal epilepsy 1/2841 vs 1/2902, Seizure 1/2841 vs 0/2902 (other)
    frame = harmonised(imported(tmp_path, "NCT02513394"))
    cni, comparator = (cell(frame, "pallas", "seizure", r) for r in ("cni", "comparator"))
    assert (cni.events, cni.n) == (2, 2841)  # never 2 + 1 + 1 + 1
    assert (comparator.events, comparator.n) == (1, 2902)


def test_a_term_listed_twice_is_kept_once(tmp_path):
    # NCT01987596 other table lists "Pain" twice for each group (4 and 4; 1 and 1 affected)
    raw = imported(tmp_path, "NCT01987596")
    events = pd.read_csv(raw / "filgrastim/adverse_events.csv")
    assert sorted(zip(events.arm, events.term, events.events, strict=True)) == [
        ("eg000", "Pain", 4),
        ("eg001", "Pain", 1),
    ]
    provenance = (raw / "filgrastim/REGISTRY.md").read_text()
    assert (
        "lists Pain twice for group EG000 (4 and 4 affected): kept 4, never the sum" in provenance
    )
    assert "NON_SYSTEMATIC_ASSESSMENT" in provenance


def test_an_absent_term_is_not_reported_whatever_the_threshold(tmp_path):
    # a copy of the real NCT01987596 record with ONLY frequencyThreshold changed from "0" to
    # "5": seizures are absent from it, so they stay not reported (never zero)
    record = json.loads((RECORDS / "NCT01987596.json").read_text())
    assert record["resultsSection"]["adverseEventsModule"]["frequencyThreshold"] == "0"
    record["resultsSection"]["adverseEventsModule"]["frequencyThreshold"] = "5"
    changed = tmp_path / "NCT01987596-threshold-5.json"
    changed.write_text(json.dumps(record))
    raw = tmp_path / "raw"
    assert main(args(changed, "filgrastim", IMPORTS["NCT01987596"][1], raw)) == 0
    frame = harmonised(raw)
    for role in ("cni", "comparator"):
        row = cell(frame, "filgrastim", "seizure", role)
        assert not row.reported and pd.isna(row.events)
    assert "| 5 |" in (raw / "filgrastim/REGISTRY.md").read_text()


def test_reimport_from_its_arguments_is_byte_identical_and_keeps_extraction(tmp_path):
    raw = imported(tmp_path, "NCT00567567")
    folder = raw / "anbl0532"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (folder / "EXTRACTION.md").write_text("checked roles against the protocol, 2026-11-25\n")
    saved = yaml.safe_load((folder / "registry_import.yaml").read_text())
    again = ["import-ctgov", str(folder / saved["record"]), "--study-id", saved["study_id"]]
    again += ["--raw-dir", str(raw), "--force"]
    for group, role in saved["roles"].items():
        again += ["--role", f"{group}={role}", "--drug", f"{group}={saved['drugs'][group]}"]
    assert main(again) == 0
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after.pop("EXTRACTION.md") == b"checked roles against the protocol, 2026-11-25\n"
    before.pop("EXTRACTION.md")
    assert after == before


def _changed_record(tmp_path, change) -> Path:
    record = json.loads((RECORDS / "NCT00716976.json").read_text())
    change(record)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(record))
    return path


def _single_group(record):
    module = record["resultsSection"]["adverseEventsModule"]
    module["eventGroups"] = module["eventGroups"][:1]


def _count_above_risk(record):
    record["resultsSection"]["adverseEventsModule"]["seriousEvents"][0]["stats"][0][
        "numAffected"
    ] = 60


BAD = {
    "not JSON": (lambda tmp: _text(tmp, "{not json"), {}, "not valid JSON"),
    "no results section": (
        lambda tmp: _changed_record(tmp, lambda r: r.pop("resultsSection")),
        {},
        "column 'resultsSection': the record has no adverse-event results",
    ),
    "unknown group in --role": (
        lambda tmp: RECORDS / "NCT00716976.json",
        {"roles": {"EG000": "cni", "EG009": "comparator"}},
        "--role names an event group the record does not have",
    ),
    "a role without a drug": (
        lambda tmp: RECORDS / "NCT00716976.json",
        {"drugs": {"EG000": "x"}},
        "column '--drug', value 'EG001': a group given a role needs --drug",
    ),
    "single-group record asked for a comparator": (
        lambda tmp: _changed_record(tmp, _single_group),
        {"roles": {"EG000": "cni", "EG001": "comparator"}},
        "value 'EG001': --role names an event group the record does not have",
    ),
    "count above the at-risk count": (
        lambda tmp: _changed_record(tmp, _count_above_risk),
        {},
        "value '60': numAffected is greater than numAtRisk (59)",
    ),
}


def _text(tmp: Path, text: str) -> Path:
    path = tmp / "bad.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", BAD)
def test_bad_record_is_rejected_naming_file_and_field_with_nothing_written(tmp_path, capsys, case):
    make, options, expected = BAD[case]
    record = make(tmp_path)
    roles = options.get("roles", {"EG000": "cni", "EG001": "comparator"})
    command = ["import-ctgov", str(record), "--study-id", "x1", "--raw-dir", str(tmp_path / "raw")]
    for group, role in roles.items():
        command += ["--role", f"{group}={role}"]
    for group, drug in options.get("drugs", {g: "d" for g in roles}).items():
        command += ["--drug", f"{group}={drug}"]
    assert main(command) == 1
    err = capsys.readouterr().err
    assert str(record) in err and expected in err, err
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


#: the event groups as the records list them (eventGroups[].id, title, seriousNumAtRisk,
#: otherNumAtRisk), copied by hand from tests/fixtures/ctgov/NCT00716976.json and NCT00567567.json
GROUPS = {
    "NCT00716976": "EG000 'STS Arm (Sodium Thiosulfate Treatment)' (at risk: serious 59, other "
    "59); EG001 'Observation Arm' (at risk: serious 0, other 64)",
    "NCT00567567": "EG000 'Single HST (CEM)' (at risk: serious 206, other 206); EG001 'Tandem "
    "HST (CEM), Randomly Assigned' (at risk: serious 176, other 176); EG002 'Not Assigned' (at "
    "risk: serious 269, other 269)",
}


@pytest.mark.parametrize(
    ("nct", "options", "problem"),
    [
        # issue 19, item 6: "the record has 2 group(s)" did not say which group is which arm
        ("NCT00716976", ["--role", "EG000=cni"], "no event group is given the role comparator"),
        (
            "NCT00567567",
            ["--role", "EG000=cni", "--role", "EG009=comparator", "--drug", "EG009=x"],
            "value 'EG009': --role names an event group the record does not have",
        ),
        ("NCT00567567", ["--role", "EG000=cni", "--role", "EG001=comparator"], "needs --drug"),
    ],
)
def test_roles_that_do_not_match_list_the_records_groups(tmp_path, capsys, nct, options, problem):
    record = RECORDS / f"{nct}.json"
    command = ["import-ctgov", str(record), "--study-id", "x1", "--raw-dir", str(tmp_path / "raw")]
    assert main([*command, "--drug", "EG000=d", *options]) == 1
    err = capsys.readouterr().err
    assert problem in err, err
    listing = [line for line in err.splitlines() if "must name the record's event groups" in line]
    assert len(listing) == 1, err  # once, however many problems
    assert listing[0].endswith(f"number at risk in the serious and other tables): {GROUPS[nct]}")
    assert listing[0].startswith(f"  - {record}, column 'resultsSection.adverseEventsModule.")
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


def test_existing_folder_needs_force(tmp_path, capsys):
    raw = imported(tmp_path, "NCT00716976")
    before = {p.name: p.read_bytes() for p in (raw / "accl0431").iterdir()}
    again = args(RECORDS / "NCT00716976.json", "accl0431", IMPORTS["NCT00716976"][1], raw)
    assert main(again) == 1
    assert "study folder exists; add --force" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (raw / "accl0431").iterdir()} == before


def test_console_script_is_installed_and_exits_1_on_bad_input(tmp_path):
    script = Path(sys.executable).parent / "raremeta"
    done = subprocess.run(
        [str(script), "import-ctgov", str(tmp_path / "missing.json"), "--study-id", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "cannot read the record" in done.stderr


@pytest.mark.pipeline
def test_pipeline_runs_on_imported_studies_beside_the_seed(tmp_path):
    project = copy_seed_project(tmp_path)
    raw = project / "data" / "raw"
    for nct in ("NCT00716976", "NCT00567567", "NCT02513394"):
        study, roles = IMPORTS[nct]
        assert main(args(RECORDS / f"{nct}.json", study, roles, raw)) == 0
    # a second report of PALLAS's participants (as AURORA 2 is of AURORA 1's), linked
    study, roles = IMPORTS["NCT02513394"]
    assert main(args(RECORDS / "NCT02513394.json", "pallas-ext", roles, raw)) == 0
    extension = raw / "pallas-ext" / "study.yaml"
    extension.write_text(
        extension.read_text().replace("\narms:", "\nsame_participants_as: pallas\narms:", 1)
    )
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr
    tables = project / "results" / "tables"
    reporting = pd.read_csv(tables / "reporting.csv")
    status = {(r.study, r.outcome): r.reported for r in reporting.itertuples()}
    assert status[("accl0431", "pres")] == "one_arm"  # RPLS 1/59, comparator not assessed
    assert status[("anbl0532", "seizure")] == "both_arms"  # 73600-Seizure 0/176 vs 0/206
    assert status[("pallas-ext", "seizure")] == "both_arms"  # reported, listed...
    effects = pd.read_csv(tables / "study_effects.csv")
    seizure = effects[effects.outcome == "seizure"].set_index("study")
    assert "pallas-ext" not in seizure.index  # ...and never pooled: PALLAS counts once
    assert (seizure.loc["pallas", ["events_cni", "n_cni"]] == [2, 2841]).all()
    # each count's kind of source and the follow-up travel from the record to the tables
    assert seizure.loc["pallas", "source_kinds_cni"] == "registry"
    assert seizure.loc["liu-2015", "source_kinds_cni"] == "secondary"  # Xu 2020, a letter
    assert seizure.loc["pallas", "follow_up_weeks"] == 208  # timeFrame "4 years" = 4 x 52
    studies = pd.read_csv(tables / "studies.csv", dtype=str, keep_default_na=False)
    studies = studies.set_index("study")
    assert studies.loc["pallas-ext", "pooled"] == "false"
    assert studies.loc["pallas-ext", "same_participants_as"] == "pallas"
    # versionHolder of each record (tests/fixtures/ctgov/*.json); the seed's second extraction
    assert studies.loc["pallas", "data_as_of"] == "2023-10-06"
    assert studies.loc["anbl0532", "data_as_of"] == "2026-03-06"
    assert studies.loc["aura-lv", "data_as_of"] == "2026-11-24"
    summary = (tables / "summary.md").read_text()
    assert "Data as of 2026-11-24: the latest extraction or registry-release date of the 7 " in (
        summary
    )
    assert "Data are as of 2026-11-24" in (project / "results" / "methods.md").read_text()
    # sensitivity by source: the MH OR (seizure's primary: finite) of the registry trials only,
    # anbl0532 (0/176 vs 0/206) being double zero: PALLAS's own OR, (2 x 2901) / (1 x 2839)
    sens = pd.read_csv(tables / "sensitivity.csv")
    rows = sens[(sens.outcome == "seizure") & (sens.analysis == "source of counts")]
    rows = rows.set_index("variant")
    assert rows.loc["primary sources only", "reason"] == "no_study_from_sources"
    both = rows.loc["primary or registry sources"]
    assert (both.method, both.measure) == ("MH", "OR")
    assert both.estimate == pytest.approx(2 * 2901 / (1 * 2839), rel=1e-9)
    # Liu 2015 (a letter) left out; anbl0532, in the subset, is the one double-zero study
    assert both.note.endswith("1 study left out: a count from another kind of source")
    assert "1 double-zero study" in both.note
    assert "Trials whose counts all come from their own reports or registry results" in summary
    assert "PALLAS: registry results, follow-up 208 weeks" in summary
    # the signal screen of every term (issue 23): organ systems from the records' organSystem;
    # "Neutrophil count decreased" is given for both arms by accl0431, anbl0532 and PALLAS
    # (pallas-ext, the same participants, is left out)
    signals = pd.read_csv(tables / "ae_signals.csv").set_index("term")
    neutrophils = signals.loc["Neutrophil count decreased"]
    assert (neutrophils.organ_system, neutrophils.k) == ("Investigations", 3)
    assert neutrophils.studies == "accl0431;anbl0532;pallas"
    assert neutrophils.flag_bh and neutrophils.flag_double_fdr
    assert signals.loc["Posterior reversible encephalopathy syndrome", "outcome"] == "pres"
    assert "Signal screen of every term" in summary and "screening, not confirmation" in summary
    assert "Neutrophil count decreased (Investigations; 3 trials)" in summary
    assert (project / "results" / "figures" / "ae_signals.png").is_file()
    assert shutil.which("git") is None or not (ROOT / "data/raw/accl0431").exists()


def _gather(raw: Path, tmp_path: Path):
    """Validate and harmonise every folder of ``raw`` as the workflow's jobs do; gather them."""
    from raremeta.io.analysis_config import harmonisation_slice
    from raremeta.steps.gather import run_check_studies, run_gather_studies
    from raremeta.steps.study import run_study

    config = harmonisation_slice(yaml.safe_load((ROOT / "config.yaml").read_text()))
    files = []
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        files.append(tmp_path / "studies" / f"{folder.name}.json")
        run_study(folder, config, files[-1])
    out = tmp_path / "gathered"
    run_check_studies(files, out / "manifest.json")
    run_gather_studies(
        files,
        list(config["outcomes"]),
        out / "h.csv",
        out / "a.csv",
        out / "log.csv",
        out / "reporting.csv",
        out / "sums",
        out / "studies.csv",
    )
    return files, out


def test_same_registry_id_needs_a_link_and_the_linked_report_is_not_pooled(tmp_path):
    # issue 13, item 6: AURORA 2 continues AURORA 1 in the same patients; two folders naming one
    # registry id must say so, and the continuation is never pooled (here: one record twice)
    from raremeta.io.errors import InvalidInputError
    from raremeta.steps.pool import TABLES, run_pool_outcome

    raw = imported(tmp_path, "NCT00716976")
    roles = IMPORTS["NCT00716976"][1]
    assert main(args(RECORDS / "NCT00716976.json", "accl0431-ext", roles, raw)) == 0
    with pytest.raises(InvalidInputError) as err:
        _gather(raw, tmp_path / "unlinked")
    assert "accl0431-ext/study.yaml, column 'registry', value 'NCT00716976': registry id also " in (
        str(err.value)
    )
    extension = raw / "accl0431-ext" / "study.yaml"
    document = yaml.safe_load(extension.read_text())
    document["same_participants_as"] = "accl0431"
    extension.write_text(yaml.safe_dump(document, sort_keys=False))
    files, out = _gather(raw, tmp_path / "linked")
    log = pd.read_csv(out / "log.csv")
    assert "never pooled" in log[log.kind == "same_participants"].message.iloc[0]
    tables = {n: tmp_path / f"{n}.csv" for n in TABLES}
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    run_pool_outcome(files, config, "pres", tables)
    studies = pd.read_csv(tables["studies"])
    assert list(studies.study) == ["accl0431"]  # RPLS 1/59 counted once


def test_same_participants_as_must_name_a_study(tmp_path):
    from raremeta.io.errors import InvalidInputError

    raw = imported(tmp_path, "NCT00567567")
    path = raw / "anbl0532" / "study.yaml"
    document = yaml.safe_load(path.read_text())
    document["same_participants_as"] = "missing-study"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(InvalidInputError) as err:
        _gather(raw, tmp_path)
    assert "column 'same_participants_as', value 'missing-study': same_participants_as " in (
        str(err.value)
    )


def test_plain_time_frame_becomes_follow_up_weeks(tmp_path):
    # NCT01987596's timeFrame is "6 months" (26 weeks); NCT00716976 states none
    raw = imported(tmp_path, "NCT01987596")
    assert yaml.safe_load((raw / "filgrastim/study.yaml").read_text())["follow_up_weeks"] == 26.0
    raw = imported(tmp_path / "b", "NCT00716976")
    assert "follow_up_weeks" not in yaml.safe_load((raw / "accl0431/study.yaml").read_text())
