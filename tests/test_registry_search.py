"""`raremeta search-ctgov` against a local server on 127.0.0.1 serving API v2 pages built from
the committed real records (tests/fixtures/ctgov/, copies of shared/registry/ctgov/); issue 24,
items 2 and 6. No test touches the network beyond 127.0.0.1.

The server answers ``GET /api/v2/studies`` by the query's ``query.cond`` (each test's config
names the data set it wants) with the records of that set, ``pageSize`` at a time, the next
page's offset as ``nextPageToken``; ``GET /api/v2/version`` with a fixed version.
"""

from __future__ import annotations

import csv
import hashlib
import json
import urllib.parse
from pathlib import Path

import pytest
from fake_api import JsonHandler, closed_port_url, serving

from raremeta.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov"
REAL = ["NCT00567567", "NCT00716976", "NCT01987596", "NCT02513394"]
RECORDS = {nct: json.loads((FIXTURES / f"{nct}.json").read_text()) for nct in REAL}
VERSION = {"apiVersion": "2.0.5", "dataTimestamp": "2026-12-01T09:00:05"}
#: A record with sparse fields: only its id, a title and its status (no design module, no arms,
#: no results flag); a registry may send such a record for a study without a posted design.
SPARSE = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT09999999", "briefTitle": "Sparse record"},
        "statusModule": {"overallStatus": "NOT_YET_RECRUITING"},
    }
}
#: Data sets by query.cond; "midway-503" answers its second page with an HTTP 503.
DATASETS = {
    "four real records": [RECORDS[n] for n in REAL],
    "two real records": [RECORDS["NCT00716976"], RECORDS["NCT01987596"]],
    "nothing": [],
    "sparse": [SPARSE, RECORDS["NCT00716976"]],
    "midway-503": [RECORDS[n] for n in REAL],
}
REQUESTS: list[dict[str, str]] = []


class _Registry(JsonHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/api/v2/version":
            return self.send_json(json.dumps(VERSION).encode())
        if url.path != "/api/v2/studies" or query.get("query.cond") not in DATASETS:
            return self.send_error(404)
        REQUESTS.append(query)
        records = DATASETS[query["query.cond"]]
        size = int(query["pageSize"])
        start = int(query.get("pageToken", "0"))
        if start > 0 and query["query.cond"] == "midway-503":
            return self.send_error(503)
        page = {"studies": records[start : start + size]}
        if start + size < len(records):
            page["nextPageToken"] = str(start + size)
        return self.send_json(json.dumps(page).encode())


@pytest.fixture(scope="module")
def api():
    with serving(_Registry) as url:
        yield url


def _config(tmp_path: Path, *conditions: str) -> Path:
    lines = ["outcomes:", "  pres: {label: PRES, terms: [PRES]}", "registry_search:"]
    for index, condition in enumerate(conditions):
        lines += [
            f"  - id: q{index + 1}",
            f"    condition: {condition}",
            "    interventions: [tacrolimus, mycophenolate mofetil]",
        ]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _raw(tmp_path: Path, registry: str = "") -> Path:
    raw = tmp_path / "raw"
    (raw / "accl0431").mkdir(parents=True, exist_ok=True)
    if registry:
        (raw / "accl0431" / "study.yaml").write_text(f"id: accl0431\nregistry: {registry}\n")
    return raw


def _search(tmp_path: Path, api: str, config: Path, raw: Path, *extra: str) -> int:
    out = tmp_path / "search" / "ctgov.csv"
    command = ["search-ctgov", "--api-url", api, "--out", str(out), "--config", str(config)]
    command += ["--raw-dir", str(raw), "--selection", str(tmp_path / "none.csv"), *extra]
    return main(command)


def _rows(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "search" / "ctgov.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_paging_collects_every_page_and_keeps_each_as_received(tmp_path, api, monkeypatch):
    # pageSize 3 over the four real records: two pages (3 + 1), the second asked with
    # pageToken=3 (the server's nextPageToken)
    monkeypatch.setattr("raremeta.steps.registry_search.PAGE_SIZE", 3)
    REQUESTS.clear()
    config = _config(tmp_path, "four real records")
    assert _search(tmp_path, api, config, _raw(tmp_path)) == 0
    assert [r.get("pageToken") for r in REQUESTS] == [None, "3"]
    # the query: condition, interventions joined with OR (a phrase quoted), interventional only
    assert REQUESTS[0]["query.intr"] == 'tacrolimus OR "mycophenolate mofetil"'
    assert REQUESTS[0]["filter.advanced"] == "AREA[StudyType]INTERVENTIONAL"
    assert REQUESTS[0]["pageSize"] == "3"
    rows = _rows(tmp_path)
    assert [r["registry_id"] for r in rows] == sorted(REAL)
    manifest = json.loads((tmp_path / "search" / "ctgov.json").read_text())
    pages = manifest["queries"][0]["pages"]
    assert [p["file"] for p in pages] == ["ctgov/q1-001.json", "ctgov/q1-002.json"]
    for page in pages:
        data = (tmp_path / "search" / page["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == page["sha256"]
    # 3 studies on the first page, 1 on the second (4 records)
    first = json.loads((tmp_path / "search" / pages[0]["file"]).read_text())
    assert len(first["studies"]) == 3 and first["nextPageToken"] == "3"
    assert manifest["apiVersion"] == "2.0.5"
    assert manifest["queries"][0]["records"] == 4
    assert (
        manifest["table_sha256"]
        == hashlib.sha256((tmp_path / "search" / "ctgov.csv").read_bytes()).hexdigest()
    )
    assert json.loads((tmp_path / "search" / "ctgov" / "version.json").read_text()) == VERSION


def test_the_fields_of_a_real_record(tmp_path, api):
    assert _search(tmp_path, api, _config(tmp_path, "two real records"), _raw(tmp_path)) == 0
    row = next(r for r in _rows(tmp_path) if r["registry_id"] == "NCT00716976")
    # tests/fixtures/ctgov/NCT00716976.json: briefTitle, overallStatus COMPLETED, phases
    # [PHASE3], enrollmentInfo.count 131, hasResults true, resultsFirstPostDateStruct 2017-06-01,
    # two arm groups with their interventionNames
    assert row["title"].startswith("Sodium Thiosulfate in Preventing Hearing Loss")
    assert (row["status"], row["phase"], row["enrolment"]) == ("COMPLETED", "PHASE3", "131")
    assert (row["has_results"], row["results_first_posted"]) == ("true", "2017-06-01")
    assert row["groups"] == (
        "STS Arm (sodium thiosulfate treatment) (EXPERIMENTAL): Drug: sodium thiosulfate + "
        "Procedure: examination | Observation Arm (No sodium thiosulfate treatment) "
        "(EXPERIMENTAL): Procedure: examination"
    )
    assert (row["queries"], row["in_data_raw"]) == ("q1", "false")


def test_a_record_already_in_data_raw(tmp_path, api):
    # the folder names it among several ids, as aura-lv does ("NCT...; EudraCT ...")
    raw = _raw(tmp_path, "nct00716976; EudraCT 2012-003364-51")
    assert _search(tmp_path, api, _config(tmp_path, "two real records"), raw) == 0
    flags = {r["registry_id"]: r["in_data_raw"] for r in _rows(tmp_path)}
    assert flags == {"NCT00716976": "true", "NCT01987596": "false"}


def test_a_record_with_sparse_fields_is_read_not_refused(tmp_path, api):
    assert _search(tmp_path, api, _config(tmp_path, "sparse"), _raw(tmp_path)) == 0
    row = next(r for r in _rows(tmp_path) if r["registry_id"] == "NCT09999999")
    assert row == {
        "registry_id": "NCT09999999",
        "title": "Sparse record",
        "status": "NOT_YET_RECRUITING",
        "phase": "",
        "groups": "",
        "enrolment": "",
        "has_results": "",
        "results_first_posted": "",
        "queries": "q1",
        "in_data_raw": "false",
    }


def test_an_empty_result_is_a_table_with_no_rows(tmp_path, api):
    assert _search(tmp_path, api, _config(tmp_path, "nothing"), _raw(tmp_path)) == 0
    assert (tmp_path / "search" / "ctgov.csv").read_text().strip() == (
        "registry_id,title,status,phase,groups,enrolment,has_results,results_first_posted,"
        "queries,in_data_raw"
    )
    manifest = json.loads((tmp_path / "search" / "ctgov.json").read_text())
    assert manifest["queries"][0]["records"] == 0
    assert manifest["history"] == [
        {"search_date": manifest["search_date"], "records": 0, "new_records": []}
    ]


def test_an_http_error_in_the_middle_of_paging_writes_nothing(tmp_path, api, capsys, monkeypatch):
    monkeypatch.setattr("raremeta.steps.registry_search.PAGE_SIZE", 2)
    config = _config(tmp_path, "midway-503")
    assert _search(tmp_path, api, config, _raw(tmp_path)) == 3
    assert "HTTP 503" in capsys.readouterr().err
    assert not (tmp_path / "search").exists()


def test_an_http_error_leaves_an_earlier_search_byte_for_byte(tmp_path, api, monkeypatch):
    assert _search(tmp_path, api, _config(tmp_path, "two real records"), _raw(tmp_path)) == 0
    before = _files(tmp_path / "search")
    monkeypatch.setattr("raremeta.steps.registry_search.PAGE_SIZE", 2)
    assert _search(tmp_path, api, _config(tmp_path, "midway-503"), _raw(tmp_path)) == 3
    assert _files(tmp_path / "search") == before


def test_unreachable_is_exit_3_with_nothing_written(tmp_path):
    config = _config(tmp_path, "four real records")
    assert _search(tmp_path, closed_port_url(), config, _raw(tmp_path)) == 3
    assert not (tmp_path / "search").exists()


def test_an_unchanged_search_writes_nothing_and_a_changed_one_adds_a_search_date(
    tmp_path, api, capsys
):
    raw = _raw(tmp_path)
    config = _config(tmp_path, "two real records")
    assert _search(tmp_path, api, config, raw) == 0
    before = _files(tmp_path / "search")
    capsys.readouterr()
    # the same records and fields on another day: nothing new (no pull request for a date)
    assert _search(tmp_path, api, config, raw) == 0
    assert "nothing was written" in capsys.readouterr().out
    assert _files(tmp_path / "search") == before
    # two more records appear (a second query finds the four): a new search date whose new
    # records are the two not found before, NCT00567567 and NCT02513394
    config = _config(tmp_path, "two real records", "four real records")
    from raremeta.steps.registry_search import search_ctgov

    outcome = search_ctgov(config, tmp_path / "search" / "ctgov.csv", api, raw, "2099-01-01")
    assert outcome.written and outcome.new_records == ("NCT00567567", "NCT02513394")
    manifest = json.loads((tmp_path / "search" / "ctgov.json").read_text())
    assert [h["records"] for h in manifest["history"]] == [2, 4]
    assert manifest["history"][1] == {
        "search_date": "2099-01-01",
        "records": 4,
        "new_records": ["NCT00567567", "NCT02513394"],
    }
    found_by = {r["registry_id"]: r["queries"] for r in _rows(tmp_path)}
    assert found_by["NCT00716976"] == "q1; q2" and found_by["NCT02513394"] == "q2"


def test_records_without_a_decision_are_listed(tmp_path, api, capsys):
    selection = tmp_path / "selection.csv"
    selection.write_text(
        "study_id,record_id,decision,reason,decided_on,decided_by\n"
        ",NCT00716976,exclude,not lupus nephritis,2026-12-06,A Reviewer\n"
    )
    config = _config(tmp_path, "two real records")
    out = tmp_path / "search" / "ctgov.csv"
    command = ["search-ctgov", "--api-url", api, "--out", str(out), "--config", str(config)]
    command += ["--raw-dir", str(_raw(tmp_path)), "--selection", str(selection)]
    assert main(command) == 0
    assert "(awaiting): NCT01987596" in capsys.readouterr().out


def test_a_config_without_a_search_is_exit_1(tmp_path, api, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("outcomes:\n  pres: {label: PRES, terms: [PRES]}\n")
    assert _search(tmp_path, api, config, _raw(tmp_path)) == 1
    assert "no saved search" in capsys.readouterr().err


def test_two_queries_with_one_id_are_refused(tmp_path, api, capsys):
    config = _config(tmp_path, "nothing", "sparse")
    config.write_text(config.read_text().replace("id: q2", "id: q1"))
    assert _search(tmp_path, api, config, _raw(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "registry_search[1].id" in err and "query id is used twice" in err
    assert not (tmp_path / "search").exists()


def test_the_weekly_job_runs_the_search_and_lists_the_new_records_in_the_pull_request():
    # issue 24, item 5: .github/workflows/registry-refresh.yml runs the search after the
    # refresh, reruns the analysis when data/search changed, and puts the search's output (its
    # "new:" and "awaiting" lines) in the pull request's body
    import yaml
    from conftest import ROOT

    job = yaml.safe_load((ROOT / ".github" / "workflows" / "registry-refresh.yml").read_text())
    steps = job["jobs"]["refresh"]["steps"]
    runs = [step.get("run", "") for step in steps]
    search = next(i for i, run in enumerate(runs) if "raremeta search-ctgov" in run)
    refresh = next(i for i, run in enumerate(runs) if "raremeta refresh-ctgov" in run)
    rerun = next(i for i, run in enumerate(runs) if "make run" in run)
    assert refresh < search < rerun
    assert "data/search" in runs[rerun]
    assert any("search.txt" in run and "pr-body.md" in run for run in runs)
    pull = steps[-1]
    assert pull["uses"].startswith("peter-evans/create-pull-request")
    assert pull["with"]["body-path"].endswith("pr-body.md")
