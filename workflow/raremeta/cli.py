"""The ``raremeta`` command: registry ingestion (``import-ctgov``, ``fetch-ctgov``,
``refresh-ctgov``).

Exit codes: 0 success, 1 bad input (a message naming the file and the field, nothing written),
2 the registry could not be reached (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raremeta.io.errors import InvalidInputError, Problem


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key or not item:
            raise InvalidInputError(
                [
                    Problem(
                        "command line",
                        f"{option} takes GROUP=VALUE (e.g. EG000=comparator)",
                        value=value,
                    )
                ]
            )
        pairs[key] = item
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="raremeta", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser(
        "import-ctgov", help="a ClinicalTrials.gov API v2 record -> a study folder in data/raw"
    )
    imp.add_argument("record", type=Path, help="the record (JSON, as the API returns it)")
    imp.add_argument("--study-id", required=True, help="the study id (the folder name)")
    imp.add_argument("--role", action="append", default=[], help="GROUP=cni|comparator")
    imp.add_argument("--drug", action="append", default=[], help="GROUP=DRUG")
    imp.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    imp.add_argument("--force", action="store_true", help="replace the generated files")
    fetch = sub.add_parser("fetch-ctgov", help="save a record as received (and its API version)")
    fetch.add_argument("nct_id", help="e.g. NCT02141672")
    fetch.add_argument("--out", type=Path, required=True, help="where to save the record")
    fetch.add_argument("--api-url", default=None, help="the API's base URL")
    refresh = sub.add_parser(
        "refresh-ctgov", help="re-fetch every imported study; re-import the changed ones"
    )
    refresh.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    refresh.add_argument("--api-url", default=None, help="the API's base URL")
    args = parser.parse_args(argv)
    if args.command in ("fetch-ctgov", "refresh-ctgov"):
        return _registry(args)
    from raremeta.steps.registry_import import import_ctgov

    try:
        folder, imported = import_ctgov(
            args.record,
            args.study_id,
            _pairs(args.role, "--role"),
            _pairs(args.drug, "--drug"),
            args.raw_dir,
            args.force,
        )
    except InvalidInputError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"imported {imported.facts['registry']} into {folder}: {len(imported.rows)} rows")
    for note in imported.notes:
        print(f"  note: {note}")
    return 0


def _registry(args: argparse.Namespace) -> int:
    from raremeta.steps.registry_fetch import (
        API_URL,
        RegistryUnreachableError,
        fetch_ctgov,
        refresh_ctgov,
    )

    api_url = args.api_url or API_URL
    try:
        if args.command == "fetch-ctgov":
            facts = fetch_ctgov(args.nct_id, args.out, api_url)
            print(f"saved {args.nct_id} to {args.out} (API {facts['apiVersion']}, data of "
                  f"{facts['dataTimestamp']})")  # fmt: skip
        else:
            changed = refresh_ctgov(args.raw_dir, api_url)
            print(f"re-imported: {', '.join(changed)}" if changed else "no record changed")
    except InvalidInputError as error:
        print(error, file=sys.stderr)
        return 1
    except RegistryUnreachableError as error:
        print(f"{error}; nothing was written", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
