"""Quality gates: small, readable comparisons declared in ``env.yaml``.

::

    gates:
      min_roc_auc: roc_auc >= 0.75                 # absolute
      no_regression: roc_auc >= champion - 0.01    # relative to the champion
      beats_baseline: roc_auc >= baseline_roc_auc  # against another metric
      enough_rows: data.test_rows >= 200           # a data check

Each gate is ``METRIC OP RIGHT`` where ``OP`` is one of ``>= > <= < == !=`` (or an
operator a plug-in adds: :class:`GateOperator`, entry-point group ``nbops.gate_operators``)
and ``RIGHT`` is a number, another metric, ``champion`` (the champion's value
of the same metric, re-scored on this run's held-out data) or
``champion.METRIC``, optionally followed by ``+ NUMBER`` or ``- NUMBER``.
A metric may be qualified by its task (``evaluate.roc_auc``). ``data.*``
names facts about the run's data computed by the registry step:
``data.train_rows``, ``data.test_rows``, ``data.test_positives``,
``data.test_negatives`` and ``data.test_max_missing_rate`` (the largest share
of missing values in any feature of the test data).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nbops.contracts import GateResultRecord, GateVerdict
from nbops.core import GATE_OPERATOR_PLUGINS, ConfigError, load_plugins, plugin_problem


@dataclass(frozen=True)
class GateOperator:
    """A comparison a gate may use: ``METRIC {symbol} THRESHOLD``.

    To add one, append it to :data:`OPERATORS`, or ship it in a plug-in package as an
    entry point of the ``nbops.gate_operators`` group (an object with these two
    attributes).

    Attributes:
        symbol: what a gate writes between the metric and the threshold (punctuation).
        compare: ``compare(value, threshold)``, true when the gate passes.
    """

    symbol: str
    compare: Callable[[float, float], bool]


#: The built-in operators.
OPERATORS: tuple[GateOperator, ...] = (
    GateOperator(">=", operator.ge),
    GateOperator(">", operator.gt),
    GateOperator("<=", operator.le),
    GateOperator("<", operator.lt),
    GateOperator("==", operator.eq),
    GateOperator("!=", operator.ne),
)
_SYMBOL = re.compile(r"^[<>=!~%^&|*/?@]{1,3}$")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def gate_operators() -> dict[str, Callable[[float, float], bool]]:
    """Every operator a gate may use: the built-in ones, then the plug-ins'.

    Raises:
        ConfigError: a plug-in's operator has no usable symbol or ``compare``, or
            reuses a symbol already taken.
    """
    known = {op.symbol: op.compare for op in OPERATORS}
    for name, plugin in load_plugins(GATE_OPERATOR_PLUGINS):
        symbol, compare = getattr(plugin, "symbol", None), getattr(plugin, "compare", None)
        if not isinstance(symbol, str) or not _SYMBOL.match(symbol) or not callable(compare):
            raise plugin_problem(GATE_OPERATOR_PLUGINS, name, "is not a gate operator",
                                 "give it a `symbol` of one to three characters among "
                                 "<>=!~%^&|*/?@ and a `compare(value, threshold)` function")
        if symbol in known:
            raise plugin_problem(GATE_OPERATOR_PLUGINS, name, f"reuses the operator {symbol!r}",
                                 "pick a symbol no other operator uses")
        known[symbol] = compare
    return known


def _gate_pattern(symbols: Iterable[str]) -> re.Pattern[str]:
    ops = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True))
    return re.compile(
        rf"^\s*(?P<metric>{_IDENT})\s*(?P<op>{ops})\s*"
        rf"(?P<right>{_NUMBER}|{_IDENT})\s*(?:(?P<sign>[-+])\s*(?P<offset>{_NUMBER}))?\s*$"
    )


_GATE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Gate:
    """One parsed gate."""

    name: str
    expression: str
    metric: str
    op: str
    right: str  # a number, a metric name, "champion" or "champion.METRIC"
    offset: float

    @property
    def kind(self) -> str:
        """``champion`` for gates relative to the champion, else ``absolute``."""
        return "champion" if self.right.split(".")[0] == "champion" else "absolute"

    @property
    def champion_metric(self) -> str:
        """The champion metric a relative gate compares against."""
        _, _, name = self.right.partition(".")
        return name or self.metric.split(".")[-1]


@dataclass
class GateResult:
    """The verdict of one gate; ``value``/``threshold`` are None when unavailable."""

    name: str
    expression: str
    kind: str
    verdict: str  # passed | failed | skipped
    value: float | None
    threshold: float | None
    detail: str

    def to_dict(self) -> GateResultRecord:
        """Return a JSON-ready dict (manifest ``gates.results`` item)."""
        return {"name": self.name, "expression": self.expression, "kind": self.kind,
                "verdict": self.verdict, "value": self.value, "threshold": self.threshold,
                "detail": self.detail}


def parse_gate(name: str, expression: Any) -> Gate:
    """Parse one gate ``expression`` called ``name``.

    Raises:
        ConfigError: naming the gate and showing the expected form.
    """
    if not isinstance(name, str) or not _GATE_NAME.match(name):
        raise ConfigError(
            f"gate name {name!r} is not a simple name",
            "use letters, digits, '_' or '-' in gate names under gates: in env.yaml",
        )
    pattern = _gate_pattern(gate_operators())
    match = pattern.match(expression) if isinstance(expression, str) else None
    if not match:
        raise ConfigError(
            f"gate {name!r} in env.yaml reads {expression!r}, which is not a comparison",
            "write METRIC OP VALUE, e.g. 'roc_auc >= 0.75' or 'roc_auc >= champion - 0.01'",
        )
    offset = float(match.group("offset") or 0.0)
    if match.group("sign") == "-":
        offset = -offset
    return Gate(
        name=name,
        expression=" ".join(expression.split()),
        metric=match.group("metric"),
        op=match.group("op"),
        right=match.group("right"),
        offset=offset,
    )


def parse_gates(config: Any) -> list[Gate]:
    """Parse the ``gates:`` section: a mapping name -> expression (or a list of expressions).

    Raises:
        ConfigError: the section has the wrong shape or a gate does not parse.
    """
    if config is None or config == {}:
        return []
    if isinstance(config, list):
        config = {f"gate_{i + 1}": expr for i, expr in enumerate(config)}
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"the gates: section of env.yaml is a {type(config).__name__}, not a mapping",
            "write one 'name: METRIC OP VALUE' line per gate under gates:",
        )
    return [parse_gate(str(name), expr) for name, expr in config.items()]


def _lookup(metrics: Mapping[str, Any], task_metrics: Mapping[str, Mapping[str, Any]],
            name: str) -> float | None:
    if "." in name:
        task, _, metric = name.partition(".")
        value = task_metrics.get(task, {}).get(metric)
    else:
        value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def evaluate_gate(
    gate: Gate,
    metrics: Mapping[str, Any],
    task_metrics: Mapping[str, Mapping[str, Any]],
    champion: Mapping[str, Any] | None,
    champion_note: str | None = None,
) -> GateResult:
    """Evaluate ``gate`` on the candidate's metrics and the champion's re-scored ones.

    Args:
        gate: the gate.
        metrics: the run's metrics, flattened.
        task_metrics: the run's metrics per task, for ``task.metric`` names.
        champion: the champion's metrics on this run's held-out data, or None
            when there is no champion (relative gates are then skipped).
        champion_note: why the champion has no metrics although it exists
            (relative gates then fail with this note).
    """
    value = _lookup(metrics, task_metrics, gate.metric)

    def result(verdict: str, threshold: float | None, detail: str) -> GateResult:
        return GateResult(gate.name, gate.expression, gate.kind, verdict, value, threshold, detail)

    if value is None:
        return result("failed", None, f"metric {gate.metric!r} was not logged by this run")
    base: float | None
    if gate.kind == "champion":
        if champion is None and champion_note is None:
            return result("skipped", None,
                          "no champion yet: relative gates apply from the next run")
        base = None if champion is None else _lookup(champion, {}, gate.champion_metric)
        if base is None:
            note = champion_note or f"the champion has no {gate.champion_metric!r} metric"
            return result("failed", None, note)
        source = f"champion {_fmt(base)}"
    elif re.fullmatch(_NUMBER, gate.right):
        base, source = float(gate.right), ""
    else:
        base = _lookup(metrics, task_metrics, gate.right)
        if base is None:
            return result("failed", None, f"metric {gate.right!r} was not logged by this run")
        source = f"{gate.right} {_fmt(base)}"
    threshold = base + gate.offset
    if source and gate.offset:
        sign = "+" if gate.offset > 0 else "-"
        source = f" ({source} {sign} {_fmt(abs(gate.offset))})"
    elif source:
        source = f" ({source})"
    passed = gate_operators()[gate.op](value, threshold)
    detail = f"{gate.metric} = {_fmt(value)}, needs {gate.op} {_fmt(threshold)}{source}"
    return result("passed" if passed else "failed", threshold, detail)


def evaluate_gates(
    gates: list[Gate],
    metrics: Mapping[str, Any],
    task_metrics: Mapping[str, Mapping[str, Any]],
    champion: Mapping[str, Any] | None,
    champion_note: str | None = None,
) -> tuple[GateVerdict, list[GateResult]]:
    """Evaluate every gate; the verdict is ``failed`` if any gate failed, else ``passed``."""
    results = [evaluate_gate(g, metrics, task_metrics, champion, champion_note) for g in gates]
    failed = any(r.verdict == "failed" for r in results)
    return ("failed" if failed else "passed"), results


def failure_lines(results: list[GateResult]) -> list[str]:
    """One line per failed gate: name, value and threshold."""
    return [f"  x {r.name}: {r.detail}   [{r.expression}]"
            for r in results if r.verdict == "failed"]
