"""Seeded synthetic living-review data in the raw-data format (issue 6).

Writes ``<out>/config.yaml`` and ``<out>/data/raw/<study>/{study.yaml,adverse_events.csv}`` for
N studies by M outcomes: baseline risks from 0.1% to 5% (log-uniform), odds ratios around 1.5,
arms of 20 to 400 patients, about 15% three-arm trials (two CNI doses), each outcome reported by
about 70% of trials and, in about 5% of reporting trials, by the CNI arm only.

    python bench/generate.py OUT --studies 300 --outcomes 40 --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml


def generate(out: Path, n_studies: int, n_outcomes: int, seed: int = 1) -> list[str]:
    """Write the project and return the study ids."""
    rng = np.random.default_rng(seed)
    raw = out / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    outcomes = {
        f"ae{j:03d}": {
            "label": f"Adverse event {j}",
            "terms": [f"Event term {j}", f"Event synonym {j}"],
        }
        for j in range(n_outcomes)
    }
    (out / "config.yaml").write_text(yaml.safe_dump({"outcomes": outcomes}, sort_keys=False))
    base = np.exp(rng.uniform(np.log(0.001), np.log(0.05), n_outcomes))
    log_or = rng.normal(np.log(1.5), 0.5, n_outcomes)
    ids = []
    for i in range(n_studies):
        sid = f"trial-{i:04d}"
        ids.append(sid)
        arms = [
            {
                "id": "cni",
                "label": "CNI",
                "role": "cni",
                "drug": "tacrolimus",
                "n": int(rng.integers(20, 400)),
                "n_basis": "synthetic",
            }
        ]
        if rng.random() < 0.15:
            arms.append(
                {
                    "id": "cni-high",
                    "label": "CNI high dose",
                    "role": "cni",
                    "drug": "tacrolimus",
                    "n": int(rng.integers(20, 400)),
                    "n_basis": "synthetic",
                }
            )
        arms.append(
            {
                "id": "ctl",
                "label": "Control",
                "role": "comparator",
                "drug": "placebo",
                "n": int(rng.integers(20, 400)),
                "n_basis": "synthetic",
            }
        )
        d = raw / sid
        d.mkdir(exist_ok=True)
        (d / "study.yaml").write_text(
            yaml.safe_dump(
                {
                    "id": sid,
                    "label": f"Synthetic trial {i}",
                    "citation": f"Synthetic {seed}/{i}",
                    "year": 2000 + i % 30,
                    "arms": arms,
                },
                sort_keys=False,
            )
        )
        lines = ["arm,term,events,source"]
        for j in range(n_outcomes):
            if rng.random() > 0.7:
                continue
            only_cni = rng.random() < 0.05
            term = outcomes[f"ae{j:03d}"]["terms"][int(rng.random() < 0.3)]
            for arm in arms:
                if only_cni and arm["role"] == "comparator":
                    continue
                logit = (
                    np.log(base[j] / (1 - base[j]))
                    + (log_or[j] if arm["role"] == "cni" else 0)
                    + rng.normal(0, 0.3)
                )
                events = int(rng.binomial(arm["n"], 1 / (1 + np.exp(-logit))))
                lines.append(f"{arm['id']},{term},{events},synthetic table {j}")
        if len(lines) == 1:
            lines.append("cni,Event term 0,0,synthetic table 0")
        (d / "adverse_events.csv").write_text("\n".join(lines) + "\n")
    return ids


def harmonised_project(out: Path, n_studies: int, n_outcomes: int, seed: int = 1) -> dict:
    """Generate a project and harmonise it in-process (no Snakemake), for profiling and tests.

    Returns the paths of the config, the harmonised tables and where ``run_pool`` should write
    the results tables (keys ``raremeta.steps.pool.TABLES``).
    """
    from dataclasses import replace

    from raremeta.harmonise.outcome_rows import harmonise
    from raremeta.io.analysis_config import load_config
    from raremeta.io.raw_studies import load_studies
    from raremeta.io.writing import write_csv
    from raremeta.steps.pool import TABLES

    generate(out, n_studies, n_outcomes, seed)
    paths = {
        "config": out / "config.yaml",
        "harmonised": out / "data" / "processed" / "harmonised.csv",
        "alternative": out / "data" / "processed" / "alternative.csv",
        **{name: out / f"{name}.csv" for name in TABLES},
    }
    config = load_config(paths["config"])
    studies = load_studies(out / "data" / "raw")
    write_csv(harmonise(studies, config)[0], paths["harmonised"])
    alternative = replace(config, multi_arm=config.other_multi_arm)
    write_csv(harmonise(studies, alternative)[0], paths["alternative"])
    return paths


def pool_tables(paths: dict) -> None:
    """Run ``run_pool`` on a :func:`harmonised_project`."""
    from raremeta.steps.pool import TABLES, run_pool

    run_pool(
        paths["harmonised"],
        paths["alternative"],
        paths["config"],
        {name: paths[name] for name in TABLES},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--studies", type=int, default=300)
    parser.add_argument("--outcomes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.studies, args.outcomes, args.seed)


if __name__ == "__main__":
    main()
