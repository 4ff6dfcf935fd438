# Shared helpers and parse-time validation. Bad input stops the run here, before any job,
# with one message per problem (file, line, column, value); nothing is written.
import fcntl
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))  # the raremeta package

from raremeta.io.errors import InvalidInputError
from raremeta.io.schemas import SCHEMA_DIR, schema_problems
from raremeta.job_batches import figure_batches
from raremeta.io.raw_studies import CHARACTERISTICS_FILE, EVENTS_FILE, STUDY_FILE
from raremeta.validated_inputs import validate_inputs

RAW_DIR = "data/raw"
# The configuration is Snakemake's: `configfile:` in the Snakefile, merged with --configfile
# and --config; it is trusted like the Snakefile (YTE, YAML aliases). The untrusted raw files
# (data/raw/*/study.yaml) are read by raremeta's strict loader.
CONFIG_NAME = ", ".join(map(str, workflow.configfiles)) or "config"
if "analysis_config" in config:
    raise WorkflowError(
        "--config analysis_config=PATH is no longer supported: use --configfile PATH "
        "(add --replace-workflow-config to use PATH instead of config.yaml, not merged into it)"
    )
try:
    # fills in the defaults declared in the schema
    validate(config, str(SCHEMA_DIR / "config.schema.yaml"))
except WorkflowError:
    # Snakemake's message prints the whole schema; ours names each problem on one line
    raise WorkflowError(
        str(InvalidInputError(schema_problems(config, "config", CONFIG_NAME)))
    )

try:
    # the semantic checks (a term claimed by two outcomes, an impossible primary) and every raw
    # study; a rerun with unchanged inputs and code skips re-reading the studies (see the module)
    ANALYSIS, STUDY_FOLDERS = validate_inputs(
        Path(RAW_DIR), config, Path(".snakemake/raremeta-validated"), CONFIG_NAME
    )
except InvalidInputError as error:
    raise WorkflowError(str(error))
except OSError as error:
    raise WorkflowError(f"cannot read the input: {error}")

OUTCOMES = [outcome.id for outcome in ANALYSIS.outcomes]

# One run at a time per folder: Snakemake's own lock check can let two runs that start in the
# same instant both proceed. An flock is atomic and is released even when a run is killed. It
# is taken in `onstart:`, which only a real run executes: a dry run, --lint, --unlock,
# --report and --summary take no lock and are never blocked by a run in progress.
RUN_LOCK_FILE = ".snakemake/raremeta-run.lock"


onstart:
    Path(".snakemake").mkdir(exist_ok=True)
    workflow.globals["RUN_LOCK"] = open(RUN_LOCK_FILE, "w")
    try:
        fcntl.flock(workflow.globals["RUN_LOCK"], fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise WorkflowError(
            "another run of this workflow is in progress in this folder; "
            "wait for it to finish (nothing was written)"
        )


def raw_files():
    """Every raw file the analysis reads, so that editing one reruns what depends on it."""
    files = []
    for folder in STUDY_FOLDERS:
        for name in (STUDY_FILE, EVENTS_FILE, CHARACTERISTICS_FILE):
            if (folder / name).is_file():
                files.append(str(folder / name))
    return sorted(files)


wildcard_constraints:
    outcome="|".join(OUTCOMES),


def final_outputs():
    """Every table and figure a reader cites (byte-reproducible; provenance.json is not)."""
    tables = [
        "data/processed/harmonised.csv",
        "data/processed/harmonisation_log.csv",
        "results/tables/pooled_effects.csv",
        "results/tables/pooled_rates.csv",
        "results/tables/study_effects.csv",
        "results/tables/sensitivity.csv",
        "results/tables/absolute_effects.csv",
        "results/tables/summary.md",
        "results/tables/summary.html",
        "results/tables/summary.tex",
        "results/methods.md",
        "results/tables/README.md",
    ]
    figures = expand(
        "results/figures/{kind}_{outcome}.{ext}",
        kind=["forest", "incidence"],
        outcome=OUTCOMES,
        ext=["png", "pdf", "svg"],
    )
    return tables + figures
