rule summary_of_findings:
    input:
        pooled="results/tables/pooled_effects.csv",
        rates="results/tables/pooled_rates.csv",
        absolute="results/tables/absolute_effects.csv",
        study_table="results/tables/studies.csv",
        certainty=certainty_input,
    output:
        report(
            "results/tables/summary_of_findings.csv",
            caption="../report/summary_of_findings.rst",
            category="Tables",
            labels={"table": "summary_of_findings"},
        ),
    log:
        "logs/summary_of_findings.log",
    conda:
        "../envs/raremeta.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        analysis=config,
    script:
        "../scripts/summary_of_findings.py"


rule summary_tables:
    input:
        pooled="results/tables/pooled_effects.csv",
        rates="results/tables/pooled_rates.csv",
        studies="results/tables/study_effects.csv",
        sensitivity="results/tables/sensitivity.csv",
        absolute="results/tables/absolute_effects.csv",
        reporting="results/tables/reporting.csv",
        study_table="results/tables/studies.csv",
        characteristics="results/tables/characteristics.csv",
        findings="results/tables/summary_of_findings.csv",
        subgroups="results/tables/subgroups.csv",
        within_trial="results/tables/within_trial_subgroups.csv",
        prisma="results/tables/prisma.csv",
        posterior="results/tables/posterior_probabilities.csv",
        signals="results/tables/ae_signals.csv",
    output:
        markdown=report(
            "results/tables/summary.md",
            caption="../report/summary_text.rst",
            category="Summary",
            labels={"table": "summary (Markdown)"},
        ),
        html=report(
            "results/tables/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"table": "summary"},
        ),
        latex=report(
            "results/tables/summary.tex",
            caption="../report/summary_text.rst",
            category="Summary",
            labels={"table": "summary (LaTeX)"},
        ),
        methods=report(
            "results/methods.md",
            caption="../report/methods.rst",
            category="Methods",
            labels={"table": "methods"},
        ),
        codebook=report(
            "results/tables/README.md",
            caption="../report/codebook.rst",
            category="Tables",
            labels={"table": "codebook"},
        ),
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
        raw=raw_files,
        judgements=certainty_input,
        selection=selection_input,
        search=search_input,
        outputs=final_outputs(),
        checksums="data/processed/checksums.sha256",
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
