#!/usr/bin/env Rscript
# Reference fits of the per-arm random-intercept logistic GLMM on hard data, for
# tests/test_glmm_hard.py.
#
# Run from the repository root:  Rscript tests/reference/make_glmm_hard_reference.R
# Needs (Debian): r-base-core r-cran-metafor r-cran-lme4 (numDeriv comes with them)
#
# Model: x_i ~ Binomial(n_i, plogis(mu + b_i)), b_i ~ N(0, tau^2), maximum likelihood with
# adaptive Gauss-Hermite quadrature on 7 points per study.
#
# Data (seed 20260214): large studies (n up to 5,000), k >= 30, at least half the studies
# without events, tau from 1 to 3.
#   model_tau*  drawn from the model itself, typical rate 1.5 per 10,000 (with n from 100 to
#               5,000 a rate this low is needed for half the studies to have no event; redrawn
#               until they do)
#   zi_*        half the studies with no events by design (rate 0), the other half drawn from the
#               model with a typical rate of 1%, 2% or 3%: many large zero-event studies next to
#               studies with rates of several percent
#   issue_*     like the issue's held-out set: typical rate 2%, tau 2.4, n log-uniform from 20
#               to 5,000 (7 of its 40 studies without events, 16 with n in the thousands)
#
# Four rows per data set in glmm_hard.csv (column `source`):
#   lme4      glmer(cbind(x, n - x) ~ 1 + (1 | study), binomial, nAGQ = 7) with bobyqa in both
#             stages, maxfun 1e5, rhoend 1e-12, tolPwrss 1e-12; converged = optimizer code 0 and
#             no lme4 convergence message; se from vcov() (lme4's finite-difference Hessian)
#   lme4_richardson  the same fit, se from numDeriv::hessian (Richardson extrapolation) of
#             lme4's own deviance function (devFunOnly = TRUE) at lme4's (theta, beta).
#             lme4's stored Hessian is simple central differences with step 1e-4 on a
#             deviance whose inner PIRLS is iterative; its se is up to 9e-4 (relative) off on
#             these sets, which the Richardson Hessian, the agq_r fit and the curvature of the
#             profile log-likelihood of mu all agree on to 3e-6.
#   metafor   rma.glmm(measure = "PLO", xi, ni, method = "ML") with the same glmer control (it
#             calls glmer; its se is lme4's vcov())
#   agq_r     an independent fit: the marginal likelihood written from the model in plain R
#             (conditional modes by uniroot, 7-point adaptive Gauss-Hermite quadrature),
#             maximised by optim over (mu, log tau) from four starts and polished by Newton
#             steps; se from the inverse of numDeriv::hessian in (mu, tau)
# Columns: mu (logit), se (Wald, of mu), tau2, estimate / ci_low / ci_high = plogis(mu),
# plogis(mu -/+ qnorm(0.975) se).
# Log-likelihoods, all the full binomial one (with the log choose(n, x) terms):
#   loglik        what the source gives for its fit: lme4's logLik() plus the saturated
#                 log-likelihood sum(dbinom(x, n, x / n, log = TRUE)) (for nAGQ > 1 lme4 reports
#                 the log-likelihood minus that of the saturated model); agq_r's own maximum.
#                 Empty for metafor: its fit.stats "ll" for measure "PLO" is the saturated
#                 log-likelihood minus deviance(glmer fit) / 2, and lme4's deviance() of a
#                 GLMM is the conditional deviance at the modes, not -2 x the marginal one.
#   loglik_reported  the number the package prints (lme4 logLik, metafor fit.stats "ll")
#   loglik_agq_r  the agq_r function at that row's (mu, tau)
#   loglik_integrate  the exact marginal log-likelihood by integrate() at that row's (mu, tau),
#                 for information: how close 7-point quadrature is to the integral
suppressPackageStartupMessages({
  library(lme4)
  library(metafor)
  library(numDeriv)
})
out_dir <- "tests/reference"
set.seed(20260214)

# ---- data -----------------------------------------------------------------------------------
sets <- list()
add_set <- function(name, dgp, k, tau, p, x, n) {
  sets[[name]] <<- list(name = name, dgp = dgp, k = k, tau = tau, p = p, x = x, n = n)
}
model_draw <- function(k, tau, p, n) rbinom(k, n, plogis(qlogis(p) + rnorm(k, 0, tau)))

for (s in list(c(1, 40), c(1.5, 30), c(2, 50), c(2.4, 45), c(3, 60))) {
  tau <- s[1]; k <- s[2]; p <- 1.5e-4
  repeat {
    n <- sample(100:5000, k, replace = TRUE)
    x <- model_draw(k, tau, p, n)
    if (mean(x == 0) >= 0.5 && sum(x) > 0) break
  }
  add_set(sprintf("model_tau%s", tau), "model", k, tau, p, x, n)
}
for (s in list(c(1.5, 0.01, 40), c(2.4, 0.02, 50), c(3, 0.03, 30))) {
  tau <- s[1]; p <- s[2]; k <- s[3]
  n <- sample(100:5000, k, replace = TRUE)
  x <- c(rep(0, k / 2), model_draw(k / 2, tau, p, n[(k / 2 + 1):k]))
  add_set(sprintf("zi_tau%s_p%s", tau, p), "half structural zeros + model", k, tau, p, x, n)
}
k <- 40
n <- round(exp(runif(k, log(20), log(5000))))
add_set("issue_tau2.4_p0.02", "model, n log-uniform 20..5000", k, 2.4, 0.02,
        model_draw(k, 2.4, 0.02, n), n)

# ---- an independent adaptive-quadrature likelihood in plain R -------------------------------
gh <- local({  # Golub-Welsch: nodes and weights of Gauss-Hermite (weight exp(-z^2)), 7 points
  m <- 7; off <- sqrt(seq_len(m - 1) / 2)
  J <- matrix(0, m, m); J[cbind(1:(m - 1), 2:m)] <- off; J[cbind(2:m, 1:(m - 1))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(z = e$values, w = sqrt(pi) * e$vectors[1, ]^2)
})
log_integrand <- function(b, xi, ni, mu, tau) {
  dbinom(xi, ni, plogis(mu + b), log = TRUE) + dnorm(b, 0, tau, log = TRUE)
}
cond_mode <- function(xi, ni, mu, tau) {
  # g (the derivative of the log integrand) decreases; g(b) = 0 gives b = tau^2 (xi - ni
  # plogis(mu + b)), so the root lies between 0 and c0 = tau^2 * (xi - ni * plogis(mu))
  g <- function(b) xi - ni * plogis(mu + b) - b / tau^2
  c0 <- tau^2 * (xi - ni * plogis(mu))
  if (c0 == 0) return(0)
  uniroot(g, sort(c(0, c0)), tol = 1e-13, maxiter = 10000)$root
}
agq_ll <- function(mu, tau, x, n) {
  if (tau == 0) return(sum(dbinom(x, n, plogis(mu), log = TRUE)))
  tau <- abs(tau)
  sum(mapply(function(xi, ni) {
    b <- cond_mode(xi, ni, mu, tau)
    p <- plogis(mu + b)
    s <- 1 / sqrt(ni * p * (1 - p) + 1 / tau^2)
    nodes <- b + sqrt(2) * s * gh$z
    lt <- log_integrand(nodes, xi, ni, mu, tau) + gh$z^2 + log(gh$w)
    mx <- max(lt)
    mx + log(sum(exp(lt - mx))) + log(sqrt(2) * s)
  }, x, n))
}
exact_ll <- function(mu, tau, x, n) {
  if (tau == 0) return(agq_ll(mu, 0, x, n))
  sum(mapply(function(xi, ni) {
    b <- cond_mode(xi, ni, mu, tau)
    p <- plogis(mu + b)
    s <- 1 / sqrt(ni * p * (1 - p) + 1 / tau^2)
    top <- log_integrand(b, xi, ni, mu, tau)
    f <- function(u) exp(log_integrand(u, xi, ni, mu, tau) - top)
    top + log(integrate(f, b - 40 * s, b + 40 * s, rel.tol = 1e-12, subdivisions = 10000L)$value)
  }, x, n))
}
agq_fit <- function(x, n) {
  mu0 <- qlogis(sum(x) / sum(n))
  nll <- function(par) -agq_ll(par[1], exp(par[2]), x, n)
  best <- NULL
  for (t0 in c(0.5, 1, 2, 4)) {
    f <- optim(c(mu0, log(t0)), nll, method = "Nelder-Mead",
               control = list(reltol = 1e-15, maxit = 1e5))
    f <- optim(f$par, nll, method = "BFGS", control = list(reltol = 1e-15, maxit = 1e4))
    if (is.null(best) || f$value < best$value) best <- f
  }
  par <- best$par
  for (i in 1:5) {  # Newton polish on (mu, log tau) with numDeriv's Richardson derivatives
    g <- grad(nll, par); H <- hessian(nll, par)
    step <- solve(H, g)
    if (nll(par - step) <= nll(par)) par <- par - step
  }
  mu <- par[1]; tau <- exp(par[2])
  H <- hessian(function(q) agq_ll(q[1], q[2], x, n), c(mu, tau))
  se <- sqrt(solve(-H)[1, 1])
  list(mu = mu, tau = tau, se = se, ll = agq_ll(mu, tau, x, n), grad = grad(nll, par))
}

# ---- fits ------------------------------------------------------------------------------------
ctrl <- list(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12),
             tolPwrss = 1e-12)
rows <- list()
put <- function(s, source, mu, se, tau2, ll, ll_reported, converged, note = "") {
  z <- qnorm(0.975)
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = s$name, dgp = s$dgp, k = s$k, zero_studies = sum(s$x == 0), max_n = max(s$n),
    tau_true = s$tau, p_true = s$p, source, mu, se, tau2, estimate = plogis(mu),
    ci_low = plogis(mu - z * se), ci_high = plogis(mu + z * se), loglik = ll,
    loglik_reported = ll_reported, loglik_agq_r = agq_ll(mu, sqrt(tau2), s$x, s$n),
    loglik_integrate = exact_ll(mu, sqrt(tau2), s$x, s$n), converged, note)
}
inputs <- list()
for (s in sets) {
  cat(s$name, ": k =", s$k, " zeros =", sum(s$x == 0), " events =", sum(s$x), "\n")
  inputs[[s$name]] <- data.frame(dataset = s$name, study = seq_len(s$k), events = s$x, n = s$n)
  saturated <- sum(dbinom(s$x, s$n, s$x / s$n, log = TRUE))
  d <- data.frame(study = factor(seq_len(s$k)), x = s$x, n = s$n)
  form <- cbind(x, n - x) ~ 1 + (1 | study)
  g <- glmer(form, data = d, family = binomial, nAGQ = 7, control = do.call(glmerControl, ctrl))
  msgs <- c(g@optinfo$conv$lme4$messages, g@optinfo$warnings)
  ok <- g@optinfo$conv$opt == 0 && length(msgs) == 0
  mu <- fixef(g)[[1]]; tau2 <- VarCorr(g)$study[1, 1]; ll <- c(logLik(g))
  put(s, "lme4", mu, sqrt(vcov(g)[1, 1]), tau2, ll + saturated, ll, ok,
      paste(unlist(msgs), collapse = "; "))
  dev <- glmer(form, data = d, family = binomial, nAGQ = 7, devFunOnly = TRUE,
               control = do.call(glmerControl, ctrl))
  H <- hessian(dev, c(getME(g, "theta"), mu)) / 2  # deviance = -2 log-likelihood
  put(s, "lme4_richardson", mu, sqrt(solve(H)[2, 2]), tau2, ll + saturated, ll, ok,
      "se from numDeriv::hessian of lme4's deviance function at lme4's (theta, beta)")
  r <- rma.glmm(measure = "PLO", xi = s$x, ni = s$n, method = "ML",
                control = list(glmerCtrl = ctrl))
  put(s, "metafor", r$beta[1], r$se, r$tau2, NA, r$fit.stats["ll", "ML"], TRUE)
  a <- agq_fit(s$x, s$n)
  put(s, "agq_r", a$mu, a$se, a$tau^2, a$ll, a$ll, max(abs(a$grad)) < 1e-6,
      sprintf("max |gradient| of -loglik in (mu, log tau) = %.1e", max(abs(a$grad))))
}

options(digits = 15)
fmt <- function(df) { for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- signif(df[[j]], 15); df }
write.csv(do.call(rbind, inputs), file.path(out_dir, "glmm_hard_inputs.csv"), row.names = FALSE)
write.csv(fmt(do.call(rbind, rows)), file.path(out_dir, "glmm_hard.csv"), row.names = FALSE,
          na = "")
