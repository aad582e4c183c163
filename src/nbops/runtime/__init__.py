"""The speed machinery: everything that makes a build faster and nothing that changes its result.

Kernels forked from a pre-imported server (:mod:`._forkserver`, :mod:`._fork_provisioner`,
zygotes), kernels started ahead of need (:mod:`._kernel_pool`), warm helper processes
(:mod:`._helper_process`: the registry's measuring helper), the sweep's trial server
(:mod:`.trial_server`) and the opt-in ``.pth`` start-up hooks (:mod:`.startup_hooks`,
:mod:`.lazy_grammar`). See docs/speed.md for what each saves.

``NBOPS_RUNTIME=plain`` turns all of it off (:mod:`._switch`): same run records, slower.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.runtime._fork_provisioner import (
        ForkServer,
        ForkServerError,
        StartedServer,
        Zygote,
        hand_over,
        kernel_environment,
        start_server,
        take_handed_over,
    )
    from nbops.runtime._helper_process import HelperGone, HelperProcess, serve
    from nbops.runtime._kernel_pool import KernelPool, PooledKernel
    from nbops.runtime._preimports import fork_preimports
    from nbops.runtime._switch import RUNTIME_ENV, speedups_off

__all__ = [
    "ForkServer", "ForkServerError", "HelperGone", "HelperProcess", "KernelPool",
    "PooledKernel", "RUNTIME_ENV", "StartedServer", "Zygote", "fork_preimports", "hand_over",
    "kernel_environment", "serve", "speedups_off", "start_server", "take_handed_over",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_fork_provisioner": ("ForkServer", "ForkServerError", "StartedServer", "Zygote",
                              "hand_over", "kernel_environment", "start_server",
                              "take_handed_over"),
        "_helper_process": ("HelperGone", "HelperProcess", "serve"),
        "_kernel_pool": ("KernelPool", "PooledKernel"),
        "_preimports": ("fork_preimports",),
        "_switch": ("RUNTIME_ENV", "speedups_off"),
    })
