#!/usr/bin/env Rscript
# Reference values for raremeta's statistical core, computed with R metafor.
#
# Run from the repository root:  Rscript tests/reference/make_reference.R
# Needs (Debian): r-base-core r-cran-metafor r-cran-biasedurn r-cran-lme4
# Writes tests/reference/{inputs,pooled,sensitivity,rates,escalc,session}.csv; the tests read
# those files, so CI needs no R. Iterative estimators are run with tight convergence controls
# (threshold/tol 1e-12) so that the values are the exact solutions of metafor's equations.
suppressPackageStartupMessages({ library(metafor) })
out_dir <- "tests/reference"
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)

# ---- data sets ---------------------------------------------------------------------------------
sets <- list()
add_set <- function(name, ai, n1i, ci, n2i, source) {
  ok <- !(is.na(ai) | is.na(n1i) | is.na(ci) | is.na(n2i)); ai <- ai[ok]; n1i <- n1i[ok]; ci <- ci[ok]; n2i <- n2i[ok]
  sets[[name]] <<- data.frame(dataset = name, study = seq_along(ai), ai = ai, n1i = n1i,
                              ci = ci, n2i = n2i, source = source)
}
# metafor's published data sets with zero cells
d <- dat.nielweise2007
add_set("nielweise2007", d$ai, d$n1i, d$ci, d$n2i, "metadat dat.nielweise2007")
d <- dat.li2007
add_set("li2007", d$ai, d$n1i, d$ci, d$n2i, "metadat dat.li2007")
d <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
add_set("yusuf1985_table6", d$ai, d$n1i, d$ci, d$n2i, "metadat dat.yusuf1985, table 6")
# hand-made rare-event cases
add_set("seed_pres_auralv", 4, 177, 0, 88, "AURA-LV PRES alone: k = 1, single zero, 2:1 arms")
add_set("seed_seizure_liu", 1, 181, 0, 181, "Liu 2015 seizure alone: k = 1, single zero")
add_set("k1_no_zero", 7, 120, 3, 118, "k = 1, no zero cell")
add_set("all_comparator_zero", c(3, 1, 2, 4), c(100, 80, 150, 60), c(0, 0, 0, 0),
        c(98, 82, 75, 61), "every comparator arm has zero events")
add_set("all_cni_zero", c(0, 0, 0), c(50, 70, 90), c(2, 1, 3), c(52, 69, 45),
        "every CNI arm has zero events")
add_set("single_zero_mix", c(4, 1, 3, 0, 2), c(177, 181, 50, 40, 60), c(0, 0, 1, 0, 1),
        c(88, 181, 52, 41, 30), "single- and double-zero studies, unbalanced arms")
add_set("double_zero_heavy", c(0, 0, 0, 2, 0, 1), c(30, 40, 25, 60, 45, 80),
        c(0, 0, 0, 0, 1, 0), c(31, 38, 26, 59, 44, 40), "mostly double-zero studies")
add_set("unbalanced_3to1", c(5, 3, 8, 2, 6, 1, 4, 0), c(300, 150, 450, 120, 330, 90, 210, 60),
        c(1, 0, 2, 1, 0, 0, 1, 0), c(100, 50, 150, 40, 110, 30, 70, 20),
        "3:1 allocation, rare events")
add_set("heterogeneous", c(20, 2, 15, 1, 30, 4, 12, 0, 9, 25), rep(100, 10),
        c(5, 6, 4, 3, 8, 5, 10, 2, 1, 9), rep(100, 10), "strong heterogeneity")
set.seed(20261124)
gen <- function(name, k, p2, or, ratio, nmin, nmax, note) {
  n2 <- sample(nmin:nmax, k, replace = TRUE)
  n1 <- pmax(1, round(n2 * ratio))
  p1 <- plogis(qlogis(p2) + log(or) + rnorm(k, 0, 0.3))
  add_set(name, rbinom(k, n1, p1), n1, rbinom(k, n2, p2), n2, note)
}
gen("gen01_k5_p01", 5, 0.01, 2, 1, 50, 200, "generated: k=5, p=1%, OR 2")
gen("gen02_k10_p005", 10, 0.005, 3, 1, 80, 300, "generated: k=10, p=0.5%, OR 3")
gen("gen03_k3_p02_unbal", 3, 0.02, 1.5, 2, 40, 120, "generated: k=3, 2:1 arms")
gen("gen04_k20_p01", 20, 0.01, 1, 1, 30, 150, "generated: k=20, null effect")
gen("gen05_k8_p003_unbal", 8, 0.003, 4, 2, 100, 400, "generated: k=8, 0.3%, 2:1")
gen("gen06_k50_p02", 50, 0.02, 1.5, 1, 50, 300, "generated: large k=50")
gen("gen07_k100_p005", 100, 0.005, 2, 1, 50, 300, "generated: large k=100, very rare")
gen("gen08_k4_p05", 4, 0.05, 0.5, 1, 30, 80, "generated: k=4, protective effect")
gen("gen09_k12_p01_1to2", 12, 0.01, 2, 0.5, 60, 200, "generated: 1:2 arms")
gen("gen10_k6_p001", 6, 0.001, 5, 1, 200, 600, "generated: 0.1%, mostly zeros")
gen("gen11_k15_p03", 15, 0.03, 1.2, 1.5, 20, 100, "generated: k=15, 3:2 arms")
gen("gen12_k2_p02", 2, 0.02, 2, 1, 100, 200, "generated: k=2")
gen("gen13_k30_p01_het", 30, 0.01, 2, 1, 50, 500, "generated: k=30")
gen("gen14_k7_p002", 7, 0.002, 3, 3, 50, 150, "generated: 3:1 arms, very rare")
gen("gen15_k9_p08", 9, 0.08, 1.3, 1, 40, 120, "generated: less rare, 8%")
gen("gen16_k25_p015", 25, 0.015, 0.7, 1, 30, 120, "generated: k=25, protective")
gen("gen17_k5_p01_small", 5, 0.01, 2, 1, 10, 30, "generated: small trials")
gen("gen18_k40_p004", 40, 0.004, 2.5, 2, 100, 300, "generated: k=40, 2:1")
gen("gen19_k3_p05", 3, 0.05, 1, 1, 50, 60, "generated: k=3 null")
gen("gen20_k11_p02_unbal", 11, 0.02, 3, 0.33, 90, 300, "generated: 1:3 arms")
inputs <- do.call(rbind, sets)
rownames(inputs) <- NULL

# ---- helpers -----------------------------------------------------------------------------------
rows <- list()
put <- function(dataset, measure, method, model, tau2_estimator, est = NA, lo = NA, hi = NA,
                p = NA, se = NA, tau2 = NA, tau2_lo = NA, tau2_hi = NA, q = NA, q_p = NA,
                i2 = NA, pi_lo = NA, pi_hi = NA, k = NA) {
  rows[[length(rows) + 1]] <<- data.frame(dataset, measure, method, model, tau2_estimator,
    estimate = est, ci_low = lo, ci_high = hi, p_value = p, se = se, tau2 = tau2,
    tau2_ci_low = tau2_lo, tau2_ci_high = tau2_hi, q = q, q_p = q_p, i2 = i2, pi_low = pi_lo,
    pi_high = pi_hi, k = k)
}
nat <- function(x, measure) if (measure == "RD") x else exp(x)
safe <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)
sens <- list()
put_sens <- function(dataset, variant, measure, est, lo, hi, p, se) {
  sens[[length(sens) + 1]] <<- data.frame(dataset, variant, measure, estimate = est,
    ci_low = lo, ci_high = hi, p_value = p, se = se)
}
esc <- list()
rates <- list()

for (name in names(sets)) {
  d <- sets[[name]]
  for (measure in c("OR", "RR", "RD")) {
    # Mantel-Haenszel, no correction inside the sums
    r <- safe(rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = measure))
    if (!is.null(r)) {
      put(name, measure, "MH", "common", "", nat(r$beta[1], measure), nat(r$ci.lb, measure),
          nat(r$ci.ub, measure), r$pval, r$se, q = r$QE, q_p = r$QEp, i2 = r$I2, k = r$k)
    }
    # RevMan-style MH: 0.5 added inside the sums to studies with a zero cell
    if (measure != "RD") {
      r <- safe(rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = measure,
                       add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(TRUE, TRUE)))
      if (!is.null(r)) put_sens(name, "MH_revman_0.5", measure, nat(r$beta[1], measure),
                                nat(r$ci.lb, measure), nat(r$ci.ub, measure), r$pval, r$se)
    }
    # Inverse variance
    es <- escalc(measure = measure, ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i,
                 add = 1/2, to = "only0", drop00 = measure != "RD")
    esc[[length(esc) + 1]] <- data.frame(dataset = name, study = d$study, measure = measure,
                                         yi = as.numeric(es$yi), vi = as.numeric(es$vi))
    ok <- !is.na(es$yi)
    if (sum(ok) >= 1) {
      r <- safe(rma(yi, vi, data = es, method = "EE"))
      if (!is.null(r)) put(name, measure, "IV", "common", "", nat(r$beta[1], measure),
                           nat(r$ci.lb, measure), nat(r$ci.ub, measure), r$pval, r$se,
                           q = r$QE, q_p = r$QEp, i2 = r$I2, k = r$k)
      for (est in c("DL", "REML", "PM")) {
        r <- safe(rma(yi, vi, data = es, method = est, control = ctrl))
        if (is.null(r)) next
        ci <- safe(confint(r, control = list(tol = 1e-12)))
        t_lo <- t_hi <- NA
        if (!is.null(ci) && r$k >= 2) { t_lo <- ci$random["tau^2", "ci.lb"]; t_hi <- ci$random["tau^2", "ci.ub"] }
        pi_lo <- pi_hi <- NA
        if (r$k >= 3) {
          half <- qt(0.975, r$k - 2) * sqrt(r$se^2 + r$tau2)
          pi_lo <- nat(r$beta[1] - half, measure); pi_hi <- nat(r$beta[1] + half, measure)
        }
        put(name, measure, "IV", "random", est, nat(r$beta[1], measure), nat(r$ci.lb, measure),
            nat(r$ci.ub, measure), r$pval, r$se, r$tau2, t_lo, t_hi, r$QE, r$QEp, r$I2,
            pi_lo, pi_hi, k = r$k)
        # Hartung-Knapp-Sidik-Jonkman, ad hoc: never narrower than the Wald interval
        if (r$k >= 2) {
          rk <- safe(rma(yi, vi, data = es, method = est, test = "knha", control = ctrl))
          se <- max(rk$se, r$se)
          crit <- qt(0.975, r$k - 1)
          put_sens(name, paste0("HKSJ_adhoc_", est), measure, nat(r$beta[1], measure),
                   nat(r$beta[1] - crit * se, measure), nat(r$beta[1] + crit * se, measure),
                   2 * pt(abs(r$beta[1] / se), r$k - 1, lower.tail = FALSE), se)
          put_sens(name, paste0("HKSJ_raw_", est), measure, nat(rk$beta[1], measure),
                   nat(rk$ci.lb, measure), nat(rk$ci.ub, measure), rk$pval, rk$se)
        }
      }
    }
  }
  # Peto
  r <- safe(rma.peto(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i))
  if (!is.null(r)) put(name, "OR", "Peto", "common", "", exp(r$beta[1]), exp(r$ci.lb),
                       exp(r$ci.ub), r$pval, r$se, q = r$QE, q_p = r$QEp, i2 = r$I2, k = r$k)
  # Exact conditional ML (non-central hypergeometric)
  r <- safe(rma.glmm(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = "OR",
                     model = "CM.EL", method = "EE"))
  if (!is.null(r)) {
    put(name, "OR", "exact", "common", "", exp(r$beta[1]), exp(r$ci.lb),
        exp(r$ci.ub), r$pval, r$se, k = r$k)
    # metafor's se comes from a numerical Hessian, which can be inaccurate with large studies
    # (li2007). The exact observed information at the estimate is the sum of the conditional
    # variances of the non-central hypergeometric distributions (BiasedUrn::varFNCHypergeo).
    inf <- !((d$ai + d$ci == 0) | (d$ai + d$ci == d$n1i + d$n2i))
    if (is.finite(r$beta[1]) && abs(r$beta[1]) < 15) {
      v <- mapply(function(n1, n2, t) BiasedUrn::varFNCHypergeo(n1, n2, t, exp(r$beta[1]), 1e-12),
                  d$n1i[inf], d$n2i[inf], (d$ai + d$ci)[inf])
      se <- 1 / sqrt(sum(v))
      b <- r$beta[1]
      put(name, "OR", "exact_information", "common", "", exp(b), exp(b - qnorm(0.975) * se),
          exp(b + qnorm(0.975) * se), 2 * pnorm(abs(b / se), lower.tail = FALSE), se, k = r$k)
    }
  }
  # Continuity-correction variants of the OR: constant 0.01 and treatment-arm (Sweeting 2004)
  z <- (d$ai == 0 | d$ci == 0 | d$ai == d$n1i | d$ci == d$n2i)
  dz <- (d$ai == 0 & d$ci == 0) | (d$ai == d$n1i & d$ci == d$n2i)
  keep <- !dz
  R <- d$n2i / d$n1i
  for (variant in c("cc_0.5", "cc_0.01", "cc_treatment_arm")) {
    k1 <- switch(variant, cc_0.5 = 0.5, cc_0.01 = 0.01, cc_treatment_arm = 1 / (R + 1))
    k2 <- switch(variant, cc_0.5 = 0.5, cc_0.01 = 0.01, cc_treatment_arm = R / (R + 1))
    k1 <- ifelse(z, k1, 0) * rep(1, nrow(d)); k2 <- ifelse(z, k2, 0) * rep(1, nrow(d))
    a <- d$ai + k1; b <- d$n1i - d$ai + k1; c <- d$ci + k2; dd <- d$n2i - d$ci + k2
    if (sum(keep) < 1) next
    es <- escalc(measure = "OR", ai = a[keep], bi = b[keep], ci = c[keep], di = dd[keep],
                 add = 0, to = "none")
    r <- safe(rma(yi, vi, data = es, method = "EE"))
    if (!is.null(r)) put_sens(name, paste0("IV_", variant), "OR", exp(r$beta[1]), exp(r$ci.lb),
                              exp(r$ci.ub), r$pval, r$se)
    r <- safe(rma.mh(ai = a[keep], bi = b[keep], ci = c[keep], di = dd[keep], measure = "OR",
                     add = 0, to = "none"))
    if (!is.null(r)) put_sens(name, paste0("MH_", variant), "OR", exp(r$beta[1]),
                              exp(r$ci.lb), exp(r$ci.ub), r$pval, r$se)
  }
  # Per-arm incidence: crude (Clopper-Pearson via binom.test) and GLMM (rma.glmm PLO, ML)
  for (role in c("cni", "comparator")) {
    x <- if (role == "cni") d$ai else d$ci
    n <- if (role == "cni") d$n1i else d$n2i
    bt <- binom.test(sum(x), sum(n))
    rates[[length(rates) + 1]] <- data.frame(dataset = name, role, method = "crude",
      estimate = sum(x) / sum(n), ci_low = bt$conf.int[1], ci_high = bt$conf.int[2], tau2 = NA)
    if (sum(x) > 0 && sum(x) < sum(n)) {
      r <- safe(if (length(x) > 1) rma.glmm(measure = "PLO", xi = x, ni = n, method = "ML")
                else rma.glmm(measure = "PLO", xi = x, ni = n, method = "EE"))
      if (!is.null(r)) rates[[length(rates) + 1]] <- data.frame(dataset = name, role,
        method = "GLMM", estimate = plogis(r$beta[1]), ci_low = plogis(r$ci.lb),
        ci_high = plogis(r$ci.ub), tau2 = if (is.null(r$tau2)) 0 else r$tau2)
    }
  }
}

wr <- function(x, f) write.csv(x, file.path(out_dir, f), row.names = FALSE, na = "")
options(digits = 15)
fmt <- function(df) { for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- signif(df[[j]], 15); df }
wr(inputs, "inputs.csv")
wr(fmt(do.call(rbind, rows)), "pooled.csv")
wr(fmt(do.call(rbind, sens)), "sensitivity.csv")
wr(fmt(do.call(rbind, esc)), "escalc.csv")
wr(fmt(do.call(rbind, rates)), "rates.csv")
writeLines(c(R.version.string, paste("metafor", packageVersion("metafor")),
             paste("lme4", packageVersion("lme4")), paste("BiasedUrn", packageVersion("BiasedUrn"))),
           file.path(out_dir, "session.txt"))
