"""`raremeta fetch-ctgov` and `refresh-ctgov` against a local server on 127.0.0.1 that serves a
saved real record (issue 13, item 4). No test touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from fake_api import JsonHandler, closed_port_url, serving

from raremeta.cli import main

RECORD = Path(__file__).parent / "fixtures" / "ctgov" / "NCT00716976.json"
VERSION = {"apiVersion": "2.0.5", "dataTimestamp": "2026-11-20T09:00:05"}


#: NCT ids the local server answers with an HTTP 503 (a registry down) and with a page that is
#: not JSON (a proxy's error page)
DOWN, NOT_JSON = "NCT00000503", "NCT00000200"
#: ... and with JSON that is no study record (a list; a record whose protocolSection is a list)
NOT_RECORD = {"NCT00000300": b"[]", "NCT00000301": b'{"protocolSection": []}'}


class _Registry(JsonHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        if self.path == f"/api/v2/studies/{DOWN}":
            self.send_error(503)
            return
        if self.path == "/api/v2/studies/NCT00716976":
            body = RECORD.read_bytes()
        elif self.path == f"/api/v2/studies/{NOT_JSON}":
            body = b"<html>maintenance</html>"
        elif self.path.removeprefix("/api/v2/studies/") in NOT_RECORD:
            body = NOT_RECORD[self.path.removeprefix("/api/v2/studies/")]
        elif self.path == "/api/v2/version":
            body = json.dumps(VERSION).encode()
        else:
            self.send_error(404)
            return
        self.send_json(body)


@pytest.fixture(scope="module")
def api():
    with serving(_Registry) as url:
        yield url


def test_fetch_saves_the_bytes_as_received_and_the_api_version(tmp_path, api):
    out = tmp_path / "NCT00716976.json"
    assert main(["fetch-ctgov", "NCT00716976", "--out", str(out), "--api-url", api]) == 0
    assert out.read_bytes() == RECORD.read_bytes()
    version = json.loads(Path(f"{out}.version.json").read_text())
    assert version["apiVersion"] == "2.0.5" and version["dataTimestamp"] == VERSION["dataTimestamp"]


def test_offline_is_exit_3_with_nothing_written(tmp_path, capsys):
    # issue 19, item 6: registry unreachable is 3 (was 2, which argparse uses for usage errors)
    out = tmp_path / "record.json"
    code = main(["fetch-ctgov", "NCT00716976", "--out", str(out), "--api-url", closed_port_url()])
    assert code == 3
    assert "cannot reach the registry" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("nct", "code", "expected"),
    # issue 19, item 6: a malformed id is a usage error, 2 (was 1); an unknown one stays 1
    [("NCT0071697", 2, "not an NCT id"), ("NCT99999999", 1, "the registry has no such record")],
)
def test_bad_id_is_exit_1_or_2_with_nothing_written(tmp_path, api, capsys, nct, code, expected):
    out = tmp_path / "record.json"
    assert main(["fetch-ctgov", nct, "--out", str(out), "--api-url", api]) == code
    assert expected in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _import_copy(tmp_path: Path, raw: Path, record: dict, name: str) -> None:
    copy = tmp_path / name
    copy.write_text(json.dumps(record))
    command = ["import-ctgov", str(copy), "--study-id", "accl0431", "--raw-dir", str(raw)]
    command += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    command += ["--drug", "EG000=thiosulfate", "--drug", "EG001=observation", "--force"]
    assert main(command) == 0


def test_refresh_reimports_changed_records_only_and_never_hand_entered_studies(tmp_path, api):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "aura-lv", raw / "aura-lv")  # hand-entered
    hand = {p.name: p.read_bytes() for p in (raw / "aura-lv").iterdir()}
    # an older copy of the record: the real one with one count changed (labelled as such):
    # RPLS in the serious table, EG000, 1 -> 0 participants affected
    old = json.loads(RECORD.read_text())
    old["derivedSection"]["miscInfoModule"]["versionHolder"] = "2025-01-01"
    rpls = [e for e in old["resultsSection"]["adverseEventsModule"]["seriousEvents"]]
    rpls = [e for e in rpls if e["term"] == "Reversible posterior leukoencephalopathy syndrome"]
    stat = next(s for s in rpls[0]["stats"] if s["groupId"] == "EG000")
    assert stat["numAffected"] == 1
    stat["numAffected"] = 0
    _import_copy(tmp_path, raw, old, "NCT00716976-older-version-count-changed.json")
    (raw / "accl0431" / "EXTRACTION.md").write_text("roles checked\n")
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == 0
    folder = raw / "accl0431"
    assert (folder / "ctgov_record.json").read_bytes() == RECORD.read_bytes()
    assert "data version 2026-03-06" in (folder / "adverse_events.csv").read_text()
    assert "data_as_of: '2026-03-06'" in (folder / "study.yaml").read_text()
    assert (folder / "EXTRACTION.md").read_text() == "roles checked\n"
    assert {p.name: p.read_bytes() for p in (raw / "aura-lv").iterdir()} == hand
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_new_data_release_alone_is_not_a_change(tmp_path, api):
    # the registry's versionHolder moves with every data release (registry/README.md); the same
    # content under an older release date is not re-imported (no weekly pull request of dates)
    raw = tmp_path / "raw"
    old = json.loads(RECORD.read_text())
    old["derivedSection"]["miscInfoModule"]["versionHolder"] = "2025-01-01"
    _import_copy(tmp_path, raw, old, "NCT00716976-older-release-date-only.json")
    folder = raw / "accl0431"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert "data_as_of: '2025-01-01'" in (folder / "study.yaml").read_text()


def test_refresh_offline_is_exit_3(tmp_path):
    raw = tmp_path / "raw"
    command = ["import-ctgov", str(RECORD), "--study-id", "accl0431", "--raw-dir", str(raw)]
    command += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    command += ["--drug", "EG000=thiosulfate", "--drug", "EG001=observation"]
    assert main(command) == 0
    # issue 19, item 6: 3 (was 2)
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", closed_port_url()]) == 3


def test_an_answer_that_is_not_json_is_exit_3(tmp_path, api, capsys):
    out = tmp_path / "record.json"
    assert main(["fetch-ctgov", NOT_JSON, "--out", str(out), "--api-url", api]) == 3
    assert "the API answered with no JSON" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("nct_id", "code"), [("NCT00000300", 3), ("NCT00000301", 1)])
def test_json_that_is_no_record_is_a_one_line_error(tmp_path, api, capsys, nct_id, code):
    # review of issue 19: a list where an object belongs used to crash with a traceback; a
    # list for the whole answer is no record at all (3, as an answer that is not JSON), a list
    # inside it is a record that is not this study's (1, as a record of another study)
    out = tmp_path / "record.json"
    assert main(["fetch-ctgov", nct_id, "--out", str(out), "--api-url", api]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()
    assert list(tmp_path.iterdir()) == []


def _copy_as(raw: Path, source: str, study: str, registry: str) -> None:
    """A copy of an imported folder under another study id and registry id (as a second
    imported trial would be)."""
    folder = raw / study
    shutil.copytree(raw / source, folder)
    for name, old, new in (
        ("study.yaml", f"id: {source}", f"id: {study}"),
        ("study.yaml", "registry: NCT00716976", f"registry: {registry}"),
        ("registry_import.yaml", f"study_id: {source}", f"study_id: {study}"),
    ):
        text = (folder / name).read_text()
        assert old in text
        (folder / name).write_text(text.replace(old, new))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("registry", "code", "cause"),
    [
        ("NCT99999999", 1, "the registry has no such record"),
        (DOWN, 3, "HTTP 503"),
    ],
)
def test_refresh_reports_exactly_what_it_changed_before_stopping(
    tmp_path, api, capsys, registry, code, cause
):
    # three imported studies, refreshed in name order: accl0431 changed (re-imported), then
    # "b-failing" stops the refresh (no such record / registry down), "c-later" is not reached
    raw = tmp_path / "raw"
    old = json.loads(RECORD.read_text())
    events = old["resultsSection"]["adverseEventsModule"]["seriousEvents"]
    rpls = next(e for e in events if e["term"].startswith("Reversible posterior"))
    next(s for s in rpls["stats"] if s["groupId"] == "EG000")["numAffected"] = 0  # was 1
    _import_copy(tmp_path, raw, old, "NCT00716976-older-version-count-changed.json")
    _copy_as(raw, "accl0431", "b-failing", registry)
    _copy_as(raw, "accl0431", "c-later", "NCT00716976")
    failing, later = _snapshot(raw / "b-failing"), _snapshot(raw / "c-later")
    capsys.readouterr()
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", api]) == code
    out, err = capsys.readouterr()
    assert out == "re-imported: accl0431\n"
    assert cause in err and "nothing was written" not in err
    assert (
        "refresh-ctgov stopped at b-failing (its folder is unchanged); re-imported before that: "
        "accl0431; not checked: c-later" in err
    )
    assert (raw / "accl0431" / "ctgov_record.json").read_bytes() == RECORD.read_bytes()
    assert _snapshot(raw / "b-failing") == failing and _snapshot(raw / "c-later") == later


def test_refresh_stopping_at_the_first_study_says_nothing_was_written(tmp_path, capsys):
    raw = tmp_path / "raw"
    _import_copy(tmp_path, raw, json.loads(RECORD.read_text()), "NCT00716976.json")
    capsys.readouterr()
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", closed_port_url()]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "cannot reach the registry" in err
    assert "stopped at accl0431 (its folder is unchanged); nothing was written" in err


MALFORMED = {
    "study.yaml not YAML": (
        "study.yaml",
        lambda text: text.replace("registry: NCT00716976", "registry: [NCT00716976"),
        "study.yaml, line ",
        "invalid YAML",
    ),
    "study.yaml a list": ("study.yaml", lambda text: "- 1\n", "study.yaml", "not a YAML mapping"),
    "study.yaml without a registry id": (
        "study.yaml",
        lambda text: text.replace("registry: NCT00716976\n", ""),
        "study.yaml, column 'registry', value ''",
        "registry must be an NCT id",
    ),
    "arguments name another study": (
        "registry_import.yaml",
        lambda text: text.replace("study_id: accl0431", "study_id: other"),
        "registry_import.yaml, column 'study_id', value 'other'",
        "study_id must be the folder's name (accl0431)",
    ),
    "arguments without roles": (
        "registry_import.yaml",
        lambda text: text.split("roles:")[0] + "drugs:" + text.split("drugs:")[1],
        "registry_import.yaml, column 'roles'",
        "must map event-group ids to text",
    ),
    "saved record not JSON": (
        "ctgov_record.json",
        lambda text: text[:100],
        "ctgov_record.json",
        "not valid JSON",
    ),
    "saved record missing": ("ctgov_record.json", None, "ctgov_record.json", "cannot read"),
    "study.yaml missing": ("study.yaml", None, "study.yaml", "file is missing"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_folder_is_one_line_per_problem_before_anything_is_fetched(
    tmp_path, capsys, case
):
    # the API URL is a closed port: reaching it would be exit 3, so exit 1 proves nothing was
    # fetched; both folders are as they were
    name, change, where, message = MALFORMED[case]
    raw = tmp_path / "raw"
    _import_copy(tmp_path, raw, json.loads(RECORD.read_text()), "NCT00716976.json")
    _copy_as(raw, "accl0431", "b-fine", "NCT00716976")
    path = raw / "accl0431" / name
    if change is None:
        path.unlink()
    else:
        path.write_text(change(path.read_text()))
    before = {f: _snapshot(raw / f) for f in ("accl0431", "b-fine")}
    capsys.readouterr()
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", closed_port_url()]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "1 problem in the input; nothing was computed:", err
    assert lines[1].startswith(f"  - {raw / 'accl0431'}/") and len(lines) == 2, err
    assert where in lines[1] and message in lines[1], err
    assert {f: _snapshot(raw / f) for f in ("accl0431", "b-fine")} == before


def test_a_record_is_never_left_without_its_version_file(tmp_path, api, monkeypatch, capsys):
    # review of issue 19: the version file is written after the record; when that write fails
    # (here: the disk fills up), the record is removed again and the error is one line, exit 1
    from raremeta.steps import registry_fetch

    real = registry_fetch.atomic_write_bytes

    def fail_on_version(path, data):
        if str(path).endswith(".version.json"):
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(registry_fetch, "atomic_write_bytes", fail_on_version)
    out = tmp_path / "record.json"
    assert main(["fetch-ctgov", "NCT00716976", "--out", str(out), "--api-url", api]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
