"""Engine benchmark: the primary set of methods for many meta-analyses of k = 10 (issue 6).

Prints the Python time per meta-analysis and, where Rscript with metafor is available, the
time of the same fits in one R loop, measured side by side in the same run.

    python bench/bench_engine.py --n 10000
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from raremeta.analysis import PRIMARY_SET, run_method
from raremeta.stats.counts import Tables

R_LOOP = r"""
suppressPackageStartupMessages(library(metafor))
d <- read.csv(commandArgs(TRUE)[1])
t0 <- proc.time()[["elapsed"]]
for (m in unique(d$ma)) {
  x <- d[d$ma == m, ]
  for (meas in c("OR", "RR", "RD")) {
    try(rma.mh(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = meas), silent = TRUE)
    es <- escalc(meas, ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, add = 1/2, to = "only0",
                 drop00 = meas != "RD")
    for (est in c("EE", "DL", "REML", "PM"))
      try(rma(yi, vi, data = es, method = est), silent = TRUE)
  }
  try(rma.peto(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i), silent = TRUE)
  try(rma.glmm(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = "OR", model = "CM.EL",
               method = "EE"), silent = TRUE)
}
cat(proc.time()[["elapsed"]] - t0, "\n")
"""


def simulate(n: int, k: int = 10, seed: int = 1) -> list[Tables]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        n1 = rng.integers(30, 300, k)
        n2 = rng.integers(30, 300, k)
        p2 = np.exp(rng.uniform(np.log(0.002), np.log(0.05)))
        p1 = min(0.5, p2 * np.exp(rng.normal(0.4, 0.5)))
        out.append(Tables.from_counts(rng.binomial(n1, p1), n1, rng.binomial(n2, p2), n2))
    return out


def python_seconds(tables: list[Tables]) -> float:
    start = time.perf_counter()
    for t in tables:
        for key in PRIMARY_SET:
            run_method(t, *key)
    return time.perf_counter() - start


def r_seconds(tables: list[Tables]) -> float | None:
    if not tables or shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        rows = ["ma,ai,n1i,ci,n2i"] + [
            f"{m},{a:g},{b:g},{c:g},{d:g}"
            for m, t in enumerate(tables)
            for a, b, c, d in zip(t.ai, t.n1i, t.ci, t.n2i, strict=True)
        ]
        csv.write_text("\n".join(rows) + "\n")
        script = Path(tmp) / "loop.R"
        script.write_text(R_LOOP)
        done = subprocess.run(
            ["Rscript", str(script), str(csv)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return None
        return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--r-n", type=int, default=200, help="meta-analyses timed in R")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    tables = simulate(args.n)
    py = python_seconds(tables)
    per_py = py / args.n
    print(
        f"engine, python: {args.n} meta-analyses x {len(PRIMARY_SET)} fits in {py:.2f} s "
        f"= {1000 * per_py:.2f} ms per meta-analysis"
    )
    r = r_seconds(tables[: args.r_n])
    if r is None:
        print("engine, R metafor: skipped (Rscript with metafor not found)")
        return
    per_r = r / args.r_n
    print(
        f"engine, R metafor: {args.r_n} meta-analyses in {r:.2f} s = {1000 * per_r:.2f} ms "
        "per meta-analysis"
    )
    print(f"engine ratio: python is {per_r / per_py:.1f}x faster than metafor (target: 100x)")


if __name__ == "__main__":
    main()
