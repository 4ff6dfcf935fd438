"""Result objects of the statistical core: small frozen dataclasses with ``to_frame()``."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import pandas as pd
from scipy import special

NAN = math.nan


@dataclass(frozen=True)
class PooledEffect:
    """One pooled comparative estimate, on the natural scale (OR, RR or RD).

    ``estimate``, ``ci_low`` and ``ci_high`` are NaN when the method cannot estimate the effect;
    ``note`` then says why. Heterogeneity fields are NaN where they do not apply.
    """

    measure: str
    method: str
    model: str
    tau2_estimator: str = ""
    k: int = 0
    k_excluded: int = 0
    estimate: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    p_value: float = NAN
    se: float = NAN
    tau2: float = NAN
    tau2_ci_low: float = NAN
    tau2_ci_high: float = NAN
    i2: float = NAN
    q: float = NAN
    q_df: float = NAN
    q_p: float = NAN
    pi_low: float = NAN
    pi_high: float = NAN
    pi_method: str = ""
    ci_method: str = "Wald, normal"
    correction: str = ""
    note: str = ""
    log_scale: bool = field(default=True, repr=False)

    @property
    def estimable(self) -> bool:
        """True when the estimate is a finite number."""
        return math.isfinite(self.estimate)

    def to_dict(self) -> dict:
        """The result as a flat dictionary (field name to value)."""
        out = asdict(self)
        out.pop("log_scale")
        return out

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class PooledRate:
    """A pooled per-arm incidence (proportion of patients with the event)."""

    method: str
    k: int
    events: float
    n: float
    estimate: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    tau2: float = NAN
    note: str = ""

    def to_dict(self) -> dict:
        """The result as a flat dictionary."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])


Z975 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def wald_fields(beta: float, se: float, log_scale: bool) -> dict[str, float]:
    """Estimate, 95% Wald CI, se and two-sided p-value from ``beta`` and ``se``.

    ``beta`` is on the analysis scale (log OR / log RR, or RD); estimate and CI are returned
    on the natural scale (exponentiated when ``log_scale``).
    """
    lo, hi = beta - Z975 * se, beta + Z975 * se
    back = math.exp if log_scale else float
    p = float(2 * special.ndtr(-abs(beta / se))) if se > 0 else math.nan
    return {"estimate": back(beta), "ci_low": back(lo), "ci_high": back(hi), "se": se, "p_value": p}


def not_estimable(measure: str, method: str, model: str, why: str, **fields) -> PooledEffect:
    """A :class:`PooledEffect` with no estimate and the reason in ``note``."""
    return PooledEffect(measure=measure, method=method, model=model, note=why, **fields)
