# The four targets of docs/benchmarks.md "Samplers against Stan", in Stan, identical to
# host/DluxShera.Host/Benchmarks/SamplerTargets.cs (same densities, same logistic-regression data formula).
normal100 <- "
parameters { vector[100] x; }
model { target += -0.5 * dot_self(x); }
"
correlated <- "
transformed data { matrix[2, 2] S = [[1, 0.99], [0.99, 1]]; matrix[2, 2] P = inverse_spd(S); }
parameters { vector[2] x; }
model { target += -0.5 * quad_form(P, x); }
"
funnel <- "
parameters { real v; vector[9] x; }
model { target += -v * v / 18; target += -0.5 * dot_self(x) * exp(-v) - 0.5 * 9 * v; }
"
logistic <- "
data { int<lower=0> N; vector[N] x; int<lower=0, upper=1> y[N]; }
parameters { real a; real b; }
model { target += -(a * a + b * b) / 8; target += bernoulli_logit_lpmf(y | a + b * x); }
"
# Data: x_j = 2·frac(0.6180339887498949·j) − 1, y_j = [frac(0.7548776662466927·j) < σ(0.5 − 1.5·x_j)], j = 1…N.
logistic_data <- function(n = 100) {
  j <- seq_len(n)
  frac <- function(v) v - floor(v)
  x <- 2 * frac(0.6180339887498949 * j) - 1
  y <- as.integer(frac(0.7548776662466927 * j) < 1 / (1 + exp(-(0.5 - 1.5 * x))))
  list(N = n, x = x, y = y)
}
