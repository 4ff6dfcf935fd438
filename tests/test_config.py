from __future__ import annotations

from pathlib import Path

import pytest

from raremeta.analysis.configuration import load_config, parse_config
from raremeta.io.errors import InvalidInputError

ROOT = Path(__file__).resolve().parents[1]


def test_project_config_has_pres_and_seizure():
    config = load_config(ROOT / "config.yaml")
    # issue 20, item 18: TMA and hypertension added
    assert [o.id for o in config.outcomes] == ["pres", "seizure", "tma", "hypertension"]
    assert config.multi_arm == "combine"
    assert config.outcome("pres").primary is None  # primary: auto, the README's rule
    # synonyms required by issue 2
    assert "reversible posterior leukoencephalopathy syndrome" in config.outcome("pres").keys
    for term in (
        "convulsion",
        "epilepsy",
        "status epilepticus",
        "generalized tonic clonic seizure",
    ):
        assert term in config.outcome("seizure").keys


def _errors(doc) -> list[str]:
    with pytest.raises(InvalidInputError) as err:
        parse_config(doc)
    return [str(p) for p in err.value.problems]


def test_unknown_key_rejected_by_name():
    doc = {"outcomes": {"pres": {"label": "P", "terms": ["PRES"]}}, "cores": 4}
    assert any("'cores' was unexpected" in m for m in _errors(doc))


def test_outcome_without_terms_rejected():
    assert any(
        "outcomes.pres.terms" in m
        for m in _errors({"outcomes": {"pres": {"label": "P", "terms": []}}})
    )


def test_term_claimed_by_two_outcomes_rejected():
    doc = {
        "outcomes": {
            "a": {"label": "A", "terms": ["Seizure"]},
            "b": {"label": "B", "terms": ["seizure "]},
        }
    }
    [message] = _errors(doc)
    assert "outcomes.b.terms[0]" in message and "already claimed by outcome 'a'" in message


def test_impossible_primary_rejected():
    doc = {
        "outcomes": {"a": {"label": "A", "terms": ["x"]}},
        "primary": {"measure": "RR", "method": "Peto", "model": "common"},
    }
    assert any("Peto estimates odds ratios only" in m for m in _errors(doc))


def test_per_outcome_primary_overrides():
    doc = {
        "outcomes": {
            "a": {
                "label": "A",
                "terms": ["x"],
                "primary": {"measure": "RD", "method": "MH", "model": "common"},
            },
            "b": {"label": "B", "terms": ["y"]},
        },
        "primary": {"measure": "OR", "method": "IV", "model": "random", "tau2_estimator": "REML"},
    }
    config = parse_config(doc)
    assert config.outcome("a").primary.key == ("RD", "MH", "common", "")
    assert config.outcome("b").primary.key == ("OR", "IV", "random", "REML")


def test_primary_defaults_to_the_rule_and_an_outcome_may_opt_out():
    doc = {
        "outcomes": {
            "a": {"label": "A", "terms": ["x"]},
            "b": {
                "label": "B",
                "terms": ["y"],
                "primary": {"measure": "OR", "method": "Firth", "model": "common"},
            },
            "c": {"label": "C", "terms": ["z"], "primary": "auto"},
        },
    }
    config = parse_config(doc)  # no top-level primary: the schema default, auto
    assert config.outcome("a").primary is None and config.outcome("c").primary is None
    assert config.outcome("b").primary.key == ("OR", "Firth", "common", "")


def test_auto_needs_the_methods_it_chooses_from():
    doc = {"outcomes": {"a": {"label": "A", "terms": ["x"]}}, "methods": ["MH", "IV"]}
    errors = _errors(doc)
    assert len(errors) == 2  # one per missing family, naming it and the outcomes
    assert all("primary: auto (outcomes a)" in e for e in errors)
    assert any("value 'Firth'" in e for e in errors) and any("value 'MN'" in e for e in errors)


@pytest.mark.parametrize(
    ("measure", "method", "message"),
    [
        ("RR", "Firth", "Firth estimates odds ratios only"),
        ("RD", "exact-conditional", "exact-conditional estimates odds ratios only"),
        ("OR", "MN", "MN estimates risk differences only"),
    ],
)
def test_new_methods_reject_other_measures(measure, method, message):
    doc = {
        "outcomes": {"a": {"label": "A", "terms": ["x"]}},
        "primary": {"measure": measure, "method": method, "model": "common"},
    }
    assert any(message in m for m in _errors(doc))


def test_primary_is_auto_or_a_method():
    doc = {"outcomes": {"a": {"label": "A", "terms": ["x"]}}, "primary": "automatic"}
    assert any("primary" in m for m in _errors(doc))


def test_defaults_are_the_schemas():
    # issue 12, item 1: the defaults are declared once, in workflow/schemas/config.schema.yaml
    import yaml

    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    config = parse_config({"outcomes": {"a": {"label": "A", "terms": ["x"]}}})
    props = schema["properties"]
    assert config.multi_arm == props["multi_arm"]["default"] == "combine"
    assert config.percent_tolerance == props["percent_tolerance"]["default"] == 0.0
    assert list(config.methods) == props["methods"]["default"]
    assert props["primary"]["default"] == "auto" and config.outcome("a").primary is None


def test_role_labels_protocol_and_forest_rows_default_to_the_schemas():
    # issue 20, items 8, 10 and 19: defaults "CNI" / "comparator" (the words), no
    # protocol (so nothing is called pre-specified), no extra forest rows
    config = parse_config({"outcomes": {"a": {"label": "A", "terms": ["x"]}}})
    assert (config.role_labels.cni, config.role_labels.comparator) == ("CNI", "comparator")
    assert config.role_labels.of("comparator") == "comparator"
    assert config.protocol is None and config.forest_rows == ()


def test_role_labels_protocol_and_forest_rows_are_read():
    config = parse_config(
        {
            "outcomes": {"a": {"label": "A", "terms": ["x"]}},
            "roles": {"cni": "JAK inhibitor"},
            "protocol": {"registration": "CRD42026000001", "date": "2026-02-03"},
            "forest_rows": ["Peto", "MH"],
        }
    )
    # a role left out keeps the schema's default
    assert (config.role_labels.cni, config.role_labels.comparator) == (
        "JAK inhibitor",
        "comparator",
    )
    assert (config.protocol.registration, config.protocol.date) == ("CRD42026000001", "2026-02-03")
    assert config.forest_rows == ("Peto", "MH")


@pytest.mark.parametrize(
    ("extra", "column", "value"),
    [
        (
            {"protocol": {"registration": "CRD1", "date": "2026-02-30"}},
            "protocol.date",
            "2026-02-30",
        ),
        ({"protocol": {"registration": "CRD1"}}, "protocol", None),
        ({"roles": {"cni": "   "}}, "roles.cni", "   "),
        ({"roles": {"treatment": "X"}}, "roles", None),
        ({"forest_rows": ["Bayes"]}, "forest_rows[0]", "Bayes"),
    ],
)
def test_bad_roles_protocol_or_forest_rows_are_named(extra, column, value):
    messages = _errors({"outcomes": {"a": {"label": "A", "terms": ["x"]}}, **extra})
    assert any(f"column '{column}'" in m for m in messages), messages
    if value is not None:
        assert any(f"value '{value}'" in m for m in messages), messages
