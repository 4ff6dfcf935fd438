"""Validation of the raw-data contract: one message per problem naming file, line, column, value.

Each class of bad input from issue 2 has a test that writes one bad study folder and checks the
message names the file and the row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from raremeta.io.errors import InvalidInputError
from raremeta.io.raw_studies import load_studies

STUDY = """id: {id}
label: Test trial
citation: A test citation
arms:
  - {{id: cni, label: CNI arm, role: cni, drug: tacrolimus, n: 50, n_basis: safety population}}
  - {{id: ctl, label: Control, role: comparator, drug: placebo, n: 50, n_basis: safety population}}
"""
GOOD_EVENTS = "arm,term,events,source\ncni,Seizure,1,Paper T2\nctl,Seizure,0,Paper T2\n"


def make(
    tmp_path: Path,
    events: str | bytes = GOOD_EVENTS,
    study: str | None = None,
    folder: str = "trial-1",
) -> Path:
    raw = tmp_path / "raw"
    d = raw / folder
    d.mkdir(parents=True)
    (d / "study.yaml").write_text(study if study is not None else STUDY.format(id=folder))
    if isinstance(events, bytes):
        (d / "adverse_events.csv").write_bytes(events)
    else:
        (d / "adverse_events.csv").write_text(events)
    return raw


def problems(raw: Path) -> list[str]:
    with pytest.raises(InvalidInputError) as err:
        load_studies(raw, "data/raw")
    return [str(p) for p in err.value.problems]


def test_good_folder_loads(tmp_path):
    [study] = load_studies(make(tmp_path), "data/raw")
    assert [(e.arm, e.events) for e in study.events] == [("cni", 1), ("ctl", 0)]


def test_one_term_may_stand_once_in_each_table(tmp_path):
    # issue 13: the duplicate key is (arm, term, table); a registry lists a term in its serious
    # and its other table, each with its own denominator
    events = (
        "arm,term,events,source,table,n_at_risk\n"
        "cni,Seizure,1,R,serious,50\ncni,Seizure,3,R,other,48\nctl,Seizure,0,R,other,\n"
    )
    [study] = load_studies(make(tmp_path, events), "data/raw")
    assert [(e.table, e.events, e.n_at_risk) for e in study.events] == [
        ("serious", 1, 50),
        ("other", 3, 48),
        ("other", 0, None),
    ]


CSV_CASES = {
    "missing column": ("arm,term,source\ncni,Seizure,P\n", "line 1, column 'events'"),
    "extra column": ("arm,term,events,source,evnts\ncni,Seizure,1,P,2\n", "line 1, column 'evnts'"),
    "non-integer": (
        "arm,term,events,source\ncni,Seizure,1.5,P\n",
        "line 2, column 'events', value '1.5'",
    ),
    "negative": (
        "arm,term,events,source\ncni,Seizure,-1,P\n",
        "line 2, column 'events', value '-1': must not be negative",
    ),
    "non-numeric": (
        "arm,term,events,source\ncni,Seizure,two,P\n",
        "line 2, column 'events', value 'two'",
    ),
    "events greater than n": (
        "arm,term,events,source\ncni,Seizure,51,P\n",
        "line 2, column 'events', value '51': events is greater than",
    ),
    "unknown arm": (
        "arm,term,events,source\nplacebo,Seizure,1,P\n",
        "line 2, column 'arm', value 'placebo': arm is not declared",
    ),
    "duplicate arm and term": (
        "arm,term,events,source\ncni,Seizure,1,P\ncni,seizure ,2,P\n",
        "line 3, column 'term'",
    ),
    # issue 13: a row's own denominator (n_at_risk) and its table (serious | other)
    "events greater than the row's n_at_risk": (
        "arm,term,events,source,n_at_risk\ncni,Seizure,31,P,30\n",
        "line 2, column 'events', value '31': events is greater than the row's n_at_risk (30)",
    ),
    "n_at_risk greater than the arm's n": (
        "arm,term,events,source,n_at_risk\ncni,Seizure,1,P,51\n",
        "line 2, column 'n_at_risk', value '51': n_at_risk is greater than the arm's n (50",
    ),
    "n_at_risk of zero": (
        "arm,term,events,source,n_at_risk\ncni,Seizure,0,P,0\n",
        "line 2, column 'n_at_risk', value '0'",
    ),
    "unknown table": (
        "arm,term,events,source,table\ncni,Seizure,1,P,severe\n",
        "line 2, column 'table', value 'severe'",
    ),
    "same term twice in one table": (
        "arm,term,events,source,table\ncni,Seizure,1,P,other\ncni,Seizure,2,P,other\n",
        "line 3, column 'term', value 'Seizure': arm 'cni' and term already given in table "
        "'other' on line 2",
    ),
    "empty file": ("", "adverse_events.csv: file is empty"),
    "header only": ("arm,term,events,source\n", "line 1: has a header but no data rows"),
    "ragged row": ("arm,term,events,source\ncni,Seizure,1,P,extra\n", "has 5 fields"),
    "unclosed quote": ('arm,term,events,source\ncni,"Seizure,1,P\n', "malformed CSV"),
    "wrong delimiter": ("arm;term;events;source\ncni;Seizure;1;P\n", "separated by ';'"),
    "empty required value": (
        "arm,term,events,source\ncni,Seizure,,P\n",
        "line 2, column 'events', value '': required value is empty",
    ),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_bad_adverse_events_named_by_file_and_row(tmp_path, case):
    text, expected = CSV_CASES[case]
    messages = problems(make(tmp_path, text))
    assert any("data/raw/trial-1/adverse_events.csv" in m and expected in m for m in messages), (
        messages
    )


def test_wrong_encoding_names_line(tmp_path):
    raw = make(tmp_path, b"arm,term,events,source\ncni,Seizure,1,P\n" + b"ctl,Cr\xe9,0,P\n")
    [message] = problems(raw)
    assert "adverse_events.csv, line 3: not valid UTF-8 (byte 0xe9)" in message


def test_utf8_bom_is_accepted(tmp_path):
    raw = make(tmp_path, b"\xef\xbb\xbf" + GOOD_EVENTS.encode())
    assert load_studies(raw, "data/raw")[0].events[0].arm == "cni"


STUDY_CASES = {
    "id not matching folder": (STUDY.format(id="other"), "column 'id', value 'other'"),
    "bad role": (
        STUDY.format(id="trial-1").replace("role: cni", "role: treatment"),
        "column 'arms[0].role', value 'treatment'",
    ),
    "no comparator": (
        STUDY.format(id="trial-1").replace("role: comparator", "role: cni"),
        "no arm has role 'comparator'",
    ),
    "duplicate arm ids": (
        STUDY.format(id="trial-1").replace("id: ctl", "id: cni"),
        "column 'arms[1].id', value 'cni': arm id is declared twice",
    ),
    "unknown key": (STUDY.format(id="trial-1") + "sponsor: ACME\n", "'sponsor' was unexpected"),
    "n of zero": (
        STUDY.format(id="trial-1").replace("n: 50", "n: 0", 1),
        "column 'arms[0].n', value '0'",
    ),
    "python tag": (
        "id: !!python/object/apply:os.system ['echo pwned']\n",
        "line 1: invalid YAML: YAML tags",
    ),
    "alias": ("a: &x [1, 2]\nb: *x\n", "anchors and aliases"),
    # issue 13: data_as_of is an ISO calendar date
    "data_as_of not ISO": (
        STUDY.format(id="trial-1") + "data_as_of: 24/11/2026\n",
        "column 'data_as_of', value '24/11/2026'",
    ),
    "data_as_of not a day": (
        STUDY.format(id="trial-1") + "data_as_of: 2026-02-30\n",
        "column 'data_as_of', value '2026-02-30': data_as_of is not a calendar date (YYYY-MM-DD)",
    ),
}


def test_data_as_of_is_read_as_text(tmp_path):
    # YAML would read an unquoted 2026-11-24 as a date object; the contract keeps it as written
    [study] = load_studies(
        make(tmp_path, study=STUDY.format(id="trial-1") + "data_as_of: 2026-11-24\n"), "data/raw"
    )
    assert study.data_as_of == "2026-11-24"


@pytest.mark.parametrize("case", STUDY_CASES)
def test_bad_study_yaml_named(tmp_path, case):
    text, expected = STUDY_CASES[case]
    messages = problems(make(tmp_path, study=text))
    assert any("data/raw/trial-1/study.yaml" in m and expected in m for m in messages), messages


def test_folder_name_must_be_an_id(tmp_path):
    messages = problems(make(tmp_path, folder="Bad Name"))
    assert any("data/raw/Bad Name" in m and "not a valid study id" in m for m in messages)


def test_every_problem_reported_at_once(tmp_path):
    raw = make(tmp_path, "arm,term,events,source\ncni,Seizure,-1,P\nctl,Seizure,x,P\n")
    assert len(problems(raw)) == 2


def test_missing_files(tmp_path):
    (tmp_path / "raw" / "trial-1").mkdir(parents=True)
    messages = problems(tmp_path / "raw")
    assert any("study.yaml: file is missing" in m for m in messages)
    assert any("adverse_events.csv: file is missing" in m for m in messages)
