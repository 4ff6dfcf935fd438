rule harmonise:
    input:
        raw=raw_files(),
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
        checksums="data/processed/checksums.sha256",
    log:
        "logs/harmonise.log",
    benchmark:
        "benchmarks/harmonise.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        analysis=config,
    script:
        "../scripts/harmonise.py"
