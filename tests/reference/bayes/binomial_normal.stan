// Binomial-normal hierarchical model for a meta-analysis of binary outcomes
// (Smith, Spiegelhalter & Thomas, Stat Med 1995;14:2685; as used by
// Guenhan, Roever & Friede, Res Synth Methods 2020;11:74-90, companion package
// MetaStan). Arm-symmetric split, non-centred study effects:
//   logit(p_comparator,i) = mu_i - (theta + tau * u_i) / 2
//   logit(p_cni,i)        = mu_i + (theta + tau * u_i) / 2,   u_i ~ N(0, 1)
// Priors (all scale parameters are STANDARD DEVIATIONS, passed as data):
//   mu_i ~ N(0, mu_sd^2)         default mu_sd = 10
//   theta ~ N(0, theta_sd^2)     default theta_sd = 2.82  (95% prior OR in 1/250..250)
//   tau ~ half-normal(tau_scale) default tau_scale = 0.5
// Binomial likelihood without continuity correction; double-zero studies included.
// Old (rstan 2.21) array syntax: pass the integer arrays with array(x, dim = k)
// so that k = 1 works.
data {
  int<lower=1> k;
  int<lower=0> r_c[k];   // events, comparator arm
  int<lower=1> n_c[k];   // patients, comparator arm
  int<lower=0> r_t[k];   // events, CNI (treatment) arm
  int<lower=1> n_t[k];   // patients, CNI (treatment) arm
  real<lower=0> mu_sd;
  real<lower=0> theta_sd;
  real<lower=0> tau_scale;
}
parameters {
  vector[k] mu;
  real theta;
  real<lower=0> tau;
  vector[k] u;
}
model {
  vector[k] d = theta + tau * u;
  mu ~ normal(0, mu_sd);
  theta ~ normal(0, theta_sd);
  tau ~ normal(0, tau_scale);   // half-normal through the lower bound
  u ~ normal(0, 1);
  r_c ~ binomial_logit(n_c, mu - 0.5 * d);
  r_t ~ binomial_logit(n_t, mu + 0.5 * d);
}
generated quantities {
  real OR = exp(theta);
  real gt1 = theta > 0 ? 1.0 : 0.0;          // indicator OR > 1
  real gt2 = theta > log(2.0) ? 1.0 : 0.0;   // indicator OR > 2
}
