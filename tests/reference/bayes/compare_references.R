#!/usr/bin/env Rscript
# Agreement of the two references: |rstan - quadrature| in units of the rstan MCSE.
# Run after rstan_reference.R and quadrature_reference.R; writes comparison.csv.
s <- read.csv("rstan_reference.csv"); q <- read.csv("quadrature_reference.csv")
keys <- c(or_median = "or_median_mcse", or_q025 = "or_q025_mcse", or_q975 = "or_q975_mcse",
          p_or_gt1 = "p_or_gt1_mcse", p_or_gt2 = "p_or_gt2_mcse", tau_median = "tau_median_mcse")
m <- merge(s, q, by = c("data", "prior"), suffixes = c(".stan", ".quad"))
out <- do.call(rbind, lapply(names(keys), function(v) data.frame(
  data = m$data, prior = m$prior, quantity = v,
  rstan = m[[paste0(v, ".stan")]], quadrature = m[[paste0(v, ".quad")]],
  mcse = m[[keys[[v]]]],
  z = (m[[paste0(v, ".stan")]] - m[[paste0(v, ".quad")]]) / m[[keys[[v]]]])))
out$within_3_mcse <- abs(out$z) <= 3
write.csv(format(out, digits = 6), "comparison.csv", row.names = FALSE, quote = FALSE)
print(out, digits = 5)
cat("max |z| =", max(abs(out$z)), "; all within 3 MCSE:", all(out$within_3_mcse), "\n")
