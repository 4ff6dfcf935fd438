"""The R counterpart of every method of the registry (raremeta.stats.registry), for the engine
benchmark: one R expression per method, evaluated for each meta-analysis ``x`` (columns ai, n1i,
ci, n2i) with its metafor effect sizes ``es``, returning c(estimate, ci_low, ci_high) on the
natural scale; or the reason there is none. tests/test_method_registry.py checks that every
registry entry is here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RCall:
    """An R expression (``{measure}``, ``{r_method}`` and ``{control}`` filled in per fit), the
    fields it gives that are compared with ours, and their relative tolerance.
    """

    expr: str
    fields: tuple[str, ...] = ("estimate", "ci_low", "ci_high")
    rel_tol: float = 1e-6
    note: str = ""


@dataclass(frozen=True)
class NoRCounterpart:
    """Why a method has no R counterpart here."""

    reason: str


_ARMS = "ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i"

R_CALLS: dict[str, RCall | NoRCounterpart] = {
    "MH": RCall(f'mf(rma.mh({_ARMS}, measure = "{{measure}}"), "{{measure}}")'),
    "Peto": RCall(f'mf(rma.peto({_ARMS}), "OR")'),
    "IV": RCall(
        'mf(rma(yi, vi, data = es[["{measure}"]], method = "{r_method}"{control}), "{measure}")',
        note="REML and PM to 1e-4: metafor's iterations stop at a change of 1e-5 in tau²",
    ),
    "exact": RCall(
        f'mf(rma.glmm({_ARMS}, measure = "OR", model = "CM.EL", method = "EE"), "OR")',
        fields=("estimate",),
        rel_tol=1e-3,
        note="estimate only: metafor's numerical Hessian gives its interval (README)",
    ),
    "exact-conditional": RCall(
        "mh_exact(x)",
        fields=("ci_low", "ci_high"),
        rel_tol=2e-3,
        note="the exact conditional (Cornfield) interval of mantelhaen.test(exact = TRUE); its "
        "estimate is the conditional MLE, ours the median-unbiased one; R solves the bounds "
        "loosely (1.6e-3 relative, tests/test_rare_event_reference.py)",
    ),
    "mid-p": NoRCounterpart(
        "no packaged R function gives the stratified mid-p interval (exact2x2 and epitools, "
        "which have it for one table, are not in Debian; CRAN is unreachable here); "
        "tests/test_rare_event_reference.py checks it against the conditional distribution "
        "computed by tests/reference/make_rare_event_reference.R"
    ),
    "Firth": RCall(
        "firth(x)",
        fields=("estimate",),
        rel_tol=1e-5,
        note="brglm2 glm(method = brglmFit, type = 'MPL_Jeffreys') with study intercepts; "
        "brglm2 has no profile penalised-likelihood interval",
    ),
    "MN": RCall(
        f'mf(rma.mh({_ARMS}, measure = "RD"), "RD")',
        fields=("estimate",),
        note="estimate only (the MH RD); the stratified Miettinen-Nurminen interval is in R "
        "packages Debian does not ship",
    ),
    "Bayesian": NoRCounterpart(
        "no R package in Debian fits the binomial-normal model deterministically (MetaStan, "
        "its authors' package, is not in Debian and samples by MCMC); "
        "tests/test_binomial_normal.py checks it against rstan and an R quadrature "
        "(tests/reference/bayes), and bench/bench_bayes.py times it"
    ),
}

#: Helper functions the expressions above call.
R_HELPERS = r"""
if (!requireNamespace("brglm2", quietly = TRUE)) stop("the R package brglm2 is needed")
mf <- function(r, measure) {
  f <- if (measure == "RD") identity else exp
  c(f(r$beta[1]), f(r$ci.lb), f(r$ci.ub))
}
mh_exact <- function(x) {
  t <- mantelhaen.test(array(rbind(x$ai, x$ci, x$n1i - x$ai, x$n2i - x$ci), c(2, 2, nrow(x))),
                       exact = TRUE)
  c(NA, t$conf.int[1], t$conf.int[2])
}
firth <- function(x) {
  d <- data.frame(y = c(x$ai, x$ci), n = c(x$n1i, x$n2i), t = rep(1:0, each = nrow(x)),
                  s = factor(rep(seq_len(nrow(x)), 2)))
  f <- if (nrow(x) > 1) cbind(y, n - y) ~ s + t else cbind(y, n - y) ~ t
  r <- glm(f, family = binomial, data = d, method = brglm2::brglmFit, type = "MPL_Jeffreys")
  c(exp(coef(r)[["t"]]), NA, NA)
}
"""
