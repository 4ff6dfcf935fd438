# Within-trial treatment x subgroup interaction reference for
# raremeta.stats.within_trial.within_trial_interaction (Fisher et al., BMJ 2017;356:j573):
# one-stage logistic model on trial x arm x subgroup counts, trial-specific intercepts,
# treatment effects and subgroup effects (each trial's first subgroup its baseline) and a common
# treatment x subgroup term per non-reference subgroup, Firth-penalised.
# Estimate and se: glm(..., family = binomial, method = "brglmFit", type = "AS_mean") (brglm2
# 0.9; for the logit link equal to type = "MPL_Jeffreys", checked below). brglm2 0.9's confint()
# is Wald (confint.default), so the profile interval is computed here as logistf does: PL(b) =
# max of l + 1/2 log|X'WX| (full model) over the other coefficients with the interaction fixed
# at b (optim BFGS with the analytic modified score, then Newton), bounds by uniroot(tol = 1e-10)
# of 2 (l*max - PL(b)) = qchisq(0.95, 1); p = pchisq(2 (l*max - PL(0)), 1, lower = FALSE) (the
# penalised likelihood-ratio test).
# Needs (Debian): r-base-core r-cran-brglm2
# Run: Rscript tests/reference/within_trial_interaction.R > tests/reference/within_trial_interaction.csv
suppressPackageStartupMessages(library(brglm2))
chicrit <- qchisq(0.95, 1)
sets <- list(
  # three trials by a binary variable (reference 'neg'); zero cells in every trial
  binary = data.frame(
    trial = c("t1", "t1", "t2", "t2", "t3", "t3"),
    sub = c("neg", "pos", "neg", "pos", "neg", "pos"),
    ai = c(3, 4, 1, 2, 0, 1), n1i = c(60, 20, 45, 15, 30, 10),
    ci = c(1, 0, 2, 0, 0, 1), n2i = c(58, 22, 47, 13, 29, 11)
  ),
  # two trials, three subgroups (reference 'low'), trial b without 'mid'; zero cells
  three_levels = data.frame(
    trial = c("a", "a", "a", "b", "b"),
    sub = c("low", "mid", "high", "low", "high"),
    ai = c(2, 0, 5, 1, 3), n1i = c(40, 25, 30, 50, 20),
    ci = c(1, 1, 0, 2, 0), n2i = c(42, 24, 28, 49, 21)
  ),
  # one trial with a CNI arm without events in one subgroup (reference 'negative')
  one_trial = data.frame(
    trial = c("solo", "solo"), sub = c("negative", "positive"),
    ai = c(6, 0), n1i = c(137, 40), ci = c(2, 1), n2i = c(130, 43)
  )
)
design <- function(d) {
  trials <- unique(d$trial)
  levels <- unique(d$sub)
  long <- data.frame(trial = rep(d$trial, each = 2), sub = rep(d$sub, each = 2),
                     treat = rep(c(1, 0), nrow(d)),
                     y = as.vector(rbind(d$ai, d$ci)), n = as.vector(rbind(d$n1i, d$n2i)))
  cols <- list()
  for (t in trials) {
    cols[[paste0("int_", t)]] <- as.numeric(long$trial == t)
    cols[[paste0("treat_", t)]] <- long$treat * (long$trial == t)
    own <- unique(d$sub[d$trial == t])
    for (g in own[-1]) cols[[paste0("sub_", t, "_", g)]] <- as.numeric(long$trial == t & long$sub == g)
  }
  for (g in levels[-1]) cols[[paste0("inter_", g)]] <- long$treat * (long$sub == g)
  list(X = do.call(cbind, cols), y = long$y, n = long$n, ref = levels[1], levels = levels[-1])
}
lstar <- function(beta, D) {
  eta <- drop(D$X %*% beta)
  ll <- sum(D$y * plogis(eta, log.p = TRUE) + (D$n - D$y) * plogis(-eta, log.p = TRUE))
  p <- plogis(eta); w <- D$n * p * (1 - p)
  ll + 0.5 * as.numeric(determinant(crossprod(D$X, w * D$X), logarithm = TRUE)$modulus)
}
ustar <- function(beta, D) {
  eta <- drop(D$X %*% beta)
  p <- plogis(eta); w <- D$n * p * (1 - p)
  Iinv <- solve(crossprod(D$X, w * D$X))
  h <- w * rowSums((D$X %*% Iinv) * D$X)
  drop(crossprod(D$X, D$y - D$n * p + h * (0.5 - p)))
}
out <- data.frame()
for (name in names(sets)) {
  D <- design(sets[[name]])
  X <- D$X; y <- D$y; n <- D$n
  fit <- glm(cbind(y, n - y) ~ 0 + X, family = binomial, method = "brglmFit",
             type = "AS_mean", epsilon = 1e-12, maxit = 10000)
  jef <- glm(cbind(y, n - y) ~ 0 + X, family = binomial, method = "brglmFit",
             type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 10000)
  stopifnot(fit$converged, jef$converged, max(abs(coef(fit) - coef(jef))) < 1e-8)
  b <- unname(coef(fit))
  stopifnot(max(abs(ustar(b, D))) < 1e-7)
  lmax <- lstar(b, D)
  for (g in D$levels) {
    j <- which(colnames(X) == paste0("inter_", g))
    cache <- list(list(b = b))
    PL <- function(v) {
      near <- which.min(vapply(cache, function(e) abs(e$b[j] - v), 0))
      start <- cache[[near]]$b[-j]
      full <- function(a) { z <- numeric(length(b)); z[-j] <- a; z[j] <- v; z }
      obj <- function(a) -lstar(full(a), D)
      gr <- function(a) -ustar(full(a), D)[-j]
      a <- optim(start, obj, gr, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))$par
      for (it in 1:30) {
        gg <- gr(a)
        if (max(abs(gg)) < 1e-9) break
        H <- vapply(seq_along(a), function(i) {
          h <- 1e-5 * max(1, abs(a[i])); e <- replace(0 * a, i, h)
          (gr(a + e) - gr(a - e)) / (2 * h)
        }, numeric(length(a)))
        a <- a - solve((H + t(H)) / 2, gg)
      }
      if (max(abs(gr(a))) > 1e-6) stop("profile optimisation did not converge")
      cache[[length(cache) + 1]] <<- list(b = full(a))
      -obj(a)
    }
    stopifnot(abs(PL(b[j]) - lmax) < 1e-8)
    f <- function(v) 2 * (lmax - PL(v)) - chicrit
    bound <- function(sign) {
      step <- 1
      far <- b[j] + sign * step
      while (f(far) < 0) {
        step <- step * 1.5
        far <- b[j] + sign * step
        if (step > 50) return(sign * Inf)
      }
      uniroot(f, sort(c(b[j], far)), tol = 1e-10, maxiter = 10000)$root
    }
    lo <- bound(-1); hi <- bound(1)
    p <- pchisq(2 * (lmax - PL(0)), 1, lower.tail = FALSE)
    out <- rbind(out, data.frame(
      dataset = name, subgroup = g, reference = D$ref, k = length(unique(sets[[name]]$trial)),
      estimate = exp(b[j]), ci_low = exp(lo), ci_high = exp(hi), p_value = p,
      se = sqrt(vcov(fit)[j, j])
    ))
  }
}
options(digits = 15)
write.csv(out, stdout(), row.names = FALSE, quote = FALSE, na = "")
