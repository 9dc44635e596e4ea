#!/usr/bin/env Rscript
# Stan (rstan, Debian r-cran-rstan) on the sampler benchmark targets: ESS per gradient evaluation and per second.
# Usage: nice -n 10 Rscript tools/stan-bench/stan_bench.R OUT.json [SEED ...]
#   (compiles four models once: minutes of CPU; then samples each target once per seed, default seed 20261129)
# Settings match `dluxshera bench samplers`: 4 chains run one after another, 1000 warm-up + 1000 draws, diagonal
# metric, adapt_delta 0.8, max tree depth 10. ESS = rstan's rank-normalised bulk ESS (Vehtari et al. 2021),
# the smallest over parameters; gradients = Σ n_leapfrog over the draws (warm-up excluded); seconds = Σ over chains of
# warm-up + sampling time (what `bench samplers` measures as CPU time of the whole call).
# OUT.json holds, per target, one row per seed ("runs") and the mean and sample sd of ESS per gradient over the seeds.
# STAN_BENCH_CACHE=DIR keeps the compiled models there (one .rds per model and code hash): later runs skip compiling.
# STAN_BENCH_TARGETS=name,name runs only those targets. OUT.json is rewritten after every target.
# STAN_BENCH_FIXED_STEP=EPS checks the kernel alone (as `bench samplers --fixed-step EPS`): no warm-up, no adaptation,
# step size EPS, identity metric, every chain started at 0, STAN_BENCH_DRAWS draws per chain (default 10000); each run
# then also records the fraction of draws at each tree depth (depth_1, depth_2, ...). Adaptive runs record each chain's
# adapted step size (step_1 ... step_4) and, for targets of at most 10 parameters, its inverse metric (inv_metric_<chain>_<i>).
# STAN_BENCH_METRIC=unit_e keeps the identity metric and adapts the step size alone (`bench samplers --metric unit`).
suppressMessages(library(rstan))
# Debian's r-cran-bh ships no headers of its own (it depends on libboost-dev): point rstan at the system Boost.
if (system.file("include", package = "BH") == "") rstan_options(boost_lib = "/usr/include")
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) > 0) args[1] else "stan-bench.json"
seeds <- if (length(args) > 1) as.integer(args[-1]) else 20261129L
if (any(is.na(seeds))) stop("stan_bench.R: seeds must be integers, got: ", paste(args[-1], collapse = " "))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "targets.stan.R"))
targets <- list(
  list(name = "normal_100d", code = normal100, data = list()),
  list(name = "correlated_rho0.99", code = correlated, data = list()),
  list(name = "funnel_10d", code = funnel, data = list()),
  list(name = "logistic_regression", code = logistic, data = logistic_data())
)
cache <- Sys.getenv("STAN_BENCH_CACHE")
fixed_step <- as.numeric(Sys.getenv("STAN_BENCH_FIXED_STEP", "NA"))
fixed_draws <- as.integer(Sys.getenv("STAN_BENCH_DRAWS", "10000"))
metric <- Sys.getenv("STAN_BENCH_METRIC", "diag_e")
if (!(metric %in% c("diag_e", "unit_e"))) stop("STAN_BENCH_METRIC: expected diag_e or unit_e, got ", metric)
if (!is.na(fixed_step) && !(fixed_step > 0)) stop("STAN_BENCH_FIXED_STEP: expected a positive step size, got ", fixed_step)
# The compiled model of a target, from the cache when its code is unchanged.
compiled <- function(t) {
  if (cache == "") return(stan_model(model_code = t$code, model_name = t$name))
  dir.create(cache, showWarnings = FALSE, recursive = TRUE)
  code_file <- tempfile(fileext = ".stan")
  writeLines(t$code, code_file)
  path <- file.path(cache, sprintf("%s-%s.rds", t$name, unname(tools::md5sum(code_file))))
  if (file.exists(path)) return(readRDS(path))
  model <- stan_model(model_code = t$code, model_name = t$name)
  saveRDS(model, path)
  model
}
only <- Sys.getenv("STAN_BENCH_TARGETS")
if (only != "") {
  wanted <- strsplit(only, ",")[[1]]
  unknown <- setdiff(wanted, sapply(targets, function(t) t$name))
  if (length(unknown) > 0) stop("STAN_BENCH_TARGETS: no target ", paste(unknown, collapse = ", "))
  targets <- Filter(function(t) t$name %in% wanted, targets)
}
fmt <- function(r) paste(sprintf("\"%s\": %.10g", names(r), unlist(r)), collapse = ", ")
blocks <- character(0)
for (t in targets) {
  compile <- system.time(model <- compiled(t))[["elapsed"]]
  runs <- list()
  for (seed in seeds) {
    fit <- if (is.na(fixed_step)) {
      sampling(model, data = t$data, chains = 4, cores = 1, iter = 2000, warmup = 1000, seed = seed,
               control = list(adapt_delta = 0.8, max_treedepth = 10, metric = metric), refresh = 0)
    } else {
      sampling(model, data = t$data, chains = 4, cores = 1, iter = fixed_draws, warmup = 0, seed = seed, init = "0",
               control = list(adapt_engaged = FALSE, stepsize = fixed_step, max_treedepth = 10, metric = "diag_e"), refresh = 0)
    }
    draws <- as.array(fit)                                # iterations × chains × (parameters + lp__)
    pars <- setdiff(dimnames(draws)[[3]], "lp__")
    ess <- sapply(pars, function(p) ess_bulk(draws[, , p]))
    params <- get_sampler_params(fit, inc_warmup = FALSE)
    gradients <- sum(sapply(params, function(p) sum(p[, "n_leapfrog__"])))
    divergences <- sum(sapply(params, function(p) sum(p[, "divergent__"])))
    seconds <- sum(get_elapsed_time(fit))               # warm-up + sampling, chains one after another
    rhat <- max(sapply(pars, function(p) Rhat(draws[, , p])))
    step <- mean(sapply(params, function(p) p[1, "stepsize__"]))
    depths <- table(unlist(lapply(params, function(p) p[, "treedepth__"]))) / sum(sapply(params, nrow))
    info <- if (is.na(fixed_step)) get_adaptation_info(fit) else NULL
    rm(fit, draws, params)
    invisible(gc(verbose = FALSE))                      # one R session holds many fits otherwise
    run <- list(seed = seed, min_ess_bulk = min(ess), gradients = gradients, seconds = seconds,
                ess_per_gradient = min(ess) / gradients, ess_per_second = min(ess) / seconds,
                divergences = divergences, max_rhat = rhat, mean_step_size = step)
    cat(sprintf("%-22s seed %-9d min ESS %7.0f  grads %8.0f  ESS/grad %.4f  ESS/s %8.0f  div %d  R^ %.3f  eps %.3f\n", t$name, seed,
                min(ess), gradients, min(ess) / gradients, min(ess) / seconds, divergences, rhat, step))
    if (is.na(fixed_step)) {
      # Per chain: the adapted step size and, for targets of at most 10 parameters, the adapted inverse metric
      # (step_<chain>, inv_metric_<chain>_<coordinate>), from rstan's adaptation info.
      for (ch in seq_along(info)) {
        lines <- strsplit(info[[ch]], "\n")[[1]]
        run[[sprintf("step_%d", ch)]] <- as.numeric(sub(".*= ", "", grep("Step size", lines, value = TRUE)))
        at <- grep("inverse mass matrix", lines)
        inv_metric <- if (length(at) == 1) as.numeric(strsplit(sub("^# ", "", lines[at + 1]), ",")[[1]]) else numeric(0)
        if (length(inv_metric) %in% 1:10) run[sprintf("inv_metric_%d_%d", ch, seq_along(inv_metric))] <- as.list(inv_metric)
      }
    } else {
      run[paste0("depth_", names(depths))] <- as.list(as.numeric(depths))
      cat(sprintf("%-22s tree depths %s\n", "", paste(sprintf("%s:%.4f", names(depths), depths), collapse = " ")))
    }
    runs[[length(runs) + 1]] <- run
  }
  epg <- sapply(runs, function(r) r$ess_per_gradient)
  sd_epg <- if (length(epg) > 1) sd(epg) else NA
  blocks <- c(blocks, sprintf("  \"%s\": {\"compile_seconds\": %.4g, \"seeds\": %d, \"ess_per_gradient_mean\": %.10g, \"ess_per_gradient_sd\": %s,\n    \"runs\": [\n%s\n    ]}",
                              t$name, compile, length(runs), mean(epg), if (is.na(sd_epg)) "null" else sprintf("%.10g", sd_epg),
                              paste(sprintf("      {%s}", sapply(runs, fmt)), collapse = ",\n")))
  cat(sprintf("%-22s ESS/grad over %d seeds: mean %.4f sd %s\n", t$name, length(epg), mean(epg), format(sd_epg, digits = 3)))
  writeLines(paste0("{\n", paste(blocks, collapse = ",\n"), "\n}"), out)
}
cat("stan", as.character(packageVersion("rstan")), "->", out, "\n")
