rule pool:
    input:
        harmonised="data/processed/harmonised.csv",
        alternative="data/processed/harmonised_alternative_multi_arm.csv",
        checksums="data/processed/checksums.sha256",
    output:
        pooled=report(
            "results/tables/pooled_effects.csv",
            caption="../report/pooled_effects.rst",
            category="Tables",
            labels={"table": "pooled_effects"},
        ),
        rates=report(
            "results/tables/pooled_rates.csv",
            caption="../report/pooled_rates.rst",
            category="Tables",
            labels={"table": "pooled_rates"},
        ),
        studies=report(
            "results/tables/study_effects.csv",
            caption="../report/study_effects.rst",
            category="Tables",
            labels={"table": "study_effects"},
        ),
        sensitivity=report(
            "results/tables/sensitivity.csv",
            caption="../report/sensitivity.rst",
            category="Tables",
            labels={"table": "sensitivity"},
        ),
        absolute=report(
            "results/tables/absolute_effects.csv",
            caption="../report/absolute_effects.rst",
            category="Tables",
            labels={"table": "absolute_effects"},
        ),
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
