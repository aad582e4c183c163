"""Lay out a pipeline DAG left to right, without graphviz.

A small Sugiyama-style layout, enough for pipelines of a few dozen tasks:

1. layer = length of the longest path from a source (upstream tasks sit left);
2. order within a layer by the barycenter of neighbours, a few sweeps down and
   up, starting from the tasks' declaration order (stable, deterministic);
3. coordinates on a grid, each layer centred vertically.

Upstream names that are not tasks of the run are ignored; a cycle (which
Ploomber would have refused) is broken rather than looped on.
"""

from __future__ import annotations

from dataclasses import dataclass

NODE_H = 36
GAP_X = 64
GAP_Y = 18
PAD = 12
CHAR_W = 7.4
MIN_W = 90
MAX_W = 220
ARC_ROOM = 26  # space above the nodes for edges that skip layers


@dataclass(frozen=True)
class Node:
    """A placed task: top-left corner, size and its layer."""

    name: str
    x: float
    y: float
    w: float
    h: float
    layer: int


@dataclass(frozen=True)
class Layout:
    """Placed nodes, edges as (upstream, downstream) names, and the canvas size."""

    nodes: dict[str, Node]
    edges: list[tuple[str, str]]
    width: float
    height: float


def node_width(name: str) -> float:
    """Width of a task box for a label of ``name`` (long names are truncated)."""
    return max(MIN_W, min(MAX_W, len(name) * CHAR_W + 24))


def _layers(names: list[str], ups: dict[str, list[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(name: str) -> int:
        if name in layer:
            return layer[name]
        if name in visiting:  # a cycle: cut it here
            return 0
        visiting.add(name)
        value = 1 + max((depth(up) for up in ups[name]), default=-1)
        visiting.discard(name)
        layer[name] = value
        return value

    for name in names:
        depth(name)
    return layer


def _order(
    columns: list[list[str]], ups: dict[str, list[str]], downs: dict[str, list[str]]
) -> None:
    def sweep(cols: list[list[str]], neighbours: dict[str, list[str]]) -> None:
        for i in range(1, len(cols)):
            rank = {name: pos for pos, name in enumerate(cols[i - 1])}
            current = {name: pos for pos, name in enumerate(cols[i])}
            keys = {}
            for name in cols[i]:
                near = [rank[n] for n in neighbours[name] if n in rank]
                keys[name] = sum(near) / len(near) if near else float(current[name])
            cols[i].sort(key=lambda name: (keys[name], current[name]))

    for _ in range(4):
        sweep(columns, ups)
        reversed_cols = columns[::-1]
        sweep(reversed_cols, downs)


def layout(tasks: dict[str, list[str]]) -> Layout:
    """Place ``tasks`` (name -> upstream names, in declaration order)."""
    names = list(tasks)
    ups = {
        name: [u for u in dict.fromkeys(tasks[name]) if u in tasks and u != name] for name in names
    }
    downs: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        for up in ups[name]:
            downs[up].append(name)
    layer = _layers(names, ups)
    n_layers = 1 + max(layer.values(), default=-1)
    columns: list[list[str]] = [[] for _ in range(n_layers)]
    for name in names:
        columns[layer[name]].append(name)
    _order(columns, ups, downs)

    skips = any(layer[down] - layer[up] > 1 for down in names for up in ups[down])
    top = PAD + (ARC_ROOM if skips else 0)
    widths = [max((node_width(n) for n in col), default=MIN_W) for col in columns]
    tallest = max((len(col) for col in columns), default=0)
    height = top + PAD + tallest * NODE_H + max(tallest - 1, 0) * GAP_Y
    nodes: dict[str, Node] = {}
    x = float(PAD)
    for index, col in enumerate(columns):
        col_h = len(col) * NODE_H + max(len(col) - 1, 0) * GAP_Y
        y = top + (height - top - PAD - col_h) / 2
        for name in col:
            w = node_width(name)
            nodes[name] = Node(name, x + (widths[index] - w) / 2, y, w, NODE_H, index)
            y += NODE_H + GAP_Y
        x += widths[index] + GAP_X
    width = x - GAP_X + PAD if columns else 2 * PAD
    edges = [(up, name) for name in names for up in ups[name]]
    return Layout(nodes, edges, width, float(max(height, 2 * PAD)))
