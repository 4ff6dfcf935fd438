# Rare adverse-event meta-analysis: do calcineurin inhibitors raise the risk of PRES and seizures
# in lupus nephritis? See README.md. Reading this file validates the configuration and lists the
# study folders. Building the job graph also reads each study's raw files, never failing: it
# hashes them and reads the `term` column of adverse_events.csv with the strict reader's
# tokenizer, to tell which outcomes each study reports (workflow/rules/common.smk). Each study
# is validated by its own job (rule `study`), before any pooling.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/studies.smk"
include: "workflow/rules/pool.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/signals.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/prisma.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
        "results/provenance.json",
        # intermediates too, so that a deleted one is regenerated
        expand(STUDY_FILE_PATTERN, study=STUDIES),
