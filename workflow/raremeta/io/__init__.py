"""The bottom layer: the raw-data contract, schemas, safe YAML, term normalisation, the analysis
configuration, and writing and reading the project's files. Imports nothing else of raremeta.
"""
