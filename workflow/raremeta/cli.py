"""The ``raremeta`` command: registry ingestion (``raremeta import-ctgov``).

Exit codes: 0 success, 1 bad input (a message naming the file and the field, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raremeta.io.errors import InvalidInputError


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key or not item:
            raise InvalidInputError(
                [_problem(f"{option} takes GROUP=VALUE (e.g. EG000=comparator)", value)]
            )
        pairs[key] = item
    return pairs


def _problem(message: str, value: str):
    from raremeta.io.errors import Problem

    return Problem("command line", message, value=value)


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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
