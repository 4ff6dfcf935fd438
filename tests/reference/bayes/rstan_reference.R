#!/usr/bin/env Rscript
# rstan reference for the binomial-normal model (issue 22, item 3).
# Run from this folder: Rscript rstan_reference.R   (writes rstan_reference.csv)
# Optional argument: post-warmup draws per chain (default 50000).
suppressPackageStartupMessages(library(rstan))
rstan_options(auto_write = TRUE)
args <- commandArgs(trailingOnly = TRUE)
n_keep <- if (length(args)) as.integer(args[1]) else 50000L
n_warm <- 2000L
n_chains <- 4L
seed <- 20201122L

# Data: columns r_t/n_t = CNI (treatment) arm, r_c/n_c = comparator (control).
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
runs <- rbind(
  expand.grid(data = c("seed_pres", "seed_seizure"), prior = names(priors),
              stringsAsFactors = FALSE),
  data.frame(data = c("double_zero", "crins_deaths", "crins_ptld"),
             prior = "default", stringsAsFactors = FALSE))

model <- stan_model("binomial_normal.stan")
out <- list()
for (j in seq_len(nrow(runs))) {
  d <- datasets[[runs$data[j]]]; p <- priors[[runs$prior[j]]]; k <- nrow(d)
  sdata <- list(k = k,
                r_c = array(as.integer(d$r_c), dim = k), n_c = array(as.integer(d$n_c), dim = k),
                r_t = array(as.integer(d$r_t), dim = k), n_t = array(as.integer(d$n_t), dim = k),
                mu_sd = unname(p["mu_sd"]), theta_sd = unname(p["theta_sd"]),
                tau_scale = unname(p["tau_scale"]))
  t0 <- proc.time()
  # adapt_delta 0.99; a run with any divergent transition is repeated with 0.999
  for (ad in c(0.99, 0.999)) {
    fit <- sampling(model, data = sdata, chains = n_chains, cores = 2,
                    iter = n_warm + n_keep, warmup = n_warm, seed = seed + j,
                    control = list(adapt_delta = ad, max_treedepth = 12),
                    refresh = 0)
    sp <- get_sampler_params(fit, inc_warmup = FALSE)
    n_div <- sum(sapply(sp, function(x) sum(x[, "divergent__"])))
    if (n_div == 0) break
  }
  secs <- (proc.time() - t0)[["elapsed"]]
  n_maxdepth <- sum(sapply(sp, function(x) sum(x[, "treedepth__"] >= 12)))
  sims <- as.array(fit)          # iterations x chains x parameters (post-warmup)
  mon <- monitor(sims, warmup = 0, probs = c(0.025, 0.5, 0.975), print = FALSE)
  mon <- as.data.frame(mon)
  par_all <- setdiff(dimnames(sims)[[3]], c("lp__", "gt1", "gt2"))
  row <- function(par) mon[par, ]
  or <- row("OR"); tau <- row("tau"); g1 <- row("gt1"); g2 <- row("gt2")
  out[[j]] <- data.frame(
    data = runs$data[j], prior = runs$prior[j], k = k,
    mu_sd = p[["mu_sd"]], theta_sd = p[["theta_sd"]], tau_scale = p[["tau_scale"]],
    chains = n_chains, draws_per_chain = n_keep, warmup = n_warm, seed = seed + j,
    adapt_delta = ad,
    or_median = or[["50%"]], or_median_mcse = or$MCSE_Q50,
    or_q025 = or[["2.5%"]], or_q025_mcse = or$MCSE_Q2.5,
    or_q975 = or[["97.5%"]], or_q975_mcse = or$MCSE_Q97.5,
    p_or_gt1 = g1$mean, p_or_gt1_mcse = g1$se_mean,
    p_or_gt2 = g2$mean, p_or_gt2_mcse = g2$se_mean,
    tau_median = tau[["50%"]], tau_median_mcse = tau$MCSE_Q50,
    or_bulk_ess = or$Bulk_ESS, or_tail_ess = or$Tail_ESS, or_rhat = or$Rhat,
    tau_bulk_ess = tau$Bulk_ESS, tau_tail_ess = tau$Tail_ESS, tau_rhat = tau$Rhat,
    max_rhat_all = max(mon[par_all, "Rhat"]),
    min_bulk_ess_all = min(mon[par_all, "Bulk_ESS"]),
    min_tail_ess_all = min(mon[par_all, "Tail_ESS"]),
    divergences = n_div, max_treedepth_hits = n_maxdepth, seconds = round(secs, 1))
  print(out[[j]][, c("data", "prior", "or_median", "or_q025", "or_q975", "p_or_gt1",
                     "tau_median", "max_rhat_all", "min_bulk_ess_all", "divergences", "seconds")])
  rm(fit, sims); gc(verbose = FALSE)
}
res <- do.call(rbind, out)
outfile <- if (n_keep == 50000L) "rstan_reference.csv" else sprintf("rstan_reference_%d.csv", n_keep)
write.csv(res, outfile, row.names = FALSE)
cat("rstan", as.character(packageVersion("rstan")), "| R", R.version.string, "\n")
