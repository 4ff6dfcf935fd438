"""Incidence per patient-time: events per 100 patient-years with an exact Poisson interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import gammaincinv

#: Weeks per year used to turn follow-up weeks into years (52, as the table is labelled).
WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class PersonTimeRate:
    """Events per 100 patient-years and its exact 95% interval.

    Attributes
    ----------
    events : float
        Events counted.
    patient_years : float
        Patients x planned follow-up weeks / 52.
    rate_per_100py : float
        ``100 * events / patient_years``.
    ci_low, ci_high : float
        Exact Poisson (Garwood) interval, per 100 patient-years.
    """

    events: float
    patient_years: float
    rate_per_100py: float
    ci_low: float
    ci_high: float


def patient_years(n: float, follow_up_weeks: float) -> float:
    """Planned patient-years: ``n * follow_up_weeks / 52`` (NaN when either is unknown)."""
    return n * follow_up_weeks / WEEKS_PER_YEAR


def poisson_exact_interval(events: float, level: float = 0.95) -> tuple[float, float]:
    """Exact interval for a Poisson mean from ``events`` observed events.

    Lower bound ``chi2.ppf(a/2, 2x) / 2`` (0 when ``x = 0``), upper bound
    ``chi2.ppf(1 - a/2, 2x + 2) / 2`` with ``a = 1 - level`` (Garwood F, Biometrika 1936;
    28:437-442; as R ``poisson.test``).
    """
    alpha = 1.0 - level
    # chi2.ppf(p, 2k) / 2 is gammaincinv(k, p) (scipy.stats computes it so), without
    # importing scipy.stats
    low = 0.0 if events == 0 else float(gammaincinv(events, alpha / 2))
    high = float(gammaincinv(events + 1, 1 - alpha / 2))
    return low, high


def rate_per_100py(events: float, n: float, follow_up_weeks: float) -> PersonTimeRate:
    """Events per 100 patient-years of planned follow-up with its exact Poisson interval
    (Garwood 1936), the patient-years being ``n * follow_up_weeks / 52``.
    """
    years = patient_years(n, follow_up_weeks)
    if not (math.isfinite(events) and math.isfinite(years) and years > 0):
        return PersonTimeRate(events, years, math.nan, math.nan, math.nan)
    low, high = poisson_exact_interval(events)
    per_100 = 100 / years
    return PersonTimeRate(events, years, events * per_100, low * per_100, high * per_100)
