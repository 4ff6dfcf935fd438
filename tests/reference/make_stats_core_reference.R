#!/usr/bin/env Rscript
# Reference values for the single-case unit tests of tests/test_stats_core.py, computed with R
# metafor (and base R's binom.test).
#
# Run from the repository root:  Rscript tests/reference/make_stats_core_reference.R
# Needs (Debian): r-base-core r-cran-metafor
# Writes tests/reference/stats_core.csv: one row per (case, quantity), with the R call that gave
# it. A quantity R does not give (an error, NA) has an empty value and the reason in `note`.
# Conventions as in make_reference.R: estimates and CIs on the natural scale (exp for OR/RR),
# the prediction interval from metafor's estimate, se and tau² with a t distribution on k - 2 df.
suppressPackageStartupMessages({ library(metafor) })
out_dir <- "tests/reference"

rows <- list()
put <- function(case, quantity, value, call, note = "") {
  rows[[length(rows) + 1]] <<- data.frame(case, quantity, value = as.numeric(value), call, note)
}

# ---- prediction interval: t on k - 2 df (Higgins, Thompson & Spiegelhalter 2009) -------------
yi <- c(0.1, 0.5, -0.2, 0.9); vi <- c(0.04, 0.05, 0.03, 0.06)
call <- "rma(yi = c(0.1, 0.5, -0.2, 0.9), vi = c(0.04, 0.05, 0.03, 0.06), method = 'DL')"
r <- rma(yi, vi, method = "DL")
half <- qt(0.975, r$k - 2) * sqrt(r$se^2 + r$tau2)
put("pi_k4_dl", "estimate", r$beta[1], call)
put("pi_k4_dl", "se", r$se, call)
put("pi_k4_dl", "tau2", r$tau2, call)
put("pi_k4_dl", "ci_low", r$ci.lb, call)
put("pi_k4_dl", "ci_high", r$ci.ub, call)
put("pi_k4_dl", "pi_low", r$beta[1] - half, paste(call, "; estimate - qt(0.975, k - 2) * sqrt(se^2 + tau2)"))
put("pi_k4_dl", "pi_high", r$beta[1] + half, paste(call, "; estimate + qt(0.975, k - 2) * sqrt(se^2 + tau2)"))
put("pi_k4_dl", "pi_df", r$k - 2, paste(call, "; k - 2"))

# ---- DerSimonian-Laird tau² truncated at 0 ------------------------------------------------------
call <- "rma(yi = c(0.1, 0.12, 0.11), vi = rep(0.1, 3), method = 'DL')"
r <- rma(c(0.1, 0.12, 0.11), rep(0.1, 3), method = "DL")
put("dl_truncated", "tau2", r$tau2, call)
put("dl_truncated", "q", r$QE, call)

# ---- Hartung-Knapp-Sidik-Jonkman with q < 1: raw knha and ad hoc max(1, q) ----------------------
yi <- c(0.1, 0.12, 0.11, 0.1); vi <- rep(0.1, 4)
call <- "rma(yi = c(0.1, 0.12, 0.11, 0.1), vi = rep(0.1, 4), method = 'DL')"
r <- rma(yi, vi, method = "DL")
rk <- rma(yi, vi, method = "DL", test = "knha")
put("hksj_q_below_1", "wald_ci_low", r$ci.lb, call)
put("hksj_q_below_1", "wald_ci_high", r$ci.ub, call)
put("hksj_q_below_1", "knha_ci_low", rk$ci.lb, paste(call, "with test = 'knha'"))
put("hksj_q_below_1", "knha_ci_high", rk$ci.ub, paste(call, "with test = 'knha'"))
se <- max(rk$se, r$se)
crit <- qt(0.975, r$k - 1)
adhoc <- "; se = max(knha se, Wald se), estimate -/+ qt(0.975, k - 1) * se (as make_reference.R)"
put("hksj_q_below_1", "adhoc_ci_low", r$beta[1] - crit * se, paste(call, adhoc))
put("hksj_q_below_1", "adhoc_ci_high", r$beta[1] + crit * se, paste(call, adhoc))

# ---- AURA-LV PRES (4/177 vs 0/88, Xu 2020) and Liu 2015 seizure (1/181 vs 0/181) ---------------
call <- "rma.mh(ai = 4, n1i = 177, ci = 0, n2i = 88, measure = 'RD')"
r <- rma.mh(ai = 4, n1i = 177, ci = 0, n2i = 88, measure = "RD")
put("aura_pres", "mh_rd", r$beta[1], call)
put("aura_pres", "mh_rd_ci_low", r$ci.lb, call)
put("aura_pres", "mh_rd_ci_high", r$ci.ub, call)
r <- suppressWarnings(rma.mh(ai = 4, n1i = 177, ci = 0, n2i = 88, measure = "OR"))
put("aura_pres", "mh_or", r$beta[1], "rma.mh(ai = 4, n1i = 177, ci = 0, n2i = 88, measure = 'OR')",
    "NA: no comparator events, sum(b*c/N) = 0, the MH odds ratio is infinite")
call <- "rma.peto(ai = 4, n1i = 177, ci = 0, n2i = 88)"
r <- rma.peto(ai = 4, n1i = 177, ci = 0, n2i = 88)
put("aura_pres", "peto_or", exp(r$beta[1]), paste0("exp(coef(", call, "))"))
put("aura_pres", "peto_ci_low", exp(r$ci.lb), paste0("exp(", call, "$ci.lb)"))
put("aura_pres", "peto_ci_high", exp(r$ci.ub), paste0("exp(", call, "$ci.ub)"))
r <- rma.peto(ai = 1, n1i = 181, ci = 0, n2i = 181)
put("liu_seizure", "peto_or", exp(r$beta[1]),
    "exp(coef(rma.peto(ai = 1, n1i = 181, ci = 0, n2i = 181)))")

# ---- escalc: 1/2 added only to the study with a zero cell ---------------------------------------
call <- "escalc('OR', ai = c(4, 3), n1i = c(177, 50), ci = c(0, 1), n2i = c(88, 52), add = 1/2, to = 'only0')"
es <- escalc("OR", ai = c(4, 3), n1i = c(177, 50), ci = c(0, 1), n2i = c(88, 52),
             add = 1/2, to = "only0")
for (i in 1:2) {
  put("only0", paste0("yi_", i), es$yi[i], call)
  put("only0", paste0("vi_", i), es$vi[i], call)
}

# ---- MH risk difference without a variance: 0/67 vs 1/1 -----------------------------------------
call <- "rma.mh(ai = 0, n1i = 67, ci = 1, n2i = 1, measure = 'RD')"
r <- suppressWarnings(rma.mh(ai = 0, n1i = 67, ci = 1, n2i = 1, measure = "RD"))
put("mh_rd_no_variance", "estimate", r$beta[1], call)
put("mh_rd_no_variance", "se", r$se, call, "NaN: the estimated variance of the MH risk difference is negative (R warns: NaNs produced)")

# ---- Clopper-Pearson interval -------------------------------------------------------------------
ci <- binom.test(4, 251)$conf.int
put("clopper_pearson", "x4_n251_low", ci[1], "binom.test(4, 251)$conf.int[1]")
put("clopper_pearson", "x4_n251_high", ci[2], "binom.test(4, 251)$conf.int[2]")
put("clopper_pearson", "x0_n88_low", binom.test(0, 88)$conf.int[1], "binom.test(0, 88)$conf.int[1]")

# ---- GLMM rate with no events at all ------------------------------------------------------------
call <- "rma.glmm(measure = 'PLO', xi = c(0, 0), ni = c(88, 90), method = 'ML')"
r <- tryCatch(rma.glmm(measure = "PLO", xi = c(0, 0), ni = c(88, 90), method = "ML"),
              error = function(e) conditionMessage(e))
put("glmm_no_events", "estimate", if (is.character(r)) NA else plogis(r$beta[1]), call,
    if (is.character(r)) paste("error:", r) else "")

out <- do.call(rbind, rows)
out$value <- signif(out$value, 15)
options(digits = 15)
write.csv(out, file.path(out_dir, "stats_core.csv"), row.names = FALSE, na = "")
