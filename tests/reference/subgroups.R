# Subgroup analysis reference for raremeta.analysis.subgroups (issue 21 item 2): the MH odds
# ratio (no continuity correction, the metafor default) fitted within each subgroup with
# metafor::rma.mh, and Cochran's Q between subgroups as the fixed-effect meta-regression on the
# subgroup factor, rma(yi = log OR, sei = its se, mods = ~ factor(group), method = "FE"): QM,
# its df and p (equal to R meta's test for subgroup differences, Q.b, on the same inputs).
# Two data sets:
#  - "rare": seven constructed rare-event trials in three groups (A: 3 trials, one of them
#    double zero; B: 2; C: 2);
#  - "bcg": metafor/metadat dat.bcg (13 BCG vaccine trials; Colditz et al., JAMA
#    1994;271:698-702), grouped by allocation (random 7, alternate 2, systematic 4); 2x2 counts
#    tpos, tneg (vaccinated), cpos, cneg (not vaccinated).
# Needs (Debian): r-base-core r-cran-metafor
# Run: Rscript tests/reference/subgroups.R > tests/reference/subgroups.csv
suppressPackageStartupMessages(library(metafor))  # and metadat, its data package
rare <- data.frame(
  id = paste0("t", 1:7), group = c("A", "A", "A", "B", "B", "C", "C"),
  ai = c(2, 0, 1, 3, 1, 0, 2), n1i = c(100, 60, 80, 120, 90, 70, 110),
  ci = c(0, 0, 1, 1, 1, 2, 3), n2i = c(98, 61, 79, 118, 92, 71, 108)
)
dat.bcg <- metadat::dat.bcg  # also exported by metafor (lazy data)
bcg <- data.frame(
  id = paste0("bcg", dat.bcg$trial), group = as.character(dat.bcg$alloc),
  ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg,
  ci = dat.bcg$cpos, n2i = dat.bcg$cpos + dat.bcg$cneg
)
rows <- list()
for (name in c("rare", "bcg")) {
  d <- get(name)
  groups <- sort(unique(d$group))
  fits <- lapply(groups, function(g) {
    rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d[d$group == g, ], measure = "OR")
  })
  b <- sapply(fits, function(f) f$beta[1])
  se <- sapply(fits, function(f) f$se)
  for (i in seq_along(groups)) {
    f <- fits[[i]]
    rows[[length(rows) + 1]] <- data.frame(
      dataset = name, subgroup = groups[i], k = sum(d$group == groups[i]),
      estimate = exp(b[i]), ci_low = exp(f$ci.lb), ci_high = exp(f$ci.ub), p_value = f$pval,
      se = se[i], q_between = NA, q_df = NA, p_between = NA
    )
  }
  m <- rma(yi = b, sei = se, mods = ~ factor(groups), method = "FE")
  rows[[length(rows) + 1]] <- data.frame(
    dataset = name, subgroup = "", k = nrow(d), estimate = NA, ci_low = NA, ci_high = NA,
    p_value = NA, se = NA, q_between = m$QM, q_df = m$QMdf[1], p_between = m$QMp
  )
}
options(digits = 15)
write.csv(do.call(rbind, rows), stdout(), row.names = FALSE, quote = FALSE, na = "")
