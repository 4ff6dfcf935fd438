"""Rule `study`: validate one study folder and harmonise it.

The rule runs this module as a shell job, ``python -m raremeta.steps.study --folder DIR
--config-json JSON --out FILE`` (:func:`main`), not as a Snakemake ``script:``: a script job's
preamble imports ``snakemake.script`` (about 0.15 s of each of the review's per-study jobs) and
this module needs nothing of Snakemake.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from raremeta.harmonise.outcome_rows import harmonise_study
from raremeta.harmonise.reporting import missing_arms
from raremeta.harmonise.study_table import characteristic_rows, study_facts
from raremeta.harmonise.subgroup_rows import subgroup_count_rows

# the config slice of harmonisation needs the structural checks only (io), not the method
# registry: a study job imports no numpy
from raremeta.io.analysis_config import analysis_from
from raremeta.io.errors import InvalidInputError
from raremeta.io.intermediate import StudyRecord, write_study_record
from raremeta.io.raw_studies import load_study_folders


def run_study(folder: Path, config: Path | Mapping[str, Any], out: Path) -> None:
    """Validate ``folder`` (every problem at once) and write its harmonised rows to ``out``.

    ``out`` holds a :class:`~raremeta.io.intermediate.StudyRecord`: the facts of the study's
    row of ``results/tables/studies.csv``, its rows of ``data/processed/harmonised.csv``, the
    same with the other multi-arm handling, its harmonisation-log rows, why each arm that did
    not report an outcome did not (``reporting:`` of ``study.yaml``) and its rows of
    ``results/tables/characteristics.csv``, and its counts by patient subgroup.

    Raises
    ------
    InvalidInputError
        With every problem of the folder (file, line, column, value); nothing is written.
    """
    config = analysis_from(config)
    (study,) = load_study_folders([Path(folder)])
    missing, problems, reporting_log = missing_arms(study, config)
    if problems:
        raise InvalidInputError(problems)
    rows, log = harmonise_study(study, config)
    log += reporting_log
    alternative, _ = harmonise_study(study, replace(config, multi_arm=config.other_multi_arm))
    record = StudyRecord(
        **study_facts(study),
        harmonised=tuple(rows),
        alternative=tuple(alternative),
        log=tuple(log),
        missing_arms=tuple(missing),
        characteristics=tuple(characteristic_rows(study, config.percent_tolerance)),
        subgroup_counts=tuple(subgroup_count_rows(study, config)),
    )
    write_study_record(out, record)
    for record in log:
        print(f"[{record['kind']}] {record['study']}: {record['message']}")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line of rule `study` (the module docstring).

    Writes every line to standard output, standard error included, in UTF-8 and in the order
    written (the rule redirects both to its log): the harmonisation log's lines, and an
    uncaught exception's full traceback (a bug). Bad input is the user's to fix: its problems,
    one per line, without a traceback, and exit status 1.

    Parameters
    ----------
    argv
        ``--folder`` (the study folder), ``--config-json`` (the harmonisation slice of the
        configuration, :func:`raremeta.io.analysis_config.harmonisation_slice`, as JSON) and
        ``--out`` (the per-study file); ``sys.argv[1:]`` when None.
    """
    import argparse
    import json

    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stderr = sys.stdout  # one stream: the traceback after the lines printed before it
    parser = argparse.ArgumentParser(
        prog="python -m raremeta.steps.study",
        description="Validate one study folder and write its per-study file.",
    )
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--config-json", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        run_study(folder=args.folder, config=json.loads(args.config_json), out=args.out)
    except InvalidInputError as error:
        print(error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
