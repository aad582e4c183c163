import pytest

from nbops.core._errors import ConfigError
from nbops.registry._gates import evaluate_gates, failure_lines, parse_gate, parse_gates


def test_parse_forms():
    gates = parse_gates(
        {
            "min_auc": "roc_auc >= 0.75",
            "vs_champion": "roc_auc >= champion - 0.01",
            "brier_vs": "brier <= champion.brier + 0.005",
            "beats_baseline": "roc_auc > baseline_roc_auc",
            "rows": "validate.n_rows >= 500",
        }
    )
    assert [g.kind for g in gates] == ["absolute", "champion", "champion", "absolute", "absolute"]
    assert gates[1].offset == pytest.approx(-0.01)
    assert gates[2].champion_metric == "brier"
    assert gates[1].champion_metric == "roc_auc"
    assert parse_gates(["f1 >= 0.3"])[0].name == "gate_1"
    assert parse_gates(None) == []


@pytest.mark.parametrize(
    "text", ["roc_auc", "roc_auc >>= 1", ">= 0.7", "roc_auc >= champion *2", 3]
)
def test_bad_expression_names_the_gate(text):
    with pytest.raises(ConfigError, match="gate 'g1'.*not a comparison"):
        parse_gate("g1", text)


def test_bad_section_shape():
    with pytest.raises(ConfigError, match="not a mapping"):
        parse_gates("roc_auc >= 0.7")


def test_absolute_and_relative_verdicts():
    gates = parse_gates({"min": "roc_auc >= 0.75", "rel": "roc_auc >= champion - 0.01"})
    verdict, results = evaluate_gates(gates, {"roc_auc": 0.80}, {}, {"roc_auc": 0.805})
    assert verdict == "passed"
    assert results[1].threshold == pytest.approx(0.795)

    verdict, results = evaluate_gates(gates, {"roc_auc": 0.70}, {}, {"roc_auc": 0.85})
    assert verdict == "failed"
    assert [r.verdict for r in results] == ["failed", "failed"]
    lines = failure_lines(results)
    assert "min: roc_auc = 0.7, needs >= 0.75" in lines[0]
    assert "needs >= 0.84 (champion 0.85 - 0.01)" in lines[1]


def test_no_champion_skips_relative_gates_only():
    gates = parse_gates({"min": "roc_auc >= 0.75", "rel": "roc_auc >= champion - 0.01"})
    verdict, results = evaluate_gates(gates, {"roc_auc": 0.8}, {}, None)
    assert verdict == "passed"
    assert results[1].verdict == "skipped"


def test_champion_that_cannot_be_scored_fails_relative_gate():
    gates = parse_gates({"rel": "roc_auc >= champion - 0.01"})
    verdict, results = evaluate_gates(gates, {"roc_auc": 0.8}, {}, None, "schema changed")
    assert verdict == "failed" and results[0].detail == "schema changed"


def test_missing_metric_fails_and_task_metrics_resolve():
    gates = parse_gates({"rows": "validate.n_rows >= 500", "f1": "f1 >= 0.1"})
    verdict, results = evaluate_gates(gates, {}, {"validate": {"n_rows": 900}}, None)
    assert results[0].verdict == "passed"
    assert results[1].verdict == "failed"
    assert "'f1' was not logged" in results[1].detail
    assert verdict == "failed"
