"""The notebook API: record metrics and artifacts inside the output notebook itself.

Each call displays one output with MIME type :data:`RECORD_MIME` (and a
``text/plain`` twin for people); the ledger collects them from the executed
notebook when the run closes, so the notebook stays the single source of
truth. Outside a run (no ``NBOPS_RUN_ID``, e.g. editing in JupyterLab) the
calls record nothing and log a one-line notice, once.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbops.core import RecordError

RECORD_MIME = "application/vnd.nbops.record+json"
logger = logging.getLogger("nbops")
_noticed: set[str] = set()


def _in_run() -> bool:
    if os.environ.get("NBOPS_RUN_ID"):
        return True
    if "outside" not in _noticed:
        _noticed.add("outside")
        logger.warning("nbops: not inside a pipeline run (NBOPS_RUN_ID is not set); "
                       "metrics and artifacts are not recorded")
    return False


def _emit(payload: dict[str, Any], text: str) -> None:
    from IPython.display import display

    display({RECORD_MIME: payload, "text/plain": text}, raw=True)


def _number(name: str, value: Any) -> float | int:
    if not isinstance(name, str) or not name.strip():
        raise RecordError(f"Metric name {name!r} is not a non-empty string",
                          "name metrics like 'roc_auc'")
    if isinstance(value, bool):
        raise RecordError(f"Metric {name!r} is a boolean ({value})",
                          "log a number, e.g. int(flag)")
    try:
        number = value if isinstance(value, int) else float(value)
    except (TypeError, ValueError):
        raise RecordError(f"Metric {name!r} has value {value!r}, which is not a number",
                          "log a number (int or float)") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise RecordError(f"Metric {name!r} is {number}, which JSON cannot hold",
                          "log a finite number, or skip the metric")
    return int(number) if isinstance(value, int) else number


def log_metric(name: str, value: float) -> None:
    """Record one metric of the current run, e.g. ``nbops.log_metric("roc_auc", 0.91)``.

    Raises:
        RecordError: the name is empty or the value is not a finite number.
    """
    number = _number(name, value)
    if _in_run():
        _emit({"kind": "metric", "name": name, "value": number}, f"metric {name} = {number}")


def log_metrics(metrics: Mapping[str, float]) -> None:
    """Record several metrics at once (validated all before any is recorded)."""
    checked = {name: _number(name, value) for name, value in metrics.items()}
    if not _in_run():
        return
    for name, value in checked.items():
        _emit({"kind": "metric", "name": name, "value": value}, f"metric {name} = {value}")


def log_artifact(path: str | os.PathLike[str]) -> str:
    """Record a file the notebook produced (a model, a plot …); returns its hash.

    The ledger copies the file into the content store when the run closes.

    Raises:
        RecordError: ``path`` is not an existing file.
    """
    target = Path(path)
    if not target.is_file():
        raise RecordError(f"Artifact {str(path)!r} is not an existing file",
                          "write the file first, then log it")
    from nbops.core import hash_file

    digest = hash_file(target)
    if _in_run():
        size = target.stat().st_size
        _emit({"kind": "artifact", "path": os.path.abspath(target), "hash": digest, "size": size},
              f"artifact {target} ({size} bytes, {digest[:19]}…)")
    return digest
