"""Draw the pipeline graph of a run as a static, self-contained SVG.

Each task is a box coloured by its status in the manifest (executed, reused,
failed, not run) and, when a page for it exists, a link to that page. Labels
are escaped; long names are shortened on the box and shown whole on hover.
"""

from __future__ import annotations

from nbops.reports.graph_layout import CHAR_W, Layout, layout
from nbops.reports.markup import STATUS_LABELS, esc

FILL = {
    "executed": ("#1a7f37", "#ffffff"),
    "skipped": ("#d0d7de", "#1f2328"),
    "failed": ("#cf222e", "#ffffff"),
    "not_run": ("#ffffff", "#57606a"),
}
LEGEND = ("executed", "skipped", "failed", "not_run")


def _label(name: str, width: float) -> str:
    room = max(int((width - 16) / CHAR_W), 4)
    return name if len(name) <= room else name[: room - 1] + "\u2026"


def _edge(lay: Layout, up: str, down: str) -> str:
    a, b = lay.nodes[up], lay.nodes[down]
    x1, y1 = a.x + a.w, a.y + a.h / 2
    x2, y2 = b.x, b.y + b.h / 2
    if b.layer - a.layer > 1:  # skips layers: arc over the boxes in between
        top = min(n.y for n in lay.nodes.values()) - 18
        curve = (f"C{x1 + 30:.1f},{top:.1f} {x2 - 30:.1f},{top:.1f} ")
    else:
        mid = (x1 + x2) / 2
        curve = f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} "
    return (
        f'<path class="edge" d="M{x1:.1f},{y1:.1f} {curve}{x2 - 4:.1f},{y2:.1f}" fill="none" '
        'stroke="#8c959f" stroke-width="1.5" marker-end="url(#nbops-arrow)"/>'
    )


def graph_svg(
    tasks: dict[str, list[str]],
    statuses: dict[str, str],
    links: dict[str, str] | None = None,
) -> str:
    """Return an ``<svg>`` element for the DAG.

    Args:
        tasks: task name -> upstream task names, in declaration order.
        statuses: task name -> manifest status.
        links: task name -> href for the task's page (optional).
    """
    lay = layout(tasks)
    links = links or {}
    legend_h = 28
    height = lay.height + legend_h
    width = max(lay.width, 440)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbops-graph" role="img" '
        f'aria-label="pipeline graph" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="system-ui, sans-serif" '
        'font-size="12">',
        '<defs><marker id="nbops-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#8c959f"/></marker></defs>',
    ]
    parts.extend(_edge(lay, up, down) for up, down in lay.edges)
    for name, node in lay.nodes.items():
        status = statuses.get(name, "not_run")
        fill, ink = FILL.get(status, FILL["not_run"])
        dash = ' stroke-dasharray="4 3"' if status == "not_run" else ""
        box = (
            f'<g class="node" data-task="{esc(name)}" data-status="{esc(status)}">'
            f"<title>{esc(name)}: {esc(STATUS_LABELS.get(status, status))}</title>"
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.w:.1f}" height="{node.h:.1f}" '
            f'rx="6" fill="{fill}" stroke="#57606a"{dash}/>'
            f'<text x="{node.x + node.w / 2:.1f}" y="{node.y + node.h / 2 + 4:.1f}" '
            f'text-anchor="middle" fill="{ink}">{esc(_label(name, node.w))}</text></g>'
        )
        href = links.get(name)
        parts.append(f'<a href="{esc(href)}">{box}</a>' if href else box)
    x = 12.0
    y = lay.height + 8
    for status in LEGEND:
        fill, _ = FILL[status]
        label = STATUS_LABELS[status]
        parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="12" height="12" rx="2" fill="{fill}" '
            'stroke="#57606a"/>'
            f'<text x="{x + 16:.0f}" y="{y + 10:.0f}" fill="#57606a">{esc(label)}</text>'
        )
        x += 16 + len(label) * CHAR_W + 18
    parts.append("</svg>")
    return "".join(parts)
