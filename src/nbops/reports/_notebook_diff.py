"""Two executed notebooks diffed cell by cell, rendered in the reports' own pages.

nbdime aligns the cells (inserted, deleted, changed, unchanged: its
``diff_notebooks``); this module lays the alignment out as HTML: changed
sources and text outputs (streams, ``text/plain`` of tables and reprs, errors)
as line diffs, images side by side, unchanged cells folded. Before diffing,
both notebooks are reduced to what they computed with the same normalisation
``nbops reproduce`` uses (timings, execution counts and metadata dropped;
process ids, object addresses and random table ids masked), so only real
differences show. Everything from a notebook is escaped; images are only ever
``data:`` URLs of PNG/JPEG/SVG-as-image.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from nbops.contracts import JSONObject, JSONValue
from nbops.runs import normalise_notebook

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
MAX_LINES = 400


@dataclass
class CellPair:
    """One row of the alignment: ``kind`` is same, changed, added or removed."""

    kind: str
    a: JSONObject | None
    b: JSONObject | None
    a_index: int | None
    b_index: int | None


def _objects(value: JSONValue) -> list[JSONObject]:
    """The objects of a JSON list (a cell's outputs); nothing for anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _outputs(cell: JSONObject | None) -> list[JSONObject]:
    return _objects(cell.get("outputs", [])) if cell else []


def _as_notebook(cells: list[JSONObject]) -> Any:
    """nbdime wants an nbformat-shaped document; execution counts are not results."""
    shaped = []
    for cell in cells:
        entry: JSONObject = {"cell_type": cell.get("cell_type"),
                             "source": cell.get("source") or "",
                             "metadata": {}}
        if cell.get("cell_type") == "code":
            outputs: list[JSONValue] = [
                {**o, "metadata": {}} if o.get("output_type") in ("display_data",
                                                                   "execute_result") else o
                for o in _outputs(cell)]
            entry["outputs"] = outputs
            entry["execution_count"] = None
        shaped.append(entry)
    import nbformat

    return nbformat.from_dict({"cells": shaped, "metadata": {}, "nbformat": 4,
                               "nbformat_minor": 5})


def _digest(text: Any) -> str:
    joined = "".join(text) if isinstance(text, list) else str(text)
    return "sha256:" + hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


#: Outputs compared by digest at any length from :data:`_DIGEST_ALWAYS` characters.
_DIGESTED_MIMETYPES = frozenset({"text/html", "image/png", "image/jpeg", "image/svg+xml"})
_DIGEST_ALWAYS = 64


def _long_outputs_digested(notebook: Any) -> Any:
    """A copy for nbdime in which text longer than nbdime compares is a digest.

    nbdime decides that two different texts longer than its limit
    (``TEXT_MIMEDATA_MAX_COMPARE_LENGTH``, ``STREAM_MAX_COMPARE_LENGTH``) are not
    similar, but only after building difflib matchers over them: for the 190 KB HTML
    repr of a scikit-learn pipeline that was 0.5 s of a two-notebook diff. Equal texts
    still compare equal and different ones different; only the time goes.

    HTML and images are compared by digest at any length: nbdime measured the
    similarity of two 1 KB HTML tables with difflib several times per diff (and ran a
    regular expression over every 40 KB plot at each comparison), about 80 % of the
    reference pipeline's train and evaluate diffs. Only the cells' alignment comes
    from nbdime, and a cell is aligned by its source (nbdime's last level); the page
    shows every output change itself, from the notebooks, not from the digests.
    """
    import copy

    from nbdime.diffing.notebooks import (
        STREAM_MAX_COMPARE_LENGTH,
        TEXT_MIMEDATA_MAX_COMPARE_LENGTH,
    )

    digested = copy.deepcopy(notebook)
    for cell in digested["cells"]:
        for output in cell.get("outputs", ()):
            text = output.get("text")
            if output.get("output_type") == "stream" and text is not None and \
                    len("".join(text) if isinstance(text, list) else text) > \
                    STREAM_MAX_COMPARE_LENGTH:
                output["text"] = _digest(text)
            data = output.get("data") or {}
            for mimetype, value in data.items():
                if not isinstance(value, (str, list)):
                    continue
                size = len("".join(value) if isinstance(value, list) else value)
                if size > TEXT_MIMEDATA_MAX_COMPARE_LENGTH and mimetype.startswith("text/") \
                        or size >= _DIGEST_ALWAYS and mimetype in _DIGESTED_MIMETYPES:
                    data[mimetype] = _digest(value)
    return digested


class _DiffEntry(TypedDict, total=False):
    """One operation of an nbdime diff (at ``key``: ``addrange``, ``removerange``, ``patch``)."""

    op: str
    key: int
    diff: list[_DiffEntry]
    valuelist: list[JSONValue]
    length: int


def align(a_notebook: JSONObject, b_notebook: JSONObject) -> list[CellPair]:
    """The cells of two notebooks aligned by nbdime, after normalisation."""
    from nbdime import diff_notebooks

    a = _as_notebook(normalise_notebook(a_notebook))
    b = _as_notebook(normalise_notebook(b_notebook))
    cells_diff: list[_DiffEntry] = []
    for entry in diff_notebooks(_long_outputs_digested(a), _long_outputs_digested(b)):
        if entry.get("key") == "cells" and entry.get("op") == "patch":
            cells_diff = entry["diff"]
    a_cells, b_cells = a["cells"], b["cells"]
    pairs: list[CellPair] = []
    i = j = 0
    for entry in cells_diff:  # nbdime sorts by key; at one key, additions come first
        key = entry["key"]
        while i < key:
            pairs.append(CellPair("same", a_cells[i], b_cells[j], i, j))
            i, j = i + 1, j + 1
        if entry["op"] == "addrange":
            for _ in entry["valuelist"]:
                pairs.append(CellPair("added", None, b_cells[j], None, j))
                j += 1
        elif entry["op"] == "removerange":
            for _ in range(entry["length"]):
                pairs.append(CellPair("removed", a_cells[i], None, i, None))
                i += 1
        elif entry["op"] == "patch":
            pairs.append(CellPair("changed", a_cells[i], b_cells[j], i, j))
            i, j = i + 1, j + 1
    while i < len(a_cells):
        pairs.append(CellPair("same", a_cells[i], b_cells[j], i, j))
        i, j = i + 1, j + 1
    return pairs


# ---------------------------------------------------------------- rendering

def _data(output: JSONObject) -> JSONObject:
    data = output.get("data")
    return data if isinstance(data, dict) else {}


def _output_text(output: JSONObject) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return str(output.get("text") or "")
    if kind == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    text = _data(output).get("text/plain")
    if isinstance(text, list):
        text = "".join(map(str, text))
    return str(text) if text is not None else ""


def _images(outputs: list[JSONObject]) -> list[tuple[str, str]]:
    found = []
    for output in outputs:
        data = _data(output)
        for mime in IMAGE_TYPES:
            value = data.get(mime)
            if isinstance(value, list):
                value = "".join(map(str, value))
            if isinstance(value, str) and value:
                if mime == "image/svg+xml":
                    import base64

                    value = base64.b64encode(value.encode("utf-8")).decode("ascii")
                found.append((mime, value.replace("\n", "")))
                break
    return found


#: Outputs the line diff does not show (it diffs text/plain, streams, errors): a change
#: in one of these is named, with both sizes and digests, so a "changed" cell is never blank.
_RICH_SKIPPED = ("text/plain",)


def _rich_outputs(cell: JSONObject | None) -> dict[str, list[str]]:
    """MIME type -> its values in the cell's outputs, for every type but text/plain."""
    found: dict[str, list[str]] = {}
    for output in _outputs(cell):
        for mime, value in sorted(_data(output).items()):
            if mime in _RICH_SKIPPED:
                continue
            text = "".join(map(str, value)) if isinstance(value, list) else value
            found.setdefault(mime, []).append(text if isinstance(text, str) else str(text))
    return found


def _size(mime: str, values: list[str]) -> str:
    if mime.startswith("image/") and mime != "image/svg+xml":  # base64 in the notebook
        import base64
        import binascii

        try:
            total = sum(len(base64.b64decode(v)) for v in values)
        except (binascii.Error, ValueError):
            total = sum(len(v) for v in values)
        return f"{total:,} bytes"
    return f"{sum(len(v) for v in values):,} characters"


def _short_digest(values: list[str]) -> str:
    joined = "\x00".join(values)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def rich_output_changes(a: JSONObject | None, b: JSONObject | None) -> list[str]:
    """One line per rich output (HTML, image, …) that differs between two cells, e.g.
    ``image/png output changed: 1,204 → 1,210 bytes (digest 3f2a… → 9c1e…)``."""
    before, after = _rich_outputs(a), _rich_outputs(b)
    lines = []
    for mime in sorted(set(before) | set(after)):
        old, new = before.get(mime), after.get(mime)
        if old == new:
            continue
        if old is None or new is None:
            there = new if old is None else old
            assert there is not None
            lines.append(f"{mime} output {'added' if old is None else 'removed'}: "
                         f"{_size(mime, there)} (digest {_short_digest(there)})")
            continue
        old_size, new_size = _size(mime, old), _size(mime, new)
        unit = old_size.split(" ", 1)[1]
        sizes = (f"{old_size.split(' ')[0]} → {new_size}" if unit == new_size.split(" ", 1)[1]
                 else f"{old_size} → {new_size}")
        lines.append(f"{mime} output changed: {sizes} (digest {_short_digest(old)} → "
                     f"{_short_digest(new)})")
    return lines


def _line_diff(a: str, b: str) -> list[tuple[str, str, str]]:
    """A line diff as ``(css, tag, text)`` rows (``del``/``ins``/``ctx``), at most MAX_LINES."""
    rows = []
    for line in difflib.ndiff(a.splitlines(), b.splitlines()):
        tag, text = line[:1], line[2:]
        if tag == "?":
            continue
        rows.append(({"-": "del", "+": "ins"}.get(tag, "ctx"), tag, text))
        if len(rows) >= MAX_LINES:
            rows.append(("ctx", " ", "… (cut)"))
            break
    return rows


def _cut(text: str) -> str:
    return "\n".join(text.splitlines()[:MAX_LINES])


def _outputs_text(cell: JSONObject | None) -> str:
    if not cell:
        return ""
    return "\n".join(t for t in (_output_text(o) for o in _outputs(cell)) if t)


def _source(cell: JSONObject | None) -> str:
    source = cell.get("source", "") if cell else ""
    return "".join(map(str, source)) if isinstance(source, list) else str(source or "")


class _CellItem(TypedDict):
    """What ``notebook_diff.html.j2`` shows of one changed, added or removed cell."""

    kind: str
    badge: str
    where: str
    cell_type: JSONValue
    source_diff: list[tuple[str, str, str]] | None
    source: str
    source_css: str
    output_diff: list[tuple[str, str, str]] | None
    output: str
    output_css: str
    rich_changes: list[str]
    images: list[list[tuple[str, str]] | None] | None


def _pair_item(pair: CellPair) -> _CellItem:
    """What the template shows of one changed, added or removed cell."""
    where = (f"cell {pair.a_index}" if pair.b_index is None else
             f"cell {pair.b_index}" if pair.a_index is None or pair.a_index == pair.b_index
             else f"cell {pair.a_index} → {pair.b_index}")
    a_source, b_source = _source(pair.a), _source(pair.b)
    either = pair.b or pair.a
    item: _CellItem = {"kind": pair.kind, "badge": _KIND_CSS[pair.kind], "where": where,
                       "cell_type": either.get("cell_type") if either else None,
                       "source_diff": None, "source": "", "source_css": "source",
                       "output_diff": None, "output": "", "output_css": "",
                       "rich_changes": [], "images": None}
    if pair.kind == "changed":
        if a_source != b_source:
            item["source_diff"] = _line_diff(a_source, b_source)
        else:
            item["source"] = _cut(b_source)
        a_out, b_out = _outputs_text(pair.a), _outputs_text(pair.b)
        if a_out != b_out:
            item["output_diff"] = _line_diff(a_out, b_out)
        item["rich_changes"] = rich_output_changes(pair.a, pair.b)
    else:
        css = "del-block" if pair.kind == "removed" else "ins-block"
        item["source"], item["source_css"] = _cut(a_source or b_source), f"source {css}"
        item["output"], item["output_css"] = _cut(_outputs_text(pair.a or pair.b)), css
    a_images = _images(_outputs(pair.a))
    b_images = _images(_outputs(pair.b))
    if (a_images or b_images) and a_images != b_images:
        item["images"] = [None if pair.a is None else a_images,
                          None if pair.b is None else b_images]
    return item


_KIND_CSS = {"changed": "gated", "added": "succeeded", "removed": "failed", "same": "not_run"}


def diff_html(pairs: list[CellPair]) -> str:
    """The whole alignment (``notebook_diff.html.j2``): changes shown, unchanged runs folded."""
    from nbops.reports._templates_env import render

    items: list[tuple[str, Any]] = []
    for pair in pairs:
        if pair.kind == "same":
            if items and items[-1][0] == "same":
                items[-1] = ("same", items[-1][1] + 1)
            else:
                items.append(("same", 1))
        else:
            items.append(("cell", _pair_item(pair)))
    identical = not any(p.kind != "same" for p in pairs)
    return render("notebook_diff.html.j2", items=items, identical=identical)


def _redacted(path: Path, params: Mapping[str, object] | None) -> Any:
    """The notebook at ``path`` with the secrets its run's manifest redacted masked,
    as on its notebook page (stored copies are redacted already: this is the second
    line of defence)."""
    import nbformat

    from nbops.reports._page_redaction import redact_notebook, secret_replacements

    nb = nbformat.read(str(path), as_version=4)
    redact_notebook(nb, secret_replacements(nb, params))
    return nb


def diff_notebook_files(a_path: Path, b_path: Path, a_params: Mapping[str, object] | None = None,
                        b_params: Mapping[str, object] | None = None) -> tuple[list[CellPair], str]:
    """Align and render two ``.ipynb`` files; ``*_params``: each task's recorded parameters."""
    pairs = align(_redacted(a_path, a_params), _redacted(b_path, b_params))
    return pairs, diff_html(pairs)


DIFF_CSS = """
.cell-diff { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; padding: 6px 8px; }
.cell-head { margin-bottom: 4px; }
pre.line-diff span { display: block; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.line-diff .del, pre.del-block { background: #ffebe9; }
pre.line-diff .ins, pre.ins-block { background: #dafbe1; }
pre.line-diff .ctx { color: var(--muted); }
.out-title { font-size: 12px; color: var(--muted); margin-top: 6px; }
.img-pair { display: flex; gap: 8px; flex-wrap: wrap; }
.img-side { flex: 1 1 240px; min-width: 0; border: 1px solid var(--line); padding: 4px; }
.img-side img { max-width: 100%; height: auto; }
"""


def diff_page(task: str, a_path: Path, b_path: Path, a_run: str, b_run: str,
              a_params: Mapping[str, object] | None = None,
              b_params: Mapping[str, object] | None = None) -> str:
    """``runs/<b_run>/diff/<task>.html``: task's notebook of ``b_run`` against ``a_run``'s."""
    from nbops.reports._markup import page
    from nbops.reports._templates_env import render_string

    _, body = diff_notebook_files(a_path, b_path, a_params, b_params)
    header = render_string(
        '<h1>{{ task }}: notebook diff</h1><nav><a href="../index.html">this run ({{ b }})</a>'
        '<a href="../../{{ a|href }}/index.html">previous run ({{ a }})</a></nav>',
        task=task, a=a_run, b=b_run)
    intro = render_string(
        '<p class="muted">Cell by cell, the previous run of this experiment ({{ a }}, red) '
        "against this run ({{ b }}, green); timings, process ids and object addresses are "
        "masked.</p>", a=a_run, b=b_run)
    return page(f"nbops diff {task}", intro + body, header=header, css=DIFF_CSS)


def notebook_diff_page(task: str, a_path: Path, b_path: Path, a_run: str, b_run: str,
                       a_params: Mapping[str, object] | None = None,
                       b_params: Mapping[str, object] | None = None) -> str:
    """A page of its own (no links into a run folder): ``task``'s notebook of ``b_run``
    against ``a_run``'s, for JupyterLab's panel (``nbops.lab``)."""
    from nbops.reports._markup import page
    from nbops.reports._templates_env import render_string

    _, body = diff_notebook_files(a_path, b_path, a_params, b_params)
    intro = render_string(
        '<h1>{{ task }}: notebook diff</h1><p class="muted">Cell by cell, run {{ a }} (red) '
        "against run {{ b }} (green); timings, process ids and object addresses are "
        "masked.</p>", task=task, a=a_run, b=b_run)
    return page(f"nbops diff {task}", intro + body, css=DIFF_CSS)
