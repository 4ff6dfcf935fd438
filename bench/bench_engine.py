"""Engine benchmark: every fit of the primary set (every method of the registry) for many
meta-analyses of k = 10, split by method family: the vectorised kernels (one engine call over
all meta-analyses) and the methods fitted one meta-analysis at a time (the exact conditional
ones). Where Rscript with metafor and brglm2 is available, the same fits run in one R loop in
the same run (bench/r_calls.py: each registry entry's R call, or why it has none), timed and
compared value by value.

    python bench/bench_engine.py --n 10000 --n-one 1000 --r-n 200 --r-n-one 50
"""

from __future__ import annotations

import argparse
import csv as csv_module
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from r_calls import R_CALLS, R_HELPERS, NoRCounterpart, RCall

from raremeta.stats import registry
from raremeta.stats.engine import fit, fit_stack
from raremeta.stats.results import MethodSpec, Reason
from raremeta.stats.two_by_two import Tables, TableStack

#: The two families timed apart: name -> whether its kernels fit one meta-analysis at a time.
FAMILIES = {"vectorised kernels": False, "one meta-analysis at a time": True}

R_LOOP = r"""
suppressPackageStartupMessages(library(metafor))
%(helpers)s
args <- commandArgs(TRUE)
d <- read.csv(args[1])
mas <- unique(d$ma)
nfit <- %(nfit)d
est <- lo <- hi <- matrix(NA_real_, length(mas), nfit)
keep <- function(i, j, v) {
  if (is.null(v)) return(invisible())
  est[i, j] <<- v[1]; lo[i, j] <<- v[2]; hi[i, j] <<- v[3]
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


#: Methods timed by their own benchmark (bench/bench_bayes.py: 1,000 Bayesian fits would take
#: minutes here).
SEPARATE = frozenset({registry.BAYESIAN})


def specs_of(one: bool) -> list[MethodSpec]:
    """The fits of the primary set whose method is (or is not) fitted one at a time."""
    return [
        s
        for s in registry.primary_set()
        if registry.method(s.method).one_at_a_time is one and s.method not in SEPARATE
    ]


def r_call(spec: MethodSpec, tight: bool = False) -> str | None:
    """The R expression of one fit (bench/r_calls.py), or None when it has no R counterpart."""
    call = R_CALLS[spec.method]
    if isinstance(call, NoRCounterpart):
        return None
    iterative = spec.tau2_estimator in ("REML", "PM")
    return call.expr.format(
        measure=spec.measure,
        r_method="EE" if spec.model == "common" else spec.tau2_estimator,
        control=TIGHT if tight and iterative else "",
    )


def r_script(specs: list[MethodSpec], tight: bool = False) -> str:
    """The R loop doing every fit of ``specs`` that has an R counterpart, for every
    meta-analysis; a fit without one is a comment naming why.
    """
    calls = []
    for j, spec in enumerate(specs, start=1):
        expr = r_call(spec, tight)
        if expr is None:
            reason = R_CALLS[spec.method].reason
            calls.append(f"  # {spec.method}: no R counterpart ({reason})")
            continue
        calls.append(
            f"  keep(i, {j}, tryCatch(suppressWarnings({expr}), error = function(e) NULL))"
        )
    return R_LOOP % {"helpers": R_HELPERS, "nfit": len(specs), "calls": "\n".join(calls)}


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


def stack_of(tables: list[Tables]) -> TableStack:
    ai, n1i, ci, n2i = (
        np.array([getattr(t, f) for t in tables]) for f in ("ai", "n1i", "ci", "n2i")
    )
    return TableStack.from_arrays(ai, n1i, ci, n2i)


def python_run(tables: list[Tables], specs: list[MethodSpec]) -> tuple[list[float], list]:
    """Seconds of each fit of ``specs``, one engine call over every meta-analysis, and the
    fits."""
    stack = stack_of(tables)
    seconds, fits = [], []
    for spec in specs:
        start = time.perf_counter()
        fits.append(fit_stack(stack, spec))
        seconds.append(time.perf_counter() - start)
    return seconds, fits


def scalar_run(tables: list[Tables], specs: list[MethodSpec]) -> float:
    """Seconds for every fit of ``specs``, one meta-analysis at a time (:func:`fit`)."""
    start = time.perf_counter()
    for t in tables:
        for spec in specs:
            fit(t, spec)
    return time.perf_counter() - start


def r_run(tables: list[Tables], specs, tight: bool = False) -> tuple[float, list[dict]] | None:
    """Seconds of the R loop and its values, or None where R, metafor or brglm2 is absent."""
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
        script.write_text(r_script(list(specs), tight))
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
            values = list(csv_module.DictReader(handle))
        return float(done.stdout.split()[-1]), values


def tolerance(spec: MethodSpec) -> float:
    """Relative tolerance of a fit: its R call's, looser for metafor's iterative tau²."""
    call = R_CALLS[spec.method]
    assert isinstance(call, RCall)
    return max(call.rel_tol, 1e-4) if spec.tau2_estimator in ("REML", "PM") else call.rel_tol


def compare(specs, fits, theirs: list[dict]) -> tuple[int, int, int, int, dict]:
    """Count values compared, values outside tolerance, infinite estimates both agree on and
    values of random-effects fits of one usable study (not applicable in ours, by design: no
    between-study variance to estimate; metafor fits them); the largest relative deviation per
    fit."""
    compared = outside = boundary = single = 0
    worst: dict[str, float] = {}
    for row in theirs:
        i, j = int(row["ma"]), int(row["fit"])
        spec = specs[j]
        call = R_CALLS[spec.method]
        if isinstance(call, NoRCounterpart):
            continue
        name = " ".join(part for part in spec.key if part)
        for field in call.fields:
            r_value = float(row[field]) if row[field] not in ("", "NA") else math.nan
            value = float(getattr(fits[j], field)[i])
            if not math.isfinite(r_value):
                continue  # R gave no value (error or not estimable)
            if fits[j].reason[i] == Reason.SINGLE_STUDY:
                single += 1
                continue
            compared += 1
            if not math.isfinite(value) and not 1e-8 < r_value < 1e8 and spec.measure != "RD":
                # no events in one arm: R's optimiser stops near OR = 2e10 (or its inverse)
                # where the maximum-likelihood OR is infinite; ours says not estimable
                boundary += 1
                continue
            if not math.isfinite(value):
                outside += 1
                worst[name] = math.inf
                continue
            deviation = abs(value - r_value) / max(abs(r_value), 1e-10)
            worst[name] = max(worst.get(name, 0.0), deviation)
            if not math.isclose(value, r_value, rel_tol=tolerance(spec), abs_tol=1e-10):
                outside += 1
    return compared, outside, boundary, single, worst


def versions() -> str:
    done = subprocess.run(
        [
            "Rscript",
            "-e",
            'cat(as.character(getRversion()), as.character(packageVersion("metafor")), '
            'as.character(packageVersion("brglm2")))',
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    r, metafor, brglm2 = (done.stdout.split() + ["?"] * 3)[:3]
    return f"R {r}, metafor {metafor}, brglm2 {brglm2}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="meta-analyses, vectorised kernels")
    parser.add_argument(
        "--n-one", type=int, default=1000, help="meta-analyses, methods fitted one at a time"
    )
    parser.add_argument("--scalar-n", type=int, default=200, help="meta-analyses, fit() loop")
    parser.add_argument("--r-n", type=int, default=200, help="meta-analyses timed in R")
    parser.add_argument(
        "--r-n-one", type=int, default=50, help="meta-analyses timed in R, one-at-a-time methods"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    for name, call in R_CALLS.items():
        if isinstance(call, NoRCounterpart):
            print(f"no R counterpart: {name}: {call.reason}")
    tables = simulate(max(args.n, args.n_one, args.scalar_n))
    python_ms: dict[str, float] = {}
    r_ms: dict[str, float] = {}
    both_ms: dict[str, float] = {}  # python, over the fits that have an R counterpart
    for family, one_at_a_time in FAMILIES.items():
        specs = specs_of(one_at_a_time)
        n = args.n_one if one_at_a_time else args.n
        seconds, _ = python_run(tables[:n], specs)
        python_ms[family] = 1000 * sum(seconds) / n
        has_r = [r_call(s) is not None for s in specs]
        both_ms[family] = 1000 * sum(s for s, h in zip(seconds, has_r, strict=True) if h) / n
        methods = ", ".join(dict.fromkeys(s.method for s in specs))
        print(
            f"engine, python, {family} ({len(specs)} fits: {methods}): {n} meta-analyses of "
            f"k = 10 in {sum(seconds):.2f} s = {python_ms[family]:.4f} ms per meta-analysis"
        )
        if not one_at_a_time:
            scalar = scalar_run(tables[: args.scalar_n], specs) / args.scalar_n
            print(
                f"engine, python, {family}, fit() one meta-analysis at a time: "
                f"{1000 * scalar:.3f} ms per meta-analysis"
            )
        r_n = args.r_n_one if one_at_a_time else args.r_n
        if r_n == 0:
            print(f"engine, R, {family}: skipped (none asked for)")
            continue
        measured = r_run(tables[:r_n], specs)
        if measured is None:
            print(f"engine, R, {family}: skipped (Rscript with metafor and brglm2 not found)")
            continue
        r_seconds, values = measured
        r_ms[family] = 1000 * r_seconds / r_n
        if any(r_call(s, tight=True) != r_call(s) for s in specs):  # rerun with tight controls
            tight = r_run(tables[:r_n], specs, tight=True)
            if tight is None:
                raise SystemExit("the R loop with tight controls failed (printed above)")
            values = tight[1]
        _, fits = python_run(tables[:r_n], specs)
        compared, outside, boundary, single, worst = compare(specs, fits, values)
        print(
            f"engine, {versions()}, {family}: {r_n} meta-analyses in {r_seconds:.2f} s = "
            f"{r_ms[family]:.2f} ms per meta-analysis ({sum(has_r)} fits with an R "
            f"counterpart); python {both_ms[family]:.4f} ms for the same fits = "
            f"{r_ms[family] / both_ms[family]:.0f}x faster"
        )
        print(
            f"    accuracy: {compared} values compared, {outside} outside the tolerances of "
            f"bench/r_calls.py, {boundary} infinite OR (R about 2e10, ours not estimable), "
            f"{single} of random-effects fits of one usable study (ours not applicable); "
            "largest relative deviation: "
            + ", ".join(f"{k} {v:.1e}" for k, v in sorted(worst.items(), key=lambda kv: -kv[1])[:5])
        )
    total = sum(python_ms.values())
    print(
        f"engine, python, all {len(registry.primary_set())} fits: {total:.3f} ms per meta-analysis"
    )
    if len(r_ms) == len(FAMILIES):
        r_total, both = sum(r_ms.values()), sum(both_ms.values())
        print(
            f"engine ratio, the fits with an R counterpart: R {r_total:.1f} ms, python "
            f"{both:.3f} ms per meta-analysis = {r_total / both:.0f}x"
        )


if __name__ == "__main__":
    main()
