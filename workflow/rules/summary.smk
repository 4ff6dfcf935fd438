rule summary_tables:
    input:
        pooled="results/tables/pooled_effects.csv",
        rates="results/tables/pooled_rates.csv",
        studies="results/tables/study_effects.csv",
        sensitivity="results/tables/sensitivity.csv",
        absolute="results/tables/absolute_effects.csv",
    output:
        markdown="results/tables/summary.md",
        html=report(
            "results/tables/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"table": "summary"},
        ),
        latex="results/tables/summary.tex",
        methods="results/methods.md",
        codebook="results/tables/README.md",
    log:
        "logs/summary_tables.log",
    benchmark:
        "benchmarks/summary_tables.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        analysis=config,
    script:
        "../scripts/summary_tables.py"


rule provenance:
    input:
        raw=raw_files(),
        outputs=final_outputs(),
    output:
        "results/provenance.json",
    log:
        "logs/provenance.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        analysis=config,
        config_files=[str(f) for f in workflow.configfiles],
    script:
        "../scripts/provenance.py"
