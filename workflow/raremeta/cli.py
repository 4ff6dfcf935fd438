"""The raremeta command: ClinicalTrials.gov records into study folders of data/raw.

Search the registry with the saved search (new records await a person's decision in
data/study_selection.csv), fetch a record, import it as a study folder giving its event groups
roles and drugs, and keep imported studies current. "raremeta SUBCOMMAND --help" lists a
subcommand's options. A study folder is replaced whole or not at all; what an interrupted
import left is repaired by the next import or refresh.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from raremeta.io.ctgov import ROLES
from raremeta.io.errors import InvalidInputError


class ExitCode(IntEnum):
    """The exit codes of ``raremeta`` (README, "Adding a trial from a registry")."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    REGISTRY_UNREACHABLE = 3


#: What each exit code means, as the help and the README state it.
EXIT_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.BAD_INPUT: "bad input: a record, a study folder, a value that does not fit the "
    "record, or a file that cannot be read or written (one line per problem, naming the file, "
    "the field and the value)",
    ExitCode.USAGE: "usage error (argparse's): an unknown option, a missing argument, a "
    "malformed id or GROUP=VALUE; nothing was read",
    ExitCode.REGISTRY_UNREACHABLE: "the registry could not be reached or did not answer with "
    "JSON; trying again later may help",
}
#: Said after the table: what a failed run leaves.
EXIT_NOTE = (
    "On 1 and 3 nothing was written, except the studies refresh-ctgov reports as re-imported "
    "(each one whole) and the repairs of an earlier interrupted import printed as 'note:'."
)
RAW_DIR = Path("data/raw")
SEARCH_TABLE = Path("data/search/ctgov.csv")
SELECTION_FILE = Path("data/study_selection.csv")


def exit_code_help() -> str:
    """The exit-code paragraph of every help page."""
    lines = ["exit codes:"]
    for code, meaning in EXIT_MEANINGS.items():
        lines += textwrap.wrap(
            meaning, 88, initial_indent=f"  {int(code)}  ", subsequent_indent="     "
        )
    lines += textwrap.wrap(
        EXIT_NOTE, 88, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )
    return "\n".join(lines)


def _study_id(value: str) -> str:
    from raremeta.io.raw_studies import STUDY_ID

    if not STUDY_ID.match(value):
        raise argparse.ArgumentTypeError(f"not a study id ([a-z0-9][a-z0-9_-]*): {value!r}")
    return value


def _nct_id(value: str) -> str:
    from raremeta.steps.registry_fetch import NCT_ID

    if not NCT_ID.match(value):
        raise argparse.ArgumentTypeError(f"not an NCT id (NCT + 8 digits): {value!r}")
    return value


def _pair(
    option: str, example: str, allowed: tuple[str, ...] = ()
) -> Callable[[str], tuple[str, str]]:
    """An argparse type for ``GROUP=VALUE`` (VALUE one of ``allowed``, if given)."""

    def parse(value: str) -> tuple[str, str]:
        key, sep, item = value.partition("=")
        if not sep or not key or not item:
            raise argparse.ArgumentTypeError(f"takes GROUP=VALUE (e.g. {example}): {value!r}")
        if allowed and item not in allowed:
            raise argparse.ArgumentTypeError(f"the role must be {' or '.join(allowed)}: {value!r}")
        return key, item

    parse.__name__ = option
    return parse


def _groups(
    parser: argparse.ArgumentParser, pairs: list[tuple[str, str]], option: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    for group, item in pairs:
        if group in found:
            parser.error(f"argument {option}: event group {group} is given twice")
        found[group] = item
    return found


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and the parser of each subcommand."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="raremeta",
        description=__doc__,
        epilog=exit_code_help(),
        formatter_class=formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    def subcommand(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
            epilog=exit_code_help(),
            formatter_class=formatter,
        )

    fetch = subcommand(
        "fetch-ctgov",
        "save a ClinicalTrials.gov record as the API sends it, and the API's version",
        "Writes OUT (the record's bytes) and OUT.version.json (apiVersion, dataTimestamp), or\n"
        "nothing: both answers must arrive and the record must be the study asked for.",
    )
    fetch.add_argument("nct_id", type=_nct_id, help="the trial's NCT id, e.g. NCT02141672")
    fetch.add_argument("--out", type=Path, required=True, help="where to save the record")
    fetch.add_argument(
        "--api-url", default=None, help="the API's base URL (default: the public API v2)"
    )

    imp = subcommand(
        "import-ctgov",
        "turn a saved ClinicalTrials.gov API v2 record into a study folder",
        "Writes RAW_DIR/STUDY_ID/ (study.yaml, adverse_events.csv, ctgov_record.json,\n"
        "REGISTRY.md, registry_import.yaml and, if absent, EXTRACTION.md). Event groups are not\n"
        "arms: give each group that enters the comparison a role and a drug. If they do not\n"
        "match the record, the message lists its groups (id, title, number at risk).",
    )
    imp.add_argument("record", type=Path, help="the record (JSON, as the API returns it)")
    imp.add_argument(
        "--study-id", type=_study_id, required=True, help="the study id (the folder's name)"
    )
    imp.add_argument(
        "--role",
        type=_pair("role", "EG000=cni", ROLES),
        action="append",
        default=[],
        metavar="GROUP=ROLE",
        help="an event group's role, cni or comparator (once per group; e.g. EG001=cni)",
    )
    imp.add_argument(
        "--drug",
        type=_pair("drug", "EG000=placebo"),
        action="append",
        default=[],
        metavar="GROUP=DRUG",
        help="the drug of each group given a role (e.g. EG001=voclosporin)",
    )
    imp.add_argument(
        "--raw-dir",
        type=Path,
        default=RAW_DIR,
        help="the folder of study folders to write into (default: %(default)s)",
    )
    imp.add_argument(
        "--force",
        action="store_true",
        help="replace an existing folder's generated files; every other file is kept",
    )

    refresh = subcommand(
        "refresh-ctgov",
        "re-fetch every imported study's record; re-import those whose content changed",
        "Reads every RAW_DIR/*/registry_import.yaml (hand-entered studies are never touched);\n"
        "a malformed folder stops it before anything is fetched. A new versionHolder alone is\n"
        "no change. If it stops at a study, it says which studies it re-imported before.",
    )
    refresh.add_argument(
        "--raw-dir",
        type=Path,
        default=RAW_DIR,
        help="the folder of study folders to refresh (default: %(default)s)",
    )
    refresh.add_argument(
        "--api-url", default=None, help="the API's base URL (default: the public API v2)"
    )
    search = subcommand(
        "search-ctgov",
        "run the saved registry search (config.yaml registry_search) against ClinicalTrials.gov",
        "Writes OUT (one row per record found), OUT's pages as received (the folder named like\n"
        "OUT without .csv) and its manifest (OUT with .json: search date, API version, sha256 of\n"
        "every page, the records new at each search), or nothing: every page must arrive, and a\n"
        "search whose records and fields did not change writes nothing. Nothing is included:\n"
        "decide each new record in data/study_selection.csv.",
    )
    search.add_argument(
        "--api-url", default=None, help="the API's base URL (default: the public API v2)"
    )
    search.add_argument(
        "--out",
        type=Path,
        default=SEARCH_TABLE,
        help="the search table to write (default: %(default)s)",
    )
    search.add_argument(
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="the configuration with registry_search (default: %(default)s)",
    )
    search.add_argument(
        "--raw-dir",
        type=Path,
        default=RAW_DIR,
        help="the study folders, for in_data_raw (default: %(default)s)",
    )
    search.add_argument(
        "--selection",
        type=Path,
        default=SELECTION_FILE,
        help="the selection decisions, to list records without one (default: %(default)s)",
    )
    return parser, {
        "fetch-ctgov": fetch,
        "import-ctgov": imp,
        "refresh-ctgov": refresh,
        "search-ctgov": search,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (:class:`ExitCode`)."""
    parser, subparsers = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "import-ctgov":
            imp = subparsers["import-ctgov"]
            roles = _groups(imp, args.role, "--role")
            drugs = _groups(imp, args.drug, "--drug")
    except SystemExit as stop:  # argparse: --help (0) or a usage error (2)
        return int(stop.code or 0)
    try:
        if args.command == "import-ctgov":
            return int(_import(args, roles, drugs))
        if args.command == "search-ctgov":
            return int(_search(args))
        return int(_registry(args))
    except InvalidInputError as error:
        print(error, file=sys.stderr)
    except OSError as error:  # a file that cannot be read or written
        print(f"raremeta {args.command}: {error}", file=sys.stderr)
    return int(ExitCode.BAD_INPUT)


def _repaired(note: str) -> None:
    """Tell what recovery repaired before an import or refresh (what a crash left)."""
    print(f"note: {note}", file=sys.stderr)


def _import(args: argparse.Namespace, roles: dict[str, str], drugs: dict[str, str]) -> int:
    from raremeta.steps.registry_import import import_ctgov

    folder, imported = import_ctgov(
        args.record, args.study_id, roles, drugs, args.raw_dir, args.force, _repaired
    )
    print(f"imported {imported.facts['registry']} into {folder}: {len(imported.rows)} rows")
    for note in imported.notes:
        print(f"  note: {note}")
    return ExitCode.OK


def _search(args: argparse.Namespace) -> int:
    from raremeta.io.study_selection import undecided_records
    from raremeta.steps.registry_fetch import API_URL, RegistryUnreachableError
    from raremeta.steps.registry_search import search_ctgov

    try:
        outcome = search_ctgov(
            args.config, args.out, args.api_url or API_URL, args.raw_dir, on_progress=print
        )
    except RegistryUnreachableError as error:
        print(f"{error}; nothing was written", file=sys.stderr)
        return ExitCode.REGISTRY_UNREACHABLE
    if not outcome.written:
        print(f"no record or field changed since the search of {outcome.previous_date}; "
              "nothing was written")  # fmt: skip
    else:
        print(f"wrote {args.out}: {len(outcome.records)} records")
        for record in outcome.records:
            if record.registry_id in outcome.new_records:
                print(f"new: {record.registry_id} {record.title}")
    waiting = undecided_records([r.registry_id for r in outcome.records], args.selection)
    if waiting:
        print(f"no decision yet in {args.selection} (awaiting): {', '.join(waiting)}")
    return ExitCode.OK


def _registry(args: argparse.Namespace) -> int:
    from raremeta.steps.registry_fetch import (
        API_URL,
        RefreshStoppedError,
        RegistryUnreachableError,
        fetch_ctgov,
        refresh_ctgov,
    )

    api_url = args.api_url or API_URL
    if args.command == "fetch-ctgov":
        try:
            facts = fetch_ctgov(args.nct_id, args.out, api_url)
        except RegistryUnreachableError as error:
            print(f"{error}; nothing was written", file=sys.stderr)
            return ExitCode.REGISTRY_UNREACHABLE
        print(f"saved {args.nct_id} to {args.out} (API {facts['apiVersion']}, data of "
              f"{facts['dataTimestamp']})")  # fmt: skip
        return ExitCode.OK
    try:
        report = refresh_ctgov(args.raw_dir, api_url, _repaired)
    except RefreshStoppedError as stop:
        if stop.report.reimported:
            print(f"re-imported: {', '.join(stop.report.reimported)}")
        print(stop, file=sys.stderr)
        if isinstance(stop.cause, RegistryUnreachableError):
            return ExitCode.REGISTRY_UNREACHABLE
        return ExitCode.BAD_INPUT
    if report.reimported:
        print(f"re-imported: {', '.join(report.reimported)}")
    else:
        print("no record changed")
    if report.unchanged:
        print(f"unchanged: {', '.join(report.unchanged)}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
