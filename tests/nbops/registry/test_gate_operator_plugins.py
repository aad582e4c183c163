"""Plug-in gate operators and gate names, checked in this process (no package installed).

``nbops.registry._gates.gate_operators`` reads the ``nbops.gate_operators`` entry points
through ``load_plugins``; here that function is replaced by a fixed list, so the
registry of operators and its refusals are seen without installing a distribution
(tests/nbops/plugins/ does that end to end).
"""

from __future__ import annotations

import operator
from types import SimpleNamespace

import pytest

from nbops.core import GATE_OPERATOR_PLUGINS
from nbops.core._errors import ConfigError
from nbops.registry import _gates
from nbops.registry._gates import evaluate_gates, gate_operators, parse_gate


def _plugins(monkeypatch: pytest.MonkeyPatch, *found: tuple[str, object]) -> None:
    def load(group: str) -> tuple[tuple[str, object], ...]:
        assert group == GATE_OPERATOR_PLUGINS
        return found
    monkeypatch.setattr(_gates, "load_plugins", load)


def _near(value: float, threshold: float) -> bool:
    return abs(value - threshold) <= 0.01


def test_a_plugin_operator_joins_the_built_in_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    _plugins(monkeypatch, ("near", SimpleNamespace(symbol="~=", compare=_near)))
    known = gate_operators()
    assert known["~="] is _near
    assert known[">="] is operator.ge and len(known) == 7
    gate = parse_gate("close", "roc_auc ~= 0.8")
    assert gate.op == "~="
    verdict, results = evaluate_gates([gate], {"roc_auc": 0.805}, {}, None)
    assert [r.verdict for r in results] == ["passed"]


@pytest.mark.parametrize("plugin", [
    SimpleNamespace(symbol="~=", compare=3),           # compare not callable
    SimpleNamespace(compare=_near),                    # no symbol
    SimpleNamespace(symbol="", compare=_near),      # empty symbol
    SimpleNamespace(symbol="near", compare=_near),     # letters are not punctuation
    SimpleNamespace(symbol="~=", not_compare=_near),   # no compare
])
def test_a_plugin_without_a_usable_symbol_and_compare_is_refused(
        monkeypatch: pytest.MonkeyPatch, plugin: object) -> None:
    _plugins(monkeypatch, ("near", plugin))
    with pytest.raises(ConfigError) as caught:
        gate_operators()
    assert caught.value.problem == (
        f"the nbops plug-in 'near' in {GATE_OPERATOR_PLUGINS} is not a gate operator")
    assert caught.value.fix == ("give it a `symbol` of one to three characters among "
                                "<>=!~%^&|*/?@ and a `compare(value, threshold)` function")


@pytest.mark.parametrize("found", [
    (("ge", SimpleNamespace(symbol=">=", compare=_near)),),
    (("a", SimpleNamespace(symbol="~=", compare=_near)),
     ("b", SimpleNamespace(symbol="~=", compare=operator.eq))),
])
def test_a_plugin_reusing_a_symbol_is_refused(monkeypatch: pytest.MonkeyPatch,
                                              found: tuple[tuple[str, object], ...]) -> None:
    _plugins(monkeypatch, *found)
    with pytest.raises(ConfigError) as caught:
        gate_operators()
    name, plugin = found[-1]
    assert caught.value.problem == (f"the nbops plug-in {name!r} in {GATE_OPERATOR_PLUGINS} "
                                    f"reuses the operator {plugin.symbol!r}")  # type: ignore[attr-defined]
    assert caught.value.fix == "pick a symbol no other operator uses"


@pytest.mark.parametrize("name", ["1st", "has space", "", "_x", 7])
def test_a_gate_name_that_is_not_simple_is_refused(name: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_gate(name, "roc_auc >= 0.7")  # type: ignore[arg-type]
    assert caught.value.problem == f"gate name {name!r} is not a simple name"
    assert caught.value.fix == (
        "use letters, digits, '_' or '-' in gate names under gates: in env.yaml")
