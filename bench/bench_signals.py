"""Time the signal screen's kernel on generated registry-like data beside R (issue 23, item 6).

    .venv/bin/python bench/bench_signals.py [--trials 30] [--terms 400] [--repeat 5]

Generates a review of ``--trials`` trials and ``--terms`` terms (seeded): arms of 50 to 400
patients, terms in the 27 MedDRA organ systems with risks from 0.1% to 30% (most rare), each
trial reporting a term for both arms with probability 0.6 (so terms are absent from some
trials), zeros common. Times, in this process (no interpreter start-up, no drawing), the
kernel of ``ae_signals.csv``: stacking the terms' trials, the MH odds ratios, the exact
conditional and mid-p tests, BH and the double FDR (:func:`raremeta.analysis.signals.screen`),
best of ``--repeat``. Then runs ``bench/signals_kernel.R`` on the same counts, which times (inside
R, excluding start-up and reading) per-term ``mantelhaen.test(exact = TRUE)`` / ``fisher.test``
and ``p.adjust(method = "BH")``, and prints both and their ratio. The issue asks for the Python
kernel within 2x of R. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from raremeta.analysis.signals import SignalSettings, TermStrata, screen
from raremeta.io.organ_systems import soc_mapping

HERE = Path(__file__).resolve().parent


def generate(trials: int, terms: int, seed: int = 23) -> list[TermStrata]:
    """The generated review (module docstring), as the screen's input."""
    rng = np.random.default_rng(seed)
    socs = soc_mapping().names
    n1 = rng.integers(50, 401, trials)
    n2 = rng.integers(50, 401, trials)
    risk = np.exp(rng.uniform(np.log(0.001), np.log(0.3), terms))
    odds_ratio = np.where(rng.random(terms) < 0.02, 3.0, 1.0)  # a few planted signals
    out = []
    for i in range(terms):
        reported = np.flatnonzero(rng.random(trials) < 0.6)
        p2 = risk[i]
        odds = odds_ratio[i] * p2 / (1 - p2)
        p1 = odds / (1 + odds)
        a = rng.binomial(n1[reported], p1)
        c = rng.binomial(n2[reported], p2)
        out.append(
            TermStrata(
                f"Term {i:03d}",
                "",
                socs[i % len(socs)],
                "",
                tuple(f"t{j:02d}" for j in reported),
                tuple(int(x) for x in a),
                tuple(int(x) for x in n1[reported]),
                tuple(int(x) for x in c),
                tuple(int(x) for x in n2[reported]),
            )
        )
    return out


def write_counts(terms: list[TermStrata], path: Path) -> None:
    lines = ["term,organ_system,trial,a,n1,c,n2"]
    for t in terms:
        for row in zip(t.studies, t.ai, t.n1i, t.ci, t.n2i, strict=True):
            lines.append(f'"{t.term}","{t.organ_system}",{",".join(map(str, row))}')
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--terms", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    terms = generate(args.trials, args.terms)
    settings = SignalSettings.of(None)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        rows = screen(terms, settings)
        times.append(time.perf_counter() - start)
    python = min(times)
    flagged = sum(r["flag_bh"] for r in rows)
    cells = sum(len(t.studies) for t in terms)
    print(
        f"signal kernel, {args.trials} trials x {args.terms} terms ({cells} term-trial tables): "
        f"Python {python:.3f} s (best of {args.repeat}); {flagged} BH flags"
    )
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: no R comparison")
        return
    with tempfile.TemporaryDirectory() as tmp:
        counts = Path(tmp) / "counts.csv"
        write_counts(terms, counts)
        done = subprocess.run(
            [rscript, str(HERE / "signals_kernel.R"), str(counts), str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
    r_seconds = float(done.stdout.strip().splitlines()[-1])
    print(
        f"R mantelhaen.test/fisher.test + p.adjust: {r_seconds:.3f} s (best of {args.repeat}); "
        f"Python / R = {python / r_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
