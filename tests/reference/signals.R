#!/usr/bin/env Rscript
# Reference values for raremeta's signal screen (results/tables/ae_signals.csv, issue 23),
# computed in R independently of the Python code.
#
# Run from the repository root:  Rscript tests/reference/signals.R
# Needs (Debian): r-base-core r-cran-metafor
# Writes tests/reference/signals_counts.csv (the generated review: per term and trial the CNI
# and comparator events and patients), tests/reference/signals_reference.csv (per term: k,
# counts, MH odds ratio and interval from metafor rma.mh, the exact conditional p-value from
# mantelhaen.test(exact = TRUE) or fisher.test for one trial, the mid-p from a convolution of
# dhyper written here, BH from p.adjust, the double FDR of Mehrotra & Adewale 2012 written here
# from the paper's steps) and tests/reference/signals_example41.csv (Mehrotra & Adewale's
# Example 4.1 p-values with the flags of BH and the three double-FDR variants at 0.1).
suppressPackageStartupMessages({ library(metafor) })
out_dir <- "tests/reference"
alpha <- 0.1        # signals.alpha (the config default)
group_alpha <- 0.1  # signals.group_alpha
min_events <- 2     # signals.min_events

# ---- a generated review with planted signals ----------------------------------------------
set.seed(20261206)
K <- 12
socs <- c("Nervous system disorders", "Infections and infestations", "Gastrointestinal disorders",
          "Investigations", "Skin and subcutaneous tissue disorders", "Vascular disorders",
          "Blood and lymphatic system disorders", "Renal and urinary disorders")
n_terms <- 60
terms <- data.frame(term = sprintf("Term %02d", seq_len(n_terms)),
                    organ_system = socs[(seq_len(n_terms) - 1) %% length(socs) + 1],
                    risk = sample(c(0.002, 0.01, 0.03, 0.08, 0.2), n_terms, replace = TRUE),
                    or = 1)
# planted signals: three nervous-system terms with OR 2.2, one infection term with OR 1.8
terms$or[c(1, 9, 17)] <- 2.2
terms$risk[c(1, 9, 17)] <- 0.03
terms$or[2] <- 1.8
terms$risk[2] <- 0.08
n1 <- sample(40:300, K, replace = TRUE)
n2 <- sample(40:300, K, replace = TRUE)
rows <- list()
for (i in seq_len(n_terms)) {
  for (j in seq_len(K)) {
    if (runif(1) > 0.7) next  # this trial does not report the term (for both arms)
    p2 <- terms$risk[i]
    odds1 <- terms$or[i] * p2 / (1 - p2)
    p1 <- odds1 / (1 + odds1)
    rows[[length(rows) + 1]] <- data.frame(term = terms$term[i], organ_system = terms$organ_system[i],
      trial = sprintf("t%02d", j), a = rbinom(1, n1[j], p1), n1 = n1[j], c = rbinom(1, n2[j], p2), n2 = n2[j])
  }
}
counts <- do.call(rbind, rows)
# one term reported by a single trial, one with a single event: k = 1 (fisher.test) and a term
# outside the multiplicity family
counts <- rbind(counts,
  data.frame(term = "Single trial term", organ_system = "Eye disorders", trial = "t01", a = 5, n1 = n1[1], c = 0, n2 = n2[1]),
  data.frame(term = "One event term", organ_system = "Eye disorders", trial = c("t02", "t03"), a = c(1, 0), n1 = n1[2:3], c = c(0, 0), n2 = n2[2:3]))
write.csv(counts, file.path(out_dir, "signals_counts.csv"), row.names = FALSE)

# ---- per term ----------------------------------------------------------------------------
# the null distribution of T = sum of CNI events given every margin: dhyper of each trial,
# convolved term by term (no FFT), normalised
null_distribution <- function(d) {
  dist <- 1; lo <- 0
  for (s in seq_len(nrow(d))) {
    t <- d$a[s] + d$c[s]
    support <- max(0, t - d$n2[s]):min(d$n1[s], t)
    h <- dhyper(support, d$n1[s], d$n2[s], t)
    new <- numeric(length(dist) + length(h) - 1)
    for (u in seq_along(h)) {
      idx <- u:(u + length(dist) - 1)
      new[idx] <- new[idx] + dist * h[u]
    }
    dist <- new
    lo <- lo + min(support)
  }
  list(d = dist / sum(dist), j = sum(d$a) - lo + 1)
}
mid_p <- function(d) {
  nd <- null_distribution(d)
  at <- nd$d[nd$j]
  below <- sum(nd$d[seq_len(nd$j - 1)])
  above <- if (nd$j < length(nd$d)) sum(nd$d[(nd$j + 1):length(nd$d)]) else 0
  min(1, 2 * min(below + at / 2, above + at / 2))
}
exact_p <- function(d) {
  if (nrow(d) == 1) {
    return(fisher.test(matrix(c(d$a, d$n1 - d$a, d$c, d$n2 - d$c), 2))$p.value)
  }
  x <- array(rbind(d$a, d$n1 - d$a, d$c, d$n2 - d$c), dim = c(2, 2, nrow(d)))
  mantelhaen.test(x, exact = TRUE)$p.value
}
mh <- function(d) {
  fit <- tryCatch(rma.mh(ai = d$a, n1i = d$n1, ci = d$c, n2i = d$n2, measure = "OR"),
                  error = function(e) NULL)
  if (is.null(fit) || !is.finite(fit$beta[1])) return(c(NA, NA, NA))
  c(exp(fit$beta[1]), exp(fit$ci.lb), exp(fit$ci.ub))
}
out <- do.call(rbind, lapply(split(counts, counts$term), function(d) {
  d <- d[order(d$trial), ]
  e <- suppressWarnings(mh(d))
  data.frame(term = d$term[1], organ_system = d$organ_system[1], k = nrow(d),
             events_cni = sum(d$a), n_cni = sum(d$n1), events_comparator = sum(d$c),
             n_comparator = sum(d$n2), estimate = e[1], ci_low = e[2], ci_high = e[3],
             p_value = exact_p(d), p_mid = mid_p(d))
}))
out$in_family <- (out$events_cni + out$events_comparator) >= min_events
out$p_bh <- NA
out$p_bh[out$in_family] <- p.adjust(out$p_value[out$in_family], method = "BH")
out$flag_bh <- out$in_family & !is.na(out$p_bh) & out$p_bh <= alpha

# ---- double FDR, Mehrotra & Adewale (2012), from the paper's steps ---------------------------
# Step 1: within each organ system b, BH-adjust its p-values; its representative p*_b is the
# smallest of them. Step 2: BH-adjust the representatives across systems; keep the systems with
# adjusted value <= group_alpha. Step 3: within each kept system, flag the terms whose
# within-system BH value is <= alpha.
bh <- function(p) {  # written out, not p.adjust: sorted descending, running minimum of p n / i
  n <- length(p); o <- order(p, decreasing = TRUE)
  adj <- pmin(1, cummin(p[o] * n / (n:1)))
  adj[order(o)]
}
double_fdr <- function(p, group, alpha, group_alpha, representative, pooled = FALSE) {
  groups <- unique(group)
  within <- numeric(length(p))
  for (g in groups) within[group == g] <- bh(p[group == g])
  rep_p <- sapply(groups, function(g) representative(p[group == g], within[group == g]))
  rep_adj <- bh(rep_p)
  kept_group <- groups[rep_adj <= group_alpha]
  kept <- group %in% kept_group
  second <- rep(NA_real_, length(p))
  if (pooled) second[kept] <- bh(p[kept]) else second[kept] <- within[kept]
  list(p_group = rep_adj[match(group, groups)], p_adjusted = second,
       flag = kept & !is.na(second) & second <= alpha)
}
min_within <- function(p, w) min(w)   # 2012: the smallest within-system BH value
min_raw <- function(p, w) min(p)      # 2004: the smallest raw p-value
fam <- out$in_family
res <- double_fdr(out$p_value[fam], out$organ_system[fam], alpha, group_alpha, min_within)
out$p_organ_system <- NA; out$p_double_fdr <- NA; out$flag_double_fdr <- FALSE
out$p_organ_system[fam] <- res$p_group
out$p_double_fdr[fam] <- res$p_adjusted
out$flag_double_fdr[fam] <- res$flag
stopifnot(all.equal(out$p_bh[fam], bh(out$p_value[fam])))  # the hand BH is p.adjust's
write.csv(out, file.path(out_dir, "signals_reference.csv"), row.names = FALSE)

# ---- Example 4.1 of Mehrotra & Adewale (2012), as the MHTmult documentation lists it ----------
pval <- list(c(0.031, 0.023, 0.029, 0.005, 0.031, 0.000, 0.874, 0.399, 0.293, 0.077),
             c(0.216, 0.843, 0.864),
             c(1, 0.878, 0.766, 0.598, 0.011, 0.864),
             c(0.889, 0.557, 0.767, 0.009, 0.644),
             c(1, 0.583, 0.147, 0.789, 0.217, 1, 0.02, 0.784, 0.579, 0.439),
             c(0.898, 0.619, 0.193, 0.806, 0.611, 0.526, 0.702, 0.196))
p <- unlist(pval)
g <- rep(sprintf("b%d", seq_along(pval) - 1), lengths(pval))
ex <- data.frame(group = g, p = p,
                 flag_bh = p.adjust(p, "BH") <= 0.1,
                 flag_2004 = double_fdr(p, g, 0.1, 0.1, min_raw)$flag,
                 flag_2012 = double_fdr(p, g, 0.1, 0.1, min_within)$flag,
                 flag_c212 = double_fdr(p, g, 0.1, 0.1, min_within, pooled = TRUE)$flag)
# the counts the MHTmult documentation states: BH 1, DFDR.p.adjust 8, DFDR2.p.adjust 6
stopifnot(sum(ex$flag_bh) == 1, sum(ex$flag_2004) == 8, sum(ex$flag_2012) == 6)
write.csv(ex, file.path(out_dir, "signals_example41.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(out_dir, "signals_session.txt"))
