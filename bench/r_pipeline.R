# The R side of `make bench` (issue 12, item 6): an R metafor script that pools the same
# harmonised data as the pipeline and draws one forest plot per outcome, for the time ratio.
# Per outcome: the studies that reported it in both arms, rma.mh (OR) and rma (OR, REML),
# one forest plot (PNG) of the REML fit (of the MH fit when REML fails).
# Usage: Rscript bench/r_pipeline.R data/processed/harmonised.csv OUT_DIR
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(metafor))
h <- read.csv(args[1], stringsAsFactors = FALSE)
dir.create(args[2], showWarnings = FALSE, recursive = TRUE)
drawn <- 0
for (o in unique(h$outcome)) {
  d <- h[h$outcome == o, ]
  m <- merge(d[d$role == "cni", ], d[d$role == "comparator", ], by = "comparison",
             suffixes = c(".t", ".c"))
  m <- m[!is.na(m$events.t) & !is.na(m$events.c), ]
  if (nrow(m) == 0) next
  mh <- tryCatch(rma.mh(ai = events.t, n1i = n.t, ci = events.c, n2i = n.c, data = m,
                        measure = "OR"), error = function(e) NULL)
  re <- tryCatch(rma(ai = events.t, n1i = n.t, ci = events.c, n2i = n.c, data = m,
                     measure = "OR", method = "REML"), error = function(e) NULL)
  fit <- if (is.null(re)) mh else re
  if (is.null(fit)) next
  png(file.path(args[2], paste0("forest_", o, ".png")), width = 1200,
      height = 300 + 18 * nrow(m), res = 150)
  forest(fit, slab = m$label.t, atransf = exp)
  dev.off()
  drawn <- drawn + 1
}
cat(drawn, "forest plots\n")
