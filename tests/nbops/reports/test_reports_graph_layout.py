from nbops.reports._graph_layout import NODE_H, layout
from nbops.reports._graph_svg import graph_svg


def _overlap(a, b) -> bool:
    return not (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)


def test_layers_follow_longest_upstream_path_and_boxes_do_not_overlap():
    tasks = {"load": [], "clean": ["load"], "features": ["clean", "load"], "train": ["features"],
             "eval": ["train", "features"], "drift": ["load"], "report": ["eval", "drift"]}
    lay = layout(tasks)
    layers = {name: node.layer for name, node in lay.nodes.items()}
    assert layers == {"load": 0, "clean": 1, "features": 2, "train": 3, "eval": 4, "drift": 1,
                      "report": 5}
    nodes = list(lay.nodes.values())
    for i, a in enumerate(nodes):
        assert 0 <= a.x and a.x + a.w <= lay.width and 0 <= a.y and a.y + a.h <= lay.height
        for b in nodes[i + 1:]:
            assert not _overlap(a, b), (a, b)
    assert sorted(lay.edges) == sorted(
        (up, down) for down, ups in tasks.items() for up in ups)
    # upstream always sits to the left of downstream
    assert all(lay.nodes[u].x + lay.nodes[u].w < lay.nodes[d].x for u, d in lay.edges)


def test_unknown_upstreams_self_loops_and_cycles_do_not_hang_or_crash():
    lay = layout({"a": ["b", "ghost"], "b": ["a"], "c": ["c"]})
    assert set(lay.nodes) == {"a", "b", "c"}
    assert ("ghost", "a") not in lay.edges and ("c", "c") not in lay.edges


def test_barycenter_ordering_keeps_parallel_chains_uncrossed():
    tasks = {"a1": [], "b1": [], "b2": ["b1"], "a2": ["a1"]}
    lay = layout(tasks)
    assert (lay.nodes["a1"].y < lay.nodes["b1"].y) == (lay.nodes["a2"].y < lay.nodes["b2"].y)
    assert lay.height >= 2 * NODE_H


def test_svg_colours_each_task_by_status_links_pages_and_escapes_names():
    svg = graph_svg({"load": [], "<b>x</b>": ["load"], "t3": ["<b>x</b>"]},
                    {"load": "skipped", "<b>x</b>": "failed", "t3": "not_run"},
                    {"load": "html/load.html"})
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'data-status="skipped"' in svg and 'data-status="failed"' in svg
    assert '<a href="html/load.html">' in svg
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert 'fill="#cf222e"' in svg  # the failed task is red
