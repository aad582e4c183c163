"""``nbops runs --where EXPR --sort FIELD``: a small expression language over the run index.

An expression is Python syntax restricted to what a filter needs, parsed with
:mod:`ast` and turned into plain functions (never ``eval``)::

    metrics.roc_auc > 0.85 and params.model.max_depth == 4
    status in ["succeeded", "gated"] and not tags.sweep == "grid4"
    0.8 <= metrics.roc_auc < 0.9 or experiment.data == "telco-customer-churn"

* **fields** are dotted names read from a run's index line: ``run_id``, ``status``,
  ``started_at``, ``duration_s``, ``executed``, ``skipped`` (reused tasks), ``failed``,
  ``metrics.NAME``, ``params.KEY.SUB`` (the flattened ``env.yaml`` values, so
  ``params.model.max_depth``), ``tags.NAME``, ``notes`` (text: ``"leak" in notes``),
  ``experiment.key``/``label``/``data``,
  ``gates_verdict``, ``monitoring_verdict``, ``model_version.version`` …;
* **values**: numbers, strings in quotes, ``true``/``false``/``none`` (or ``True`` …),
  lists of those (for ``in`` / ``not in``);
* **operators**: ``== != < <= > >=`` (chains like ``0.8 <= x < 0.9``), ``in``,
  ``not in``, ``and``, ``or``, ``not``, parentheses.

A field a run does not have, or a comparison of a number with text, is false for
that run (never an error: runs differ in what they log). Anything else (a call,
arithmetic, an unknown word) is refused with one sentence naming it and its column.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from nbops.core import ConfigError

Row = Mapping[str, Any]
RowT = TypeVar("RowT", bound=Mapping[str, Any])
Predicate = Callable[[Row], bool]

_MISSING = object()
#: The first name of a field: the keys of an index line (``run_index.schema.json``);
#: ``reused`` is the index's ``skipped`` under the word the pages use.
FIELDS = ("run_id", "status", "started_at", "finished_at", "duration_s", "executed", "reused",
          "skipped", "failed", "metrics", "params", "tags", "notes", "experiment", "gates_verdict",
          "failed_gates", "monitoring_verdict", "model_version", "host", "pid", "pinned")
_WORDS = {"true": True, "false": False, "none": None, "null": None}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b),
    ast.Gt: lambda a, b: bool(a > b),
    ast.GtE: lambda a, b: bool(a >= b),
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ORDERED = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_HELP = ("write comparisons such as metrics.roc_auc > 0.85 joined by and/or/not "
         "(see nbops runs --help)")


def field_value(row: Row, path: str) -> Any:
    """The value of dotted ``path`` in an index line (``_MISSING`` when absent).

    ``params`` keys are flat (``model.max_depth``), so everything after
    ``params.`` is one key; other sections are walked one name at a time.
    """
    return field_getter(path)(row)


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # index lines are dicts: fast path


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is float or kind is int or (
        isinstance(value, int | float) and not isinstance(value, bool))


def field_getter(path: str) -> Callable[[Row], Any]:
    """:func:`field_value` for one ``path``, with the path split once (a query reads the
    same fields of 10,000 lines)."""
    head, _, rest = path.partition(".")
    key = "skipped" if head == "reused" else head
    if not rest:
        return lambda row: row.get(key, _MISSING)
    if head == "params":
        def param(row: Row) -> Any:
            value = row.get(key, _MISSING)
            return value.get(rest, _MISSING) if _is_mapping(value) else _MISSING
        return param
    names = tuple(rest.split("."))

    def walk(row: Row) -> Any:
        value: Any = row.get(key, _MISSING)
        for name in names:
            if value is _MISSING or not _is_mapping(value) or name not in value:
                return _MISSING
            value = value[name]
        return value
    return walk


class _Refused(Exception):
    def __init__(self, node: ast.AST, what: str) -> None:
        super().__init__(what)
        self.node = node
        self.what = what

    def column(self, text: str) -> int:
        """1-based column of the refused part (of its operator, for arithmetic)."""
        node = self.node
        if isinstance(node, ast.BinOp) and node.left.end_col_offset is not None:
            start = node.left.end_col_offset
            return start + len(text[start:]) - len(text[start:].lstrip()) + 1
        return getattr(node, "col_offset", 0) + 1


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _constant(node: ast.expr) -> tuple[bool, Any]:
    """(is a constant, its value): numbers, strings, true/false/none, lists of those."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(
            node.value, bool | int | float | str)):
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        is_const, value = _constant(node.operand)
        if is_const and isinstance(value, int | float) and not isinstance(value, bool):
            return True, -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name) and node.id.lower() in _WORDS:
        return True, _WORDS[node.id.lower()]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = []
        for item in node.elts:
            is_const, value = _constant(item)
            if not is_const or isinstance(value, list):
                raise _Refused(item, "a list may hold only numbers, strings, true/false/none")
            values.append(value)
        return True, values
    return False, None


def _operand(node: ast.expr) -> Callable[[Row], Any]:
    is_const, value = _constant(node)
    if is_const:
        return lambda _row: value
    path = _dotted(node)
    if path is not None:
        head = path.split(".")[0]
        if head not in FIELDS:
            raise _Refused(node, f"{head!r} is not a field of a run (fields: "
                                 f"{', '.join(FIELDS[:13])} …; text needs quotes)")
        return field_getter(path)
    raise _Refused(node, f"{_describe(node)} is not a field or a value")


def _describe(node: ast.AST) -> str:
    kinds = {ast.Call: "a function call", ast.BinOp: "arithmetic", ast.Subscript: "indexing",
             ast.Lambda: "a lambda", ast.IfExp: "an if-expression", ast.Dict: "a dict",
             ast.JoinedStr: "an f-string", ast.Starred: "a starred expression"}
    return next((text for kind, text in kinds.items() if isinstance(node, kind)),
                f"{type(node).__name__.lower()} syntax")


def _relation(op: ast.cmpop) -> Callable[[Any, Any], bool]:
    """Whether ``left op right`` holds; false for a missing field, for ordering a number
    against text or NaN, and for ``in`` on something that is neither a list nor text."""
    compare = _COMPARE[type(op)]
    if isinstance(op, _ORDERED):
        def ordered(left: Any, right: Any) -> bool:
            if left is _MISSING or right is _MISSING:
                return False
            if _is_number(left) and _is_number(right):
                if (isinstance(left, float) and math.isnan(left)) or (
                        isinstance(right, float) and math.isnan(right)):
                    return False
            elif not (isinstance(left, str) and isinstance(right, str)):
                return False
            try:
                return compare(left, right)
            except TypeError:
                return False
        return ordered
    membership = isinstance(op, ast.In | ast.NotIn)

    def holds(left: Any, right: Any) -> bool:
        if left is _MISSING or right is _MISSING:
            return False
        if membership and not isinstance(right, list | str):
            return False
        try:
            return compare(left, right)
        except TypeError:
            return False
    return holds


def _compile(node: ast.expr) -> Predicate:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            def every(row: Row) -> bool:
                for part in parts:
                    if not part(row):
                        return False
                return True
            return every

        def some(row: Row) -> bool:
            for part in parts:
                if part(row):
                    return True
            return False
        return some
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand)
        return lambda row: not inner(row)
    if isinstance(node, ast.Compare):
        operands = [_operand(node.left), *(_operand(c) for c in node.comparators)]
        ops = list(node.ops)
        for op in ops:
            if type(op) not in _COMPARE:
                raise _Refused(node, f"the operator {type(op).__name__} is not supported")
        relations = [_relation(op) for op in ops]
        if len(relations) == 1:  # the usual case: metrics.roc_auc > 0.85
            left, right, relation = operands[0], operands[1], relations[0]
            return lambda row: relation(left(row), right(row))
        links = list(zip(relations, operands[1:], strict=True))

        def chain(row: Row) -> bool:  # 0.8 <= x < 0.9
            value = operands[0](row)
            for relation, operand in links:
                following = operand(row)
                if not relation(value, following):
                    return False
                value = following
            return True

        return chain
    path = _dotted(node)
    if path is not None and not _constant(node)[0]:
        raise _Refused(node, f"{path!r} alone is not a condition (compare it: {path} == …)")
    raise _Refused(node, f"{_describe(node)} is not allowed")


@dataclass(frozen=True)
class Query:
    """A parsed ``--where`` expression: call :meth:`matches` on index lines."""

    text: str
    predicate: Predicate

    def matches(self, row: Row) -> bool:
        """Whether the run of index line ``row`` satisfies the expression."""
        return self.predicate(row)


def parse_query(text: str) -> Query:
    """Parse a ``--where`` expression.

    Raises:
        ConfigError: one sentence naming what is wrong and its column.
    """
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        raise ConfigError(f"--where {text!r} is not a valid expression ({exc.msg}{column})",
                          _HELP) from None
    try:
        return Query(text, _compile(tree.body))
    except _Refused as exc:
        raise ConfigError(f"--where {text!r}: {exc.what} (at column {exc.column(text)})",
                          _HELP) from None


def check_field(text: str, what: str = "--sort") -> str:
    """A dotted field name, or a one-sentence error."""
    name = text.strip().removeprefix("-").removeprefix("+")
    parts = name.split(".")
    if not name or not all(part.isidentifier() for part in parts) or parts[0] not in FIELDS:
        raise ConfigError(f"{what} {text!r} is not a field name",
                          "name a field such as metrics.roc_auc, started_at or "
                          "params.model.max_depth; a leading - sorts descending")
    return name


def sort_rows(rows: Sequence[RowT], spec: str) -> list[RowT]:
    """``rows`` sorted by the field ``spec`` (``-field``: descending); runs without that
    field, or with a value of another kind than most, come last in their original order."""
    field = check_field(spec)
    descending = spec.strip().startswith("-")
    value_of = field_getter(field)
    keyed = [(value_of(row), index, row) for index, row in enumerate(rows)]
    numbers = [(v, i, r) for v, i, r in keyed if isinstance(v, int | float)
               and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))]
    texts = [(v, i, r) for v, i, r in keyed if isinstance(v, str)]
    present = numbers if len(numbers) >= len(texts) else texts
    chosen = {i for _, i, _ in present}
    ordered = sorted(present, key=lambda item: item[0], reverse=descending)
    return [r for _, _, r in ordered] + [r for _, i, r in keyed if i not in chosen]
