"""Harmonisation: reported terms to outcomes, arms to roles, data-quality warnings."""
