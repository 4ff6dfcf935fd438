"""Seeded synthetic living-review data in the raw-data format (issue 6).

Writes ``<out>/config.yaml`` and ``<out>/data/raw/<study>/{study.yaml,adverse_events.csv}`` for
N studies by M outcomes: baseline risks from 0.1% to 5% (log-uniform), odds ratios around 1.5,
arms of 20 to 400 patients, about 15% three-arm trials (two CNI doses), each outcome reported by
about 70% of trials and, in about 5% of reporting trials, by the CNI arm only.

With ``--extra-terms K`` (issue 23, item 6) each review also gets K registry-like terms that no
outcome configures, as a registry import brings them: ``adverse_events.csv`` gains an
``organ_system`` column (the 27 MedDRA system organ class names of
:mod:`raremeta.io.organ_systems`, term ``k`` in SOC ``k mod 27``; the configured outcomes' rows
leave it empty, "unclassified"), comparator risks from 0.1% to 30% (log-uniform, so most are rare
and zeros common), each trial reporting a term for every arm with probability 0.6 (so terms are
absent from some trials) and about 2% of the terms planted as signals (odds ratio 4 in the CNI
arms). The extra terms are drawn from their own random stream, after the configured outcomes', so
``--extra-terms 0`` (the default) writes byte for byte what the generator wrote before.

    python bench/generate.py OUT --studies 300 --outcomes 40 --seed 1
    python bench/generate.py OUT --studies 30 --outcomes 4 --extra-terms 400 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
import yaml

#: The planted signals' odds ratio and share of the extra terms (module docstring).
PLANTED_ODDS_RATIO = 4.0
PLANTED_SHARE = 0.02
#: The probability that a trial reports an extra term (for every arm).
REPORTED_SHARE = 0.6


def extra_term_name(k: int) -> str:
    """The name of extra term ``k`` (never a configured outcome's term)."""
    return f"Registry term {k:04d}"


def generate(
    out: Path, n_studies: int, n_outcomes: int, seed: int = 1, extra_terms: int = 0
) -> list[str]:
    """Write the project and return the study ids (``extra_terms``: module docstring)."""
    rng = np.random.default_rng(seed)
    extra = _ExtraTerms(extra_terms, seed) if extra_terms else None
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
        if extra is not None:
            lines = extra.rows(lines, arms)
        (d / "adverse_events.csv").write_text("\n".join(lines) + "\n")
    return ids


class _ExtraTerms:
    """The registry-like unconfigured terms of :func:`generate` (module docstring)."""

    def __init__(self, n_terms: int, seed: int) -> None:
        # imported here: the generator without --extra-terms needs no raremeta
        from raremeta.io.organ_systems import soc_mapping

        # a stream of its own (a child of the seed), so the configured outcomes' draws are
        # those of a run without extra terms
        self.rng = np.random.default_rng([seed, 23])
        socs = soc_mapping().names
        self.organs = [socs[k % len(socs)] for k in range(n_terms)]
        self.names = [extra_term_name(k) for k in range(n_terms)]
        risk = np.exp(self.rng.uniform(np.log(0.001), np.log(0.3), n_terms))
        planted = self.rng.random(n_terms) < PLANTED_SHARE
        self.planted = [name for name, p in zip(self.names, planted, strict=True) if p]
        odds = np.where(planted, PLANTED_ODDS_RATIO, 1.0) * risk / (1 - risk)
        self.risk = {"comparator": risk, "cni": odds / (1 + odds)}

    def rows(self, lines: list[str], arms: list[dict]) -> list[str]:
        """The study's configured rows (``lines``, CSV without organ systems) with an empty
        ``organ_system`` appended, then its extra terms' rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["arm", "term", "events", "source", "organ_system"])
        for line in lines[1:]:
            writer.writerow([*line.split(","), ""])
        reported = np.flatnonzero(self.rng.random(len(self.names)) < REPORTED_SHARE)
        for arm in arms:
            events = self.rng.binomial(arm["n"], self.risk[arm["role"]][reported])
            for k, count in zip(reported, events, strict=True):
                writer.writerow(
                    [arm["id"], self.names[k], int(count), "registry table", self.organs[k]]
                )
        return buffer.getvalue().rstrip("\n").split("\n")


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
    parser.add_argument(
        "--extra-terms",
        type=int,
        default=0,
        help="unconfigured registry-like terms per review, with organ systems (default 0)",
    )
    args = parser.parse_args()
    generate(args.out, args.studies, args.outcomes, args.seed, args.extra_terms)


if __name__ == "__main__":
    main()
