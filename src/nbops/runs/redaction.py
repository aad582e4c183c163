"""Keep secret parameters out of the notebooks a run folder shows.

Papermill writes every parameter into the output notebook (the
``injected-parameters`` cell and ``metadata.papermill.parameters``). The
working product and its stored object keep the real values (``nbops
checkout`` must restore them byte for byte), but the copy linked into
``reports/runs/<run_id>/notebooks/`` — the one reports render and people
share — has secret values replaced by the redaction marker.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nbops.adapters.papermill_adapter import is_injected_parameters, papermill_metadata
from nbops.core.secrets import redact


def _changed_params(params: dict[str, Any]) -> dict[str, Any]:
    changed = {}
    for name, value in params.items():
        clean = redact(value, name)
        if clean != value:
            changed[name] = clean
    return changed


def needs_redaction(params: dict[str, Any]) -> bool:
    """Whether any parameter value would be redacted."""
    return bool(_changed_params(params))


def redact_notebook(data: bytes, params: dict[str, Any]) -> bytes | None:
    """A copy of the notebook ``data`` with secret parameter values replaced.

    Returns:
        The redacted notebook, or None when no parameter needed redaction.
    """
    changed = _changed_params(params)
    if not changed:
        return None
    notebook = json.loads(data)
    for cell in notebook.get("cells", []):
        if not is_injected_parameters(cell):
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for name, clean in changed.items():
            pattern = re.compile(rf"^(\s*){re.escape(name)}\s*=.*$", re.MULTILINE)
            # \g<1> keeps the indentation; the value is escaped for re's template syntax
            replacement = "\\g<1>" + f"{name} = {clean!r}".replace("\\", "\\\\")
            text = pattern.sub(replacement, text)
        cell["source"] = text
    papermill = papermill_metadata(notebook)
    if isinstance(papermill.get("parameters"), dict):
        papermill["parameters"] = redact(papermill["parameters"])
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
