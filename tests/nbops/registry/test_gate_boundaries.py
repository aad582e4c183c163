"""Gates decided at their exact thresholds, for every comparison operator.

Values are binary fractions (0.5, 0.75 ...) so "exactly at the threshold" is
exact in floating point, offsets included.
"""

from __future__ import annotations

import pytest

from nbops.registry._gates import evaluate_gate, evaluate_gates, failure_lines, parse_gate

BELOW, AT, ABOVE = 0.5, 0.75, 1.0

#: operator -> verdicts for a value below, at and above the threshold 0.75
TRUTH = {
    ">=": ("failed", "passed", "passed"),
    ">": ("failed", "failed", "passed"),
    "<=": ("passed", "passed", "failed"),
    "<": ("passed", "failed", "failed"),
    "==": ("failed", "passed", "failed"),
    "!=": ("passed", "failed", "passed"),
}


@pytest.mark.parametrize("op", sorted(TRUTH))
def test_every_operator_below_at_and_above_an_absolute_threshold(op: str) -> None:
    gate = parse_gate("g", f"roc_auc {op} 0.75")
    verdicts = tuple(evaluate_gate(gate, {"roc_auc": v}, {}, None).verdict
                     for v in (BELOW, AT, ABOVE))
    assert verdicts == TRUTH[op]


@pytest.mark.parametrize("op", sorted(TRUTH))
def test_every_operator_at_a_champion_threshold_with_an_offset(op: str) -> None:
    # threshold = champion 1.0 - 0.25 = 0.75 exactly
    gate = parse_gate("g", f"roc_auc {op} champion - 0.25")
    results = [evaluate_gate(gate, {"roc_auc": v}, {}, {"roc_auc": 1.0}) for v in
               (BELOW, AT, ABOVE)]
    assert tuple(r.verdict for r in results) == TRUTH[op]
    assert {r.threshold for r in results} == {0.75}
    assert all(r.kind == "champion" for r in results)


@pytest.mark.parametrize("op", sorted(TRUTH))
def test_every_operator_against_another_metric_plus_an_offset(op: str) -> None:
    # threshold = baseline 0.5 + 0.25 = 0.75 exactly
    gate = parse_gate("g", f"roc_auc {op} baseline + 0.25")
    verdicts = tuple(
        evaluate_gate(gate, {"roc_auc": v, "baseline": 0.5}, {}, None).verdict
        for v in (BELOW, AT, ABOVE))
    assert verdicts == TRUTH[op]


@pytest.mark.parametrize("op", sorted(TRUTH))
def test_every_operator_on_a_data_fact(op: str) -> None:
    gate = parse_gate("rows", f"data.test_rows {op} 200")
    verdicts = tuple(evaluate_gate(gate, {}, {"data": {"test_rows": v}}, None).verdict
                     for v in (199.0, 200.0, 201.0))
    assert verdicts == TRUTH[op]


def test_threshold_value_and_detail_are_reported() -> None:
    gate = parse_gate("rel", "brier <= champion.brier + 0.25")
    result = evaluate_gate(gate, {"brier": 0.5}, {}, {"brier": 0.25})
    assert (result.verdict, result.value, result.threshold) == ("passed", 0.5, 0.5)
    assert result.detail == "brier = 0.5, needs <= 0.5 (champion 0.25 + 0.25)"
    assert result.to_dict()["threshold"] == 0.5
    plain = evaluate_gate(parse_gate("abs", "f1 > 0.25"), {"f1": 0.25}, {}, None)
    assert plain.detail == "f1 = 0.25, needs > 0.25"
    other = evaluate_gate(parse_gate("o", "f1 >= base"), {"f1": 0.25, "base": 0.5}, {}, None)
    assert other.detail == "f1 = 0.25, needs >= 0.5 (base 0.5)"
    assert other.threshold == 0.5


def test_offsets_have_a_sign_and_default_to_zero() -> None:
    assert parse_gate("a", "roc_auc >= champion - 0.25").offset == -0.25
    assert parse_gate("a", "roc_auc >= champion + 0.25").offset == 0.25
    assert parse_gate("a", "roc_auc >= champion").offset == 0.0
    assert parse_gate("a", "  roc_auc   >=  0.5 ").expression == "roc_auc >= 0.5"


def test_a_task_qualified_champion_metric_and_missing_champion_metric() -> None:
    gate = parse_gate("g", "evaluate.roc_auc >= champion")
    assert gate.champion_metric == "roc_auc"
    passed = evaluate_gate(gate, {}, {"evaluate": {"roc_auc": 0.75}}, {"roc_auc": 0.75})
    assert passed.verdict == "passed"
    failed = evaluate_gate(gate, {}, {"evaluate": {"roc_auc": 0.75}}, {"f1": 0.5})
    assert failed.verdict == "failed"
    assert failed.detail == "the champion has no 'roc_auc' metric"
    assert failed.threshold is None and failed.value == 0.75


def test_booleans_and_strings_are_not_metrics() -> None:
    gate = parse_gate("g", "flag >= 0")
    for value in (True, "1", None):
        result = evaluate_gate(gate, {"flag": value}, {}, None)
        assert result.verdict == "failed" and result.value is None
    other = evaluate_gate(parse_gate("g", "f1 >= base"), {"f1": 0.5, "base": True}, {}, None)
    assert other.verdict == "failed" and "'base' was not logged" in other.detail


def test_the_overall_verdict_fails_on_any_failed_gate_and_skips_do_not_fail() -> None:
    gates = [parse_gate("a", "f1 >= 0.5"), parse_gate("b", "f1 >= champion")]
    assert evaluate_gates(gates, {"f1": 0.5}, {}, None)[0] == "passed"  # b skipped
    verdict, results = evaluate_gates(gates, {"f1": 0.5}, {}, {"f1": 0.75})
    assert verdict == "failed" and [r.verdict for r in results] == ["passed", "failed"]
    assert failure_lines(results) == [
        "  x b: f1 = 0.5, needs >= 0.75 (champion 0.75)   [f1 >= champion]"]
    assert evaluate_gates([], {}, {}, None) == ("passed", [])


def test_gate_messages_word_for_word() -> None:
    from nbops.core._errors import ConfigError
    from nbops.registry._gates import evaluate_gate, parse_gate, parse_gates

    with pytest.raises(ConfigError) as info:
        parse_gate("floor", "roc_auc is high")
    assert info.value.fix == ("write METRIC OP VALUE, e.g. 'roc_auc >= 0.75' or "
                              "'roc_auc >= champion - 0.01'")
    with pytest.raises(ConfigError) as info:
        parse_gates("roc_auc >= 0.7")
    assert info.value.problem == "the gates: section of env.yaml is a str, not a mapping"
    assert info.value.fix == "write one 'name: METRIC OP VALUE' line per gate under gates:"
    relative = parse_gate("rel", "roc_auc >= champion")
    skipped = evaluate_gate(relative, {"roc_auc": 0.8}, {}, None)
    assert (skipped.verdict, skipped.detail) == (
        "skipped", "no champion yet: relative gates apply from the next run")
    per_task = parse_gate("rows", "validate.rows >= 100")
    missing = evaluate_gate(per_task, {}, {"train": {"rows": 500}}, None)
    assert (missing.verdict, missing.detail) == (
        "failed", "metric 'validate.rows' was not logged by this run")
    assert evaluate_gate(per_task, {}, {"validate": {"rows": 100}}, None).verdict == "passed"
