# The signal screen: every reported adverse-event term, not only the configured outcomes, compared
# between the roles with false-discovery control (issue 23). It reads the raw folders themselves
# (every term, not the harmonised outcomes), once the studies' own jobs have validated them.


rule signals:
    input:
        raw=raw_files,
        manifest="data/processed/manifest.json",
    output:
        table=report(
            "results/tables/ae_signals.csv",
            caption="../report/ae_signals.rst",
            category="Tables",
            labels={"table": "ae_signals"},
        ),
        figure=[
            report(
                f"results/figures/ae_signals.{ext}",
                caption="../report/ae_signals_figure.rst",
                category="Signal screen",
                labels={"figure": "adverse-event dot plot", "format": ext},
            )
            for ext in FIGURE_FORMATS
        ],
    log:
        "logs/signals.log",
    benchmark:
        "benchmarks/signals.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        folders=[f"{RAW_DIR}/{study}" for study in STUDIES],
        analysis=config,
        roles=ROLE_LABELS,
    script:
        "../scripts/signals.py"
