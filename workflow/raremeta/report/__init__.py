"""Figures, summaries and the methods text, drawn from the results tables. Never calls an
estimator and never parses prose: reasons are codes, corrections are booleans.
"""
