# Firth penalised likelihood l*(alpha, theta) = l + 1/2 log|I| with no events in any study:
# 0/1 vs 0/15 and 0/2 vs 0/1 (the case hypothesis found: fits from different starts gave odds
# ratios 1.55 and 4.11). The profile PL(theta), each value the best of 16 starts for the study
# intercepts, has two maxima of the same height: the Firth estimate is not unique, so raremeta
# reports Firth as not estimable (no_events) when no study has an event.
# Run: Rscript tests/reference/firth_no_events.R > tests/reference/firth_no_events.txt
d <- data.frame(study=factor(c(1,1,2,2)), trt=c(1,0,1,0), y=c(0,0,0,0), n=c(1,15,2,1))
X0 <- model.matrix(~ study - 1, d)
lstar <- function(a, b) { eta <- as.vector(X0 %*% a) + b*d$trt; p <- plogis(eta);
  ll <- sum(d$n*log1p(-p)); X <- cbind(X0, d$trt); W <- d$n*p*(1-p); I <- t(X) %*% (W*X);
  ll + 0.5*as.numeric(determinant(I)$modulus) }
pl <- function(b) { best <- -Inf; for (s1 in c(-6,-3,-1,1)) for (s2 in c(-6,-3,-1,1)) {
  o <- optim(c(s1,s2), function(a) -lstar(a,b), method="Nelder-Mead", control=list(reltol=1e-14, maxit=20000))
  o <- optim(o$par, function(a) -lstar(a,b), method="BFGS", control=list(reltol=1e-15, maxit=20000))
  best <- max(best, -o$value) }; best }
for (or in c(0.05,0.1,0.2,0.3,0.5,0.8,1,1.2,1.5546,2,3,4.106,6,10,20)) cat(or, format(pl(log(or)), digits=10), "\n")
g <- optim(c(-1,-1,0), function(x) -lstar(x[1:2], x[3]), method="BFGS", control=list(reltol=1e-15,maxit=10000))
cat("global from (-1,-1,0):", exp(g$par[3]), -g$value, "\n")
