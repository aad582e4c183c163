"""Notebook execution engines (registered with Papermill through its entry point)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.engine._fork_provisioner import (
        ForkServerError,
        StartedServer,
        Zygote,
        hand_over,
        start_server,
    )
    from nbops.engine._preimports import fork_preimports

__all__ = [
    "ForkServerError", "StartedServer", "Zygote", "fork_preimports", "hand_over",
    "start_server",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_fork_provisioner": ("ForkServerError", "StartedServer", "Zygote", "hand_over",
                              "start_server"),
        "_preimports": ("fork_preimports",),
    })
