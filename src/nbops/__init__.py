"""nbops: the MLOps layer for Jupyter notebook pipelines.

The public API is imported lazily (``import nbops`` stays cheap inside every
kernel): names listed in :data:`_LAZY` are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "module:attribute"; each feature adds its own line.
_LAZY: dict[str, str] = {
    "log_metric": "nbops.record:log_metric",
    "log_metrics": "nbops.record:log_metrics",
    "log_artifact": "nbops.record:log_artifact",
}

__all__ = ["__version__", "log_artifact", "log_metric", "log_metrics"]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'nbops' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
