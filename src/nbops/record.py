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
from typing import Any, Literal, TypedDict

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


class _MetricRequired(TypedDict):
    kind: Literal["metric"]
    name: str
    value: float | int


class MetricPayload(_MetricRequired, total=False):
    """A logged metric as the kernel displays it (read by :mod:`nbops.runs._records`)."""

    step: int


class ArtifactPayload(TypedDict):
    """A logged artifact as the kernel displays it."""

    kind: Literal["artifact"]
    path: str
    hash: str
    size: int


def _emit(payload: MetricPayload | ArtifactPayload, text: str) -> None:
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


#: The most steps one metric may log in one notebook: a curve is stored in the manifest.
MAX_STEPS = 10_000
#: The last step each metric logged in this kernel (one kernel serves one notebook).
_last_step: dict[str, int] = {}
_step_count: dict[str, int] = {}


def _step(name: str, step: Any) -> int | None:
    """Check ``step`` (None, or an int after this metric's previous step) without recording it."""
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, int):
        import numbers

        if not (isinstance(step, numbers.Integral) and not isinstance(step, bool)):
            raise RecordError(f"Metric {name!r} has step {step!r}, which is not an integer",
                              "pass the iteration or epoch number, e.g. step=i")
        step = int(step)
    if step < 0:
        raise RecordError(f"Metric {name!r} has step {step}, which is negative",
                          "count steps from 0 or 1")
    last = _last_step.get(name)
    if last is not None and step <= last:
        again = "repeats" if step == last else "comes after"
        raise RecordError(f"Metric {name!r} step {step} {again} step {last} of this notebook",
                          "log each step once, in increasing order")
    if _step_count.get(name, 0) >= MAX_STEPS:
        raise RecordError(f"Metric {name!r} already logged {MAX_STEPS} steps",
                          "log every n-th step (e.g. step % 10 == 0)")
    return int(step)


def _emit_metric(name: str, value: float | int, step: int | None) -> None:
    payload: MetricPayload = {"kind": "metric", "name": name, "value": value}
    text = f"metric {name} = {value}"
    if step is not None:
        payload["step"] = step
        text += f" (step {step})"
        _last_step[name] = step
        _step_count[name] = _step_count.get(name, 0) + 1
    _emit(payload, text)


def log_metric(name: str, value: float, step: int | None = None) -> None:
    """Record one metric of the current run, e.g. ``nbops.log_metric("roc_auc", 0.91)``.

    With ``step`` (an int, increasing from call to call for the same name) the
    values form a curve, e.g. ``log_metric("loss", loss, step=epoch)``: the run
    page draws it, and the last value logged is the metric's value for gates,
    ``nbops runs`` and comparisons.

    Raises:
        RecordError: the name is empty, the value is not a finite number, or the
            step is not an int greater than this metric's previous step.
    """
    number = _number(name, value)
    checked = _step(name, step)
    if _in_run():
        _emit_metric(name, number, checked)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Record several metrics at once (validated all before any is recorded).

    ``step`` applies to each of them, as in :func:`log_metric`.
    """
    checked = {name: _number(name, value) for name, value in metrics.items()}
    steps = {name: _step(name, step) for name in checked}
    if not _in_run():
        return
    for name, value in checked.items():
        _emit_metric(name, value, steps[name])


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
