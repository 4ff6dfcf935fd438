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
