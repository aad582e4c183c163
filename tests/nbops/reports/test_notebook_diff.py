"""Executed notebooks diffed cell by cell (nbdime aligns, nbops renders)."""

from __future__ import annotations

import copy

from reports_fixture import PNG_1PX, XSS_SCRIPT, output_notebook

from nbops.reports.notebook_diff import align, diff_html


def _nb(**kwargs):  # type: ignore[no-untyped-def]
    return output_notebook("train", {"seed": 7}, **kwargs)


def test_changed_output_added_cell_and_masked_addresses():
    a = _nb(metric=("roc_auc", 0.81))
    b = copy.deepcopy(_nb(metric=("roc_auc", 0.83)))
    b.cells.insert(2, {"cell_type": "markdown", "source": f"new note {XSS_SCRIPT}",
                       "metadata": {}, "id": "added1"})
    # an object address differs between the runs: masked, not a difference
    a.cells[3].outputs[0]["text"] = "<function f at 0x7f0e18205e40>\n"
    b.cells[4].outputs[0]["text"] = "<function f at 0x7f99aa001122>\n"
    pairs = align(a, b)
    kinds = [p.kind for p in pairs]
    assert kinds.count("added") == 1 and kinds.count("changed") == 1
    changed = next(p for p in pairs if p.kind == "changed")
    assert "roc_auc" in changed.b["source"]
    html = diff_html(pairs)
    assert '<span class="del">- roc_auc = 0.81</span>' in html
    assert '<span class="ins">+ roc_auc = 0.83</span>' in html
    assert XSS_SCRIPT not in html and "new note &lt;script&gt;" in html
    assert "0x7f" not in html  # the masked stream is the same cell, folded as unchanged
    assert "unchanged cell" in html


def test_images_side_by_side_and_identical_notebooks():
    a = _nb()
    b = copy.deepcopy(a)
    b.cells[4].outputs[0]["data"]["image/png"] = PNG_1PX[:-8] + "AAAAAAA="
    html = diff_html(align(a, b))
    assert html.count('<div class="img-side"><img alt="output image" src="data:image/png') == 2
    same = diff_html(align(a, copy.deepcopy(a)))
    assert "computed the same thing" in same
