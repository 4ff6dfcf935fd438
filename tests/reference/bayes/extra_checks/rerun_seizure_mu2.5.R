# Two more rstan runs (seeds 777, 778) of seed_seizure with mu_i ~ N(0, 2.5^2); run from tests/reference/bayes
suppressPackageStartupMessages(library(rstan)); rstan_options(auto_write = TRUE)
m <- stan_model("binomial_normal.stan")
sd <- list(k=1, r_c=array(0L,1), n_c=array(181L,1), r_t=array(1L,1), n_t=array(181L,1), mu_sd=2.5, theta_sd=2.82, tau_scale=0.5)
for (sd_seed in c(777L, 778L)) {
fit <- sampling(m, data=sd, chains=4, cores=2, iter=52000, warmup=2000, seed=sd_seed, control=list(adapt_delta=0.99, max_treedepth=12), refresh=0)
mon <- as.data.frame(monitor(as.array(fit), warmup=0, probs=c(.025,.5,.975), print=FALSE))
print(mon[c("OR","gt1","gt2","tau"), c("mean","se_mean","2.5%","50%","97.5%","MCSE_Q50","Bulk_ESS","Rhat")])
}
