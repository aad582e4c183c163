"""Compare two executed notebooks by what they computed, not when.

An executed ``.ipynb`` carries timings (Papermill's start/end/duration per
cell), kernel and interpreter details, and the absolute paths Ploomber
injects into the parameters cell; none of those say whether the run
reproduced. :func:`normalise` keeps each cell's type, source and outputs and
rewrites run-specific strings (the scratch folder, the run id) to the
original's, so two runs of the same code on the same data compare equal.

Outputs also carry a few strings that change on every execution without
saying anything about results (:data:`VOLATILE`): the kernel's temporary
file names in warnings (they contain its process id), object addresses in
default reprs (also inside scikit-learn's HTML diagrams), and the random
table ids of pandas' ``Styler`` HTML. Those are masked. What a cell printed
is compared as the text of each stream (stdout, stderr), however the kernel cut it into
messages. Everything else in an output must match exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.adapters import injected_values, is_injected_parameters
from nbops.core import rewrite_strings

if TYPE_CHECKING:
    from nbops.contracts import JSONObject

#: ``(pattern, mask)`` pairs applied to every string inside outputs.
VOLATILE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ipykernel_\d+"), "ipykernel_<pid>"),
    # "<function f at 0x7f0e18205e40>", also HTML-escaped or cut short ("f...x7f0e18205e40")
    (re.compile(r"(?<= at 0x)[0-9a-f]{6,16}|(?<=\.\.\.x)[0-9a-f]{4,16}"), "<address>"),
    (re.compile(r"\bT_[0-9a-f]{5}(?=[_\"'\s])"), "T_<uuid>"),
)

#: Lines a library prints once per environment rather than per result (first
#: use after an install); removed from stream outputs, which are dropped if empty.
ENVIRONMENT_NOISE: tuple[re.Pattern[str], ...] = (
    re.compile(r"^Matplotlib is building the font cache; this may take a moment\.\n?", re.M),
)

_KEPT_OUTPUT_KEYS = {
    "stream": ("name", "text"),
    "display_data": ("data",),
    "execute_result": ("data", "execution_count"),
    "error": ("ename", "evalue", "traceback"),
}


def _text(value: Any) -> Any:
    return "".join(value) if isinstance(value, list) else value


def mask_volatile(value: Any) -> Any:
    """Mask :data:`VOLATILE` strings everywhere inside ``value`` (a JSON-like tree)."""
    if isinstance(value, str):
        for pattern, mask in VOLATILE:
            value = pattern.sub(mask, value)
        return value
    if isinstance(value, list):
        return [mask_volatile(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_volatile(v) for k, v in value.items()}
    return value


def _output(output: Mapping[str, Any]) -> JSONObject:
    kind = output.get("output_type", "")
    kept: JSONObject = {"output_type": kind}
    for key in _KEPT_OUTPUT_KEYS.get(kind, ()):
        if key in output:
            value = output[key]
            if key == "data":
                value = {mime: _text(v) for mime, v in sorted(value.items())}
            kept[key] = _text(value) if key == "text" else value
    return kept


def _streams_joined(outputs: list[JSONObject]) -> list[JSONObject]:
    """Each stream's text as one output, where its first part was: the kernel sends what a
    cell prints in as many messages as its flush timer happens to cut it into (a loaded
    machine cuts ``print(x)`` into ``x`` and ``"\\n"``), and stdout and stderr are
    separate channels, so only the text of each, in order, is a result."""
    joined: list[JSONObject] = []
    streams: dict[object, JSONObject] = {}
    for output in outputs:
        if output["output_type"] != "stream":
            joined.append(output)
            continue
        name, text = output.get("name"), output.get("text")
        first = streams.get(name)
        if first is None:
            streams[name] = first = {**output, "text": ""}
            joined.append(first)
        first["text"] = f"{first['text']}{text if isinstance(text, str) else ''}"
    for stream in streams.values():
        for pattern in ENVIRONMENT_NOISE:
            stream["text"] = pattern.sub("", str(stream["text"]))
    return [o for o in joined if o["output_type"] != "stream" or o.get("text")]


def canonical_parameters(source: str) -> str:
    """The injected-parameters cell as sorted JSON of its ``name = literal`` lines.

    Ploomber builds the ``upstream`` dict in an order that varies from process to
    process (string hashing), so the same parameters can be written in another
    order; compared as values they are equal. A cell that is not only literal
    assignments is kept as written.
    """
    values = injected_values(source)
    if values is None:
        return source
    return json.dumps(values, sort_keys=True, default=repr)


def normalise(
    notebook: Mapping[str, Any], replacements: Mapping[str, str] | None = None
) -> list[JSONObject]:
    """The comparable content of an executed notebook: one dict per cell.

    Args:
        notebook: the parsed ``.ipynb`` JSON.
        replacements: strings to rewrite everywhere (longest first is safest).
    """
    cells = []
    for cell in notebook.get("cells", []):
        source = _text(cell.get("source", ""))
        if is_injected_parameters(cell):
            source = canonical_parameters(source)
        entry: JSONObject = {"cell_type": cell.get("cell_type"), "source": source}
        if cell.get("cell_type") == "code":
            entry["execution_count"] = cell.get("execution_count")
            outputs = _streams_joined([_output(o) for o in cell.get("outputs", [])])
            entry["outputs"] = mask_volatile(outputs)
        cells.append(entry)
    ordered = dict(sorted((replacements or {}).items(), key=lambda kv: -len(kv[0])))
    return [rewrite_strings(c, ordered) for c in cells]


@dataclass(frozen=True)
class NotebookDifference:
    """Where two notebooks first differ.

    Attributes:
        cell_index: index of the first differing cell (``None``: cell counts differ only).
        what: ``source``, ``outputs``, ``execution_count``, ``cell_type`` or ``cells``.
        recorded: a short excerpt of the recorded side.
        reproduced: a short excerpt of the reproduced side.
    """

    cell_index: int | None
    what: str
    recorded: str
    reproduced: str

    def describe(self) -> str:
        """One line, e.g. ``cell 4 outputs differ``."""
        if self.cell_index is None:
            return f"the notebooks have {self.recorded} and {self.reproduced} cells"
        return f"cell {self.cell_index} {self.what} differ"


def _excerpt(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def first_difference(
    recorded: list[JSONObject], reproduced: list[JSONObject]
) -> NotebookDifference | None:
    """The first cell where two normalised notebooks differ, or ``None`` if equal."""
    for index, (a, b) in enumerate(zip(recorded, reproduced, strict=False)):
        if a == b:
            continue
        for what in ("cell_type", "source", "execution_count", "outputs"):
            if a.get(what) != b.get(what):
                return NotebookDifference(index, what, _excerpt(a.get(what)), _excerpt(b.get(what)))
    if len(recorded) != len(reproduced):
        return NotebookDifference(None, "cells", str(len(recorded)), str(len(reproduced)))
    return None


def compare_notebooks(
    recorded: Path, reproduced: Path, replacements: Mapping[str, str]
) -> NotebookDifference | None:
    """Compare two ``.ipynb`` files on normalised content.

    Args:
        recorded: the original run's notebook.
        reproduced: the reproduction's notebook.
        replacements: strings in the reproduction to rewrite to the original's
            (scratch folder -> project folder, reproduction run id -> run id).
    """
    a = normalise(json.loads(Path(recorded).read_text(encoding="utf-8")))
    b = normalise(json.loads(Path(reproduced).read_text(encoding="utf-8")), replacements)
    return first_difference(a, b)
