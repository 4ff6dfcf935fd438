"""Where the pipeline's time goes at living-review size: cProfile of the pool step and of one
outcome's figures (issue 6).

Generates N synthetic studies by M outcomes, runs harmonisation, then profiles ``run_pool``
(all outcomes) and ``run_figures`` for the first outcome (forest and incidence, png/pdf/svg),
printing wall time per stage and format and the functions with the most time of their own.

    python bench/profile_pipeline.py --studies 300 --outcomes 40 --top 12
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

sys.path.insert(0, str(Path(__file__).parent))
from generate import harmonised_project, pool_tables

from raremeta.steps.figures import run_outcome_figure


def _profile(label: str, top: int, call) -> None:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    call()
    profiler.disable()
    print(f"\n{label}: {time.perf_counter() - start:.2f} s under cProfile")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    body = out.getvalue()
    print(body[body.index("ncalls") :].rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=300)
    parser.add_argument("--outcomes", type=int, default=40)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, matplotlib {matplotlib.__version__}; "
        f"{args.studies} studies x {args.outcomes} outcomes"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = harmonised_project(root, args.studies, args.outcomes, seed=1)
        _profile(f"pool, {args.outcomes} outcomes", args.top, lambda: pool_tables(paths))
        figures = root / "figures"
        formats = ["png", "pdf", "svg"]
        inputs = {
            "forest": {"pooled": paths["pooled"], "studies": paths["studies"]},
            "incidence": {"studies": paths["studies"], "rates": paths["rates"]},
        }
        for kind in ("forest", "incidence"):
            for fmt in formats:
                start = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    run_outcome_figure(
                        kind, "ae000", "Adverse event 0", inputs[kind],
                        [figures / f"{kind}_ae000.{fmt}"],
                    )  # fmt: skip
                print(
                    f"{kind} plot of one outcome, {fmt} (figure built and saved): "
                    f"{time.perf_counter() - start:.2f} s"
                )
            _profile(
                f"{kind} plot of one outcome, {'/'.join(formats)}",
                args.top,
                lambda kind=kind: run_outcome_figure(
                    kind,
                    "ae000",
                    "Adverse event 0",
                    inputs[kind],
                    [figures / f"{kind}_ae000.{fmt}" for fmt in formats],
                ),
            )


if __name__ == "__main__":
    main()
