"""Notebook execution engines (registered with Papermill through its entry point).

The executors are named by dotted path in ``pipeline.yaml``
(:mod:`nbops.engine.executor`, :mod:`nbops.engine.dask_executor`); the kernels they
start ahead and fork are :mod:`nbops.runtime`'s.
"""

from __future__ import annotations

__all__: list[str] = []
