#!/usr/bin/env Rscript
# Stan (rstan, Debian r-cran-rstan) on the sampler benchmark targets: ESS per gradient evaluation and per second.
# Usage: nice -n 10 Rscript tools/stan-bench/stan_bench.R OUT.json   (compiles four models once: minutes of CPU)
# Settings match `dluxshera bench samplers`: 4 chains run one after another, 1000 warm-up + 1000 draws, diagonal
# metric, adapt_delta 0.8, max tree depth 10. ESS = rstan's rank-normalised bulk ESS (Vehtari et al. 2021),
# the smallest over parameters; gradients = Σ n_leapfrog over the draws (warm-up excluded); seconds = Σ over chains of
# warm-up + sampling time (what `bench samplers` measures as CPU time of the whole call).
suppressMessages(library(rstan))
# Debian's r-cran-bh ships no headers of its own (it depends on libboost-dev): point rstan at the system Boost.
if (system.file("include", package = "BH") == "") rstan_options(boost_lib = "/usr/include")
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) > 0) args[1] else "stan-bench.json"
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "targets.stan.R"))
targets <- list(
  list(name = "normal_100d", code = normal100, data = list()),
  list(name = "correlated_rho0.99", code = correlated, data = list()),
  list(name = "funnel_10d", code = funnel, data = list()),
  list(name = "logistic_regression", code = logistic, data = logistic_data())
)
rows <- list()
for (t in targets) {
  compile <- system.time(model <- stan_model(model_code = t$code, model_name = t$name))[["elapsed"]]
  fit <- sampling(model, data = t$data, chains = 4, cores = 1, iter = 2000, warmup = 1000, seed = 20261129,
                  control = list(adapt_delta = 0.8, max_treedepth = 10, metric = "diag_e"), refresh = 0)
  draws <- as.array(fit)                                # iterations × chains × (parameters + lp__)
  pars <- setdiff(dimnames(draws)[[3]], "lp__")
  ess <- sapply(pars, function(p) ess_bulk(draws[, , p]))
  params <- get_sampler_params(fit, inc_warmup = FALSE)
  gradients <- sum(sapply(params, function(p) sum(p[, "n_leapfrog__"])))
  divergences <- sum(sapply(params, function(p) sum(p[, "divergent__"])))
  seconds <- sum(get_elapsed_time(fit))                 # warm-up + sampling, chains one after another
  rhat <- max(sapply(pars, function(p) Rhat(draws[, , p])))
  rows[[t$name]] <- list(min_ess_bulk = min(ess), gradients = gradients, seconds = seconds,
                         ess_per_gradient = min(ess) / gradients, ess_per_second = min(ess) / seconds,
                         divergences = divergences, max_rhat = rhat, compile_seconds = compile)
  cat(sprintf("%-22s min ESS %7.0f  grads %8.0f  ESS/grad %.4f  ESS/s %8.0f  div %d  R^ %.3f\n", t$name, min(ess), gradients,
              min(ess) / gradients, min(ess) / seconds, divergences, rhat))
}
json <- paste0("{\n", paste(sprintf("  \"%s\": {%s}", names(rows), sapply(rows, function(r)
  paste(sprintf("\"%s\": %.10g", names(r), unlist(r)), collapse = ", "))), collapse = ",\n"), "\n}\n")
writeLines(json, out)
cat("stan", as.character(packageVersion("rstan")), "->", out, "\n")
