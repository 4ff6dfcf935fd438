# Rare adverse-event meta-analysis: do calcineurin inhibitors raise the risk of PRES and seizures
# in lupus nephritis? See README.md. The raw data and the configuration are validated when this
# file is read, before any job runs.
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/harmonise.smk"
include: "workflow/rules/pool.smk"


rule all:
    default_target: True
    input:
        "data/processed/harmonised.csv",
        "data/processed/harmonisation_log.csv",
        "results/tables/pooled_effects.csv",
        "results/tables/pooled_rates.csv",
        "results/tables/study_effects.csv",
        "results/tables/sensitivity.csv",
