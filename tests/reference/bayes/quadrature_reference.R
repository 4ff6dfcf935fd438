#!/usr/bin/env Rscript
# Deterministic quadrature reference for the binomial-normal model (issue 22, item 3).
# Independent of rstan and of the Python code. Run from this folder:
#   Rscript quadrature_reference.R      (writes quadrature_reference.csv and
#                                        quadrature_checks.csv)
# Model (per study i; c = comparator, t = CNI/treatment arm):
#   logit p_c = mu_i - d_i/2, logit p_t = mu_i + d_i/2, d_i = theta + tau*u_i, u_i ~ N(0,1)
#   mu_i ~ N(0, mu_sd^2), theta ~ N(0, theta_sd^2), tau ~ half-normal(tau_scale).
# Step 1 (integrate mu_i out): g_i(d) = int Bin(r_c|n_c,p_c) Bin(r_t|n_t,p_t) N(mu;0,mu_sd) dmu
#   by integrate() on pieces split around the (unique: the log integrand is concave) mode,
#   range mode +- 10 mu_sd (strong log-concavity with modulus 1/mu_sd^2 bounds the tail
#   beyond by exp(-50) of the mode value). Tabulated on d in [-40, 40], step 0.02;
#   log g_i interpolated by a cubic spline (checked against direct values at midpoints).
# Step 2 (integrate u_i out): L_i(theta, tau) = int phi(u) g_i(theta + tau u) du by
#   integrate() on [-10, 10] (checked against the fully nested integrate() at sample points).
# Step 3: posterior of (theta, tau) on a grid theta in [-16, 20] (step 0.1),
#   tau in [0, 8] (step 0.05), Simpson's rule in both directions; the same computation
#   on every second node (step 0.2 x 0.1) is reported as the resolution check.
# `Rscript quadrature_reference.R extra` runs the extra cases instead (a repeated study; nonzero
# prior means for theta and mu_i) into quadrature_extra.csv and quadrature_extra_checks.csv.
suppressPackageStartupMessages(library(parallel))
EXTRA <- identical(commandArgs(trailingOnly = TRUE)[1], "extra")
MU_MEAN <- 0  # the prior mean of mu_i, set per surface
pm <- function(p, key) if (key %in% names(p)) p[[key]] else 0
ncores <- 2L

datasets <- list(
  seed_pres      = data.frame(r_t = 4, n_t = 177, r_c = 0, n_c = 88),
  seed_seizure   = data.frame(r_t = 1, n_t = 181, r_c = 0, n_c = 181),
  double_zero    = data.frame(r_t = c(2, 0, 1), n_t = c(50, 40, 60),
                              r_c = c(0, 0, 1), n_c = c(50, 40, 58)),
  crins_deaths   = data.frame(r_t = c(4, 1, 4, 2), n_t = c(61, 54, 36, 50),
                              r_c = c(3, 3, 3, 3), n_c = c(20, 54, 36, 34)),
  crins_ptld     = data.frame(r_t = c(0, 1, 1), n_t = c(18, 54, 36),
                              r_c = c(0, 0, 1), n_c = c(12, 54, 36))
)
priors <- list(
  default           = c(mu_sd = 10,  theta_sd = 2.82, tau_scale = 0.5),
  tau_halfnormal_1  = c(mu_sd = 10,  theta_sd = 2.82, tau_scale = 1.0),
  theta_normal_1.5  = c(mu_sd = 10,  theta_sd = 1.5,  tau_scale = 0.5),
  mu_normal_2.5     = c(mu_sd = 2.5, theta_sd = 2.82, tau_scale = 0.5)
)
if (EXTRA) {
  datasets$repeated <- data.frame(r_t = c(1, 1, 1), n_t = c(54, 54, 36),
                                  r_c = c(0, 0, 1), n_c = c(54, 54, 36))
  priors$means <- c(mu_sd = 10, theta_sd = 2.82, tau_scale = 0.5, mu_mean = -3, theta_mean = 0.5)
}
runs <- if (EXTRA) data.frame(data = c("repeated", "seed_pres", "crins_deaths"),
                              prior = c("default", "means", "means"), stringsAsFactors = FALSE) else rbind(
  expand.grid(data = c("seed_pres", "seed_seizure"), prior = names(priors),
              stringsAsFactors = FALSE),
  data.frame(data = c("double_zero", "crins_deaths", "crins_ptld"),
             prior = "default", stringsAsFactors = FALSE))

RT <- 1e-10   # rel.tol of the integrate() calls over mu_i (abs.tol: see the calls)
RT_U <- 1e-8  # rel.tol of the integrate() calls over u_i
# integrate() that, on a "roundoff error" stop, retries with a 100x looser rel.tol
# (counted in the global n_fallback, reported in quadrature_checks.csv)
n_fallback <- 0L
integ <- function(f, a, b, rel.tol, ...) {
  r <- tryCatch(integrate(f, a, b, rel.tol = rel.tol, ...), error = function(e) NULL)
  if (is.null(r)) {
    n_fallback <<- n_fallback + 1L
    r <- integrate(f, a, b, rel.tol = rel.tol * 100, ...)
  }
  r
}

# ---- step 1: g(d) for one study ------------------------------------------------------
log_integrand <- function(mu, d, s, sd) {
  dbinom(s$r_c, s$n_c, plogis(mu - d / 2), log = TRUE) +
    dbinom(s$r_t, s$n_t, plogis(mu + d / 2), log = TRUE) +
    dnorm(mu, MU_MEAN, sd, log = TRUE)
}
mode_mu <- function(d, s, sd) {
  fp <- function(mu) s$r_c - s$n_c * plogis(mu - d / 2) + s$r_t - s$n_t * plogis(mu + d / 2) - (mu - MU_MEAN) / sd^2
  m <- uniroot(fp, MU_MEAN + c(-20 * sd - 50, 20 * sd + 50), tol = 1e-12)$root
  pc <- plogis(m - d / 2); pt <- plogis(m + d / 2)
  c(mode = m, w = 1 / sqrt(s$n_c * pc * (1 - pc) + s$n_t * pt * (1 - pt) + 1 / sd^2))
}
# returns log g(d) and the summed absolute error estimate relative to g
log_g_direct <- function(d, s, sd, pieces = c(-30, -8, 0, 8, 30)) {
  mw <- mode_mu(d, s, sd); m <- mw[["mode"]]; w <- mw[["w"]]
  lo <- m - 10 * sd; hi <- m + 10 * sd
  br <- sort(unique(c(lo, hi, pmin(pmax(m + pieces * w, lo), hi))))
  f0 <- log_integrand(m, d, s, sd)
  tot <- 0; err <- 0
  for (j in seq_len(length(br) - 1)) {
    # integrand scaled to 1 at the mode, so the integral is of order w: abs.tol 1e-13 w
    r <- integ(function(mu) exp(log_integrand(mu, d, s, sd) - f0), br[j], br[j + 1],
               rel.tol = RT, abs.tol = 1e-13 * w, subdivisions = 1000L)
    tot <- tot + r$value; err <- err + r$abs.error
  }
  c(log_g = log(tot) + f0, rel_err = err / tot)
}
d_grid <- seq(-40, 40, by = 0.02)
tabulate_g <- function(s, sd) {
  v <- vapply(d_grid, log_g_direct, numeric(2), s = s, sd = sd)
  list(log_g = v[1, ], max_rel_err = max(v[2, ]))
}

# ---- step 2: L(theta, tau) ---------------------------------------------------------
theta_grid <- seq(-16, 20, by = 0.1)      # 361 nodes
tau_grid   <- seq(0, 8, by = 0.05)        # 161 nodes
conv <- function(lg_fun, theta, tau, c0) {
  if (tau == 0) return(exp(lg_fun(theta) - c0))
  # scaled by the largest g; abs.tol 1e-14 on that scale
  integ(function(u) dnorm(u) * exp(lg_fun(theta + tau * u) - c0), -10, 10,
        rel.tol = RT_U, abs.tol = 1e-14, subdivisions = 1000L)$value
}
clamp_spline <- function(lg) {
  f <- splinefun(d_grid, lg, method = "fmm")
  function(x) f(pmin(pmax(x, -40), 40))
}
surface <- function(dat, sd, mean = 0) {
  MU_MEAN <<- mean
  n_fallback <<- 0L
  loglik <- matrix(0, length(theta_grid), length(tau_grid))
  gerr <- 0; spline_err <- 0; nested_err <- 0
  for (i in seq_len(nrow(dat))) {
    s <- as.list(dat[i, ])
    tg <- tabulate_g(s, sd); gerr <- max(gerr, tg$max_rel_err)
    lg <- clamp_spline(tg$log_g); c0 <- max(tg$log_g)
    # check the spline at midpoints of the d grid in the region that matters
    dm <- seq(-20 + 0.01, 30 - 0.01, by = 0.5)
    dir <- vapply(dm, function(x) log_g_direct(x, s, sd)[["log_g"]], 0)
    spline_err <- max(spline_err, max(abs(exp(lg(dm) - dir) - 1)))
    # the grid
    for (b in seq_along(tau_grid)) {
      loglik[, b] <- loglik[, b] + c0 +
        log(vapply(theta_grid, conv, 0, lg_fun = lg, tau = tau_grid[b], c0 = c0))
    }
    # fully nested integrate() (inner integral computed afresh) at sample points
    set.seed(1)
    for (q in 1:12) {
      th <- runif(1, -4, 8); ta <- runif(1, 0, 2.5)
      gd <- function(x) vapply(x, function(y) log_g_direct(y, s, sd)[["log_g"]], 0)
      nest <- integ(function(u) dnorm(u) * exp(gd(th + ta * u) - c0), -10, 10,
                        rel.tol = 1e-9, abs.tol = 1e-14)$value
      nested_err <- max(nested_err, abs(conv(lg, th, ta, c0) / nest - 1))
    }
  }
  list(loglik = loglik, fallbacks = n_fallback, g_rel_err = gerr, spline_rel_err = spline_err,
       nested_rel_err = nested_err)
}

# ---- step 3: posterior summaries ------------------------------------------------------
simpson_w <- function(n, h) {
  stopifnot(n %% 2 == 1)
  w <- rep(c(2, 4), length.out = n); w[1] <- 1; w[n] <- 1; w[2 * seq_len((n - 1) / 2)] <- 4
  w * h / 3
}
quantile_from_density <- function(x, dens, probs, at) {
  # cubic interpolation of the density, cumulative trapezoid on a 1/40 sub-grid
  f <- splinefun(x, dens, method = "fmm")
  xf <- seq(min(x), max(x), length.out = (length(x) - 1) * 40 + 1)
  df <- pmax(f(xf), 0); hf <- xf[2] - xf[1]
  cdf <- c(0, cumsum((df[-1] + df[-length(df)]) / 2 * hf)); cdf <- cdf / cdf[length(cdf)]
  q <- approx(cdf, xf, xout = probs, ties = "ordered")$y
  pa <- 1 - approx(xf, cdf, xout = at)$y
  list(q = q, p_above = pa)
}
summarise <- function(loglik, p, step) {
  it <- seq(1, length(theta_grid), by = step); ib <- seq(1, length(tau_grid), by = step)
  th <- theta_grid[it]; ta <- tau_grid[ib]
  lp <- loglik[it, ib] + outer(dnorm(th, pm(p, "theta_mean"), p[["theta_sd"]], log = TRUE),
                               dnorm(ta, 0, p[["tau_scale"]], log = TRUE), "+")
  post <- exp(lp - max(lp))
  wt <- simpson_w(length(th), th[2] - th[1]); wb <- simpson_w(length(ta), ta[2] - ta[1])
  dens_theta <- as.vector(post %*% wb); dens_tau <- as.vector(crossprod(post, wt))
  qt <- quantile_from_density(th, dens_theta, c(0.025, 0.5, 0.975), c(0, log(2)))
  qb <- quantile_from_density(ta, dens_tau, 0.5, 0)
  c(or_median = exp(qt$q[2]), or_q025 = exp(qt$q[1]), or_q975 = exp(qt$q[3]),
    p_or_gt1 = qt$p_above[1], p_or_gt2 = qt$p_above[2], tau_median = qb$q,
    theta_median = qt$q[2], theta_q025 = qt$q[1], theta_q975 = qt$q[3],
    mass_theta_edges = (dens_theta[1] + dens_theta[length(th)]) / max(dens_theta),
    mass_tau_edge = dens_tau[length(ta)] / max(dens_tau))
}

t_start <- proc.time()
surf_keys <- unique(data.frame(data = runs$data,
                               mu_sd = sapply(runs$prior, function(p) priors[[p]][["mu_sd"]]),
                               mu_mean = sapply(runs$prior, function(p) pm(priors[[p]], "mu_mean"))))
surfs <- mclapply(seq_len(nrow(surf_keys)), function(j)
  surface(datasets[[surf_keys$data[j]]], surf_keys$mu_sd[j], surf_keys$mu_mean[j]), mc.cores = ncores,
  mc.preschedule = FALSE)
for (x in surfs) if (!is.list(x)) stop(x)
if (nzchar(Sys.getenv("QUAD_SAVE"))) saveRDS(surfs, Sys.getenv("QUAD_SAVE"))
names(surfs) <- paste(surf_keys$data, surf_keys$mu_sd, surf_keys$mu_mean)
out <- list(); checks <- list()
for (j in seq_len(nrow(runs))) {
  p <- priors[[runs$prior[j]]]; sf <- surfs[[paste(runs$data[j], p[["mu_sd"]], pm(p, "mu_mean"))]]
  fine <- summarise(sf$loglik, p, 1); coarse <- summarise(sf$loglik, p, 2)
  out[[j]] <- data.frame(data = runs$data[j], prior = runs$prior[j], k = nrow(datasets[[runs$data[j]]]),
                         mu_sd = p[["mu_sd"]], theta_sd = p[["theta_sd"]], tau_scale = p[["tau_scale"]],
                         mu_mean = if (EXTRA) pm(p, "mu_mean") else NULL,
                         theta_mean = if (EXTRA) pm(p, "theta_mean") else NULL,
                         t(fine[1:9]))
  keys <- c("or_median", "or_q025", "or_q975", "p_or_gt1", "p_or_gt2", "tau_median")
  checks[[j]] <- data.frame(data = runs$data[j], prior = runs$prior[j],
    t(setNames(abs(fine[keys] / coarse[keys] - 1), paste0("reldiff_grid_", keys))),
    integrate_fallbacks = sf$fallbacks, g_integrate_rel_err = sf$g_rel_err, g_spline_rel_err = sf$spline_rel_err,
    conv_vs_fully_nested_rel_err = sf$nested_rel_err,
    theta_edge_density_rel = fine[["mass_theta_edges"]], tau_edge_density_rel = fine[["mass_tau_edge"]])
}
res <- do.call(rbind, out); chk <- do.call(rbind, checks)
stem <- if (EXTRA) "quadrature_extra" else "quadrature_reference"
write.csv(format(res, digits = 10), paste0(stem, ".csv"), row.names = FALSE, quote = FALSE)
write.csv(format(chk, digits = 3),
          if (EXTRA) "quadrature_extra_checks.csv" else "quadrature_checks.csv",
          row.names = FALSE, quote = FALSE)
print(res[, 1:12]); print(chk)
cat("elapsed", (proc.time() - t_start)[["elapsed"]], "s | R", R.version.string, "\n")
