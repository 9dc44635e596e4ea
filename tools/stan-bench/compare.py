#!/usr/bin/env python3
"""Ours against Stan, ESS per gradient over seeds, as a markdown table (docs/benchmarks.md "Samplers against Stan").

Usage: python3 tools/stan-bench/compare.py --ours OURS.txt [OURS2.txt ...] --stan STAN.json [STAN2.json ...]

OURS files are the output of `dluxshera bench samplers --seeds ... --json` (the table, then one JSON line); STAN files
are what tools/stan-bench/stan_bench.R writes. Runs of the same target from several files are pooled (a seed seen twice
is an error: batches must not overlap). Per target: the mean ± sample sd of ESS per gradient over the seeds, the mean
step size and gradients, the ratio of the means and the difference of the means in units of its standard error
(Welch: sqrt(sd_ours²/n_ours + sd_stan²/n_stan)); for fixed-step kernel checks (`bench samplers --fixed-step`,
STAN_BENCH_FIXED_STEP) also the mean fraction of draws at each tree depth. Standard library only.
"""
import argparse
import json
import math
import statistics
import sys


def fail(message):
    """One line on stderr and exit code 2 (bad input), as the dluxshera commands do."""
    print(message, file=sys.stderr)
    sys.exit(2)


def load(paths, side):
    runs = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = [line for line in text.splitlines() if line.lstrip().startswith("{")]
        if not lines:
            fail(f"compare.py: {path}: no JSON object found (expected `bench samplers --json` output or stan_bench.R's file)")
        # stan_bench.R writes one multi-line object; bench samplers prints it on one line after the table.
        start = text.index(lines[0].lstrip())
        try:
            rows = json.loads(text[start:])
        except json.JSONDecodeError as e:
            fail(f"compare.py: {path}: not valid JSON ({e})")
        for target, block in rows.items():
            seen = runs.setdefault(target, {})
            for run in block["runs"]:
                seed = int(run["seed"])
                if seed in seen:
                    fail(f"compare.py: {path}: {side} seed {seed} of {target} appears twice")
                seen[seed] = run
    return runs


def summary(runs):
    epg = [r["ess_per_gradient"] for r in runs.values()]
    n = len(epg)
    return {
        "n": n,
        "mean": statistics.fmean(epg),
        "sd": statistics.stdev(epg) if n > 1 else float("nan"),
        "step": statistics.fmean(r["mean_step_size"] for r in runs.values()),
        "gradients": statistics.fmean(r["gradients"] for r in runs.values()),
        "ess": statistics.fmean(r["min_ess_bulk"] for r in runs.values()),
        "divergent_runs": sum(1 for r in runs.values() if r["divergences"] > 0),
    }


def depth_fractions(runs):
    """Mean fraction of draws per tree depth over the runs, or None (ours: tree_depth_fractions; Stan: depth_k)."""
    per_run = []
    for r in runs.values():
        if "tree_depth_fractions" in r:
            per_run.append({int(k): v for k, v in r["tree_depth_fractions"].items()})
        else:
            per_run.append({int(k[6:]): v for k, v in r.items() if k.startswith("depth_")})
    depths = sorted({d for run in per_run for d in run})
    if not depths:
        return None
    return {d: statistics.fmean(run.get(d, 0.0) for run in per_run) for d in depths}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", nargs="+", required=True)
    parser.add_argument("--stan", nargs="+", required=True)
    args = parser.parse_args()
    ours, stan = load(args.ours, "ours"), load(args.stan, "Stan")
    print("| target | ours: ESS / gradient (mean ± sd, seeds) | Stan: ESS / gradient | ours / Stan | difference / SE "
          "| ours: mean ε, gradients, min ESS | Stan: mean ε, gradients, min ESS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for target in ours:
        if target not in stan:
            continue
        o, s = summary(ours[target]), summary(stan[target])
        se = math.sqrt(o["sd"] ** 2 / o["n"] + s["sd"] ** 2 / s["n"])
        print(f"| {target} | {o['mean']:.4g} ± {o['sd']:.2g} ({o['n']}) | {s['mean']:.4g} ± {s['sd']:.2g} ({s['n']}) "
              f"| {o['mean'] / s['mean']:.3f} | {(o['mean'] - s['mean']) / se:+.1f} "
              f"| {o['step']:.3f}, {o['gradients']:,.0f}, {o['ess']:,.0f} | {s['step']:.3f}, {s['gradients']:,.0f}, {s['ess']:,.0f} |")
    depths = [(t, depth_fractions(ours[t]), depth_fractions(stan[t])) for t in ours if t in stan]
    if any(o and s for _, o, s in depths):
        print()
        print("| target | tree depth: fraction of draws, ours / Stan |")
        print("| --- | --- |")
        for target, o, s in depths:
            if o and s:
                cells = ", ".join(f"{d}: {o.get(d, 0):.4f} / {s.get(d, 0):.4f}" for d in sorted(set(o) | set(s)))
                print(f"| {target} | {cells} |")


if __name__ == "__main__":
    main()
