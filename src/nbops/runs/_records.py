"""Read what a notebook recorded about itself: nbops records and the failing cell.

Output notebooks are parsed as plain JSON (no nbformat import): records are
``display_data`` outputs with MIME type :data:`RECORD_MIME` (see
docs/contracts.md, "Records inside notebooks"); a failure is the first code cell
with an ``error`` output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.adapters import execution_duration, is_error_banner
from nbops.contracts import CurveSeries, FileRecord, TaskError
from nbops.core import mask_credentials

if TYPE_CHECKING:
    pass

RECORD_MIME = "application/vnd.nbops.record+json"


@dataclass
class NotebookFacts:
    """What nbops collects from one output notebook."""

    metrics: dict[str, float] = field(default_factory=dict)
    #: ``{name: {"steps": [int], "values": [number]}}`` of metrics logged with a step
    curves: dict[str, CurveSeries] = field(default_factory=dict)
    artifacts: list[FileRecord] = field(default_factory=list)
    error: TaskError | None = None
    duration_s: float | None = None


def _error_of(cells: list[Mapping[str, Any]]) -> TaskError | None:
    index = 0
    for cell in cells:
        if is_error_banner(cell):
            continue  # banners papermill inserts after the fact
        if cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return {
                        "cell_index": index,
                        "execution_count": cell.get("execution_count"),
                        "ename": str(output.get("ename", "")),
                        # an error message may quote a connection URL with its password
                        "evalue": mask_credentials(str(output.get("evalue", ""))),
                    }
        index += 1
    return None


def read_facts(path: Path) -> NotebookFacts:
    """Collect records, the failing cell and the duration from the notebook at ``path``.

    A missing or unreadable notebook yields empty facts: a task can fail
    before Papermill writes anything.
    """
    facts = NotebookFacts()
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return facts
    cells = notebook.get("cells", [])
    for cell in cells:
        for output in cell.get("outputs", []) or []:
            payload = (output.get("data") or {}).get(RECORD_MIME)
            if isinstance(payload, dict):
                _add_record(facts, payload)
    facts.error = _error_of(cells)
    facts.duration_s = execution_duration(notebook)
    return facts


def _add_record(facts: NotebookFacts, payload: Mapping[str, object]) -> None:
    kind = payload.get("kind")
    if kind == "metric":
        name, value = payload.get("name"), payload.get("value")
        if (isinstance(name, str) and isinstance(value, (int, float))
                and not isinstance(value, bool) and math.isfinite(value)):
            facts.metrics[name] = value
            step = payload.get("step")
            if isinstance(step, int) and not isinstance(step, bool):
                _add_step(facts, name, step, value)
    elif kind == "artifact":
        path, digest, size = payload.get("path"), payload.get("hash"), payload.get("size")
        if isinstance(path, str):
            facts.artifacts.append({
                "path": path,
                "hash": digest if isinstance(digest, str) else None,
                "size": size if isinstance(size, int) else None,
            })


def _add_step(facts: NotebookFacts, name: str, step: int, value: float) -> None:
    """Append a point to ``name``'s curve; a step not after the last one is dropped.

    ``nbops.log_metric`` already refuses such steps in the kernel; this keeps a
    hand-edited notebook from recording a curve that goes backwards.
    """
    curve = facts.curves.setdefault(name, {"steps": [], "values": []})
    if curve["steps"] and step <= curve["steps"][-1]:
        return
    curve["steps"].append(step)
    curve["values"].append(value)
