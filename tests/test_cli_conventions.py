"""`raremeta` command-line conventions (issue 19, item 6): exit codes, help, usage errors.

The exit-code table is the README's ("Adding a trial from a registry", "The command line"): the
help must print the same codes with the same meanings. The options each subcommand must list
are the ones the README documents for it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from raremeta.cli import build_parser, main

RECORD = Path(__file__).parent / "fixtures" / "ctgov" / "NCT00716976.json"
#: the options README.md documents per subcommand ("Adding a trial from a registry")
OPTIONS = {
    "fetch-ctgov": ["--out", "--api-url"],
    "import-ctgov": ["--study-id", "--role", "--drug", "--raw-dir", "--force"],
    "refresh-ctgov": ["--raw-dir", "--api-url"],
    # issue 24 (README "Finding new trials")
    "search-ctgov": ["--api-url", "--out", "--config", "--raw-dir", "--selection"],
}


def _readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("**The command line.**") :]
    rows = re.findall(r"^\| (\d) \| (.+) \|$", section, flags=re.M)
    assert [int(code) for code, _ in rows] == [0, 1, 2, 3]
    return {int(code): meaning for code, meaning in rows}


def _help(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    return re.sub(r"\s+", " ", out)


@pytest.mark.parametrize(
    "argv", [[], ["fetch-ctgov"], ["import-ctgov"], ["refresh-ctgov"], ["search-ctgov"]]
)
def test_every_help_page_states_the_readme_exit_codes(capsys, argv):
    page = _help(capsys, *argv)
    for code, meaning in _readme_exit_codes().items():
        assert f" {code} {meaning.replace('`', '')}" in page, (code, page)


def test_the_top_help_lists_every_subcommand_with_what_it_does(capsys):
    page = _help(capsys)
    # the old help was the module docstring's first line only
    for command in OPTIONS:
        assert re.search(rf"{command} \w+", page), command
    assert "SUBCOMMAND --help" in page


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_option_is_listed_with_a_help_text(capsys, command):
    page = _help(capsys, command)
    for option in OPTIONS[command]:
        assert re.search(rf" {option}( [A-Z_=]+)? [a-z(]", page), (option, page)
    _, subparsers = build_parser()
    for action in subparsers[command]._actions:  # an option added later needs a help text too
        assert action.help, action.option_strings or action.dest


IMPORT = ["import-ctgov", "r.json", "--study-id", "a"]
USAGE_ERRORS = {
    "no subcommand": ([], "required: SUBCOMMAND"),
    "unknown subcommand": (["import"], "invalid choice: 'import'"),
    "unknown option": (["refresh-ctgov", "--rawdir", "x"], "unrecognized arguments: --rawdir"),
    "missing --study-id": (["import-ctgov", "r.json"], "required: --study-id"),
    "malformed study id": (["import-ctgov", "r.json", "--study-id", "A b"], "not a study id"),
    "--role without =": (
        [*IMPORT, "--role", "EG000"],
        "argument --role: takes GROUP=VALUE",
    ),
    "unknown role": (
        [*IMPORT, "--role", "EG000=treated"],
        "the role must be cni or comparator",
    ),
    "a group given two roles": (
        [*IMPORT, "--role", "EG000=cni", "--role", "EG000=comparator"],
        "event group EG000 is given twice",
    ),
    "--drug without a drug": (
        [*IMPORT, "--drug", "EG000="],
        "argument --drug: takes GROUP=VALUE",
    ),
    "malformed NCT id": (["fetch-ctgov", "NCT123", "--out", "x.json"], "not an NCT id"),
    "fetch without --out": (["fetch-ctgov", "NCT00716976"], "required: --out"),
    "search with an unknown option": (
        ["search-ctgov", "--query", "x"],
        "unrecognized arguments: --query",
    ),
}


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_exit_2_with_the_usage_and_nothing_written(
    tmp_path, capsys, monkeypatch, case
):
    argv, expected = USAGE_ERRORS[case]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: raremeta") and expected in err, err
    assert list(tmp_path.iterdir()) == []


def test_the_installed_command_exits_2_on_a_usage_error_and_1_on_bad_input(tmp_path):
    script = Path(sys.executable).parent / "raremeta"
    usage = subprocess.run(
        [str(script), "import-ctgov", str(RECORD), "--study-id", "Bad Id"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2 and "not a study id" in usage.stderr
    command = [str(script), "import-ctgov", str(RECORD), "--study-id", "x"]
    bad = subprocess.run(
        [*command, "--raw-dir", str(tmp_path), "--role", "EG000=cni"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "no event group is given the role comparator" in bad.stderr


def test_a_file_that_cannot_be_written_is_one_line_and_exit_1(tmp_path, capsys):
    # the raw folder's parent is a file: the folder cannot be made (no traceback)
    blocker = tmp_path / "file"
    blocker.write_text("")
    argv = ["import-ctgov", str(RECORD), "--study-id", "x", "--raw-dir", str(blocker / "raw")]
    argv += ["--role", "EG000=cni", "--role", "EG001=comparator"]
    argv += ["--drug", "EG000=a", "--drug", "EG001=b"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("raremeta import-ctgov: ") and err.count("\n") == 1, err
