"""Draw the pipeline graph of a run as a static, self-contained SVG.

Each task is a box coloured by its status in the manifest (executed, reused,
failed, not run) and, when a page for it exists, a link to that page. Labels
are escaped (the markup is the ``graph.svg.j2`` template); long names are
shortened on the box and shown whole on hover.
"""

from __future__ import annotations

from typing import TypedDict

from nbops.reports._graph_layout import CHAR_W, Layout, layout
from nbops.reports._markup import STATUS_LABELS

FILL = {
    "executed": ("#1a7f37", "#ffffff"),
    "skipped": ("#d0d7de", "#1f2328"),
    "failed": ("#cf222e", "#ffffff"),
    "not_run": ("#ffffff", "#57606a"),
    "running": ("#0969da", "#ffffff"),  # a live page's task in flight
}
LEGEND = ("executed", "skipped", "failed", "not_run")


def _label(name: str, width: float) -> str:
    room = max(int((width - 16) / CHAR_W), 4)
    return name if len(name) <= room else name[: room - 1] + "\u2026"


def _edge(lay: Layout, up: str, down: str) -> str:
    """The path of the arrow from ``up`` to ``down`` (an SVG ``d`` attribute)."""
    a, b = lay.nodes[up], lay.nodes[down]
    x1, y1 = a.x + a.w, a.y + a.h / 2
    x2, y2 = b.x, b.y + b.h / 2
    if b.layer - a.layer > 1:  # skips layers: arc over the boxes in between
        top = min(n.y for n in lay.nodes.values()) - 18
        curve = (f"C{x1 + 30:.1f},{top:.1f} {x2 - 30:.1f},{top:.1f} ")
    else:
        mid = (x1 + x2) / 2
        curve = f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} "
    return f"M{x1:.1f},{y1:.1f} {curve}{x2 - 4:.1f},{y2:.1f}"


class GraphNode(TypedDict):
    """One task's box: position, colours, label and link."""

    name: str
    status: str
    status_label: str
    x: str
    y: str
    w: str
    h: str
    fill: str
    ink: str
    dashed: bool
    text_x: str
    text_y: str
    label: str
    href: str | None


class GraphLegendItem(TypedDict):
    """One status of the legend under the graph."""

    x: str
    y: str
    fill: str
    text_x: str
    text_y: str
    label: str


class GraphLayout(TypedDict):
    """What ``graph.svg.j2``'s ``graph`` macro draws."""

    width: str
    height: str
    edges: list[str]
    nodes: list[GraphNode]
    legend: list[GraphLegendItem]


def graph_layout(
    tasks: dict[str, list[str]],
    statuses: dict[str, str],
    links: dict[str, str] | None = None,
) -> GraphLayout:
    """Positions, colours and labels of the graph (plain data for ``graph.svg.j2``)."""
    lay = layout(tasks)
    links = links or {}
    nodes: list[GraphNode] = []
    for name, node in lay.nodes.items():
        status = statuses.get(name, "not_run")
        fill, ink = FILL.get(status, FILL["not_run"])
        nodes.append({
            "name": name, "status": status, "status_label": STATUS_LABELS.get(status, status),
            "x": f"{node.x:.1f}", "y": f"{node.y:.1f}", "w": f"{node.w:.1f}",
            "h": f"{node.h:.1f}", "fill": fill, "ink": ink, "dashed": status == "not_run",
            "text_x": f"{node.x + node.w / 2:.1f}", "text_y": f"{node.y + node.h / 2 + 4:.1f}",
            "label": _label(name, node.w), "href": links.get(name)})
    legend: list[GraphLegendItem] = []
    x = 12.0
    y = lay.height + 8
    shown = LEGEND + (("running",) if "running" in statuses.values() else ())
    for status in shown:
        label = STATUS_LABELS[status]
        legend.append({"x": f"{x:.0f}", "y": f"{y:.0f}", "fill": FILL[status][0],
                       "text_x": f"{x + 16:.0f}", "text_y": f"{y + 10:.0f}", "label": label})
        x += 16 + len(label) * CHAR_W + 18
    return {"width": f"{max(lay.width, 440):.0f}", "height": f"{lay.height + 28:.0f}",
            "edges": [_edge(lay, up, down) for up, down in lay.edges], "nodes": nodes,
            "legend": legend}


def graph_svg(
    tasks: dict[str, list[str]],
    statuses: dict[str, str],
    links: dict[str, str] | None = None,
) -> str:
    """Return an ``<svg>`` element for the DAG (the ``graph.svg.j2`` macro, autoescaped).

    Args:
        tasks: task name -> upstream task names, in declaration order.
        statuses: task name -> manifest status.
        links: task name -> href for the task's page (optional).
    """
    from nbops.reports._templates_env import macro

    return str(macro("graph.svg.j2", "graph")(graph_layout(tasks, statuses, links)))
