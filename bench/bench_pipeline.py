"""Pipeline benchmarks (issue 6): seed analysis and a synthetic living review, from clean.

Measures wall time and peak memory (of the whole process tree, via GNU time where present,
else resource.getrusage of the children) of `snakemake --cores 2`, a no-op rerun, and which
jobs adding one study reruns (`snakemake -n`).

    python bench/bench_pipeline.py --studies 300 --outcomes 40
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def run(project: Path, *args: str) -> tuple[float, float, str]:
    """Run snakemake; return (wall seconds, peak RSS MiB of the largest child, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "-d", str(project), "--cores", "2", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return wall, peak, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=300)
    parser.add_argument("--outcomes", type=int, default=40)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed"
        (seed / "data").mkdir(parents=True)
        shutil.copy(ROOT / "config.yaml", seed / "config.yaml")
        shutil.copytree(ROOT / "data" / "raw", seed / "data" / "raw")
        wall, peak, _ = run(seed, "--quiet")
        print(
            f"seed analysis from clean: {wall:.1f} s wall, peak {peak:.0f} MiB (target: under 10 s)"
        )
        big = Path(tmp) / "big"
        ids = generate(big, args.studies, args.outcomes, seed=1)
        wall, peak, _ = run(big, "--quiet")
        print(
            f"synthetic {args.studies} studies x {args.outcomes} outcomes from clean: "
            f"{wall:.1f} s wall, peak {peak:.0f} MiB (target: under 60 s, 2048 MiB)"
        )
        wall, _, _ = run(big, "--quiet")
        print(f"no-op rerun: {wall:.2f} s (target: under 2 s)")
        extra = big / "data" / "raw" / "trial-new"
        shutil.copytree(big / "data" / "raw" / ids[0], extra)
        (extra / "study.yaml").write_text(
            (extra / "study.yaml").read_text().replace(f"id: {ids[0]}", "id: trial-new")
        )
        _, _, out = run(big, "-n", "--quiet", "rules")
        lines = out.splitlines()
        start = lines.index("Job stats:") if "Job stats:" in lines else 0
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("total")), -1)
        print("adding one study reruns (job list of snakemake -n):")
        print("\n".join("    " + line for line in lines[start : end + 1] if line.strip()))


if __name__ == "__main__":
    main()
