# Cumulative meta-analysis reference for raremeta.analysis.fitting.cumulative_fits: four
# hand-made trials, added in order of year (ties and missing years by id, missing last):
# trial-b (2010), trial-a (2012), trial-c (2012), trial-d (no year).
# MH OR: metafor::cumul() of rma.mh (estimate, 95% CI, Wald p; no continuity correction).
# Firth OR: brglm2 refits (glm with study intercepts + treatment, brglmFit MPL_Jeffreys, i.e.
# the maximiser of l + 1/2 log|I|) on the first 1..4 trials: estimate only.
# Needs (Debian): r-base-core r-cran-metafor r-cran-brglm2
# Run: Rscript tests/reference/cumulative.R > tests/reference/cumulative.csv
suppressPackageStartupMessages({ library(metafor); library(brglm2) })
d <- data.frame(
  id = c("trial-a", "trial-b", "trial-c", "trial-d"),
  year = c(2012, 2010, 2012, NA),
  ai = c(2, 3, 1, 4), n1i = c(50, 100, 30, 80),
  ci = c(1, 1, 2, 0), n2i = c(48, 98, 31, 79)
)
ord <- order(is.na(d$year), ifelse(is.na(d$year), 0, d$year), d$id)
mh <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "OR", slab = id)
cm <- cumul(mh, order = ord)
firth <- sapply(seq_len(nrow(d)), function(step) {
  s <- d[ord[seq_len(step)], ]
  long <- data.frame(S = factor(rep(s$id, 2)), treat = rep(c(1, 0), each = nrow(s)),
                     y = c(s$ai, s$ci), n = c(s$n1i, s$n2i))
  f <- if (step == 1) cbind(y, n - y) ~ treat else cbind(y, n - y) ~ 0 + S + treat
  fit <- glm(f, family = binomial, data = long,
             method = "brglmFit", type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 10000)
  stopifnot(fit$converged)
  exp(unname(coef(fit)["treat"]))
})
out <- data.frame(
  step = seq_len(nrow(d)), study_added = d$id[ord], year = d$year[ord], k = seq_len(nrow(d)),
  mh_estimate = exp(cm$estimate), mh_ci_low = exp(cm$ci.lb), mh_ci_high = exp(cm$ci.ub),
  mh_p_value = cm$pval, firth_estimate = firth
)
options(digits = 15)
write.csv(out, stdout(), row.names = FALSE, quote = FALSE, na = "")
