rule pool:
    input:
        harmonised="data/processed/harmonised.csv",
        alternative="data/processed/harmonised_alternative_multi_arm.csv",
        checksums="data/processed/checksums.sha256",
    output:
        pooled="results/tables/pooled_effects.csv",
        rates="results/tables/pooled_rates.csv",
        studies="results/tables/study_effects.csv",
        sensitivity="results/tables/sensitivity.csv",
        absolute="results/tables/absolute_effects.csv",
    log:
        "logs/pool.log",
    benchmark:
        "benchmarks/pool.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        analysis=config,
    script:
        "../scripts/pool.py"
