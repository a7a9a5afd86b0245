"""Coverage of reasonledger's intervals by simulation: pass@k over problems, and the sigmoid fit's parameters.

For each design, data are simulated from a known truth many times; the table gives the share of
replicates whose interval contains the truth, beside the method it replaced where that is cheap to
rerun (the percentile bootstrap over problems for pass@k). The seeded, smaller versions of these
designs are tests: tests/scaling/test_intervals_passk.py and tests/scaling/test_intervals_fit.py.

pass@k designs draw each problem's true pass rate from a population, then n rollouts per problem;
the truth is the population mean of 1 - (1 - p)^k. Fit designs use R0 = 0.1, A = 0.6, B = 1.5,
C_mid = 1e3 at log-spaced compute from 1e1 to 1e5 with Gaussian noise. An unidentified fit parameter
counts as a miss. Monte Carlo standard error of a 95% coverage over R replicates: sqrt(.95 * .05 / R).

Run: .venv/bin/python benchmarks/scaling_coverage.py [--passk-replicates 2000] [--fit-replicates 1000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from reasonledger.scaling.passk import pass_at_k, passk_estimate
from reasonledger.scaling.sigmoid import PARAMS, fit_sigmoid, sigmoid

LEVEL = 0.95
PASSK = {  # name: (problems, rollouts per problem, k, population of pass rates)
    "near 1: pass@1 = 0.995, 50 problems, n=4": (50, 4, 1, lambda r, s: np.full(s, 0.995)),
    "near 1: Beta(199, 1), 50 problems, n=4": (50, 4, 1, lambda r, s: r.beta(199, 1, s)),
    "near 0: pass@1 = 0.005, 50 problems, n=4": (50, 4, 1, lambda r, s: np.full(s, 0.005)),
    "interior: Beta(2, 2), 50 problems, n=8, k=1": (50, 8, 1, lambda r, s: r.beta(2, 2, s)),
    "interior: Beta(2, 2), 50 problems, n=8, k=4": (50, 8, 4, lambda r, s: r.beta(2, 2, s)),
    "U-shaped: Beta(.5, .5), 20 problems, n=4, k=1": (20, 4, 1, lambda r, s: r.beta(0.5, 0.5, s)),
    "hard: Beta(.2, 10), 50 problems, n=16, k=4": (50, 16, 4, lambda r, s: r.beta(0.2, 10, s)),
    "mixed: 30% unsolvable, 200 problems, n=16, k=8": (200, 16, 8, lambda r, s: np.where(r.random(s) < 0.3, 0.0,
                                                                                          r.beta(5, 1, s))),
}
FITS = {"12 points, noise 0.01": (12, 0.01), "12 points, noise 0.02": (12, 0.02), "6 points, noise 0.01": (6, 0.01),
        "24 points, noise 0.02": (24, 0.02)}
TRUE = {"R0": 0.1, "A": 0.6, "B": 1.5, "C_mid": 1000.0}


def percentile_bootstrap(values: np.ndarray, rng: np.random.Generator, draws: int = 1000) -> tuple[float, float]:
    """The interval pass@k used before: percentiles of the mean over resampled problems."""
    means = rng.choice(values, size=(draws, len(values))).mean(axis=1)
    return tuple(np.percentile(means, [2.5, 97.5]))


def passk_table(replicates: int) -> list[str]:
    rows = ["| design | truth | Korn-Graubard Wilson (now) | percentile bootstrap (before) | mean width now |",
            "|---|---|---|---|---|"]
    for name, (problems, n, k, draw) in PASSK.items():
        rng = np.random.default_rng(0)
        truth = float(np.mean(1 - (1 - draw(rng, 1_000_000)) ** k))
        now = before = 0
        widths = []
        for replicate in range(replicates):
            c = rng.binomial(n, draw(rng, problems))
            est = passk_estimate(np.full(problems, n), c, k, n_boot=1000, level=LEVEL, seed=replicate)
            now += est.low <= truth <= est.high
            widths.append(est.high - est.low)
            low, high = percentile_bootstrap(np.array([pass_at_k(n, int(x), k) for x in c]), rng)
            before += low <= truth <= high
        rows.append(f"| {name} | {truth:.4f} | {now / replicates:.3f} | {before / replicates:.3f} | {np.mean(widths):.4f} |")
    return rows


def fit_table(replicates: int) -> list[str]:
    rows = ["| design | R0 | A | B | C_mid | unidentified (any) | lack-of-fit p < 0.05 |", "|---|---|---|---|---|---|---|"]
    for name, (points, noise) in FITS.items():
        rng = np.random.default_rng(0)
        compute = np.logspace(1, 5, points)
        curve = sigmoid(compute, *TRUE.values())
        hits = dict.fromkeys(PARAMS, 0)
        unidentified = lack = 0
        for _ in range(replicates):
            fit = fit_sigmoid(compute, curve + rng.normal(0, noise, points), n_boot=0, level=LEVEL)
            unidentified += not fit.identified
            lack += (fit.lack_of_fit.get("p") or 1.0) < 0.05
            for p in PARAMS:
                interval = fit.intervals[p]
                hits[p] += bool(interval and interval[0] <= TRUE[p] <= interval[1])
        rows.append(f"| {name} | " + " | ".join(f"{hits[p] / replicates:.3f}" for p in PARAMS)
                    + f" | {unidentified / replicates:.3f} | {lack / replicates:.3f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passk-replicates", type=int, default=2000)
    parser.add_argument("--fit-replicates", type=int, default=1000)
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"started {started}, load average {os.getloadavg()[0]:.2f}")
    cpu = time.process_time()
    print(f"\npass@k, {LEVEL:.0%} intervals, {args.passk_replicates} replicates "
          f"(MC SE {np.sqrt(LEVEL * (1 - LEVEL) / args.passk_replicates):.3f})\n")
    print("\n".join(passk_table(args.passk_replicates)))
    print(f"\nsigmoid fit, {LEVEL:.0%} t intervals, {args.fit_replicates} replicates "
          f"(MC SE {np.sqrt(LEVEL * (1 - LEVEL) / args.fit_replicates):.3f})\n")
    print("\n".join(fit_table(args.fit_replicates)))
    print(f"\nCPU {time.process_time() - cpu:.0f} s, load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
