"""Pipeline benchmarks (issues 6 and 12): seed analysis and a synthetic living review.

Measures wall time and peak memory (the largest child process, resource.getrusage) of
`snakemake --cores 2` from clean, beside an R metafor script on the same data
(`bench/r_pipeline.R`, ratio printed), planning it (`snakemake -n`), a no-op rerun, and adding
one study that reports 2 of the outcomes: the jobs `snakemake -n` plans, the rerun's time, and
whether the other outcomes' files (their tables and figures) were left untouched.

    python bench/bench_pipeline.py --studies 300 --outcomes 40
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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
#: A file of one outcome: its results tables and its figures.
OUTCOME_FILE = re.compile(
    r"results/(?:outcomes/(?P<outcome>ae\d+)/[^/]+"
    r"|figures/(?:forest|incidence|cumulative|subgroups)_(?P<figure>ae\d+)\.\w+)"
)


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


def state(project: Path) -> dict[str, tuple[int, bytes]]:
    """(mtime, sha256) of every file under results/ and data/processed/."""
    import hashlib

    out = {}
    for folder in ("results", "data/processed"):
        for p in sorted((project / folder).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(project))] = (
                    p.stat().st_mtime_ns,
                    hashlib.sha256(p.read_bytes()).digest(),
                )
    return out


def add_study(project: Path, template: str, outcomes: tuple[int, int]) -> Path:
    """Add ``trial-new``, a copy of ``template``'s arms reporting exactly two outcomes."""
    folder = project / "data" / "raw" / "trial-new"
    folder.mkdir()
    text = (project / "data" / "raw" / template / "study.yaml").read_text()
    (folder / "study.yaml").write_text(text.replace(f"id: {template}", "id: trial-new"))
    arms = re.findall(r"- id: (\S+)\n\s+label: .*\n\s+role: (\S+)", text)
    rows = ["arm,term,events,source"]
    for j in outcomes:
        rows += [
            f"{arm},Event term {j},{1 if role == 'cni' else 0},new trial" for arm, role in arms
        ]
    (folder / "adverse_events.csv").write_text("\n".join(rows) + "\n")
    return folder


def r_pipeline(project: Path) -> float | None:
    """Seconds the R metafor script takes on the project's harmonised data (None without R)."""
    if shutil.which("Rscript") is None:
        print("R side skipped: Rscript not found")
        return None
    start = time.perf_counter()
    done = subprocess.run(
        [
            "Rscript",
            str(ROOT / "bench" / "r_pipeline.R"),
            str(project / "data" / "processed" / "harmonised.csv"),
            str(project / "r-figures"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"R side failed: {done.stderr[-500:]}")
        return None
    return time.perf_counter() - start


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
        wall, _, _ = run(big, "-n", "--quiet")
        print(f"planning it (snakemake -n, never run): {wall:.2f} s")
        wall, peak, _ = run(big, "--quiet")
        print(
            f"synthetic {args.studies} studies x {args.outcomes} outcomes from clean: "
            f"{wall:.1f} s wall, peak {peak:.0f} MiB (target: under 60 s, 2048 MiB)"
        )
        r_wall = r_pipeline(big)
        if r_wall is not None:
            print(
                f"R metafor script on the same data (rma.mh + rma REML + one forest PNG per "
                f"outcome): {r_wall:.1f} s; raremeta / R = {wall / r_wall:.1f}x"
            )
        wall, _, _ = run(big, "--quiet")
        print(f"no-op rerun: {wall:.2f} s (target: under 2 s)")
        before = state(big)
        add_study(big, ids[0], (1, 2))
        _, _, out = run(big, "-n", "--quiet", "rules")
        lines = out.splitlines()
        start = lines.index("Job stats:") if "Job stats:" in lines else 0
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("total")), -1)
        print("adding one study that reports 2 outcomes plans (snakemake -n):")
        print("\n".join("    " + line for line in lines[start : end + 1] if line.strip()))
        wall, peak, _ = run(big, "--quiet")
        after = state(big)
        # the other outcomes' own files: their tables and figures (the review-wide ones, such
        # as the reporting matrix, the signal screen and the PRISMA flow, rerun by design)
        new = ("ae001", "ae002")
        others = [
            path
            for path in before
            if (m := OUTCOME_FILE.fullmatch(path)) is not None
            and (m["outcome"] or m["figure"]) not in new
        ]
        touched = [path for path in others if after.get(path) != before[path]]
        print(
            f"adding it: {wall:.1f} s wall, peak {peak:.0f} MiB (target: under 15 s); "
            f"{len(others) - len(touched)} of {len(others)} files of the other outcomes untouched"
        )


if __name__ == "__main__":
    main()
