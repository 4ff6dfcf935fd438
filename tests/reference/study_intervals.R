# Per-study intervals that need no continuity correction (study_effects.csv `or_firth*`,
# `rd_crude*`) and the per-arm rates of the trials in the comparison (pooled_rates.csv subset
# `comparison`), for the seed studies and two hand-made ones, computed independently of raremeta:
#   Firth   one study's logistic regression (intercept + arm), estimate by brglm2
#           (glm(method = brglmFit, type = "AS_mean"): Firth's bias reduction = Jeffreys-prior
#           penalty for the canonical logit link); profile penalised-likelihood interval from
#           l*(a, b) = l(a, b) + 1/2 log|I(a, b)|, |I| = w1 w2 (w = n p (1 - p)), l* maximised over
#           the intercept at each fixed log OR by optimize(), bounds by uniroot(tol = 1e-12) of
#           2 (l*max - PL(b)) = qchisq(0.95, 1) (Heinze & Schemper 2002).
#   MN      crude risk difference p1 - p2 with the Miettinen-Nurminen score interval (one
#           stratum): restricted MLE of (p1, p2) under p1 - p2 = delta by optimize() of the
#           binomial log-likelihood (boundary maxima exact), variance times N/(N - 1), bounds by
#           uniroot(tol = 1e-13) of Z(delta) = -/+ qnorm(0.975) (Miettinen & Nurminen 1985).
#   CP      binom.test(x, n)$conf.int (Clopper-Pearson).
# Run: Rscript tests/reference/study_intervals.R > tests/reference/study_intervals.csv
suppressPackageStartupMessages(library(brglm2))
cases <- data.frame(
  case = c("aura_lv_pres", "liu_seizure", "both_arms_events"),
  a = c(4, 1, 3), n1 = c(177, 181, 50), c = c(0, 0, 1), n2 = c(88, 181, 60))
out <- data.frame(case = character(), quantity = character(), value = character(),
                  r_call = character())
put <- function(case, q, v, call) out[nrow(out) + 1, ] <<- list(case, q, format(v, digits = 12), call)

lstar <- function(al, b, y1, n1, y2, n2) {
  p1 <- plogis(al + b); p2 <- plogis(al)
  y1 * log(p1) + (n1 - y1) * log1p(-p1) + y2 * log(p2) + (n2 - y2) * log1p(-p2) +
    0.5 * log(n1 * p1 * (1 - p1) * n2 * p2 * (1 - p2))
}
pl <- function(b, ...) optimize(function(al) lstar(al, b, ...), c(-25, 25), maximum = TRUE,
                                tol = 1e-12)$objective

mn_z <- function(delta, a, n1, c, n2) {
  ll <- function(p2) { p1 <- p2 + delta
    a * log(p1) + (n1 - a) * log1p(-p1) + c * log(p2) + (n2 - c) * log1p(-p2) }
  lo <- max(0, -delta); hi <- min(1, 1 - delta)
  f <- function(p2) { v <- ll(p2); ifelse(is.nan(v), -Inf, v) }
  cand <- c(lo, hi, optimize(f, c(lo, hi), maximum = TRUE, tol = 1e-14)$maximum)
  p2 <- cand[which.max(sapply(cand, f))]; p1 <- p2 + delta
  N <- n1 + n2
  v <- (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * N / (N - 1)
  (a / n1 - c / n2 - delta) / sqrt(v)
}

for (i in seq_len(nrow(cases))) {
  x <- cases[i, ]
  d <- data.frame(y = c(x$a, x$c), n = c(x$n1, x$n2), trt = c(1, 0))
  fit <- glm(cbind(y, n - y) ~ trt, family = binomial, data = d, method = "brglmFit",
             type = "AS_mean", epsilon = 1e-12)
  b <- unname(coef(fit)["trt"])
  args <- list(y1 = x$a, n1 = x$n1, y2 = x$c, n2 = x$n2)
  top <- do.call(pl, c(list(b), args))
  g <- function(t) 2 * (top - do.call(pl, c(list(t), args))) - qchisq(0.95, 1)
  lo <- uniroot(g, c(b - 30, b), tol = 1e-12)$root
  hi <- uniroot(g, c(b, b + 30), tol = 1e-12)$root
  call <- "glm(method = brglmFit, type = 'AS_mean')"
  put(x$case, "or_firth", exp(b), call)
  put(x$case, "or_firth_ci_low", exp(lo), "own profile l*, optimize + uniroot(tol = 1e-12)")
  put(x$case, "or_firth_ci_high", exp(hi), "own profile l*, optimize + uniroot(tol = 1e-12)")
  est <- x$a / x$n1 - x$c / x$n2
  zc <- qnorm(0.975)
  lo <- uniroot(function(t) mn_z(t, x$a, x$n1, x$c, x$n2) - zc, c(-1 + 1e-9, est),
                tol = 1e-13)$root
  hi <- uniroot(function(t) mn_z(t, x$a, x$n1, x$c, x$n2) + zc, c(est, 1 - 1e-9),
                tol = 1e-13)$root
  put(x$case, "rd_crude", est, "a / n1 - c / n2")
  put(x$case, "rd_crude_ci_low", lo, "own Miettinen-Nurminen score, uniroot(tol = 1e-13)")
  put(x$case, "rd_crude_ci_high", hi, "own Miettinen-Nurminen score, uniroot(tol = 1e-13)")
  for (arm in c("cni", "comparator")) {
    ev <- if (arm == "cni") x$a else x$c
    n <- if (arm == "cni") x$n1 else x$n2
    ci <- binom.test(ev, n)$conf.int
    put(x$case, paste0("risk_", arm, "_ci_low"), ci[1], sprintf("binom.test(%g, %g)$conf.int[1]", ev, n))
    put(x$case, paste0("risk_", arm, "_ci_high"), ci[2], sprintf("binom.test(%g, %g)$conf.int[2]", ev, n))
  }
}
write.csv(out, stdout(), row.names = FALSE)
