# Sensitivity by source of counts (issue 13): the primary method (here the MH odds ratio, finite
# on the full data) refitted to the studies whose counts come from primary sources only, and from
# primary or registry sources. Four studies: A and B from trial reports (primary), C from
# registry results, D from a letter (secondary).
# Run: Rscript tests/reference/source_subsets.R > tests/reference/source_subsets.txt
suppressPackageStartupMessages(library(metafor))
d <- data.frame(study=c("a", "b", "c", "d"), ai=c(3, 2, 4, 5), n1i=c(40, 55, 120, 30),
                ci=c(1, 0, 2, 1), n2i=c(38, 52, 118, 31))
fit <- function(rows) {
  x <- d[rows, ]
  m <- rma.mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=x, measure="OR")
  cat(sprintf("%s: k=%d OR=%.10g ci_low=%.10g ci_high=%.10g p=%.10g\n",
              paste(x$study, collapse="+"), m$k, exp(m$beta), exp(m$ci.lb), exp(m$ci.ub), m$pval))
}
fit(1:4)  # every study
fit(1:2)  # primary sources only
fit(1:3)  # primary or registry sources
cat("metafor", as.character(packageVersion("metafor")), "\n")
