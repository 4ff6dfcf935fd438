"""raremeta: rare adverse-event meta-analysis, from raw trial tables to pooled effects.

The package has two layers:

* data: :mod:`raremeta.rawdata` (read and validate one study folder),
  :mod:`raremeta.config` (analysis choices), :mod:`raremeta.harmonise` (map reported terms to
  outcomes and combine arms) and :mod:`raremeta.quality` (data-quality checks);
* statistics: :mod:`raremeta.stats`, a pure core that takes counts and returns frozen result
  objects, with no file I/O, no Snakemake and no plotting.
"""

__version__ = "0.1.0"
