# Shared helpers. Reading this file (any command, --lint and --unlock included) reads the
# configuration and lists the study folders, nothing else. Building the job graph (a run,
# `-n`, --summary, --report) also reads each study's raw files, without validating them and
# without ever failing: it hashes them (raw_digest) and reads the `term` column of
# adverse_events.csv with the strict reader's own tokenizer (outcomes_reported_by), to tell
# which outcomes the study reports. The raw data are validated by rule `study`, one job per
# study folder.
import fcntl
import functools
import hashlib
import json
import os
import re
import signal
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

PACKAGE_DIR = str(Path(workflow.basedir) / "workflow")  # holds the raremeta package
sys.path.insert(0, PACKAGE_DIR)
# The shell jobs that run a raremeta entry point (`python -m`, rule `study`) find the package
# and the Python through the environment, which a job inherits from Snakemake (a cluster job
# reads this file again): not through their params or command, so that running the review from
# another clone or virtual environment reruns nothing. The Python is the environment's with
# --sdm conda or apptainer, else the one running Snakemake, as Snakemake chooses for script:.
# (Set here, so no `envvars:` directive: that one declares variables the user must set.)
os.environ.update(
    RAREMETA_PACKAGE_DIR=PACKAGE_DIR,
    RAREMETA_PYTHON=(
        "python"
        if workflow.deployment_settings.deployment_method
        & {DeploymentMethod.CONDA, DeploymentMethod.APPTAINER}
        else sys.executable
    ),
)

from raremeta.analysis.configuration import workflow_config
from raremeta.io.analysis_config import harmonisation_slice, outcome_slice
from raremeta.io.errors import InvalidInputError
from raremeta.io.intermediate import STUDY_RECORD_FORMAT
from raremeta.io.raw_csv import column_values
from raremeta.io.raw_studies import CHARACTERISTICS_FILE, EVENTS_FILE, STUDY_FILE
from raremeta.io.schemas import SCHEMA_DIR

RAW_DIR = "data/raw"
# The configuration is Snakemake's: `configfile:` in the Snakefile, merged with --configfile
# and --config; it is trusted like the Snakefile (YTE, YAML aliases). The untrusted raw files
# (data/raw/*/study.yaml) are read by raremeta's strict loader, in rule `study`.
CONFIG_NAME = ", ".join(map(str, workflow.configfiles)) or "config"
if "analysis_config" in config:
    raise WorkflowError(
        "--config analysis_config=PATH is no longer supported: use --configfile PATH "
        "(add --replace-workflow-config to use PATH instead of config.yaml, not merged into it)"
    )
try:
    # Snakemake's validate() (filling in the schema's defaults), then the semantic checks: a
    # term claimed by two outcomes, an impossible primary; one problem per line
    ANALYSIS = workflow_config(
        config,
        CONFIG_NAME,
        lambda document: validate(document, str(SCHEMA_DIR / "config.schema.yaml")),
    )
except InvalidInputError as error:
    raise WorkflowError(str(error))

OUTCOMES = [outcome.id for outcome in ANALYSIS.outcomes]
# The study folders, listed (not read): each is validated and harmonised by its own job.
STUDIES = (
    sorted(
        p.name
        for p in Path(RAW_DIR).iterdir()
        if p.is_dir() and not p.name.startswith(".")
    )
    if Path(RAW_DIR).is_dir()
    else []
)
STUDY_FILE_PATTERN = "data/processed/studies/{study}.json"
# The reviewer's GRADE judgements (optional: without it every judged domain is not assessed).
CERTAINTY_FILE = "data/certainty.yaml"
FIGURE_FORMATS = ["png", "pdf", "svg"]

# One run at a time per folder: Snakemake's own lock check can let two runs that start in the
# same instant both proceed. An flock is atomic and is released even when a run is killed. It
# is taken in `onstart:`, which only a real run executes: a dry run, --lint, --unlock,
# --report and --summary take no lock and are never blocked by a run in progress.
RUN_LOCK_FILE = ".snakemake/raremeta-run.lock"


onstart:
    # A SIGTERM (a cancelled CI job, `kill`) ends the run as Ctrl-C does. Snakemake 9.27's own
    # SIGTERM handler takes the job scheduler's lock, which the main thread may already hold
    # when the signal arrives (while finishing or selecting jobs): the run then hangs for good
    # (py-spy: JobScheduler.exit_gracefully inside JobScheduler._finish_jobs). Ctrl-C's path
    # (KeyboardInterrupt) takes no lock: it cancels the running jobs and marks their outputs
    # incomplete, and the next run (rerun-incomplete) redoes them.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Local runs select jobs without Snakemake's job rate limiter (--max-jobs-per-timespan,
    # default 100/1s, meant for cluster submissions; a local run is bounded by its cores). In
    # Snakemake 9.27 every pass of the job selector then schedules another pass one timespan
    # later, and each finished job starts one more such chain, so a review's hundreds of study
    # jobs made the main process re-select (reset every ready job's params, stat every input)
    # hundreds of times a second (2,423 passes for 100 study jobs): its CPU time for them was
    # 10.5 s, 2.3 s without the limiter.
    if workflow.local_exec and getattr(workflow, "scheduler", None) is not None:
        workflow.scheduler.job_rate_limiter = None
    Path(".snakemake").mkdir(exist_ok=True)
    workflow.globals["RUN_LOCK"] = open(RUN_LOCK_FILE, "w")
    try:
        fcntl.flock(workflow.globals["RUN_LOCK"], fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise WorkflowError(
            "another run of this workflow is in progress in this folder; "
            "wait for it to finish (nothing was written)"
        )


wildcard_constraints:
    outcome="|".join(map(re.escape, OUTCOMES)) or "(?!)",
    study="|".join(map(re.escape, STUDIES)) or "(?!)",


def raw_files_of(study):
    """The raw files of one study folder that exist (a missing study.yaml is reported by the
    study's job, with the other problems of the folder)."""
    folder = Path(RAW_DIR) / study
    names = (STUDY_FILE, EVENTS_FILE, CHARACTERISTICS_FILE)
    return [str(folder / name) for name in names if (folder / name).is_file()]


def study_raw_files(wildcards):
    return raw_files_of(wildcards.study)


def raw_files(wildcards=None):
    """Every raw file the analysis reads (provenance records their checksums); an input
    function, so that reading this file does not look into the study folders."""
    return sorted(f for study in STUDIES for f in raw_files_of(study))


@functools.cache
def raw_digest(study):
    """sha256 of the study's raw files (names and bytes): a param of its job, so that a
    changed file reruns it even when its modification time is old (a copy, a restore).
    """
    digest = hashlib.sha256()
    for path in raw_files_of(study):
        digest.update(f"{Path(path).name}\n".encode())
        try:
            digest.update(Path(path).read_bytes())
        except OSError as error:  # the job reports it
            digest.update(f"unreadable: {error}".encode())
    return digest.hexdigest()


def study_digest(wildcards):
    return raw_digest(wildcards.study)


@functools.cache
def outcomes_reported_by(study):
    """The outcomes with at least one row in the study's adverse_events.csv (any arm): its
    `term` column read by the strict reader's tokenizer (raw_csv.column_values) and matched as
    harmonisation matches terms, so for a folder that passes validation these are the outcomes
    it reports in at least one arm. Every outcome when the file is missing, unreadable or
    malformed: such a study's job fails, and it blocks every outcome until it is fixed. Never
    raises, so that -n, --summary and --report work on bad data."""
    try:
        raw = (Path(RAW_DIR) / study / EVENTS_FILE).read_bytes()
    except OSError:  # missing or unreadable: the job reports it
        return frozenset(OUTCOMES)
    terms = column_values(raw, "term")
    if terms is None:
        return frozenset(OUTCOMES)
    return ANALYSIS.outcomes_of_terms(terms)


def outcome_study_files(wildcards):
    """{outcome}'s inputs: the per-study files of the studies that report it in at least one
    arm, and the manifest of the checks across studies as an ancient() input: no outcome is
    pooled before every study folder is validated and rule `check_studies` has passed (two
    reports of the same participants would otherwise be pooled twice), but adding a study that
    does not report {outcome} does not rerun it."""
    studies = [s for s in STUDIES if wildcards.outcome in outcomes_reported_by(s)]
    return {
        "studies": [STUDY_FILE_PATTERN.format(study=study) for study in studies],
        "manifest": ancient("data/processed/manifest.json"),
    }


def outcome_config(wildcards):
    """The configuration with only {outcome}: editing another outcome leaves this one's jobs."""
    return outcome_slice(config, wildcards.outcome)


def outcome_label(wildcards):
    return config["outcomes"][wildcards.outcome]["label"]


RESULTS_TABLES = {
    "pooled": "pooled_effects",
    "rates": "pooled_rates",
    "studies": "study_effects",
    "sensitivity": "sensitivity",
    "absolute": "absolute_effects",
    "cumulative": "cumulative",
    "exposure": "exposure_adjusted",
    "subgroups": "subgroups",
    "within_trial": "within_trial_subgroups",
    "posterior": "posterior_probabilities",
}


def outcome_tables(outcome="{outcome}"):
    """One outcome's results tables, by name (`raremeta.steps.pool.TABLES`)."""
    return {
        name: f"results/outcomes/{outcome}/{table}.csv"
        for name, table in RESULTS_TABLES.items()
    }


# Study selection (issue 24): the decisions and the committed registry search, each optional.
SELECTION_FILE = "data/study_selection.csv"
SEARCH_TABLE = "data/search/ctgov.csv"


def selection_input(wildcards=None):
    """The selection decisions when there are any (listed, not read)."""
    return [SELECTION_FILE] if Path(SELECTION_FILE).is_file() else []


def search_input(wildcards=None):
    """The committed registry search (table, then its manifest) when there is one."""
    manifest = str(Path(SEARCH_TABLE).with_suffix(".json"))
    return [SEARCH_TABLE, manifest] if Path(SEARCH_TABLE).is_file() else []


def certainty_input(wildcards=None):
    """The judgements file when there is one (listed, not read)."""
    return [CERTAINTY_FILE] if Path(CERTAINTY_FILE).is_file() else []


def final_outputs():
    """Every table and figure a reader cites, review-wide and per outcome (byte-reproducible;
    provenance.json is not)."""
    tables = [
        "data/processed/harmonised.csv",
        "data/processed/harmonisation_log.csv",
        *(f"results/tables/{table}.csv" for table in RESULTS_TABLES.values()),
        "results/tables/reporting.csv",
        "results/tables/characteristics.csv",
        "results/tables/summary_of_findings.csv",
        "results/tables/prisma.csv",
        "results/tables/summary.md",
        "results/tables/summary.html",
        "results/tables/summary.tex",
        "results/methods.md",
        "results/tables/README.md",
    ]
    figures = expand(
        "results/figures/{kind}_{outcome}.{ext}",
        kind=["forest", "incidence", "cumulative", "subgroups"],
        outcome=OUTCOMES,
        ext=FIGURE_FORMATS,
    )
    figures += expand("results/figures/reporting.{ext}", ext=FIGURE_FORMATS)
    tables.append("results/tables/ae_signals.csv")
    figures += expand("results/figures/ae_signals.{ext}", ext=FIGURE_FORMATS)
    figures += expand("results/figures/prisma.{ext}", ext=FIGURE_FORMATS)
    per_outcome = [path for o in OUTCOMES for path in outcome_tables(o).values()]
    return tables + per_outcome + figures


FIGURE_CAPTIONS = {
    "forest": "../report/forest.rst",
    "incidence": "../report/incidence.rst",
    "cumulative": "../report/cumulative_figure.rst",
    "subgroups": "../report/subgroups_figure.rst",
}
FIGURE_CATEGORIES = {
    "forest": "Forest plots",
    "incidence": "Per-arm incidence",
    "cumulative": "Cumulative meta-analysis",
    "subgroups": "Subgroup analyses",
}


def figure_files(kind, outcome="{outcome}"):
    """One figure in every format, each in the report (the PNG with the figure's caption,
    the PDF and SVG as its vector files)."""
    files = []
    for ext in FIGURE_FORMATS:
        path = report(
            f"results/figures/{kind}_{outcome}.{ext}",
            caption=(
                FIGURE_CAPTIONS[kind] if ext == "png" else "../report/figure_vector.rst"
            ),
            category=FIGURE_CATEGORIES[kind],
            labels={"outcome": outcome, "format": ext},
        )
        files.append(path)
    return files
