# The PRISMA 2020 flow of studies (issue 24): the committed registry search (data/search/, written
# by `raremeta search-ctgov` outside the workflow: no rule touches the network), the selection
# decisions (data/study_selection.csv) and the study folders (results/tables/studies.csv).


rule prisma:
    input:
        studies="results/tables/studies.csv",
        selection=selection_input,
        search=search_input,
    output:
        report(
            "results/tables/prisma.csv",
            caption="../report/prisma.rst",
            category="Tables",
            labels={"table": "prisma"},
        ),
    log:
        "logs/prisma.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    params:
        outcomes=OUTCOMES,
        queries=config.get("registry_search", []),
        raw_dir=RAW_DIR,
    script:
        "../scripts/prisma.py"


rule prisma_figure:
    input:
        "results/tables/prisma.csv",
    output:
        [
            report(
                f"results/figures/prisma.{ext}",
                caption=(
                    "../report/prisma_figure.rst"
                    if ext == "png"
                    else "../report/figure_vector.rst"
                ),
                category="Study selection",
                labels={"figure": "PRISMA flow", "format": ext},
            )
            for ext in FIGURE_FORMATS
        ],
    log:
        "logs/prisma_figure.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        labels={outcome.id: outcome.label for outcome in ANALYSIS.outcomes},
    script:
        "../scripts/prisma_figure.py"
