"""The benchmark tools keep working: the generator writes valid raw data, the engine bench runs
(issue 6). The full benchmarks run with `make bench`, not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from raremeta.io.analysis_config import load_config
from raremeta.io.raw_studies import load_studies

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


def test_generator_writes_a_valid_project_with_the_promised_features(tmp_path):
    ids = generate(tmp_path, n_studies=40, n_outcomes=6, seed=3)
    config = load_config(tmp_path / "config.yaml")
    studies = load_studies(tmp_path / "data" / "raw")
    assert [s.id for s in studies] == ids and len(config.outcomes) == 6
    assert any(len(s.arms) == 3 for s in studies), "some multi-arm trials"
    events = [(tmp_path / "data" / "raw" / i / "adverse_events.csv").read_text() for i in ids]
    assert any(",0," in text for text in events), "zero cells"
    reported = [
        sum(f"Event term {j}" in t or f"Event synonym {j}" in t for t in events) for j in range(6)
    ]
    assert all(0 < r < 40 for r in reported), "every outcome reported by some trials, not all"
    again = tmp_path / "again"
    generate(again, n_studies=40, n_outcomes=6, seed=3)
    assert (again / "data" / "raw" / ids[7] / "adverse_events.csv").read_text() == events[7]


def test_the_r_script_has_every_registry_entry():
    # issue 19, item 7: each method is compared with its R call or says why it has none; R need
    # not be installed to generate the script
    from bench_engine import r_script
    from r_calls import R_CALLS, NoRCounterpart

    from raremeta.stats import registry

    specs = list(registry.primary_set())
    script = r_script(specs)
    assert f"nfit <- {len(specs)}" in script
    lines = script.splitlines()
    for j, spec in enumerate(specs, start=1):
        call = R_CALLS[spec.method]
        if isinstance(call, NoRCounterpart):
            assert f"  # {spec.method}: no R counterpart ({call.reason})" in lines
            continue
        [line] = [x for x in lines if x.startswith(f"  keep(i, {j}, ")]
        # the fit's own measure and estimator are in its call
        if spec.method == "IV":
            r_method = spec.tau2_estimator or "EE"
            assert f'es[["{spec.measure}"]], method = "{r_method}"' in line, line
        elif spec.method == "MH":
            assert f'measure = "{spec.measure}"), "{spec.measure}")' in line, line
    # the calls R has: metafor for the closed forms and the conditional ML, mantelhaen.test for
    # the exact conditional interval, brglm2 for Firth
    for expected in (
        'rma.mh(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = "RD")',
        "rma.peto(",
        'method = "REML"',
        'model = "CM.EL"',
        "mh_exact(x)",
        "firth(x)",
    ):
        assert expected in script


def test_engine_bench_runs_and_skips_r_when_asked(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_engine.py"),
            "--n",
            "30",
            "--n-one",
            "3",
            "--scalar-n",
            "5",
            "--r-n",
            "0",
            "--r-n-one",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "vectorised kernels (18 fits: MH, Peto, IV, Firth, MN)" in done.stdout
    assert "one meta-analysis at a time (3 fits: exact, exact-conditional, mid-p)" in done.stdout
    assert done.stdout.count("skipped") == 2


def test_generator_extra_terms_are_registry_like(tmp_path):
    # issue 23, item 6: --extra-terms adds unconfigured terms with MedDRA organ systems, each
    # trial reporting a term (for every arm) with probability 0.6, and leaves the configured
    # outcomes' rows as the generator wrote them before
    import csv

    from generate import PLANTED_SHARE, REPORTED_SHARE, _ExtraTerms, extra_term_name

    from raremeta.io.organ_systems import soc_mapping

    plain = tmp_path / "plain"
    extra = tmp_path / "extra"
    ids = generate(plain, n_studies=30, n_outcomes=4, seed=1)
    assert generate(extra, n_studies=30, n_outcomes=4, seed=1, extra_terms=400) == ids
    assert (extra / "config.yaml").read_text() == (plain / "config.yaml").read_text()
    socs = set(soc_mapping().names)
    assert len(socs) == 27
    reported = 0
    zeros = 0
    for sid in ids:
        before = (plain / "data/raw" / sid / "adverse_events.csv").read_text().splitlines()
        with (extra / "data/raw" / sid / "adverse_events.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == ["arm", "term", "events", "source", "organ_system"]
        configured = [r for r in rows if not r["term"].startswith("Registry term ")]
        # the configured rows are the plain generator's, organ system empty
        assert [",".join(list(r.values())[:4]) for r in configured] == before[1:]
        assert all(r["organ_system"] == "" for r in configured)
        terms = [r for r in rows if r["term"].startswith("Registry term ")]
        assert {r["organ_system"] for r in terms} <= socs
        arms = {r["arm"] for r in configured} | {r["arm"] for r in terms}
        per_term: dict[str, set[str]] = {}
        for r in terms:
            per_term.setdefault(r["term"], set()).add(r["arm"])
        assert all(a == arms for a in per_term.values()), "a term is given for every arm"
        reported += len(per_term)
        zeros += sum(r["events"] == "0" for r in terms)
    # 30 x 400 = 12,000 draws with p = 0.6: mean 7,200, sd sqrt(12000 * 0.6 * 0.4) = 53.7;
    # 7,200 +- 5 sd
    assert REPORTED_SHARE == 0.6 and 6932 < reported < 7468
    assert zeros > 1000, "zeros common (most comparator risks under 5%)"
    # term k is in SOC k mod 27; the planted share 2% of 400 terms: 8 expected
    assert _ExtraTerms(400, 1).organs[28] == soc_mapping().names[1]
    assert extra_term_name(7) == "Registry term 0007"
    assert PLANTED_SHARE == 0.02 and 1 <= len(_ExtraTerms(400, 1).planted) <= 20
    # the project is valid raw data (the strict loader reads it, organ systems included)
    studies = load_studies(extra / "data" / "raw")
    assert [s.id for s in studies] == ids
