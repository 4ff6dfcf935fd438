# Rare adverse-event meta-analysis: do calcineurin inhibitors raise the risk of PRES and seizures
# in lupus nephritis? See README.md. The raw data and the configuration are validated when this
# file is read, before any job runs.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/harmonise.smk"
include: "workflow/rules/pool.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/summary.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
        "results/provenance.json",
