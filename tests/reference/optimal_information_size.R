# Optimal information size (GRADE 6) as R's power.prop.test computes the per-group sample size:
# two-sided alpha, no continuity correction. Run: Rscript tests/reference/optimal_information_size.R
# Output: tests/reference/optimal_information_size.csv (used by tests/test_summary_of_findings.py).
cases <- data.frame(
  p1 = c(0.1, 0.02, 0.0226, 0.3, 0.05),
  relative_change = c(0.25, 0.25, 0.25, -0.25, 0.5),
  alpha = c(0.05, 0.05, 0.05, 0.05, 0.01),
  power = c(0.8, 0.8, 0.8, 0.9, 0.8)
)
cases$n_per_group <- mapply(function(p1, rc, a, pw) {
  power.prop.test(p1 = p1, p2 = p1 * (1 + rc), sig.level = a, power = pw,
                  tol = 1e-12)$n
}, cases$p1, cases$relative_change, cases$alpha, cases$power)
write.csv(format(cases, digits = 12), "tests/reference/optimal_information_size.csv",
          row.names = FALSE, quote = FALSE)
cat(R.version.string, "\n")
print(cases, digits = 12)
