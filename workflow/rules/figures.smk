# Figures are drawn in batches of outcomes: each job pays the start-up of Python, pandas and
# matplotlib once for several outcomes, and the batches run in parallel. The batches are
# fixed by the order of the outcomes in the configuration (raremeta.job_batches.figure_batches).
FIGURE_FORMATS = ["png", "pdf", "svg"]
FIGURE_CAPTIONS = {
    "forest": "../report/forest.rst",
    "incidence": "../report/incidence.rst",
}
FIGURE_CATEGORIES = {"forest": "Forest plots", "incidence": "Per-arm incidence"}
FIGURE_INPUTS = {
    "forest": {
        "pooled": "results/tables/pooled_effects.csv",
        "studies": "results/tables/study_effects.csv",
    },
    "incidence": {
        "studies": "results/tables/study_effects.csv",
        "rates": "results/tables/pooled_rates.csv",
    },
}


def figure_outputs(kind, outcomes):
    """The files of one batch, outcome by outcome in FIGURE_FORMATS order, every one in the
    report (PNG with the figure's caption, PDF and SVG as its vector files).
    """
    files = []
    for outcome in outcomes:
        for ext in FIGURE_FORMATS:
            caption = (
                FIGURE_CAPTIONS[kind] if ext == "png" else "../report/figure_vector.rst"
            )
            path = report(
                f"results/figures/{kind}_{outcome}.{ext}",
                caption=caption,
                category=FIGURE_CATEGORIES[kind],
                labels={"outcome": outcome, "format": ext},
            )
            files.append(path)
    return files


for kind in ("forest", "incidence"):
    for batch, batch_outcomes in figure_batches(OUTCOMES).items():

        rule:
            name:
                f"{kind}_plots_{batch}"
            input:
                **FIGURE_INPUTS[kind],
            output:
                figure_outputs(kind, batch_outcomes),
            log:
                f"logs/{kind}_plots/{batch}.log",
            benchmark:
                f"benchmarks/{kind}_plots/{batch}.tsv"
            conda:
                "../envs/raremeta.yaml"
            threads: 1
            resources:
                mem_mb=1000,
                runtime=10 + 2 * len(batch_outcomes),
            params:
                kind=kind,
                outcomes=batch_outcomes,
                formats=FIGURE_FORMATS,
                analysis=config,
            script:
                "../scripts/figures.py"
