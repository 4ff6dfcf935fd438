# One job per study folder validates and harmonises it into its per-study file (a StudyRecord,
# raremeta.io.intermediate); `check_studies` checks what no single study's job can;
# `gather_studies` then writes the review-wide data files and the outcome-reporting matrix.

# The harmonisation slice of the configuration (terms, multi-arm handling, tolerance), passed on
# the study jobs' command line: one argument, which the kernel limits to 128 KiB.
HARMONISATION_JSON = json.dumps(harmonisation_slice(config))
if len(HARMONISATION_JSON.encode()) > 100_000:
    raise WorkflowError(
        f"the outcomes' terms take {len(HARMONISATION_JSON.encode())} bytes as JSON, more than "
        "the 100,000 the study jobs' command line can carry"
    )


rule study:
    input:
        study_raw_files,
    output:
        STUDY_FILE_PATTERN,
    log:
        "logs/study/{study}.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    params:
        folder=lambda wildcards: f"{RAW_DIR}/{wildcards.study}",
        # the harmonisation slice as JSON (outcomes in the configuration's order): a change
        # reruns every study (params and command)
        analysis=HARMONISATION_JSON,
        raw_sha256=study_digest,
        # a new layout of the per-study file reruns every study
        record_format=STUDY_RECORD_FORMAT,
    # A shell job running a lean entry point, not a `script:`: a script job's preamble imports
    # snakemake.script (about 0.15 s of CPU in each of a review's hundreds of study jobs). The
    # package and the Python come from the environment (common.smk).
    shell:
        'PYTHONPATH="$RAREMETA_PACKAGE_DIR"${{PYTHONPATH:+:$PYTHONPATH}} '
        '"$RAREMETA_PYTHON" -m raremeta.steps.study --folder {params.folder:q} '
        "--config-json {params.analysis:q} --out {output:q} > {log:q} 2>&1"


rule check_studies:
    input:
        expand(STUDY_FILE_PATTERN, study=STUDIES),
    output:
        "data/processed/manifest.json",
    log:
        "logs/check_studies.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        raw_dir=RAW_DIR,
    script:
        "../scripts/check_studies.py"


rule gather_studies:
    input:
        studies=expand(STUDY_FILE_PATTERN, study=STUDIES),
        manifest="data/processed/manifest.json",
    output:
        harmonised=report(
            "data/processed/harmonised.csv",
            caption="../report/harmonised.rst",
            category="Data",
            labels={"table": "harmonised"},
        ),
        alternative="data/processed/harmonised_alternative_multi_arm.csv",
        log_table=report(
            "data/processed/harmonisation_log.csv",
            caption="../report/harmonisation_log.rst",
            category="Data",
            labels={"table": "harmonisation_log"},
        ),
        reporting=report(
            "results/tables/reporting.csv",
            caption="../report/reporting.rst",
            category="Tables",
            labels={"table": "reporting"},
        ),
        checksums="data/processed/checksums.sha256",
        study_table=report(
            "results/tables/studies.csv",
            caption="../report/studies.rst",
            category="Tables",
            labels={"table": "studies"},
        ),
        characteristics=report(
            "results/tables/characteristics.csv",
            caption="../report/characteristics.rst",
            category="Tables",
            labels={"table": "characteristics"},
        ),
    log:
        "logs/gather_studies.log",
    benchmark:
        "benchmarks/gather_studies.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        outcomes=OUTCOMES,
    script:
        "../scripts/gather_studies.py"
