"""nbops: the MLOps layer for Jupyter notebook pipelines.

The public API is imported lazily (``import nbops`` stays cheap inside every
kernel): names listed in :data:`_LAZY` are loaded on first use.
"""

import importlib as _importlib
from typing import Any as _Any

__version__ = "0.1.0"

# public name -> "module:attribute"; each feature adds its own line.
_LAZY: dict[str, str] = {
    "log_metric": "nbops.record:log_metric",
    "log_metrics": "nbops.record:log_metrics",
    "log_artifact": "nbops.record:log_artifact",
    "load_model": "nbops.registry:load_model",
}

__all__ = ["__version__", "load_model", "log_artifact", "log_metric", "log_metrics"]


def __getattr__(name: str) -> _Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'nbops' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    value = getattr(_importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
