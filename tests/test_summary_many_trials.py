"""Issue 20, items 9 and 13: a generated many-trial case with unequal allocation and differing
baseline risks, run through the real workflow.

Design (hand computation, the expected values below):

- 6 trials of type A, high baseline risk, allocation 1:4: CNI 30/100 (30%) vs comparator
  100/400 (25%), risk difference +5 percentage points;
- 6 trials of type B, low baseline risk, allocation 4:1: CNI 24/400 (6%) vs comparator 5/100
  (5%), risk difference +1 point;
- 1 trial without events, 0/50 vs 0/50 (in the comparison; no Mantel-Haenszel odds ratio term).

Every trial shows more events with CNI, but the crude risks summed over the trials point the
other way (Simpson's paradox; Altman and Deeks, BMJ 2002;325:1241): CNI 324/3050 = 106.2 per
1,000 vs comparator 630/3050 = 206.6 per 1,000. The Mantel-Haenszel risk difference weights
each trial by n1 n0 / N: 100*400/500 = 80 for types A and B, 50*50/100 = 25 for the empty
trial, so RD = (6*80*0.05 + 6*80*0.01 + 25*0) / (12*80 + 25) = 28.8 / 985 = 29.24 per 1,000.
Mantel-Haenszel odds ratio: type A a d / N = 30*300/500 = 18, b c / N = 70*100/500 = 14;
type B 24*95/500 = 4.56 and 376*5/500 = 3.76; OR = 6*22.56 / (6*17.76) = 1.270 (the empty
trial adds 0 to both sums).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_snakemake

pytestmark = pytest.mark.pipeline

TRIALS = [
    *[("a", 30, 100, 100, 400)] * 6,
    *[("b", 24, 400, 5, 100)] * 6,
    ("z", 0, 50, 0, 50),
]


def _project(root: Path) -> Path:
    (root / "config.yaml").write_text(
        yaml.safe_dump({"outcomes": {"ae": {"label": "Adverse event", "terms": ["Event"]}}})
    )
    for i, (kind, e1, n1, e0, n0) in enumerate(TRIALS):
        folder = root / "data" / "raw" / f"trial-{i:02d}"
        folder.mkdir(parents=True)
        study = {
            "id": f"trial-{i:02d}",
            "label": f"Trial {i:02d} ({kind})",
            "citation": "synthetic",
            "year": 2020,
            "data_as_of": "2026-12-01",
            "arms": [
                {"id": "t", "label": "T", "role": "cni", "drug": "tacrolimus", "n": n1,
                 "n_basis": "synthetic"},
                {"id": "c", "label": "C", "role": "comparator", "drug": "MMF", "n": n0,
                 "n_basis": "synthetic"},
            ],
        }  # fmt: skip
        (folder / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
        (folder / "adverse_events.csv").write_text(
            "arm,term,events,source,location,quote,source_kind,serious\n"
            f"t,Event,{e1},synthetic,table 1,{e1} events,primary,\n"
            f"c,Event,{e0},synthetic,table 1,{e0} events,primary,\n"
        )
    return root


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> str:
    project = _project(tmp_path_factory.mktemp("simpson"))
    result = run_snakemake(project, "results/tables/summary.md", timeout=600, quiet=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return (project / "results/tables/summary.md").read_text(encoding="utf-8")


def _rows(text: str) -> dict[str, str]:
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return {r[0][2:]: r[1][:-2] for r in rows if len(r) == 2}


def test_the_stratified_difference_leads_and_crude_risks_are_labelled(summary):
    paragraph = summary.split("## Adverse event")[1].split("| |")[0]
    # MH odds ratio 1.270 (hand computation above) is the primary (rule (b))
    assert "the odds ratio (Mantel-Haenszel, common effect, chosen by the rule" in paragraph
    assert "was 1.27 \\[" in paragraph
    # the stratified difference, 29.2 per 1,000, leads the absolute effects; no crude risk in
    # the paragraph, whose pooled figures would point the other way
    assert "The risk difference, stratified by trial, was 29.2 \\[" in paragraph
    assert "106" not in paragraph and "207" not in paragraph
    rows = _rows(summary)
    crude = rows[
        "Risk per 1,000 patients, crude (summed over the trials; not a randomised comparison)"
    ]
    # 324/3050 = 106.2 and 630/3050 = 206.6 per 1,000: shown only under that label
    assert crude.startswith("106 \\[") and " vs 207 \\[" in crude
    # the block's last line (the patient-characteristics section follows the outcome blocks)
    block = summary.split("## Adverse event")[1].split("\n## ")[0]
    assert "excess of up to" in block.rstrip().splitlines()[-1]


def test_one_set_of_numbers_per_block(summary):
    paragraph = summary.split("## Adverse event")[1].split("| |")[0]
    rows = _rows(summary)
    # 13 trials in the comparison, 324/3050 vs 630/3050 (all of them); the MH odds ratio uses
    # the 12 with events, and the paragraph names both sets
    assert rows["Trials in the comparison"].startswith("13 of 13 reporting it (6100 patients)")
    assert rows["Events, CNI (all trials in the comparison)"] == "324/3050"
    assert rows["Events, comparator (all trials in the comparison)"] == "630/3050"
    assert "the 12 of 13 trials in the comparison that it uses" in paragraph
    assert "(324/3000 CNI vs 630/3000 comparator patients; all 13 trials: 324/3050" in paragraph
    assert rows["Trials the primary method used"].startswith("12 (324/3000 CNI")
    # one value shared by every trial is summarised, not listed 13 times
    assert rows["Source of the counts; follow-up (trials reporting it)"] == (
        "13 trials: trial report, follow-up not stated"
    )
