rule forest_plot:
    input:
        pooled="results/tables/pooled_effects.csv",
        studies="results/tables/study_effects.csv",
        config=ANALYSIS_CONFIG,
    output:
        png=report(
            "results/figures/forest_{outcome}.png",
            caption="../report/forest.rst",
            category="Forest plots",
            labels={"outcome": "{outcome}", "format": "png"},
        ),
        pdf="results/figures/forest_{outcome}.pdf",
        svg="results/figures/forest_{outcome}.svg",
    log:
        "logs/forest_plot/{outcome}.log",
    benchmark:
        "benchmarks/forest_plot/{outcome}.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/forest_plot.py"


rule incidence_plot:
    input:
        harmonised="data/processed/harmonised.csv",
        rates="results/tables/pooled_rates.csv",
        config=ANALYSIS_CONFIG,
    output:
        png=report(
            "results/figures/incidence_{outcome}.png",
            caption="../report/incidence.rst",
            category="Per-arm incidence",
            labels={"outcome": "{outcome}", "format": "png"},
        ),
        pdf="results/figures/incidence_{outcome}.pdf",
        svg="results/figures/incidence_{outcome}.svg",
    log:
        "logs/incidence_plot/{outcome}.log",
    benchmark:
        "benchmarks/incidence_plot/{outcome}.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/incidence_plot.py"
