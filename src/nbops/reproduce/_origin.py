"""Where a run was built: the folder its executed notebooks name their products under.

Papermill injects each task's products as absolute paths, so a reproduction compares
notebooks after rewriting its scratch folder to the run's. A run pulled from the team
remote was built in another folder (a teammate's clone, a scheduler's worker): that
folder, not this clone's, is what its notebooks say, and it is read back from them.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbops.adapters import injected_values, is_injected_parameters
from nbops.contracts import JSONObject, Manifest
from nbops.core import Project


def _products(values: JSONObject) -> dict[str, str]:
    product = values.get("product")
    if isinstance(product, str):
        return {"product": product}
    if isinstance(product, dict):
        return {str(k): v for k, v in product.items() if isinstance(v, str)}
    return {}


def _injected(notebook: Path) -> JSONObject:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return {}
    for cell in cells:
        if is_injected_parameters(cell):
            source = cell.get("source", "")
            return injected_values("".join(source) if isinstance(source, list) else source) or {}
    return {}


def recorded_root(project: Project, manifest: Manifest) -> str:
    """The folder run ``manifest`` was built in (this project's, when its notebooks agree
    or name no product)."""
    run_dir = project.run_dir(manifest["run_id"])
    for task in manifest["tasks"].values():
        notebook = task.get("notebook")
        if not notebook:
            continue
        for key, value in _products(_injected(run_dir / notebook["path"])).items():
            product = task["products"].get(key)
            recorded = product.get("path") if product else None
            if recorded and not Path(recorded).is_absolute() and value.endswith("/" + recorded):
                return value[: -len(recorded) - 1]
    return str(project.root)
