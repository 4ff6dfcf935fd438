"""One function per Snakemake rule: read the inputs, call the layers below, write atomically.
The only place that knows about files and paths; the scripts, the tests and the benchmarks call
the same functions.
"""
