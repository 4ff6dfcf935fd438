# Independent check of the quadrature for seed_seizure (1/181 vs 0/181), mu_i ~ N(0, 2.5^2):
# self-normalised importance sampling from the prior, 6e7 draws.
set.seed(42); N <- 1e7; acc <- matrix(0, 0, 4)
for (rep in 1:6) {
  mu <- rnorm(N, 0, 2.5); th <- rnorm(N, 0, 2.82); ta <- abs(rnorm(N, 0, 0.5)); u <- rnorm(N)
  d <- th + ta * u
  w <- dbinom(0, 181, plogis(mu - d/2)) * dbinom(1, 181, plogis(mu + d/2))
  acc <- rbind(acc, c(sum(w), sum(w * (th > 0)), sum(w * (th > log(2))), sum(w^2)))
  rm(mu, th, ta, u, d)
}
W <- colSums(acc); p1 <- W[2]/W[1]; p2 <- W[3]/W[1]
ess <- W[1]^2 / W[4]
cat("P(OR>1)", p1, "P(OR>2)", p2, "ESS", ess, "approx se", sqrt(p1*(1-p1)/ess), sqrt(p2*(1-p2)/ess), "\n")
