# Each outcome is pooled by its own job, from the studies that reported it; the review-wide
# results tables are gathered from the per-outcome ones (bytes unchanged).


rule pool:
    input:
        unpack(outcome_study_files),
    output:
        **outcome_tables(),
    log:
        "logs/pool/{outcome}.log",
    benchmark:
        "benchmarks/pool/{outcome}.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        analysis=outcome_config,
    script:
        "../scripts/pool.py"


rule results_tables:
    input:
        **{
            name: expand(path, outcome=OUTCOMES)
            for name, path in outcome_tables().items()
        },
    output:
        **{
            name: report(
                f"results/tables/{table}.csv",
                caption=f"../report/{table}.rst",
                category="Tables",
                labels={"table": table},
            )
            for name, table in RESULTS_TABLES.items()
        },
    log:
        "logs/results_tables.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/results_tables.py"
