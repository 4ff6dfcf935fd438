"""The selection decisions (data/study_selection.csv) and the PRISMA 2020 flow (issue 24, items 3
and 4). Every expected count is worked out by hand in the comments beside it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import ROOT

from raremeta.analysis.prisma import PrismaBox, StudyFolder, prisma_box_counts, prisma_rows
from raremeta.io.ctgov_search import SearchDate, SearchQuery, SearchRecord, SearchResult
from raremeta.io.errors import InvalidInputError
from raremeta.io.study_selection import Decision, read_selection, selection_problems
from raremeta.report.prisma_plot import box_texts, prisma_plot
from raremeta.report.prisma_text import prisma_paragraph
from raremeta.steps.prisma import read_prisma, read_study_table, run_prisma

HEADER = "study_id,record_id,decision,reason,decided_on,decided_by\n"
SEED_OUTCOMES = ["pres", "seizure", "tma", "hypertension"]


def _selection(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "study_selection.csv"
    path.write_text(HEADER + body)
    return path


# --- the committed seed ---------------------------------------------------------------------


def test_the_seed_selection_holds_the_three_trials_as_included_by_other_methods():
    rows = read_selection(ROOT / "data" / "study_selection.csv")
    # AURA-LV and Liu 2015 by their registry ids (study.yaml `registry`), Mok 2016/2020 by the
    # DOI of Mok 2016 (it has no registry id); decided at the seed extraction (2026-11-24)
    assert [(r.study_id, r.record_id, r.decision) for r in rows] == [
        ("aura-lv", "NCT02141672", Decision.INCLUDE),
        ("liu-2015", "NCT00876616", Decision.INCLUDE),
        ("mok-2016", "10.1136/annrheumdis-2014-206456", Decision.INCLUDE),
    ]
    assert {(r.decided_on, r.decided_by) for r in rows} == {
        ("2026-11-24", "seed extraction (2026-11)")
    }
    folders = read_study_table(ROOT / "results" / "tables" / "studies.csv")
    assert selection_problems(rows, {f.study: f.registry for f in folders}) == []


def test_the_seed_flow_has_no_registry_record_and_three_studies_from_other_methods(tmp_path):
    out = tmp_path / "prisma.csv"
    run_prisma(
        ROOT / "results" / "tables" / "studies.csv",
        out,
        SEED_OUTCOMES,
        ROOT / "data" / "study_selection.csv",
    )
    counts = prisma_box_counts(read_prisma(out))
    # issue 24: "For the seed, with no committed search yet: 0 registry records and 3 studies
    # from other methods"; no search, so no previous version: all three are new
    assert counts[PrismaBox.REGISTRY_RECORDS] == 0
    assert counts[PrismaBox.REGISTRY_SCREENED] == 0
    assert counts[PrismaBox.OTHER_RECORDS] == 3
    assert counts[PrismaBox.OTHER_INCLUDED] == 3
    assert counts[PrismaBox.PREVIOUS_STUDIES] == 0
    assert counts[PrismaBox.NEW_STUDIES] == counts[PrismaBox.TOTAL_STUDIES] == 3
    assert counts[PrismaBox.TOTAL_REPORTS] == 3
    # studies.csv in_comparison: AURA-LV for PRES, Liu 2015 for seizure, none for TMA and
    # hypertension (Mok 2016/2020 reported PRES in one arm only)
    pooled = [(r.detail, r.count) for r in read_prisma(out) if r.box == PrismaBox.STUDIES_POOLED]
    assert pooled == [("pres", 1), ("seizure", 1), ("tma", 0), ("hypertension", 0)]
    text = prisma_paragraph(read_prisma(out))
    assert "no registry search committed yet; 3 studies identified by other methods" in text


def test_the_committed_prisma_table_is_the_seed_flow():
    # results/tables/prisma.csv as committed: the rows the issue asks for, by hand
    with (ROOT / "results" / "tables" / "prisma.csv").open(newline="") as handle:
        rows = {(r["box"], r["detail"]): r["count"] for r in csv.DictReader(handle)}
    assert rows[("other_included", "aura-lv; liu-2015; mok-2016")] == "3"
    assert rows[("total_studies", "aura-lv; liu-2015; mok-2016")] == "3"
    assert next(c for (box, _), c in rows.items() if box == "registry_records") == "0"


# --- a living update, by hand ---------------------------------------------------------------

#: The search of 2027-01-05 (two queries); its history: 2026-12-01 found N1, N2, N4, N6 (4
#: records), 2027-01-05 found N3 and N5 as well (6 records).
SEARCH = SearchResult(
    search_date="2027-01-05",
    api_version="2.0.5",
    queries=(
        SearchQuery("q1", "lupus nephritis", ("tacrolimus",)),
        SearchQuery("q2", "lupus nephritis", ("voclosporin",)),
    ),
    records=(
        SearchRecord("NCT00000001", queries=("q1", "q2")),
        SearchRecord("NCT00000002", queries=("q1",)),
        SearchRecord("NCT00000003", queries=("q1", "q2")),
        SearchRecord("NCT00000004", queries=("q2",)),
        SearchRecord("NCT00000005", queries=("q1",)),
        SearchRecord("NCT00000006", queries=("q1",)),
    ),
    history=(
        SearchDate("2026-12-01", 4, ("NCT00000001", "NCT00000002", "NCT00000004", "NCT00000006")),
        SearchDate("2027-01-05", 6, ("NCT00000003", "NCT00000005")),
    ),
)
#: Five folders: a (named by NCT00000001), b (a DOI), c (imported from NCT00000003 after the
#: search), d (the same participants as a) and e (added by hand, no decision row).
FOLDERS = [
    StudyFolder("a", "NCT00000001; EudraCT 2012-000001-01", "", ("pres", "seizure")),
    StudyFolder("b", "", "", ("pres",)),
    StudyFolder("c", "NCT00000003", "", ()),
    StudyFolder("d", "", "a", ()),
    StudyFolder("e", "", "", ("seizure",)),
]
DECISIONS = (
    "a,NCT00000001,include,,2026-11-24,seed\n"
    "b,10.1000/b,include,,2026-11-24,seed\n"
    "c,NCT00000003,include,,2027-01-10,A Reviewer\n"
    ",NCT00000002,exclude,not lupus nephritis,2026-12-02,A Reviewer\n"
    ",NCT00000005,exclude,no calcineurin inhibitor,2027-01-06,A Reviewer\n"
    ",NCT00000006,same_study_as:a,,2027-01-06,A Reviewer\n"
    ",10.1000/letter,exclude,no adverse-event counts,2027-01-07,A Reviewer\n"
    ",10.1000/old,exclude,no adverse-event counts,2026-11-20,A Reviewer\n"
    ",10.1000/await,awaiting,,,\n"
)


@pytest.fixture
def living(tmp_path):
    rows = read_selection(_selection(tmp_path, DECISIONS))
    assert selection_problems(rows, {f.study: f.registry for f in FOLDERS}) == []
    return prisma_rows(FOLDERS, rows, SEARCH, ["pres", "seizure"])


def test_a_living_update_by_hand(living):
    c = prisma_box_counts(living)
    # previous version: inclusions decided before 2027-01-05: a and b (c was decided on
    # 2027-01-10, e has no decision); their reports: folders a, b and d (d: same participants)
    assert (c[PrismaBox.PREVIOUS_STUDIES], c[PrismaBox.PREVIOUS_REPORTS]) == (2, 3)
    # records per search date, counted once per query that found them:
    # 2026-12-01: N1 (q1, q2) + N2 + N4 + N6 = 5; 2027-01-05: N3 (q1, q2) + N5 = 3
    dates = [(r.search_date, r.count) for r in living if r.box == PrismaBox.REGISTRY_RECORDS]
    assert dates == [("2026-12-01", 5), ("2027-01-05", 3)]
    # q1 found N1, N2, N3, N5, N6 (5), q2 N1, N3, N4 (3): 8 hits, 6 records, 2 duplicates
    queries = [r.count for r in living if r.box == PrismaBox.REGISTRY_QUERY]
    assert queries == [5, 3] and c[PrismaBox.DUPLICATES_REMOVED] == 2
    # N1 (study a) and N6 (another report of a) belong to the previous version: removed
    assert c[PrismaBox.ALREADY_INCLUDED] == 2
    # screened 6 - 2 = 4: N2 and N5 excluded, N4 awaiting (no row), N3 included (study c)
    assert c[PrismaBox.REGISTRY_SCREENED] == 4
    assert c[PrismaBox.REGISTRY_EXCLUDED] == 2 and c[PrismaBox.REGISTRY_AWAITING] == 1
    assert c[PrismaBox.REGISTRY_SAME_STUDY] == 0 and c[PrismaBox.REGISTRY_INCLUDED] == 1
    reasons = [(r.detail, r.count) for r in living if r.box == PrismaBox.REGISTRY_EXCLUDED_REASON]
    assert reasons == [("no calcineurin inhibitor", 1), ("not lupus nephritis", 1)]
    # other methods: the letter and the old review excluded (one reason, 2), one awaiting, and
    # study e (a folder without a row): 4 records; b is in the previous version
    assert c[PrismaBox.OTHER_RECORDS] == 4
    assert (c[PrismaBox.OTHER_EXCLUDED], c[PrismaBox.OTHER_AWAITING]) == (2, 1)
    reasons = [(r.detail, r.count) for r in living if r.box == PrismaBox.OTHER_EXCLUDED_REASON]
    assert reasons == [("no adverse-event counts", 2)]
    assert c[PrismaBox.OTHER_INCLUDED] == 1
    # new studies c and e (1 + 1); in all a, b, c, e (d is a report of a); reports: the 5
    # folders and N6, which has no folder: 6, of which 3 are the previous version's
    assert c[PrismaBox.NEW_STUDIES] == 2 and c[PrismaBox.TOTAL_STUDIES] == 4
    assert (c[PrismaBox.NEW_REPORTS], c[PrismaBox.TOTAL_REPORTS]) == (3, 6)
    # pooled: PRES a and b; seizure a and e
    pooled = [(r.detail, r.count) for r in living if r.box == PrismaBox.STUDIES_POOLED]
    assert pooled == [("pres", 2), ("seizure", 2)]


def test_the_living_update_in_words_and_in_the_diagram(living):
    text = prisma_paragraph(living)
    # records identified per search date, counted once per query that found them
    assert "on 2026-12-01 (5 records identified) and 2027-01-05 (3 records identified)" in text
    assert "after 2 duplicates and 2 records of studies already included were removed" in text
    assert "4 records were screened: 2 excluded (no calcineurin inhibitor: 1; not lupus " in text
    assert text.endswith(
        "The review includes 4 studies (6 reports), 2 of them new since the previous version "
        "(2 studies)."
    )
    texts = box_texts(living, {"pres": "PRES", "seizure": "Seizure"})
    assert texts["records"][:3] == [
        "Records identified from ClinicalTrials.gov (n = 8)",
        "  search of 2026-12-01: 5 new",
        "  search of 2027-01-05: 3 new",
    ]
    assert texts["pooled"] == ["Studies in each outcome's comparison:", "  PRES: 2", "  Seizure: 2"]
    fig = prisma_plot(living, {"pres": "PRES"})
    assert fig.get_size_inches()[0] > 8


# --- the decisions, validated ---------------------------------------------------------------


def test_bad_decisions_are_reported_with_file_line_column_and_value(tmp_path):
    path = _selection(
        tmp_path,
        "aura-lv,NCT02141672,includ,,2026-11-24,seed\n"  # line 2: unknown decision
        ",NCT02141672,exclude,,2026-12-01,A Reviewer\n"  # line 3: decided twice
        ",NCT00000009,exclude,,2026-12-01,A Reviewer\n"  # line 4: no reason
        ",NCT00000010,include,,2026-12-01,A Reviewer\n"  # line 5: include without study id
        ",NCT00000011,same_study_as:,,2026-12-01,A Reviewer\n"  # line 6: no study id
        ",NCT00000012,exclude,duplicate,1 Dec 2026,A Reviewer\n",  # line 7: not a date
    )
    with pytest.raises(InvalidInputError) as error:
        read_selection(path, "data/study_selection.csv")
    lines = [str(p) for p in error.value.problems]
    assert lines == [
        "data/study_selection.csv, line 2, column 'decision', value 'includ': unknown decision; "
        "must be include, exclude, awaiting or same_study_as:<study_id>",
        "data/study_selection.csv, line 3, column 'record_id', value 'NCT02141672': record "
        "already decided on line 2; decide each record once",
        "data/study_selection.csv, line 4, column 'reason', value '': an exclusion needs a reason",
        "data/study_selection.csv, line 5, column 'study_id', value '': an inclusion needs the "
        "study id of its folder in data/raw",
        "data/study_selection.csv, line 6, column 'decision', value 'same_study_as:': "
        "same_study_as needs the study id of the included study (same_study_as:<study_id>)",
        "data/study_selection.csv, line 7, column 'decided_on', value '1 Dec 2026': not a date "
        "(YYYY-MM-DD)",
    ]


def test_an_included_record_without_a_folder_names_the_import_command(tmp_path):
    rows = read_selection(
        _selection(
            tmp_path,
            "delta-2027,NCT01234567,include,,2027-01-10,A Reviewer\n"
            ",NCT02141672,exclude,not a CNI trial,2027-01-10,A Reviewer\n",
        )
    )
    problems = [str(p) for p in selection_problems(rows, {"aura-lv": "NCT02141672"})]
    assert problems == [
        "data/study_selection.csv, line 2, column 'study_id', value 'delta-2027': included, but "
        "data/raw/delta-2027/ does not exist: run raremeta fetch-ctgov NCT01234567 --out "
        "NCT01234567.json, then raremeta import-ctgov NCT01234567.json --study-id delta-2027 "
        "--role EG000=... --drug EG000=...",
        "data/study_selection.csv, line 3, column 'decision', value 'exclude': exclude, but "
        "study folder data/raw/aura-lv/ names this record: include it or remove the folder",
    ]


def test_a_study_folder_without_a_row_stays_allowed(tmp_path):
    # "adding a trial means adding one folder": no row, no problem; counted under other methods
    rows = read_selection(_selection(tmp_path, "a,10.1000/a,include,,2026-11-24,seed\n"))
    folders = [StudyFolder("a"), StudyFolder("hand-entered")]
    assert selection_problems(rows, {"a": "", "hand-entered": ""}) == []
    c = prisma_box_counts(prisma_rows(folders, rows, None, []))
    assert c[PrismaBox.OTHER_INCLUDED] == c[PrismaBox.TOTAL_STUDIES] == 2
