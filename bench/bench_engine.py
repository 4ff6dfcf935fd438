"""Engine benchmark: the primary set of methods for many meta-analyses of k = 10 (issue 6).

Prints the Python time per meta-analysis and, where Rscript with metafor is available, the
time of the same fits in one R loop, measured side by side in the same run.

    python bench/bench_engine.py --n 10000
"""

from __future__ import annotations

import argparse
import csv as csv_module
import math
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import scipy

from raremeta.analysis.methods import PRIMARY_SET as SPECS
from raremeta.stats.engine import fit, fit_stack
from raremeta.stats.two_by_two import Tables, TableStack

#: (measure, method, model, tau2_estimator) of each fit, in the order of the primary set
PRIMARY_SET = [spec.key for spec in SPECS]
SPEC_OF = {spec.key: spec for spec in SPECS}

#: One R call per fit of PRIMARY_SET, in its order; estimates kept on the natural scale.
R_FITS = {
    "MH": 'rma.mh(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = "{measure}")',
    "Peto": "rma.peto(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i)",
    "IV": 'rma(yi, vi, data = es[["{measure}"]], method = "{r_method}"{control})',
    "exact": (
        "rma.glmm(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = "
        '"OR", model = "CM.EL", method = "EE")'
    ),
}
R_LOOP = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
mas <- unique(d$ma)
nfit <- %(nfit)d
est <- lo <- hi <- matrix(NA_real_, length(mas), nfit)
keep <- function(i, j, r, measure) {
  if (is.null(r)) return(invisible())
  f <- if (measure == "RD") identity else exp
  est[i, j] <<- f(r$beta[1]); lo[i, j] <<- f(r$ci.lb); hi[i, j] <<- f(r$ci.ub)
}
t0 <- proc.time()[["elapsed"]]
for (i in seq_along(mas)) {
  x <- d[d$ma == mas[i], ]
  es <- list()
  for (meas in c("OR", "RR", "RD"))
    es[[meas]] <- escalc(meas, ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, add = 1/2,
                         to = "only0", drop00 = meas != "RD")
%(calls)s
}
elapsed <- proc.time()[["elapsed"]] - t0
out <- data.frame(ma = rep(mas, nfit), fit = rep(seq_len(nfit) - 1, each = length(mas)),
                  estimate = as.vector(est), ci_low = as.vector(lo), ci_high = as.vector(hi))
write.csv(out, args[2], row.names = FALSE)
cat(elapsed, "\n")
"""


#: metafor's iterative tau² estimators stop when tau² changes by less than 1e-5 (absolute), which
#: on the risk-difference scale (tau² around 1e-5) is far from the solution; the accuracy check
#: uses the tight controls of tests/reference/make_reference.R, the timing metafor's defaults.
TIGHT = ", control = list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)"


def r_script(keys: list[tuple[str, str, str, str]], tight: bool = False) -> str:
    """The metafor loop doing ``keys`` (PRIMARY_SET entries) for every meta-analysis."""
    calls = []
    for j, (measure, method, model, estimator) in enumerate(keys, start=1):
        r_method = "EE" if model == "common" else estimator
        control = TIGHT if tight and estimator in ("REML", "PM") else ""
        call = R_FITS[method].format(measure=measure, r_method=r_method, control=control)
        calls.append(
            f"  keep(i, {j}, tryCatch(suppressWarnings({call}), error = function(e) NULL), "
            f'"{measure}")'
        )
    return R_LOOP % {"nfit": len(keys), "calls": "\n".join(calls)}


WITHOUT = "16 fits without the exact"


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


def python_run(tables: list[Tables], keys) -> tuple[float, list[list]]:
    """Seconds for every fit in ``keys`` on every meta-analysis, and the results."""
    start = time.perf_counter()
    results = [[fit(t, SPEC_OF[key]) for key in keys] for t in tables]
    return time.perf_counter() - start, results


def r_run(tables: list[Tables], keys, tight: bool = False) -> tuple[float, list[dict]] | None:
    """Seconds of the metafor loop and its estimates, or None where R or metafor is absent."""
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
        script.write_text(r_script(list(keys), tight))
        out = Path(tmp) / "out.csv"
        done = subprocess.run(
            ["Rscript", str(script), str(csv), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr[-2000:])
            return None
        with out.open() as handle:
            estimates = list(csv_module.DictReader(handle))
        return float(done.stdout.split()[-1]), estimates


def tolerance(key: tuple[str, str, str, str]) -> float:
    """Relative tolerances of the accuracy tests (tests/test_metafor_agreement.py)."""
    if key[1] == "exact":
        return 1e-3
    return 1e-4 if key[3] in ("REML", "PM") else 1e-6


def compare(keys, ours: list[list], theirs: list[dict]) -> tuple[int, int, int, dict]:
    """Count values compared, values outside tolerance and infinite estimates both agree on;
    max relative deviation per method."""
    compared = outside = boundary = 0
    worst: dict[str, float] = {}
    for row in theirs:
        i, j = int(row["ma"]), int(row["fit"])
        key, result = keys[j], ours[i][j]
        name = " ".join(part for part in key if part)
        # the exact method's CI: metafor's numerical Hessian is known to be off (README)
        fields = ("estimate",) if key[1] == "exact" else ("estimate", "ci_low", "ci_high")
        for field in fields:
            r_value = float(row[field]) if row[field] not in ("", "NA") else math.nan
            value = getattr(result, field)
            if not math.isfinite(r_value):
                continue  # metafor gave no value (error or not estimable)
            compared += 1
            if not math.isfinite(value) and not 1e-8 < r_value < 1e8 and key[0] != "RD":
                # no events in one arm: metafor's optimiser stops near OR = 2e10 (or its
                # inverse) where the maximum-likelihood OR is infinite; ours says not estimable
                boundary += 1
                continue
            if not math.isfinite(value):
                outside += 1
                worst[name] = math.inf
                continue
            deviation = abs(value - r_value) / max(abs(r_value), 1e-10)
            worst[name] = max(worst.get(name, 0.0), deviation)
            if not math.isclose(value, r_value, rel_tol=tolerance(key), abs_tol=1e-10):
                outside += 1
    return compared, outside, boundary, worst


def batch_run(tables: list[Tables]) -> tuple[float, list[list]]:
    """Seconds for the 16 fits, each one engine call over every meta-analysis, and results."""
    ai, n1i, ci, n2i = (
        np.array([getattr(t, f) for t in tables]) for f in ("ai", "n1i", "ci", "n2i")
    )
    start = time.perf_counter()
    stack = TableStack.from_arrays(ai, n1i, ci, n2i)
    fits = [fit_stack(stack, spec) for spec in SPECS if spec.method != "exact"]
    seconds = time.perf_counter() - start
    results = [
        [
            SimpleNamespace(**{f: getattr(fit, f)[i] for f in ("estimate", "ci_low", "ci_high")})
            for fit in fits
        ]
        for i in range(len(tables))
    ]
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--scalar-n", type=int, default=2000, help="meta-analyses, scalar loop")
    parser.add_argument("--r-n", type=int, default=200, help="meta-analyses timed in R")
    parser.add_argument("--r-n-exact", type=int, default=50, help="of which with the exact fit")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    tables = simulate(args.n)
    without_exact = [key for key in PRIMARY_SET if key[1] != "exact"]
    exact = [key for key in PRIMARY_SET if key[1] == "exact"]
    seconds, _ = python_run(tables[: args.scalar_n], without_exact)
    scalar = seconds / args.scalar_n
    print(
        f"engine, python, {WITHOUT}, one meta-analysis at a time: {args.scalar_n} meta-analyses "
        f"of k = 10 in {seconds:.2f} s = {1000 * scalar:.3f} ms per meta-analysis"
    )
    per_ma = {}
    seconds, _ = batch_run(tables)
    per_ma[WITHOUT] = seconds / args.n
    print(
        f"engine, python, {WITHOUT}, vectorised across meta-analyses (stats.engine.fit_stack): "
        f"{args.n} meta-analyses in {seconds:.2f} s = {1000 * per_ma[WITHOUT]:.4f} ms per "
        "meta-analysis"
    )
    seconds, _ = python_run(tables, exact)
    per_ma["exact"] = seconds / args.n
    print(
        f"engine, python, exact: {args.n} meta-analyses in {seconds:.2f} s "
        f"= {1000 * per_ma['exact']:.3f} ms per meta-analysis"
    )
    total = sum(per_ma.values())
    print(f"engine, python, all {len(PRIMARY_SET)} fits: {1000 * total:.3f} ms per meta-analysis")
    r_per_ma = {}
    for name, keys, n in (
        (WITHOUT, without_exact, args.r_n),
        ("exact", exact, args.r_n_exact),
    ):
        measured = r_run(tables[:n], keys)
        if measured is None:
            print("engine, R metafor: skipped (Rscript with metafor not found)")
            return
        seconds, estimates = measured
        r_per_ma[name] = seconds / n
        if name == WITHOUT:
            estimates = r_run(tables[:n], keys, tight=True)[1]
            ours = batch_run(tables[:n])[1]
        else:
            ours = python_run(tables[:n], keys)[1]
        compared, outside, boundary, worst = compare(keys, ours, estimates)
        print(
            f"engine, R metafor {metafor_version()}, {name}: {n} meta-analyses in {seconds:.2f} s "
            f"= {1000 * r_per_ma[name]:.2f} ms per meta-analysis; python is "
            f"{r_per_ma[name] / per_ma[name]:.0f}x faster"
            + (f" (one at a time: {r_per_ma[name] / scalar:.0f}x)" if name == WITHOUT else "")
        )
        print(
            f"    accuracy: {compared} values compared, {outside} outside the "
            f"tolerances of tests/test_metafor_agreement.py, {boundary} infinite OR (metafor "
            "about 2e10, ours not estimable); largest relative deviation: "
            + ", ".join(f"{k} {v:.1e}" for k, v in sorted(worst.items(), key=lambda kv: -kv[1])[:4])
        )
    r_total = sum(r_per_ma.values())
    print(
        f"engine ratio: {WITHOUT} {r_per_ma[WITHOUT] / per_ma[WITHOUT]:.0f}x faster than metafor "
        f"(target: 100x); all {len(PRIMARY_SET)} fits: metafor {1000 * r_total:.1f} ms, python "
        f"{1000 * total:.2f} ms per meta-analysis = {r_total / total:.0f}x"
    )


def metafor_version() -> str:
    done = subprocess.run(
        ["Rscript", "-e", 'cat(as.character(packageVersion("metafor")))'],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
