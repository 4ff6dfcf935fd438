"""Replacing a study folder never leaves the study missing or half-written (issue 19, item 6).

`import-ctgov --force` (and so `refresh-ctgov`) writes the new folder beside the old one and then
swaps them: one `renameat2(RENAME_EXCHANGE)` on Linux, two renames elsewhere. A failure is
injected at every file-system operation of a replacement in turn, either as a crash (that
operation and every later one fail, as if the process were killed: no clean-up runs) or as one
failing operation (later ones work). After each, the study folder must be the old folder or the
new one, byte for byte, at once where the exchange is used and after the recovery that every
import and refresh runs first where the two renames are; and no leftover may remain after it.

"old" is the real NCT00716976 record imported with one count changed (RPLS, EG000, 1 -> 0) plus
two hand-written files; "new" is the real record imported over it with --force (its files as an
uninterrupted import writes them).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from raremeta.cli import main
from raremeta.steps import registry_import
from raremeta.steps.registry_import import import_ctgov, recover_study_folders

RECORD = Path(__file__).parent / "fixtures" / "ctgov" / "NCT00716976.json"
ROLES = {"EG000": "cni", "EG001": "comparator"}
DRUGS = {"EG000": "thiosulfate", "EG001": "observation"}
STUDY = "accl0431"


class _Crash(BaseException):
    """The injected death of the process (BaseException: no `except Exception` catches it)."""


def _snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.is_dir():
        return None
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The old folder (an older copy of the record, hand-written files added) and what an
    uninterrupted --force import of the real record makes of it."""
    base = tmp_path_factory.mktemp("versions")
    old = json.loads(RECORD.read_text())
    events = old["resultsSection"]["adverseEventsModule"]["seriousEvents"]
    rpls = next(
        e for e in events if e["term"] == "Reversible posterior leukoencephalopathy syndrome"
    )
    stat = next(s for s in rpls["stats"] if s["groupId"] == "EG000")
    assert stat["numAffected"] == 1
    stat["numAffected"] = 0
    older = base / "NCT00716976-older-version-count-changed.json"
    older.write_text(json.dumps(old))
    raw = base / "raw"
    import_ctgov(older, STUDY, ROLES, DRUGS, raw)
    (raw / STUDY / "EXTRACTION.md").write_text("roles checked against the protocol\n")
    (raw / STUDY / "notes").mkdir()
    (raw / STUDY / "notes" / "call.txt").write_text("asked the sponsor, 2026-11-02\n")
    source = base / "old" / STUDY
    shutil.copytree(raw / STUDY, source)
    old_folder = _snapshot(source)
    import_ctgov(RECORD, STUDY, ROLES, DRUGS, raw, force=True)
    new_folder = _snapshot(raw / STUDY)
    assert old_folder != new_folder
    assert new_folder["EXTRACTION.md"] == old_folder["EXTRACTION.md"]
    assert new_folder["notes/call.txt"] == old_folder["notes/call.txt"]
    return source, old_folder, new_folder


def _exchange_works(tmp_path: Path) -> bool:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    try:
        return registry_import._exchange(tmp_path / "a", tmp_path / "b")
    finally:
        for name in ("a", "b"):
            (tmp_path / name).rmdir()


def _no_exchange(first: Path, second: Path) -> bool:
    return False


def _inject(m: pytest.MonkeyPatch, at: int, crash: bool, exchange) -> dict[str, int]:
    """Make the ``at``-th file-system operation fail (and, for a crash, every later one)."""
    state = {"n": 0, "dead": 0}

    def wrap(original, name):
        def operation(*args, **kwargs):
            state["n"] += 1
            if state["dead"]:
                raise _Crash(name)
            if state["n"] == at:
                if crash:
                    state["dead"] = 1
                    raise _Crash(name)
                if name == "rmtree" and kwargs.get("ignore_errors"):
                    return None  # a deletion that failed quietly: its rest is a leftover
                raise OSError(errno.EIO, f"injected failure of {name}")
            return original(*args, **kwargs)

        return operation

    m.setattr(os, "rename", wrap(os.rename, "rename"))
    m.setattr(shutil, "rmtree", wrap(shutil.rmtree, "rmtree"))
    m.setattr(shutil, "copy2", wrap(shutil.copy2, "copy2"))
    m.setattr(shutil, "copytree", wrap(shutil.copytree, "copytree"))
    m.setattr(Path, "write_bytes", wrap(Path.write_bytes, "write_bytes"))
    m.setattr(Path, "write_text", wrap(Path.write_text, "write_text"))
    m.setattr(registry_import, "_exchange", wrap(exchange, "exchange"))
    return state


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_exchange_works_here(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "f").write_text("b")
    assert registry_import._exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "f").read_text() == "b" and (tmp_path / "b" / "f").read_text() == "a"


@pytest.mark.parametrize("crash", [True, False], ids=["crash", "one-failure"])
@pytest.mark.parametrize("swap", ["exchange", "two-renames"])
def test_a_failure_at_any_point_leaves_the_old_or_the_new_folder_whole(
    tmp_path, versions, swap, crash
):
    source, old, new = versions
    exchange = registry_import._exchange if swap == "exchange" else _no_exchange
    if swap == "exchange" and not _exchange_works(tmp_path):
        pytest.skip("this system or file system cannot exchange two folders")
    seen = []
    for at in range(1, 100):
        raw = tmp_path / str(at) / "raw"
        shutil.copytree(source, raw / STUDY)
        with pytest.MonkeyPatch.context() as m:
            state = _inject(m, at, crash, exchange)
            with contextlib.suppress(_Crash, OSError):
                import_ctgov(RECORD, STUDY, ROLES, DRUGS, raw, force=True)
        if state["n"] < at:  # the import had fewer operations: it finished untouched
            assert _snapshot(raw / STUDY) == new
            assert sorted(p.name for p in raw.iterdir()) == [STUDY]
            break
        now = _snapshot(raw / STUDY)
        aside = _snapshot(raw / f".{STUDY}.replaced")
        if swap == "exchange" or not crash:  # the folder is whole at every moment
            assert now in (old, new), f"operation {at}"
        else:  # only a crash between the two renames leaves it missing, the old one aside
            assert now in (old, new) or (now is None and aside == old), f"operation {at}"
        recover_study_folders(raw)
        after = _snapshot(raw / STUDY)
        assert after in (old, new), f"operation {at}"
        assert sorted(p.name for p in raw.iterdir()) == [STUDY], f"operation {at}: leftovers"
        seen.append(("missing" if now is None else "old" if now == old else "new", after == new))
    else:
        pytest.fail("the import never finished")
    kinds = {state for state, _ in seen}
    assert "old" in kinds  # failures before the swap
    if crash:  # a crash after the swap, before the clean-up: the new folder, leftovers deleted
        assert "new" in kinds
    if swap == "two-renames" and crash:
        assert "missing" in kinds  # ... and recovery restored the old folder
        assert ("missing", False) in seen


def test_recovery_restores_a_folder_set_aside_and_deletes_leftovers(tmp_path, versions):
    source, old, _ = versions
    raw = tmp_path / "raw"
    shutil.copytree(source, raw / f".{STUDY}.replaced")  # a crash between the two renames
    (raw / f".{STUDY}.import-x1y2" / STUDY).mkdir(parents=True)  # the half-written new one
    shutil.copytree(source, raw / "other")
    shutil.copytree(source, raw / ".other.replaced")  # a crash after both renames
    (raw / ".not-ours").mkdir()
    done = recover_study_folders(raw)
    assert len(done) == 3
    assert _snapshot(raw / STUDY) == old and _snapshot(raw / "other") == old
    assert sorted(p.name for p in raw.iterdir()) == [".not-ours", STUDY, "other"]


def test_the_next_import_recovers_first_and_says_so(tmp_path, versions, capsys):
    source, old, new = versions
    raw = tmp_path / "raw"
    shutil.copytree(source, raw / f".{STUDY}.replaced")  # the study folder is missing
    command = ["import-ctgov", str(RECORD), "--study-id", STUDY, "--raw-dir", str(raw)]
    for group in ROLES:
        command += ["--role", f"{group}={ROLES[group]}", "--drug", f"{group}={DRUGS[group]}"]
    assert main(command) == 1  # the restored folder exists: --force is needed, as before
    err = capsys.readouterr().err
    assert "restored the folder an interrupted replacement had set aside" in err
    assert "study folder exists; add --force" in err
    assert _snapshot(raw / STUDY) == old
    assert main([*command, "--force"]) == 0
    assert _snapshot(raw / STUDY) == new
    assert sorted(p.name for p in raw.iterdir()) == [STUDY]


def test_a_study_set_aside_by_a_crash_stops_the_run_before_pooling(tmp_path):
    # review of issue 19: the workflow lists no hidden folder, so a crash between the two
    # renames (the study's folder set aside as .<id>.replaced, nothing in its place) would let
    # a run pool the review without it; rule check_studies stops it, naming the folder and the
    # command that restores it, and writes no manifest (nothing downstream runs)
    from raremeta.io.errors import InvalidInputError
    from raremeta.steps.gather import run_check_studies

    raw = tmp_path / "raw"
    (raw / ".aura-lv.replaced").mkdir(parents=True)
    (raw / "liu-2015").mkdir()
    studies = sorted((Path(__file__).parents[1] / "data/processed/studies").glob("*.json"))
    kept = [f for f in studies if f.stem != "aura-lv"]
    manifest = tmp_path / "manifest.json"
    with pytest.raises(InvalidInputError) as error:
        run_check_studies(kept, manifest, raw)
    [problem] = error.value.problems
    assert str(problem).startswith(f"{raw}/.aura-lv.replaced: study folder 'aura-lv' was set")
    assert "raremeta refresh-ctgov" in str(problem)
    assert not manifest.exists()
    (raw / "aura-lv").mkdir()  # the swap completed: the old folder is only left over
    run_check_studies(studies, manifest, raw)
    assert manifest.exists()


def test_refresh_tells_each_repair_once(tmp_path, capsys):
    # review of issue 19: recovery runs in the step (refresh_ctgov), which tells the command
    # line each repair; it no longer runs a second time, silently, after the command's own
    raw = tmp_path / "raw"
    (raw / ".trial-a.replaced").mkdir(parents=True)
    (raw / ".trial-b.import-x1y2").mkdir()
    closed = "http://127.0.0.1:9/api/v2"  # nothing imported: nothing is fetched
    assert main(["refresh-ctgov", "--raw-dir", str(raw), "--api-url", closed]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"note: {raw}/trial-a: restored the folder an interrupted replacement had set aside",
        f"note: {raw}/.trial-b.import-x1y2: deleted (left by an interrupted import)",
    ]
    assert sorted(p.name for p in raw.iterdir()) == ["trial-a"]
