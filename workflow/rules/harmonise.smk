rule harmonise:
    input:
        raw=raw_files(),
    output:
        harmonised="data/processed/harmonised.csv",
        alternative="data/processed/harmonised_alternative_multi_arm.csv",
        log_table="data/processed/harmonisation_log.csv",
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
