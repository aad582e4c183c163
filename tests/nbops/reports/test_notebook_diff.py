"""Executed notebooks diffed cell by cell (nbdime aligns, nbops renders)."""

from __future__ import annotations

import copy

from reports_fixture import PNG_1PX, XSS_SCRIPT, output_notebook

from nbops.reports._notebook_diff import align, diff_html


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


def test_long_outputs_align_by_content_and_show_their_change():
    """Outputs past nbdime's comparison limit go to nbdime as digests; the page still
    shows the real text, and a one-character change still makes the cell 'changed'."""
    from nbformat.v4 import new_code_cell, new_output

    table = "<table>" + "<tr><td>row</td></tr>" * 2000 + "</table>"  # ≈ 42 KB of HTML
    log = "".join(f"epoch {i}: loss 0.{i:04d}\n" for i in range(200))  # ≈ 4 KB stream

    def nb(html, text):  # type: ignore[no-untyped-def]
        notebook = _nb()
        notebook.cells.append(new_code_cell("show()", execution_count=9, outputs=[
            new_output("execute_result", data={"text/html": html, "text/plain": "<T>"},
                       execution_count=9),
            new_output("stream", name="stdout", text=text)]))
        return notebook

    a = nb(table, log)
    assert [p.kind for p in align(a, nb(table, log))].count("changed") == 0
    pairs = align(a, nb(table.replace("row", "wor", 1), log))
    assert [p.kind for p in pairs].count("changed") == 1
    pairs = align(a, nb(table, log.replace("loss 0.0199", "loss 0.0200")))
    changed = [p for p in pairs if p.kind == "changed"]
    assert len(changed) == 1
    html = diff_html(pairs)
    assert "sha256:" not in html  # the page shows real outputs, never the digests
    assert '<span class="ins">+ epoch 199: loss 0.0200</span>' in html


def test_small_html_tables_and_plots_align_by_their_cell_and_show_their_change():
    """HTML and images go to nbdime as digests at any length (a 1 KB styled table was
    most of a diff's time); a cell whose table and plot changed is still one 'changed'
    cell, found past an inserted cell, and the page shows the real change."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    def nb(auc, png, note=False):  # type: ignore[no-untyped-def]
        notebook = _nb()
        rows = "".join(f"<tr><td>{m}</td><td>{v:.3f}</td></tr>"
                       for m, v in (("roc_auc", auc), ("f1", 0.61), ("brier", 0.12)))
        if note:
            notebook.cells.append(new_markdown_cell("a new note"))
        notebook.cells.append(new_code_cell("scores.style", execution_count=9, outputs=[
            new_output("execute_result", execution_count=9,
                       data={"text/html": f"<table>{rows * 8}</table>",
                             "text/plain": f"roc_auc {auc:.3f}"}),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]))
        return notebook

    a = nb(0.81, PNG_1PX)
    assert [p.kind for p in align(a, nb(0.81, PNG_1PX))].count("changed") == 0
    pairs = align(a, nb(0.83, PNG_1PX[:-8] + "AAAAAAA=", note=True))
    kinds = [p.kind for p in pairs]
    assert kinds.count("added") == 1 and kinds.count("changed") == 1
    assert "removed" not in kinds
    changed = next(p for p in pairs if p.kind == "changed")
    assert changed.b["source"] == "scores.style"
    html = diff_html(pairs)
    assert "sha256:" not in html
    assert '<span class="del">- roc_auc 0.810</span>' in html
    assert '<span class="ins">+ roc_auc 0.830</span>' in html
    assert html.count('<div class="img-side"><img alt="output image" src="data:image/png') == 2


def test_a_cell_whose_only_change_is_html_or_an_image_says_which_output_changed():
    """The cell was marked changed and the page showed no difference: its text/plain was
    the same, and only the HTML table (or the image's bytes) differed."""
    import hashlib

    from nbformat.v4 import new_code_cell, new_output

    def nb(html, png):  # type: ignore[no-untyped-def]
        notebook = _nb()
        notebook.cells.append(new_code_cell("scores.style", execution_count=9, outputs=[
            new_output("execute_result", execution_count=9,
                       data={"text/html": html, "text/plain": "<Styler>"}),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]))
        return notebook

    before, after = "<table><td>0.810</td></table>", "<table><td>0.830</td></table>"
    pairs = align(nb(before, PNG_1PX), nb(after, PNG_1PX))
    assert [p.kind for p in pairs].count("changed") == 1
    html = diff_html(pairs)
    short = [hashlib.sha256(t.encode()).hexdigest()[:12] for t in (before, after)]
    line = html.split("text/html output changed")[1].split("</")[0]
    assert f"{len(before)} → {len(after)} characters" in line, line
    assert short[0] in line and short[1] in line
    assert "image/png output changed" not in html

    image_b = PNG_1PX[:-8] + "AAAAAAA="
    html = diff_html(align(nb(before, PNG_1PX), nb(before, image_b)))
    assert "image/png output changed" in html and "text/html output changed" not in html
    assert "bytes" in html.split("image/png output changed")[1].split("</")[0]
