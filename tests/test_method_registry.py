"""The method registry (issue 19, item 1): one description per method, read by every layer.

- every registry entry has its words (analysis/wording.py) and its R call or a stated reason
  for having none (bench/r_calls.py); the config schema's enums are the registry's;
- reading the registry (figure jobs do) imports no scipy, and every kernel lies in the core;
- no method name is written as a literal in more than four modules;
- the proof: a toy method registered at run time (tests/toy_method.py) appears in the pooled
  table, the study weights, a sensitivity analysis, the forest plot, the summary, the methods
  paragraph and the codebook, with no other source edit.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from raremeta.analysis import wording
from raremeta.stats import registry
from raremeta.stats.registry import (
    EstimateKind,
    IntervalKind,
    Method,
    PValueKind,
    ZeroCells,
)

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from r_calls import R_CALLS, NoRCounterpart  # noqa: E402


def test_every_method_has_its_words_and_its_r_call():
    assert set(wording.METHOD_WORDS) == set(registry.METHODS)
    for name, words in wording.METHOD_WORDS.items():
        assert words.label and words.estimator and words.interval and words.p_value, name
        # a sentence of its own, or another method's that covers it (never silently none)
        assert words.sentence or wording.METHOD_WORDS[words.sentence_with].sentence, name
    assert set(R_CALLS) == set(registry.METHODS)
    for name, call in R_CALLS.items():
        if isinstance(call, NoRCounterpart):
            assert len(call.reason) > 20, f"{name}: say why there is no R counterpart"


def test_the_config_schema_enums_are_the_registry():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    methods = schema["properties"]["methods"]
    assert methods["items"]["enum"] == list(registry.families())
    assert set(methods["default"]) <= set(registry.families())
    method = schema["$defs"]["primary_method"]["properties"]["method"]
    assert method["enum"] == list(registry.METHODS)


def test_reading_the_registry_imports_no_scipy_and_kernels_are_in_the_core():
    code = (
        "import sys, raremeta.stats.registry, raremeta.report.outcome_figures, "
        "raremeta.report.summary; assert 'scipy' not in sys.modules, 'scipy imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from raremeta.stats.engine import kernel

    for name, entry in registry.METHODS.items():
        assert entry.kernel.startswith("raremeta.stats."), name
        assert callable(kernel(name))


def test_an_unknown_method_is_a_clear_error():
    from raremeta.stats.engine import kernel

    with pytest.raises(ValueError, match="unknown method 'Bayes'; registered: MH, Peto"):
        kernel("Bayes")


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_no_method_name_is_a_literal_outside_its_four_modules():
    # registry, kernel, wording table, bench table (issue 19, "Done when")
    modules = sorted((ROOT / "workflow" / "raremeta").rglob("*.py")) + sorted(
        (ROOT / "bench").glob("*.py")
    )
    constants = {m.relative_to(ROOT).as_posix(): _string_constants(m) for m in modules}
    for name, entry in registry.METHODS.items():
        kernel = "workflow/" + entry.kernel.split(":")[0].replace(".", "/") + ".py"
        allowed = {
            "workflow/raremeta/stats/registry.py",
            "workflow/raremeta/analysis/wording.py",
            "bench/r_calls.py",
            kernel,
        }
        where = {m for m, c in constants.items() if name in c}
        assert where <= allowed, f"{name!r} is a literal in {sorted(where - allowed)}"


TOY = Method(
    "toy",
    registry.MH,  # turned on with the MH family, as mid-p is with "exact"
    "toy_method:toy_fits",
    (("RD", registry.COMMON, ""),),
    ZeroCells.NOT_NEEDED,
    frozenset({"RD"}),
    "weight_toy",
    EstimateKind.OTHER,
    IntervalKind.OTHER,
    PValueKind.NONE,
    shown=(("RD", registry.COMMON, "", 9),),
    extra_columns=("toy_total_events",),
    variants=(("toy_sensitivity", "toy, every study", registry.MethodSpec("RD", "toy")),),
)
TOY_WORDS = wording.MethodWords(
    "Toy crude difference",
    "toy estimator",
    "none",
    "none",
    "the toy crude risk difference (Nobody 2026)",
    "toy crude risk difference",
    columns=(("toy_total_events", "Events in both arms, summed (toy)."),),
)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(registry.METHODS, "toy", TOY)
    monkeypatch.setitem(wording.METHOD_WORDS, "toy", TOY_WORDS)
    monkeypatch.setitem(wording.ANALYSIS_LABELS, "toy_sensitivity", "toy analysis")
    monkeypatch.setitem(wording.ANALYSIS_SENTENCES, "toy_sensitivity", "a toy sensitivity check")


def test_a_method_registered_at_run_time_appears_everywhere(toy, tmp_path):
    from raremeta.report.outcome_figures import forest_for_outcome
    from raremeta.steps.figures import run_outcome_figure
    from raremeta.steps.pool import TABLES, run_pool
    from raremeta.steps.summary import run_summary

    processed = ROOT / "data" / "processed"
    outputs = {name: tmp_path / f"{name}.csv" for name in TABLES}
    run_pool(
        processed / "harmonised.csv",
        processed / "harmonised_alternative_multi_arm.csv",
        ROOT / "config.yaml",
        outputs,
    )
    pooled = pd.read_csv(outputs["pooled"])
    toy_rows = pooled[pooled["method"] == "toy"].set_index("outcome")
    # the seed's counts in the comparison (results/tables/pooled_effects.csv, MH rows): PRES
    # AURA-LV 4/177 vs 0/88; seizures Liu 2015 1/181 vs 0/181
    assert toy_rows.loc["pres", "estimate"] == pytest.approx(4 / 177 - 0 / 88, rel=1e-9)
    assert toy_rows.loc["seizure", "estimate"] == pytest.approx(1 / 181, rel=1e-9)
    assert list(toy_rows.loc[["pres", "seizure"], "toy_total_events"]) == [4, 1]
    # issue 20: TMA and hypertension are reported by no seed trial: no study, no total
    assert toy_rows.loc[["tma", "hypertension"], "toy_total_events"].isna().all()
    assert set(toy_rows["estimator"]) == {"toy estimator"}
    assert pooled.columns[-1] == "toy_total_events"
    studies = pd.read_csv(outputs["studies"])
    aura = studies[(studies["outcome"] == "pres") & studies["included"]].iloc[0]
    assert aura["weight_toy"] == 100
    sens = pd.read_csv(outputs["sensitivity"])
    row = sens[sens["analysis_code"] == "toy_sensitivity"]
    assert list(row["analysis"]) == ["toy analysis"] * 2
    assert list(row["variant"]) == ["toy, every study"] * 2

    fig = forest_for_outcome("pres", "PRES", pooled, studies)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "RD, Toy crude difference" in texts
    forest = [tmp_path / "forest_pres.png", tmp_path / "forest_pres.svg"]
    run_outcome_figure("forest", "pres", "PRES", outputs, forest)  # the figures step
    assert all(p.stat().st_size > 1000 for p in forest)

    out = {n: tmp_path / n for n in ("s.md", "s.html", "s.tex", "methods.md", "codebook.md")}
    run_summary(
        outputs["pooled"],
        outputs["rates"],
        outputs["studies"],
        outputs["sensitivity"],
        outputs["absolute"],
        ROOT / "config.yaml",
        out["s.md"],
        out["s.html"],
        out["s.tex"],
        out["methods.md"],
        out["codebook.md"],
    )
    summary = out["s.md"].read_text().splitlines()
    # 4/177 - 0/88 = 22.6 per 1,000 (PRES), 1/181 = 5.52 per 1,000 (seizures), at the
    # summary's precision and unit; the toy has no interval
    assert "| RD, Toy crude difference | 22.6 \\[-, -\\] per 1,000 |" in summary
    assert "| RD, Toy crude difference | 5.52 \\[-, -\\] per 1,000 |" in summary
    methods = out["methods.md"].read_text()
    assert "the toy crude risk difference (Nobody 2026)" in methods
    assert "a toy sensitivity check" in methods
    codebook = out["codebook.md"].read_text()
    assert "or toy (toy crude risk difference)." in codebook
    assert "| `toy_total_events` | Events in both arms, summed (toy). |" in codebook
    assert "| `weight_toy` | Weight (%) of the study in the RD toy common pooled estimate; " in (
        codebook
    )
    assert "`toy_sensitivity` (toy analysis)" in codebook


def test_every_analysis_has_its_label_and_sentence():
    from raremeta.analysis.table_keys import AnalysisCode

    assert set(wording.ANALYSIS_LABELS) == set(AnalysisCode)
    # the row saying no study is comparable is no analysis of its own: no sentence
    assert set(wording.ANALYSIS_SENTENCES) == set(AnalysisCode) - {AnalysisCode.NO_COMPARABLE_STUDY}
