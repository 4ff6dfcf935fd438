#!/usr/bin/env Rscript
# The R side of bench/bench_signals.py: per-term exact conditional p-values stratified by trial
# (mantelhaen.test(exact = TRUE); fisher.test for one trial) and Benjamini-Hochberg, timed inside
# R (reading the counts and start-up excluded). Prints the best of `repeat` runs in seconds.
args <- commandArgs(trailingOnly = TRUE)
counts <- read.csv(args[1], stringsAsFactors = FALSE)
repeats <- if (length(args) > 1) as.integer(args[2]) else 5
by_term <- split(counts, counts$term)
screen <- function() {
  p <- vapply(by_term, function(d) {
    if (nrow(d) == 1) {
      return(fisher.test(matrix(c(d$a, d$n1 - d$a, d$c, d$n2 - d$c), 2))$p.value)
    }
    x <- array(rbind(d$a, d$n1 - d$a, d$c, d$n2 - d$c), dim = c(2, 2, nrow(d)))
    mantelhaen.test(x, exact = TRUE)$p.value
  }, numeric(1))
  keep <- vapply(by_term, function(d) sum(d$a) + sum(d$c) >= 2, logical(1))
  p.adjust(p[keep], method = "BH")
}
best <- Inf
for (i in seq_len(repeats)) best <- min(best, system.time(screen())[["elapsed"]])
cat(best, "\n")
