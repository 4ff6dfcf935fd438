"""raremeta: rare adverse-event meta-analysis, from raw trial tables to pooled effects.

Layers, imports running one way only (``tests/test_layers.py`` enforces it):

* :mod:`raremeta.io`: the raw-data contract, schemas, safe YAML, term normalisation, the
  analysis configuration, writing and reading files. Imports nothing else of raremeta.
* :mod:`raremeta.harmonise`: reported terms to outcomes, arms to roles, data quality.
* :mod:`raremeta.stats`: the pure statistical core, counts in, typed frozen results out; no
  file I/O, no pandas, no plotting, and no import of any other part of raremeta.
* :mod:`raremeta.analysis`: what is fitted for each outcome and the results tables.
* :mod:`raremeta.report`: figures, summaries, methods text; reads the results, never fits.
* :mod:`raremeta.steps`: one function per Snakemake rule, the only place that knows files.
"""

__version__ = "0.1.0"
