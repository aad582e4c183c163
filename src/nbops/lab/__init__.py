"""nbops in JupyterLab: the server extension behind the nbops panel.

``/nbops/api/`` answers, in JSON, what the panel (the ``nbops-lab`` labextension,
shipped prebuilt in the wheel) shows: the pipeline's tasks and their states, one
notebook's past runs, the registered model's champion and challenger; and it
starts builds and moves aliases through the same library calls as the CLI.
jupyter_server finds it through the two ``_jupyter_server_extension_*`` functions
(enabled by ``etc/jupyter/jupyter_server_config.d/nbops.json`` in the wheel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.lab._context import LabContext
    from nbops.lab._pipeline_view import pipeline_view

__all__ = ["LabContext", "pipeline_view"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbops.lab"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from nbops.lab._extension import load

    load(serverapp)


if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_context": ("LabContext",),
        "_pipeline_view": ("pipeline_view",),
    })
