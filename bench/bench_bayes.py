"""Speed of the Bayesian binomial-normal kernel (issue 22, item 6): one meta-analysis of k
studies, wall time of raremeta.stats.binomial_normal.posterior with the default priors, on
generated rare-event data (comparator risk about 3%, odds ratio about 1.5, arms of 40-400).
Targets: k <= 50 under 1 s, k = 300 under 10 s. Wall and CPU seconds (the CPU time is the
figure to compare on a busy machine); run it as Snakemake runs a job, with one BLAS thread
(``OPENBLAS_NUM_THREADS=1``, which ``make bench`` sets).

    python bench/bench_bayes.py --k 1 10 50 300
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from raremeta.stats.binomial_normal import posterior


def generate(k: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """k two-arm studies: events and patients of the CNI and comparator arms."""
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(40, 400, k), rng.integers(40, 400, k)
    pc = 0.03 * np.exp(rng.normal(0, 0.5, k))
    odds = pc / (1 - pc) * np.exp(0.4 + rng.normal(0, 0.3, k))
    return rng.binomial(n1, odds / (1 + odds)), n1, rng.binomial(n2, pc), n2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 10, 50, 300])
    args = parser.parse_args()
    print("k\tseconds\tcpu_seconds\tmedian_or\tci_low\tci_high\tgrid\terror")
    for k in args.k:
        data = generate(k)
        start, cpu = time.perf_counter(), time.process_time()
        p = posterior(*data)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"{k}\t{seconds:.2f}\t{cpu:.2f}\t{math.exp(p.theta_median):.4g}\t{math.exp(p.theta_low):.4g}\t"
            f"{math.exp(p.theta_high):.4g}\t{p.nodes[0]}x{p.nodes[1]}\t{p.error:.1e}"
        )


if __name__ == "__main__":
    main()
