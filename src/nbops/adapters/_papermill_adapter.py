"""Papermill's notebook conventions, read in one place.

Papermill marks the cells and metadata of the notebooks it executes:

* the cell tagged ``parameters`` holds a notebook's defaults; Papermill inserts
  the values of a run after it, in a cell tagged ``injected-parameters``
  (plain ``name = literal`` lines; Ploomber adds ``product`` and ``upstream``);
* when a cell fails, Papermill inserts banner cells tagged
  ``papermill-error-cell-tag`` (they are not cells of the notebook);
* ``metadata.papermill`` records the run: ``parameters``, ``duration``, ...

Every nbops module that reads those goes through these helpers, so a change
in Papermill's conventions is a change here. Papermill itself is not imported
(the constants are checked against Papermill's own in the tests): the ledger
and the reports read notebooks as plain JSON or nbformat nodes, in processes
that need not pay for importing Papermill. The execution engine
(:mod:`nbops.engine`) plugs into Papermill itself and imports it directly.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

#: The tag of the cell holding a notebook's default parameters.
PARAMETERS_TAG = "parameters"
#: The tag of the cell Papermill inserts with the run's parameter values.
INJECTED_PARAMETERS_TAG = "injected-parameters"
#: The tag of the banner cells Papermill inserts around a failed cell.
ERROR_CELL_TAG = "papermill-error-cell-tag"


def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """The tags of a cell (a parsed ``.ipynb`` dict or an nbformat node)."""
    metadata = cell.get("metadata") or {}
    return list(metadata.get("tags") or [])


def is_injected_parameters(cell: Mapping[str, Any]) -> bool:
    """Whether ``cell`` is the one Papermill inserted with the run's parameters."""
    return INJECTED_PARAMETERS_TAG in cell_tags(cell)


def is_error_banner(cell: Mapping[str, Any]) -> bool:
    """Whether ``cell`` is a banner Papermill inserted after a failure (not a notebook cell)."""
    return ERROR_CELL_TAG in cell_tags(cell)


def papermill_metadata(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata.papermill`` of an executed notebook (the live dict; empty when absent)."""
    metadata = notebook.get("metadata") or {}
    section = metadata.get("papermill")
    return section if isinstance(section, dict) else {}


def execution_duration(notebook: Mapping[str, Any]) -> float | None:
    """Seconds Papermill recorded for the whole execution, when it recorded them."""
    duration = papermill_metadata(notebook).get("duration")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool) and duration >= 0:
        return float(duration)
    return None


def kernel_name(notebook: Mapping[str, Any]) -> str | None:
    """The kernel a notebook asks for (``metadata.kernelspec.name``)."""
    metadata = notebook.get("metadata") or {}
    name = (metadata.get("kernelspec") or {}).get("name")
    return name if isinstance(name, str) and name else None


def injected_values(source: str) -> dict[str, Any] | None:
    """``name -> value`` of an injected-parameters cell's ``name = literal`` lines.

    Returns None when the cell holds anything else (or is not valid Python).
    """
    try:
        tree = ast.parse(source)
        values: dict[str, Any] = {}
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                return None
            values[node.targets[0].id] = ast.literal_eval(node.value)
    except (SyntaxError, ValueError):
        return None
    return values
