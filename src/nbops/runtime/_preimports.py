"""Which modules a pipeline's kernel fork server pre-imports, read from ``pipeline.yaml``.

Apart from :mod:`nbops.engine.executor` (which imports Ploomber) so that a process
that only needs the list, such as a sweep's trial server starting its kernel server
zygote before anything else, can read it in milliseconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

#: The executor whose builds fork their kernels (``nbops.engine.executor.NbopsExecutor``).
EXECUTOR_CLASS = "NbopsExecutor"


def fork_preimports(pipeline: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What the kernel fork server of ``pipeline`` (a loaded ``pipeline.yaml``) pre-imports.

    None when its builds fork no kernels: another executor, ``fork: false``, or a
    ``preload`` that is not a plain list of names (checked when the build starts).
    """
    executor = pipeline.get("executor")
    if not isinstance(executor, Mapping):
        return None
    path = str(executor.get("dotted_path", ""))
    if path.rpartition(".")[2] != EXECUTOR_CLASS or executor.get("fork") is False:
        return None
    if os.name != "posix":
        return None
    preload = executor.get("preload", [])
    if isinstance(preload, str):
        preload = [preload]
    if not isinstance(preload, list) or not all(isinstance(m, str) for m in preload):
        return None
    return tuple(m.strip() for m in preload if m.strip())
