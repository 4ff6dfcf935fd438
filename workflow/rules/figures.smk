# One job per outcome draws its forest, incidence, cumulative and subgroup plots (one start-up);
# one more draws the outcome-reporting matrix. The figures name the roles by the config's
# display labels (`roles:`); a forest plot adds the rows of the methods in `forest_rows:`.
ROLE_LABELS = {
    "cni": ANALYSIS.role_labels.cni,
    "comparator": ANALYSIS.role_labels.comparator,
}


rule figures:
    input:
        **outcome_tables(),
        # ancient: a change to reporting.csv alone reruns no figure. The incidence plot reads only
        # the rows of the studies in its study_effects.csv (why an arm has no count), which
        # change with the study's raw files, and those rerun the outcome's pool job and so this
        # one; adding a study that does not report the outcome reruns neither.
        reporting=ancient("results/tables/reporting.csv"),
    output:
        forest=figure_files("forest"),
        incidence=figure_files("incidence"),
        cumulative=figure_files("cumulative"),
        subgroups=figure_files("subgroups"),
    log:
        "logs/figures/{outcome}.log",
    benchmark:
        "benchmarks/figures/{outcome}.tsv"
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        label=outcome_label,
        roles=ROLE_LABELS,
        forest_rows=list(ANALYSIS.forest_rows),
    script:
        "../scripts/figures.py"


rule reporting_figure:
    input:
        "results/tables/reporting.csv",
    output:
        [
            report(
                f"results/figures/reporting.{ext}",
                caption=(
                    "../report/reporting_figure.rst"
                    if ext == "png"
                    else "../report/figure_vector.rst"
                ),
                category="Outcome reporting",
                labels={"figure": "reporting matrix", "format": ext},
            )
            for ext in FIGURE_FORMATS
        ],
    log:
        "logs/reporting_figure.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        outcomes=OUTCOMES,
        labels={outcome.id: outcome.label for outcome in ANALYSIS.outcomes},
        roles=ROLE_LABELS,
    script:
        "../scripts/reporting_figure.py"
