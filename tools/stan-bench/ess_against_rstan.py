#!/usr/bin/env python3
"""Our ESS and R-hat against rstan's on the same draws: feeds a sampling run's samples.npz to rstan and compares.

Usage: python3 tools/stan-bench/ess_against_rstan.py runs/<sampling run>
Needs python3-numpy and rstan (Debian r-cran-rstan). Prints, over the run's parameters, the largest relative difference
of summary.json's ess_bulk and ess_tail from rstan's ess_bulk/ess_tail, the largest absolute difference of r_hat from
rstan's Rhat, and the bulk difference again with rstan's ess_rfun fed Blom's normal scores (r - 3/8)/(S + 1/4), which
ArviZ and we use, where rstan 2.21's z_scale uses (r - 1/2)/S: that difference is the only one expected.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def fail(message):
    """One line on stderr and exit code 2 (bad input), as the dluxshera commands do."""
    print(message, file=sys.stderr)
    sys.exit(2)


R_CODE = r"""
suppressMessages(library(rstan))
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)); ours <- as.matrix(read.csv(args[2], header = FALSE))
ch <- as.integer(args[3]); d <- as.integer(args[4])
blom <- function(v) { S <- length(v); array(qnorm((rank(v, ties.method = "average") - 3/8) / (S + 1/4)), dim = dim(v)) }
r <- t(sapply(1:d, function(i) { m <- x[, (0:(ch - 1)) * d + i, drop = FALSE]
  c(ess_bulk(m), ess_tail(m), Rhat(m), rstan:::ess_rfun(blom(rstan:::split_chains(m)))) }))
cat(sprintf("parameters %d, chains %d, draws %d\n", d, ch, nrow(x)))
cat(sprintf("ess_bulk: max |ours/rstan - 1| %.2e (mean %+.2e); min over parameters ours %.1f, rstan %.1f\n",
            max(abs(ours[, 1] / r[, 1] - 1)), mean(ours[, 1] / r[, 1] - 1), min(ours[, 1]), min(r[, 1])))
cat(sprintf("ess_tail: max |ours/rstan - 1| %.2e\n", max(abs(ours[, 2] / r[, 2] - 1))))
cat(sprintf("r_hat:    max |ours - rstan| %.2e\n", max(abs(ours[, 3] - r[, 3]))))
cat(sprintf("ess_bulk with Blom's scores in rstan's ess_rfun: max |ours/rstan - 1| %.2e\n", max(abs(ours[, 1] / r[, 4] - 1))))
"""


def main():
    if len(sys.argv) != 2:
        fail(__doc__.strip().splitlines()[2])
    run = sys.argv[1]
    try:
        theta = np.load(os.path.join(run, "samples.npz"))["theta"]
        with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        # With a θ-map, samples.npz's theta is z and its diagnostics are posterior_theta (posterior is in primitive values).
        posterior = summary.get("posterior_theta") or summary["posterior"]
    except (OSError, KeyError) as e:
        fail(f"ess_against_rstan.py: {run}: expected a sampling run directory with samples.npz and summary.json ({e})")
    chains, draws, dim = theta.shape
    if len(posterior) != dim:
        fail(f"ess_against_rstan.py: {run}: summary.json has {len(posterior)} rows for θ of dimension {dim}")
    with tempfile.TemporaryDirectory() as tmp:
        draws_csv, ours_csv, script = (os.path.join(tmp, n) for n in ("draws.csv", "ours.csv", "check.R"))
        # Rows are draws; columns chain-major: chain c's parameter i is column c·D + i.
        np.savetxt(draws_csv, theta.transpose(1, 0, 2).reshape(draws, chains * dim), delimiter=",", fmt="%.17g")
        np.savetxt(ours_csv, np.array([[r["ess_bulk"], r["ess_tail"], r["r_hat"]] for r in posterior]), delimiter=",", fmt="%.17g")
        with open(script, "w", encoding="utf-8") as f:
            f.write(R_CODE)
        out = subprocess.run(["Rscript", script, draws_csv, ours_csv, str(chains), str(dim)], capture_output=True, text=True)
        if out.returncode != 0:
            fail(f"ess_against_rstan.py: Rscript failed:\n{out.stderr}")
        print(out.stdout, end="")


if __name__ == "__main__":
    main()
